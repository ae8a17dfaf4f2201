package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// TestConcurrentImportsOnPostgres runs two imports of the same kind at
// once from two store handles on one PostgreSQL database (two replicas'
// inboxes, or a replica and the CLI): chats that bring new messages to the
// same conversations and move messages between them, and orders that bring
// the same new orders and move the same stored ones. Both imports must
// succeed, and leave what the two give one after the other: the turns of
// a rebuild of every conversation, a rollup rebuilt from the orders.
func TestConcurrentImportsOnPostgres(t *testing.T) {
	dsn := storetest.Postgres(t)
	a, b := MustOpenAt(t, dsn, testConfig), MustOpenAt(t, dsn, testConfig)
	const convs = 120
	MustImport(t, a, Chats, "base.csv", chatsCSV(convs, 3))
	var base strings.Builder
	base.WriteString(ordersHeader)
	for i := range 300 {
		fmt.Fprintf(&base, "o%d,7495001,p%d,2026-10-%02dT09:00:00+07:00,Brush,,shipped\n", i, i%5, 1+i%20)
	}
	MustImport(t, a, Orders, "base.csv", base.String())

	header := strings.Join(Columns(Chats), ",") + "\n"
	for round := range 4 {
		// Each import writes messages of its own to every conversation,
		// and moves messages of the other's into other conversations.
		chats := func(who string, shift int) string {
			var s strings.Builder
			s.WriteString(header)
			for c := range convs {
				fmt.Fprintf(&s, "%s%d-%d,c%d,7495001,shop,2026-10-02T%02d:%02d:00+07:00,ok\n", who, round, c, c, 1+round, c%60)
				if c%7 == round {
					fmt.Fprintf(&s, "m%d-1,c%d,7495001,buyer,2026-10-01T09:%02d:00+07:00,moved\n", c, (c+shift)%convs, c%60)
				}
			}
			return s.String()
		}
		// Each import brings the same new orders, delivers the same
		// stored ones on its own day, and adds a line to them.
		orders := func(day int) string {
			var s strings.Builder
			s.WriteString(ordersHeader)
			for i := range 60 {
				fmt.Fprintf(&s, "n%d-%d,7495001,p1,2026-10-%02dT09:00:00+07:00,Brush,,shipped\n", round, i, 1+i%20)
				o := round*60 + i
				fmt.Fprintf(&s, "o%d,7495001,p%d,2026-10-%02dT09:00:00+07:00,Comb,2026-10-%02dT09:00:00+07:00,delivered\n", o, 5+day, 1+o%20, day)
			}
			return s.String()
		}
		for _, tc := range []struct {
			kind Kind
			csv  [2]string
			what string
		}{
			{Chats, [2]string{chats("x", 1), chats("y", 2)}, "chats"},
			{Orders, [2]string{orders(25), orders(26)}, "orders"},
		} {
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, db := range []*DB{a, b} {
				wg.Go(func() {
					_, errs[i] = db.Import(context.Background(), tc.kind, []Source{{Name: fmt.Sprintf("%s-%d.csv", tc.what, i), R: strings.NewReader(tc.csv[i])}}, ImportOptions{})
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("round %d, %s import %d of 2: %v", round, tc.what, i+1, err)
				}
			}
		}
	}
	if n := count(t, a, "SELECT COUNT(*) FROM chat_turns_stale"); n != 0 {
		t.Errorf("%d conversations left listed stale", n)
	}
	sameTurns(t, turnsOf(t, a), rebuiltTurns(t, a))
	checkRollup(t, a, "after concurrent imports")
}
