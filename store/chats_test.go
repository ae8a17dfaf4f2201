package store

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// chatsCSV returns a chats file of convs conversations whose messages are
// far apart, as in a marketplace-wide export: message i of every
// conversation, then message i+1. Conversations differ in shop, senders
// and reply times, so that their turns do too.
func chatsCSV(convs, perConv int) string {
	var b strings.Builder
	b.WriteString(strings.Join(Columns(Chats), ",") + "\n")
	senders := []string{"buyer", "shop", "buyer", "system", "agent", "robot", "buyer"}
	for i := range perConv {
		for c := range convs {
			shop := []string{"7495001", "7495002"}[c%2]
			sender := senders[(i+c%3)%len(senders)]
			fmt.Fprintf(&b, "m%d-%d,c%d,%s,%s,2026-10-01T%02d:%02d:00+07:00,hi\n", c, i, c, shop, sender, 6+i*2+c%3, c%60)
		}
	}
	return b.String()
}

// turnsOf lists the stored turns, in key order.
func turnsOf(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.sql.Query("SELECT conversation_id, seq, shop, start_at, start_day, COALESCE(reply_at, -1) FROM chat_turns ORDER BY conversation_id, seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var conv string
		var seq, shop, start, day, reply int64
		if err := rows.Scan(&conv, &seq, &shop, &start, &day, &reply); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s/%d shop %d %d day %d reply %d", conv, seq, shop, start, day, reply))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTurns(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d turns, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("turn %d is %s, want %s", i, got[i], want[i])
		}
	}
}

// TestChatTurnsAfterCrash imports chats into a database as if the process
// were killed after its last commit, before the turns were rebuilt, and
// checks that the next open of the store, or the next import of another
// kind, brings the turns to those of a clean import.
func TestChatTurnsAfterCrash(t *testing.T) {
	if storetest.OnPostgres() {
		t.Skip("PostgreSQL imports in one transaction: the turns are rebuilt before the commit")
	}
	csv := chatsCSV(1500, 7)
	clean := MustOpen(t, testConfig)
	MustImport(t, clean, Chats, "chats.csv", csv)
	want := turnsOf(t, clean)
	if len(want) < 1500 {
		t.Fatalf("a clean import stored %d turns: the data is too thin", len(want))
	}
	if n := count(t, clean, "SELECT COUNT(*) FROM chat_turns_stale"); n != 0 {
		t.Fatalf("a clean import left %d conversations stale", n)
	}

	for _, tc := range []struct {
		name    string
		recover func(t *testing.T, dsn string, crashed *DB) *DB
	}{
		{"next open", func(t *testing.T, dsn string, crashed *DB) *DB {
			crashed.Close()
			return MustOpenAt(t, dsn, testConfig)
		}},
		{"next open for another shop only, as a short command's", func(t *testing.T, dsn string, crashed *DB) *DB {
			crashed.Close()
			return MustOpenAt(t, dsn, testConfig, "7495002")
		}},
		{"SettleTurns, as serve's evaluation calls it", func(t *testing.T, dsn string, crashed *DB) *DB {
			if err := crashed.SettleTurns(t.Context()); err != nil {
				t.Fatal(err)
			}
			return crashed
		}},
		{"next import of another kind", func(t *testing.T, dsn string, crashed *DB) *DB {
			crashed.crashBeforeSettle = false
			MustImport(t, crashed, Orders, "orders.csv", ordersHeader+"o1,7495001,p1,2026-10-01T10:00:00+07:00,Item,,\n")
			return crashed
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := storetest.DSN(t)
			db := MustOpenAt(t, dsn, testConfig)
			// The first four messages of each conversation first: the crashed
			// import adds to stored conversations, which it lists stale (a
			// conversation new to the store gets its turns with its messages:
			// chatinline.go).
			MustImport(t, db, Chats, "first.csv", chatsCSV(1500, 4))
			db.crashBeforeSettle = true
			MustImport(t, db, Chats, "chats.csv", csv)
			if n := count(t, db, "SELECT COUNT(DISTINCT conversation_id) FROM chat_turns_stale"); n != 1500 {
				t.Fatalf("after the crash, %d conversations are listed stale, want 1500", n)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM chat_turns"); n == len(want) {
				t.Fatalf("the crashed import rebuilt its turns: the test shows nothing")
			}
			db = tc.recover(t, dsn, db)
			sameTurns(t, turnsOf(t, db), want)
			if n := count(t, db, "SELECT COUNT(*) FROM chat_turns_stale"); n != 0 {
				t.Errorf("%d conversations still stale", n)
			}
		})
	}
}

