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
// conversation) and after an import that changes three (those listed),
// each conversation is rebuilt once and the turns are SQLite's.
func TestTurnRebuildAcrossFetches(t *testing.T) {
	header := strings.Join(Columns(Chats), ",") + "\n"
	imports := []struct {
		csv     string
		rebuilt int64
	}{
		{chatsCSV(12, 5), 12},
		{header +
			"m0-1,c0,7495001,agent,2026-10-01T08:00:00+07:00,hi\n" + // a sender changes
			"m1-0,c2,7495001,buyer,2026-10-01T06:01:00+07:00,hi\n", // a message moves
			3},
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
