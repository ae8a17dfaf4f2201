package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// TestPostgresTextInByteOrder checks that every text column of a
// PostgreSQL store compares by its bytes ("C"), as SQLite's do: in a new
// database, and in one made before migration 14, whose columns had the
// database's locale, which the migration moves without losing a row. Ids
// then sort as Go and SQLite sort them (the server's locale decides
// whether the order would differ otherwise: CI's, C.UTF-8, does not).
func TestPostgresTextInByteOrder(t *testing.T) {
	dsn := storetest.Postgres(t)
	db := MustOpenAt(t, dsn, testConfig)
	collations := func() string {
		t.Helper()
		return dump(t, db, `SELECT COALESCE(collation_name, 'default'), COUNT(*) > 0 FROM information_schema.columns
WHERE table_schema = current_schema() AND data_type = 'text' GROUP BY 1 ORDER BY 1`)
	}
	if got := collations(); got != "C true\n" {
		t.Fatalf("the text columns of a new database have the collations\n%s\nwant only C", got)
	}

	ids := []string{"b", "a1", "B3", "a-2", "a10", "a9"}
	var csv strings.Builder
	csv.WriteString(ordersHeader)
	for _, id := range ids {
		csv.WriteString(id + ",7495001,p1,2026-11-01T10:00:00+07:00,Serum,,shipped\n")
	}
	MustImport(t, db, Orders, "orders.csv", csv.String())
	MustImport(t, db, Chats, "chats.csv", chatsCSV(10, 3))
	before := dump(t, db, `SELECT order_id, products FROM orders ORDER BY order_id`) +
		dump(t, db, `SELECT conversation_id, seq, start_at, reply_at FROM chat_turns ORDER BY conversation_id, seq`)

	// A database of the version before: every text column in the
	// database's own collation.
	if _, err := db.sql.Exec(`DO $$
DECLARE c record;
BEGIN
	FOR c IN SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'text'
	LOOP
		EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE text COLLATE "default"', c.table_name, c.column_name);
	END LOOP;
END $$;
DELETE FROM schema_migrations WHERE version >= 14`); err != nil {
		t.Fatal(err)
	}
	if got := collations(); got != "default true\n" {
		t.Fatalf("the test could not make an older database: collations\n%s", got)
	}
	db.Close()
	db = MustOpenAt(t, dsn, testConfig)
	if got := collations(); got != "C true\n" {
		t.Fatalf("after migration 14, the text columns have the collations\n%s\nwant only C", got)
	}
	after := dump(t, db, `SELECT order_id, products FROM orders ORDER BY order_id`) +
		dump(t, db, `SELECT conversation_id, seq, start_at, reply_at FROM chat_turns ORDER BY conversation_id, seq`)
	if after != before {
		t.Errorf("migration 14 changed the rows:\n%s\nwant\n%s", after, before)
	}
	slices.Sort(ids)
	if got, want := dump(t, db, `SELECT order_id FROM orders ORDER BY order_id`), strings.Join(ids, "\n")+"\n"; got != want {
		t.Errorf("orders by id:\n%s\nwant (bytes' order)\n%s", got, want)
	}
}

// TestPostgresInALocale imports orders and chats whose ids sort one way
// by their bytes and another in the en-US locale into SQLite and into a
// PostgreSQL database whose text takes that locale by default: what each
// stores is the same. (The chat turns rebuild steps through conversations
// in key order over two tables: one in the locale's order skipped
// conversations.)
func TestPostgresInALocale(t *testing.T) {
	pg := MustOpenAt(t, storetest.PostgresInLocale(t, "en-US"), testConfig)
	if got := dump(t, pg, `SELECT 'z1' < 'Z2', 'c-1' < 'c1'`); got != "true true\n" {
		t.Fatalf("the database does not sort in en-US (z1 < Z2, c-1 < c1: %s): the test shows nothing", got)
	}
	sqlite := MustOpenAt(t, storetest.SQLite(t), testConfig)
	var chats, orders strings.Builder
	chats.WriteString(strings.Join(Columns(Chats), ",") + "\n")
	orders.WriteString(ordersHeader)
	for i, id := range []string{"z1", "Z2", "c-1", "c1", "C2", "b", "B", "a-2", "a10"} {
		for m, sender := range []string{"buyer", "shop", "buyer"} {
			fmt.Fprintf(&chats, "%s-%d,%s,7495001,%s,2026-10-01T%02d:%02d:00+07:00,hi\n", id, m, id, sender, 8+m, i)
		}
		fmt.Fprintf(&orders, "%s,7495001,p%d,2026-11-01T10:00:00+07:00,Serum,2026-11-0%dT10:00:00+07:00,delivered\n", id, i, 3+i%3)
	}
	for _, db := range []*DB{sqlite, pg} {
		MustImport(t, db, Orders, "orders.csv", orders.String())
		MustImport(t, db, Chats, "chats.csv", chats.String())
	}
	for _, q := range []string{
		`SELECT conversation_id, seq, shop, start_at, start_day, COALESCE(reply_at, -1) FROM chat_turns ORDER BY conversation_id, seq`,
		`SELECT order_id, delivered_day, products FROM orders ORDER BY order_id`,
		`SELECT day, created, delivered FROM shop_days ORDER BY day`,
	} {
		if got, want := dump(t, pg, q), dump(t, sqlite, q); got != want {
			t.Errorf("%s\non PostgreSQL:\n%s\non SQLite:\n%s", q, got, want)
		}
	}
}