// TestChatTurnsRebuiltOncePerImport imports a chats file whose
// conversations' messages are far apart, over many batches and commits,
// and checks that each conversation's turns were written once, that they
// are right, and that a later import that changes some messages rebuilds
// the turns of their conversations.
func TestChatTurnsRebuiltOncePerImport(t *testing.T) {
	if storetest.OnPostgres() {
		t.Skip("SQLite's total_changes() counts the rows written")
	}
	for _, tc := range []struct {
		name  string
		convs int
	}{
		{name: "one batch", convs: 10},
		{name: "many batches", convs: 3000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			db.SetConnections(1) // total_changes() counts the import's connection
			const perConv = 4
			var b strings.Builder
			b.WriteString(strings.Join(Columns(Chats), ",") + "\n")
			for i := range perConv {
				sender := []string{"buyer", "shop"}[i%2]
				for c := range tc.convs {
					fmt.Fprintf(&b, "m%d-%d,c%d,7495001,%s,2026-10-01T%02d:00:00+07:00,hi\n", c, i, c, sender, 8+i)
				}
			}
			before := count(t, db, "SELECT total_changes()")
			MustImport(t, db, Chats, "chats.csv", b.String())
			changes := count(t, db, "SELECT total_changes()") - before

			turns := count(t, db, "SELECT COUNT(*) FROM chat_turns")
			if want := 2 * tc.convs; turns != want {
				t.Fatalf("%d turns, want %d", turns, want)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM chat_turns WHERE reply_at - start_at = 3600 * 1000"); n != turns {
				t.Errorf("%d of %d turns answered after an hour", n, turns)
			}
			// Each message written once, listed stale and unlisted once, each
			// conversation listed for the rebuild and unlisted once, each turn
			// written once, and a few bookkeeping rows.
			if max := 3*perConv*tc.convs + 2*tc.convs + turns + 10; changes > max {
				t.Errorf("the import changed %d rows, want at most %d: turns were rewritten", changes, max)
			}

			// Re-imports of the same rows, or of the same rows with new
			// texts, list no conversation as stale (the crash leaves what
			// they listed in place, to be seen).
			db.crashBeforeSettle = true
			for _, csv := range []string{b.String(), strings.ReplaceAll(b.String(), ",hi\n", ",hello\n")} {
				MustImport(t, db, Chats, "again.csv", csv)
				if n := count(t, db, "SELECT COUNT(*) FROM chat_turns_stale"); n != 0 {
					t.Fatalf("a re-import that changes no turn listed %d conversations stale", n)
				}
			}
			db.crashBeforeSettle = false

			// The last reply of conversation c0 comes later: its second
			// turn is now answered after three hours.
			MustImport(t, db, Chats, "later.csv", strings.Join(Columns(Chats), ",")+"\nm0-3,c0,7495001,shop,2026-10-01T13:00:00+07:00,hi\n")
			if n := count(t, db, "SELECT COUNT(*) FROM chat_turns WHERE conversation_id = 'c0' AND reply_at - start_at = 3 * 3600 * 1000"); n != 1 {
				t.Errorf("after the later import, %d turns of c0 answered after three hours, want 1", n)
			}

			// Two conversations far apart: the rebuild reads those two
			// alone, and rewrites no turn of the conversations between.
			before = count(t, db, "SELECT total_changes()")
			MustImport(t, db, Chats, "apart.csv", fmt.Sprintf("%s\nm1-9,c1,7495001,buyer,2026-10-02T08:00:00+07:00,hi\nm%[2]d-9,c%[2]d,7495001,buyer,2026-10-02T08:00:00+07:00,hi\n",
				strings.Join(Columns(Chats), ","), tc.convs-1))
			if changes, max := count(t, db, "SELECT total_changes()")-before, 3*2+2+2*3+10; changes > max {
				t.Errorf("an import of two conversations' messages changed %d rows, want at most %d", changes, max)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM chat_turns"); n != 2*tc.convs+2 {
				t.Errorf("%d turns after two new buyer messages, want %d", n, 2*tc.convs+2)
			}
		})
	}
}

