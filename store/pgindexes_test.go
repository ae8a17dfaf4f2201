package store

import (
	"context"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// TestFirstLoadRebuildsIndexes checks that a first import into an empty
// PostgreSQL table of orders or chat messages, which drops the table's
// indexes to insert (pgindexes.go), and those of chat_turns for a chats
// import (pgturns.go), leaves them as the migrations made them, that a row seen again is merged after the rebuild (its later
// values win), and that a transaction that drops them and rolls back
// keeps them.
func TestFirstLoadRebuildsIndexes(t *testing.T) {
	chats := strings.Join(Columns(Chats), ",") + "\n"
	for _, tc := range []struct {
		kind        Kind
		table, csv  string
		query, want string
		rebuilt     []string // the tables whose indexes the load rebuilds
	}{
		{
			// Two lines of one order: the second is merged after the rebuild.
			kind: Orders, table: "orders", csv: ordersHeader +
				"a,7495001,p1,2026-10-21T09:00:00+07:00,Brush,,shipped\n" +
				"b,7495001,p2,2026-10-21T09:00:00+07:00,Comb,2026-10-24T09:00:00+07:00,delivered\n" +
				"a,7495001,p3,2026-10-21T09:00:00+07:00,Comb,2026-10-24T09:00:00+07:00,delivered\n",
			query:   `SELECT order_id, status, products FROM orders ORDER BY order_id`,
			want:    "a delivered p1\np3\nb delivered p2\n",
			rebuilt: []string{"orders"},
		},
		{
			// m2 twice: the later row wins, which moves it to
			// conversation c2 as the buyer's, with a new text.
			kind: Chats, table: "chat_messages", csv: chats +
				"m1,c1,7495001,buyer,2026-10-01T08:00:00+07:00,hi\n" +
				"m2,c1,7495001,shop,2026-10-01T09:00:00+07:00,hello\n" +
				"m3,c1,7495001,buyer,2026-10-01T10:00:00+07:00,and?\n" +
				"m2,c2,7495001,buyer,2026-10-01T09:00:00+07:00,moved\n",
			query:   `SELECT message_id, conversation_id, text FROM chat_messages ORDER BY message_id`,
			want:    "m1 c1 hi\nm2 c2 moved\nm3 c1 and?\n",
			rebuilt: []string{"chat_messages", "chat_turns"},
		},
	} {
		t.Run(tc.table, func(t *testing.T) {
			ctx := context.Background()
			db := MustOpenAt(t, storetest.Postgres(t), testConfig)
			indexes := func(table string) string {
				t.Helper()
				return dump(t, db, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = '`+table+`' ORDER BY indexname`)
			}
			oids := func(table string) string {
				t.Helper()
				return dump(t, db, `SELECT indexrelid::bigint FROM pg_index WHERE indrelid = '`+table+`'::regclass ORDER BY 1`)
			}
			migrated, before := map[string]string{}, map[string]string{}
			for _, table := range tc.rebuilt {
				migrated[table], before[table] = indexes(table), oids(table)
				if !strings.Contains(migrated[table], table+"_pkey") || strings.Count(migrated[table], "\n") < 2 {
					t.Fatalf("%s has not the indexes the test expects:\n%s", table, migrated[table])
				}
			}

			tx, err := db.sql.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if empty, err := emptyTable(ctx, tx, tc.table); err != nil || !empty {
				t.Fatalf("emptyTable = %v, %v; want true", empty, err)
			}
			if _, err := dropIndexes(ctx, tx, tc.table); err != nil {
				t.Fatal(err)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if got := indexes(tc.table); got != migrated[tc.table] {
				t.Fatalf("after a rolled back drop:\n%s\nwant\n%s", got, migrated[tc.table])
			}

			MustImport(t, db, tc.kind, "first.csv", tc.csv)
			for _, table := range tc.rebuilt {
				if got := indexes(table); got != migrated[table] {
					t.Fatalf("%s after a first load:\n%s\nwant\n%s", table, got, migrated[table])
				}
				if oids(table) == before[table] {
					t.Fatalf("the import kept the indexes of %s: it was not a first load, and the test shows nothing", table)
				}
			}
			if got := dump(t, db, tc.query); got != tc.want {
				t.Errorf("%s:\n%q\nwant\n%q", tc.table, got, tc.want)
			}
			if tc.kind == Chats {
				// c1 keeps two buyer messages and no reply, c2 has one.
				turns := turnsOf(t, db)
				if len(turns) != 2 || !strings.HasPrefix(turns[0], "c1/0 ") || !strings.HasPrefix(turns[1], "c2/0 ") {
					t.Errorf("turns %q, want one of c1 and one of c2", turns)
				}
				sameTurns(t, turns, rebuiltTurns(t, db))
			}
		})
	}
}

// TestFirstLoadOnlyAlone checks that a first load of orders or chats
// rebuilds the table's indexes (new index oids) when no other session is
// connected, and leaves them in place while another store handle, as a
// serving replica's, is connected: the drop would lock its readers out
// until the commit.
func TestFirstLoadOnlyAlone(t *testing.T) {
	dsn := storetest.Postgres(t)
	for _, tc := range []struct {
		name    string
		kind    Kind
		table   string
		csv     string
		other   bool
		rebuilt bool
	}{
		{name: "orders alone", kind: Orders, table: "orders", rebuilt: true},
		{name: "orders, another handle connected", kind: Orders, table: "orders", other: true},
		{name: "chats alone", kind: Chats, table: "chat_messages", rebuilt: true},
		{name: "chats, another handle connected", kind: Chats, table: "chat_messages", other: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csv := ordersHeader + "a,7495001,p1,2026-10-21T09:00:00+07:00,Brush,,shipped\n"
			if tc.kind == Chats {
				csv = strings.Join(Columns(Chats), ",") + "\nm1,c1,7495001,buyer,2026-10-01T08:00:00+07:00,hi\n"
			}
			db := MustOpenAt(t, dsn, testConfig)
			if _, err := db.sql.Exec(`DELETE FROM ` + tc.table); err != nil {
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
			oids := `SELECT indexrelid::bigint FROM pg_index WHERE indrelid = '` + tc.table + `'::regclass ORDER BY 1`
			before := dump(t, db, oids)
			MustImport(t, db, tc.kind, "first.csv", csv)
			if rebuilt := dump(t, db, oids) != before; rebuilt != tc.rebuilt {
				t.Errorf("indexes rebuilt: %v, want %v", rebuilt, tc.rebuilt)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM `+tc.table); n != 1 {
				t.Errorf("%d rows in %s, want 1", n, tc.table)
			}
		})
	}
}
