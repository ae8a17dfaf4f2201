package store

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// TestImportCheckpointsAsItWrites imports enough orders for several
// commits and checks that the import's checkpointer copied the WAL while
// the import wrote, and that everything imported is there once it is done.
func TestImportCheckpointsAsItWrites(t *testing.T) {
	if storetest.OnPostgres() {
		t.Skip("PostgreSQL has no WAL to copy into the database file")
	}
	db := MustOpen(t, testConfig)
	var b strings.Builder
	b.WriteString(ordersHeader)
	const n = 40000
	for i := range n {
		fmt.Fprintf(&b, "o%d,7495001,p%d,2026-10-01T10:00:00+07:00,Item,2026-10-03T10:00:00+07:00,delivered\n", i, i%50)
	}
	MustImport(t, db, Orders, "orders.csv", b.String())
	if got := db.checkpoints.Load(); got == 0 {
		t.Error("the import's checkpointer ran no checkpoint")
	}
	if got := count(t, db, "SELECT COUNT(*) FROM orders"); got != n {
		t.Errorf("%d orders stored, want %d", got, n)
	}
	var busy, logged, copied int
	if err := db.sql.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logged, &copied); err != nil {
		t.Fatal(err)
	}
	if logged != copied {
		t.Errorf("after the import, %d of the WAL's %d frames are not in the database", logged-copied, logged)
	}
}
