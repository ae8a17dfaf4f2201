package store

import (
	"context"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// TestFirstLoadRebuildsIndexes checks that a first orders import into an
// empty PostgreSQL table, which drops the table's indexes to insert
// (pgindexes.go), leaves them as the migrations made them, and that a
// transaction that drops them and rolls back keeps them.
func TestFirstLoadRebuildsIndexes(t *testing.T) {
	ctx := context.Background()
	db := MustOpenAt(t, storetest.Postgres(t), testConfig)
	indexes := func() string {
		t.Helper()
		return dump(t, db, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'orders' ORDER BY indexname`)
	}
	migrated := indexes()
	if !strings.Contains(migrated, "orders_pkey") || strings.Count(migrated, "\n") < 1 {
		t.Fatalf("orders has not the indexes the test expects:\n%s", migrated)
	}

	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if empty, err := emptyTable(ctx, tx, "orders"); err != nil || !empty {
		t.Fatalf("emptyTable = %v, %v; want true", empty, err)
	}
	if _, err := dropIndexes(ctx, tx, "orders"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := indexes(); got != migrated {
		t.Fatalf("after a rolled back drop:\n%s\nwant\n%s", got, migrated)
	}

	// Two lines of one order: the second is merged after the rebuild.
	MustImport(t, db, Orders, "orders.csv", ordersHeader+
		"a,7495001,p1,2026-10-21T09:00:00+07:00,Brush,,shipped\n"+
		"b,7495001,p2,2026-10-21T09:00:00+07:00,Comb,2026-10-24T09:00:00+07:00,delivered\n"+
		"a,7495001,p3,2026-10-21T09:00:00+07:00,Comb,2026-10-24T09:00:00+07:00,delivered\n")
	if got := indexes(); got != migrated {
		t.Fatalf("after a first load:\n%s\nwant\n%s", got, migrated)
	}
	if got, want := dump(t, db, `SELECT order_id, status, products FROM orders ORDER BY order_id`), "a delivered p1\np3\nb delivered p2\n"; got != want {
		t.Errorf("orders:\n%q\nwant\n%q", got, want)
	}
}

// TestFirstLoadOnlyAlone checks that a first orders load rebuilds the
// table's indexes (new index oids) when no other session is connected, and
// leaves them in place while another store handle, as a serving replica's,
// is connected: the drop would lock its readers out until the commit.
func TestFirstLoadOnlyAlone(t *testing.T) {
	dsn := storetest.Postgres(t)
	csv := ordersHeader + "a,7495001,p1,2026-10-21T09:00:00+07:00,Brush,,shipped\n"
	for _, tc := range []struct {
		name    string
		other   bool
		rebuilt bool
	}{
		{name: "alone", rebuilt: true},
		{name: "another handle connected", other: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpenAt(t, dsn, testConfig)
			if _, err := db.sql.Exec(`DELETE FROM orders`); err != nil {
				t.Fatal(err)
			}
			if tc.other {
				other := MustOpenAt(t, dsn, testConfig)
				conn, err := other.sql.Conn(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
			}
			oids := `SELECT indexrelid::bigint FROM pg_index WHERE indrelid = 'orders'::regclass ORDER BY 1`
			before := dump(t, db, oids)
			MustImport(t, db, Orders, "orders.csv", csv)
			if rebuilt := dump(t, db, oids) != before; rebuilt != tc.rebuilt {
				t.Errorf("indexes rebuilt: %v, want %v", rebuilt, tc.rebuilt)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM orders`); n != 1 {
				t.Errorf("%d orders, want 1", n)
			}
		})
	}
}
