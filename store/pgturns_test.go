package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// TestTurnRebuildAcrossFetches rebuilds turns on PostgreSQL with cursor
// fetches of a few messages (pgturns.go), so that conversations span
// fetches, fetches end on a conversation's last message, and the last
// fetch is full (an empty one follows) or not: after a first load (every
// conversation) and after an import that changes four and empties a fifth
// (those listed), each conversation with messages is rebuilt once, and the
// turns are SQLite's.
func TestTurnRebuildAcrossFetches(t *testing.T) {
	header := strings.Join(Columns(Chats), ",") + "\n"
	imports := []struct {
		csv     string
		rebuilt int64
	}{
		{chatsCSV(12, 5), 12},
		{header +
			"m0-1,c0,7495001,agent,2026-10-01T08:00:00+07:00,hi\n" + // a sender changes
			"m1-0,c2,7495001,buyer,2026-10-01T06:01:00+07:00,hi\n" + // a message moves
			// c11 moves whole: it keeps no message, and no turn.
			"m11-0,c-moved,7495002,buyer,2026-10-01T08:11:00+07:00,hi\n" +
			"m11-1,c-moved,7495002,system,2026-10-01T10:11:00+07:00,hi\n" +
			"m11-2,c-moved,7495002,agent,2026-10-01T12:11:00+07:00,hi\n" +
			"m11-3,c-moved,7495002,robot,2026-10-01T14:11:00+07:00,hi\n" +
			"m11-4,c-moved,7495002,buyer,2026-10-01T16:11:00+07:00,hi\n",
			4}, // c0, c1, c2 and c-moved: c11 has no messages to read
	}
	reference := MustOpenAt(t, storetest.SQLite(t), testConfig)
	var want [][]string
	for i, im := range imports {
		MustImport(t, reference, Chats, "chats.csv", im.csv)
		want = append(want, turnsOf(t, reference))
		if len(want[i]) == 0 || i > 0 && slices.Equal(want[i], want[i-1]) {
			t.Fatalf("import %d: turns %q: the test shows nothing", i, want[i])
		}
	}
	for _, fetch := range []int{1, 2, 4, 5, 7, 60, 61} {
		db := MustOpenAt(t, storetest.Postgres(t), testConfig)
		db.turnFetch = fetch
		for i, im := range imports {
			before := db.rebuiltTurns.Load()
			MustImport(t, db, Chats, "chats.csv", im.csv)
			if n := db.rebuiltTurns.Load() - before; n != im.rebuilt {
				t.Errorf("fetches of %d, import %d: %d conversations rebuilt, want %d", fetch, i, n, im.rebuilt)
			}
			if got := turnsOf(t, db); !slices.Equal(got, want[i]) {
				t.Errorf("fetches of %d, import %d: turns\n%q\nwant (SQLite)\n%q", fetch, i, got, want[i])
			}
		}
	}
}
