package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// TestImportRestoresConnection checks that the connection an import used
// goes back to the pool with the service's page cache and automatic
// checkpoints.
func TestImportRestoresConnection(t *testing.T) {
	if storetest.OnPostgres() {
		t.Skip("the import connection's PRAGMAs are SQLite's; PostgreSQL imports use their own writer")
	}
	for _, tc := range []struct {
		name string
		opts ImportOptions
	}{
		{name: "imported"},
		{name: "skip-invalid", opts: ImportOptions{SkipInvalid: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			db.SetConnections(1) // the import's connection is the one queried after
			csv := ordersHeader + "o1,7495001,p1,2026-10-01T10:00:00+07:00,Item,,\n"
			if tc.opts.SkipInvalid {
				csv += "o2,7495001,p1,not a time,Item,,\n"
			}
			if _, err := db.Import(t.Context(), Orders, []Source{{Name: "orders.csv", R: strings.NewReader(csv)}}, tc.opts); err != nil {
				t.Fatal(err)
			}
			for pragma, want := range map[string]int{
				"cache_size":         -serviceCacheKiB,
				"wal_autocheckpoint": 1000,
			} {
				var got int
				if err := db.sql.QueryRow(fmt.Sprintf("PRAGMA %s", pragma)).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("after the import, %s = %d, want %d", pragma, got, want)
				}
			}
		})
	}
}

// TestReimportLeavesUnchangedRows checks that importing the same files
// again rewrites none of their rows (the upserts skip rows stored as they
// are), so that their pages are not written to the WAL again.
func TestReimportLeavesUnchangedRows(t *testing.T) {
	if storetest.OnPostgres() {
		t.Skip("SQLite's total_changes() counts the rows rewritten; PostgreSQL imports merge in one statement")
	}
	for _, tc := range []struct {
		kind Kind
		line func(i int) string
	}{
		{Orders, func(i int) string {
			return fmt.Sprintf("o%d,7495001,p%d,2026-10-01T10:00:00+07:00,Item %d,2026-10-04T10:00:00+07:00,delivered\n", i, i%7, i%7)
		}},
		{Reviews, func(i int) string {
			return fmt.Sprintf("r%d,o%d,7495001,p1,%d,2026-10-02T10:00:00+07:00,fine,\n", i, i, 1+i%5)
		}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			db := MustOpen(t, testConfig)
			db.SetConnections(1) // total_changes() counts the import's connection
			var b strings.Builder
			b.WriteString(strings.Join(Columns(tc.kind), ",") + "\n")
			const rows = 300
			for i := range rows {
				b.WriteString(tc.line(i))
			}
			changes := func() int { return count(t, db, "SELECT total_changes()") }
			MustImport(t, db, tc.kind, "first.csv", b.String())
			before := changes()
			MustImport(t, db, tc.kind, "again.csv", b.String())
			if n := changes() - before; n >= rows {
				t.Errorf("the same file imported again changed %d rows, want only the shops' bookkeeping", n)
			}
		})
	}
}

// TestImportCancelled cancels chats imports in each phase: each returns
// the context's error, and the same import run again leaves what a lone
// import leaves (the chunks committed before the cancel are kept, and
// imports are idempotent).
func TestImportCancelled(t *testing.T) {
	csv := chatsCSV(1500, 7)
	clean := MustOpen(t, testConfig)
	MustImport(t, clean, Chats, "chats.csv", csv)
	want := turnsOf(t, clean)
	for _, phase := range []string{"checking", "importing"} {
		t.Run(phase, func(t *testing.T) {
			if phase == "checking" && storetest.OnPostgres() {
				t.Skip("PostgreSQL imports in one transaction, without a checking pass")
			}
			db := MustOpen(t, testConfig)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			cancelled := false
			progress := func(p Progress) {
				if p.Phase == phase && !cancelled {
					cancelled = true
					cancel()
				}
			}
			_, err := db.Import(ctx, Chats, []Source{{Name: "chats.csv", R: strings.NewReader(csv)}}, ImportOptions{Progress: progress})
			if !cancelled {
				t.Fatalf("no %s progress: the test cancels nothing", phase)
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("the cancelled import returned %v, want context.Canceled", err)
			}
			MustImport(t, db, Chats, "chats.csv", csv)
			sameTurns(t, turnsOf(t, db), want)
		})
	}
}

// An import commits when the next batch is not ready (idle) only while
// another process may wait for the lock; alone, it commits at soloHold.
func TestWriterDue(t *testing.T) {
	for _, tc := range []struct {
		name       string
		solo, idle bool
		held       time.Duration
		open, want bool
	}{
		{"shared, next batch ready", false, false, 0, true, false},
		{"shared, next batch not ready", false, true, 0, true, true},
		{"shared, hold budget spent", false, false, 2 * holdBudget, true, true},
		{"alone, next batch not ready", true, true, 0, true, false},
		{"alone, past the shared budget", true, true, 2 * holdBudget, true, false},
		{"alone, solo budget spent", true, false, soloHold, true, true},
		{"no transaction", false, true, soloHold, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &writer{pause: pause{solo: tc.solo, since: time.Now().Add(-tc.held)}}
			if tc.open {
				w.tx = &sql.Tx{}
			}
			if got := w.due(tc.idle); got != tc.want {
				t.Errorf("due = %v, want %v", got, tc.want)
			}
		})
	}
}
