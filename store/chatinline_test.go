package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// laterMessages drops the first n rows of a chats file.
func laterMessages(csv string, n int) string {
	lines := strings.SplitAfter(csv, "\n")
	return lines[0] + strings.Join(lines[1+n:], "")
}

// TestInlineTurnsMatchRebuild imports chats whose conversations are new to
// the store, in one batch or over many, stored already, or spread over two
// shops, and checks that the turns the
// import wrote (with the messages, or by its rebuild) are those a rebuild
// of every conversation from its stored messages gives.
func TestInlineTurnsMatchRebuild(t *testing.T) {
	header := strings.Join(Columns(Chats), ",") + "\n"
	for _, tc := range []struct {
		name  string
		files []string
		// inline: every conversation of the last file is new and in one
		// batch, so that the import lists none stale (SQLite).
		inline   bool
		unstaged bool // written in input order (stage.go)
		portable bool // through JSON statements (bulk.go)
	}{
		{name: "new conversations, one batch", files: []string{chatsCSV(40, 5)}, inline: true},
		{name: "new conversations, many batches", files: []string{chatsCSV(900, 5)}},
		{name: "new conversations, input order", files: []string{chatsCSV(900, 5)}, unstaged: true},
		{name: "new conversations, portable", files: []string{chatsCSV(40, 5)}, inline: true, portable: true},
		{name: "added to stored conversations", files: []string{chatsCSV(40, 3), laterMessages(chatsCSV(40, 6), 40*3)}},
		{name: "stored conversations and new ones", files: []string{chatsCSV(20, 3), chatsCSV(40, 6)}},
		// The conversation's shop is that of its last message in the
		// index's order (sent_at, sender, shop, id): m00, not the last row
		// of the file, nor the last by time and id.
		{name: "one conversation, two shops, ties", files: []string{
			header + "m1,c1,7495002,buyer,2026-10-01T08:00:00+07:00,hi\nm2,c1,7495001,shop,2026-10-01T08:00:00+07:00,hello\n" +
				"m00,c1,7495001,system,2026-10-01T09:00:00+07:00,a\nm3,c1,7495002,buyer,2026-10-01T09:00:00+07:00,b\nm0,c1,7495002,shop,2026-10-01T09:00:00+07:00,c\n",
		}, inline: true},
		// The last row of a message wins: the reply came at 11:00.
		{name: "a message repeated in the file", files: []string{
			header + "m1,c1,7495001,buyer,2026-10-01T08:00:00+07:00,hi\nm2,c1,7495001,shop,2026-10-01T09:00:00+07:00,hello\nm2,c1,7495001,shop,2026-10-01T11:00:00+07:00,hello\n",
		}, inline: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			db.unstagedImport, db.portableImport = tc.unstaged, tc.portable
			for i, csv := range tc.files {
				if i == len(tc.files)-1 && tc.inline && !storetest.OnPostgres() {
					db.crashBeforeSettle = true // what the import listed stays listed
				}
				MustImport(t, db, Chats, fmt.Sprintf("chats%d.csv", i), csv)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM chat_turns_stale"); tc.inline && n != 0 {
				t.Errorf("the import listed %d messages' conversations stale, want none: their turns are written with them", n)
			}
			if !storetest.OnPostgres() {
				if n := count(t, db, "SELECT COUNT(*) FROM chat_turns_inline"); n != 0 {
					t.Errorf("chat_turns_inline holds %d conversations after the import", n)
				}
			}
			if err := db.SettleTurns(t.Context()); err != nil {
				t.Fatal(err)
			}
			got := turnsOf(t, db)
			if len(got) == 0 {
				t.Fatal("no turns: the test shows nothing")
			}
			sameTurns(t, got, rebuiltTurns(t, db))
		})
	}
}

// The probe for stored conversations seeks chat_messages_conversation once
// per conversation of the batch.
func TestStoredConversationsPlan(t *testing.T) {
	db := MustOpenAt(t, storetest.SQLite(t), testConfig)
	steps := planSteps(t, db, qStoredConversations, `["c1","c2"]`)
	want := "SEARCH m EXISTS USING COVERING INDEX chat_messages_conversation (conversation_id=?)"
	if !slices.Contains(steps, want) {
		t.Errorf("plan %q has no step %q", steps, want)
	}
}

// timeOrderedChats returns a chats file of convs conversations of three
// messages each (buyer, shop, buyer), one starting at each step and each
// message gap steps after the one before, in time order, with message ids
// that follow time: conversations interleave, and their later messages
// come batches after their first.
func timeOrderedChats(convs, gap int) string {
	type msg struct{ at, conv, i int }
	var msgs []msg
	for c := range convs {
		for i := range 3 {
			msgs = append(msgs, msg{c + gap*i, c, i})
		}
	}
	slices.SortStableFunc(msgs, func(a, b msg) int { return a.at - b.at })
	var b strings.Builder
	b.WriteString(strings.Join(Columns(Chats), ",") + "\n")
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for n, m := range msgs {
		at := start.Add(time.Duration(10*m.at+m.i) * time.Second).Format(time.RFC3339)
		fmt.Fprintf(&b, "m%08d,c%d,7495001,%s,%s,hi\n", n, m.conv, []string{"buyer", "shop", "buyer"}[m.i], at)
	}
	return b.String()
}

// TestInlineTurnsStopWhenConversationsComeBack imports conversations that
// interleave, whose turns written with their first batch would be rebuilt
// anyway, and checks that the import stops writing them after its probe,
// and that the turns are right; conversations that one batch brings whole
// keep getting theirs.
func TestInlineTurnsStopWhenConversationsComeBack(t *testing.T) {
	if storetest.OnPostgres() {
		t.Skip("PostgreSQL rebuilds the turns in the import's transaction")
	}
	const convs = 8000
	for _, tc := range []struct {
		name     string
		csv      string
		min, max int64 // conversations whose turns were written with their batch
	}{
		{name: "interleaved", csv: timeOrderedChats(convs, 1000), min: splitProbe, max: convs / 2},
		{name: "one batch each", csv: timeOrderedChats(convs, 0), min: convs * 9 / 10, max: convs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			MustImport(t, db, Chats, "chats.csv", tc.csv)
			if n := db.inlineTurns.Load(); n < tc.min || n > tc.max {
				t.Errorf("turns of %d conversations written with their batch, want %d to %d", n, tc.min, tc.max)
			}
			got := turnsOf(t, db)
			if len(got) != 2*convs {
				t.Fatalf("%d turns, want %d", len(got), 2*convs)
			}
			sameTurns(t, got, rebuiltTurns(t, db))
		})
	}
}
