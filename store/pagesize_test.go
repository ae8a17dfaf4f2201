package store

import (
	"database/sql"
	"path/filepath"
	"testing"
)

func pageSize(tb testing.TB, db *DB) int {
	tb.Helper()
	return count(tb, db, "PRAGMA page_size")
}

// TestPageSize: a database shopwatch creates has newDBPageSize pages, and
// one made with SQLite's default keeps its pages and works as before.
func TestPageSize(t *testing.T) {
	fresh := MustOpenAt(t, filepath.Join(t.TempDir(), "new.db"), testConfig)
	if got := pageSize(t, fresh); got != newDBPageSize {
		t.Errorf("new database: page size %d, want %d", got, newDBPageSize)
	}

	// A database of an earlier shopwatch: 4 KiB pages, WAL mode, a table.
	path := filepath.Join(t.TempDir(), "old.db")
	plain, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA page_size = 4096", "PRAGMA journal_mode = WAL", "CREATE TABLE before (x)"} {
		if _, err := plain.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	plain.Close()
	old := MustOpenAt(t, path, testConfig)
	if got := pageSize(t, old); got != 4096 {
		t.Errorf("existing database: page size %d, want 4096 kept", got)
	}
	for name, db := range map[string]*DB{"new": fresh, "existing": old} {
		MustImport(t, db, Orders, "orders.csv", ordersHeader+orderRow(1)+orderRow(2))
		if n := count(t, db, "SELECT count(*) FROM orders"); n != 2 {
			t.Errorf("%s database: %d orders stored, want 2", name, n)
		}
	}
}