// A conversation listed stale while a rebuild runs (by another writer) is
// left listed for the next rebuild, whichever way the rebuild clears the
// rows it covered.
func TestStaleListedDuringRebuildStays(t *testing.T) {
	if storetest.OnPostgres() {
		t.Skip("PostgreSQL rebuilds in the import's transaction")
	}
	for _, listed := range []int{0, 1} {
		t.Run(fmt.Sprintf("%d listed meanwhile", listed), func(t *testing.T) {
			ctx := t.Context()
			db := MustOpen(t, testConfig)
			MustImport(t, db, Chats, "first.csv", chatsCSV(20, 2))
			db.crashBeforeSettle = true
			MustImport(t, db, Chats, "chats.csv", chatsCSV(20, 3))
			conn, err := db.sql.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			r, err := db.newTurnRebuilder(ctx, conn)
			if err != nil {
				t.Fatal(err)
			}
			defer r.close()
			if ok, err := r.start(ctx, conn); !ok || err != nil {
				t.Fatalf("nothing to rebuild (%v)", err)
			}
			for range listed {
				if _, err := conn.ExecContext(ctx, `INSERT INTO chat_turns_stale (conversation_id) VALUES ('c5')`); err != nil {
					t.Fatal(err)
				}
			}
			if err := settleLoop(ctx, conn, &pause{}, r.step, nil); err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM chat_turns_stale"); n != listed {
				t.Errorf("%d rows listed after the rebuild, want %d", n, listed)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM chat_turns"); n == 0 {
				t.Error("no turns rebuilt")
			}
		})
	}
}

// rebuiltTurns returns the turns a rebuild of every stored conversation
// from its messages gives (chats.go), leaving them stored.
func rebuiltTurns(t *testing.T, db *DB) []string {
	t.Helper()
	for _, q := range []string{
		`DELETE FROM chat_turns`,
		`INSERT INTO chat_turns_stale (conversation_id) SELECT DISTINCT conversation_id FROM chat_messages`,
	} {
		if _, err := db.sql.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SettleTurns(t.Context()); err != nil {
		t.Fatal(err)
	}
	return turnsOf(t, db)
}

// TestMovedMessageRebuildsBothConversations re-imports a message under
// another conversation and checks the turns of both: the one it left
// loses its last buyer turn.
func TestMovedMessageRebuildsBothConversations(t *testing.T) {
	db := MustOpen(t, testConfig)
	header := strings.Join(Columns(Chats), ",") + "\n"
	MustImport(t, db, Chats, "first.csv", header+"m1,c1,7495001,buyer,2026-10-01T08:00:00+07:00,hi\nm2,c1,7495001,shop,2026-10-01T09:00:00+07:00,hello\nm3,c1,7495001,buyer,2026-10-01T10:00:00+07:00,and?\n")
	MustImport(t, db, Chats, "moved.csv", header+"m3,c2,7495001,buyer,2026-10-01T10:00:00+07:00,and?\nm4,c2,7495001,shop,2026-10-01T12:00:00+07:00,yes\n")
	got := turnsOf(t, db)
	if len(got) != 2 {
		t.Errorf("turns %q, want one for c1 and one for c2", got)
	}
	sameTurns(t, got, rebuiltTurns(t, db))
}

// TestReimportRebuildsChangedConversations re-imports chats on both
// backends: the same messages, then new texts, rebuild no conversation's
// turns; a message whose sender changes, and one that moves to another
// conversation, rebuild those three conversations alone, and the turns are
// those of a rebuild of everything.
func TestReimportRebuildsChangedConversations(t *testing.T) {
	db := MustOpen(t, testConfig)
	csv := chatsCSV(40, 5)
	MustImport(t, db, Chats, "chats.csv", csv)
	if db.rebuiltTurns.Load()+db.inlineTurns.Load() == 0 {
		t.Fatal("the first import wrote no turns: the test shows nothing")
	}
	header := strings.Join(Columns(Chats), ",") + "\n"
	for _, tc := range []struct {
		name, csv string
		want      int64
	}{
		{name: "the same messages", csv: csv, want: 0},
		{name: "new texts", csv: strings.ReplaceAll(csv, ",hi\n", ",hello\n"), want: 0},
		{name: "a sender changes, a message moves", want: 3, csv: header +
			"m0-1,c0,7495001,agent,2026-10-01T08:00:00+07:00,hi\n" +
			"m1-0,c2,7495001,buyer,2026-10-01T06:01:00+07:00,hi\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := db.rebuiltTurns.Load()
			MustImport(t, db, Chats, "again.csv", tc.csv)
			if n := db.rebuiltTurns.Load() - before; n != tc.want {
				t.Errorf("the import rebuilt the turns of %d conversations, want %d", n, tc.want)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM chat_turns_stale"); n != 0 {
				t.Errorf("%d conversations left listed stale", n)
			}
			sameTurns(t, turnsOf(t, db), rebuiltTurns(t, db))
		})
	}
}
