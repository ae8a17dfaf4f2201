package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"unsafe"

	sqlite3 "modernc.org/sqlite/lib"
)

// connMutex returns the SQLite mutex of conn's driver connection, and
// fails the test when the connection is not the expected driver's.
func connMutex(t *testing.T, conn *sql.Conn) uintptr {
	t.Helper()
	var m uintptr
	err := conn.Raw(func(dc any) error {
		c, ok := rawOf(dc)
		if !ok {
			t.Fatalf("the connection is a %T, not the SQLite driver's", dc)
		}
		m = (*sqlite3.Tsqlite3)(unsafe.Add(unsafe.Pointer(nil), c.db)).Fmutex
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSQLiteConnectionsWithoutMutex checks that every SQLite connection the
// store opens, the pool's and a staging file's, is in multi-thread mode
// (sqlitedriver.go), while the driver's own still opens serialized (so
// that the check can fail), and that connections used at once from many
// goroutines, an import among them, leave what a lone import leaves.
func TestSQLiteConnectionsWithoutMutex(t *testing.T) {
	ctx := context.Background()
	plain, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "plain.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	pc, err := plain.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if connMutex(t, pc) == 0 {
		t.Fatal("the driver's own connection has no mutex: the check below proves nothing")
	}
	pc.Close()

	db := MustOpenAt(t, filepath.Join(t.TempDir(), "shopwatch.db"), testConfig)
	var conns []*sql.Conn
	for range 3 { // held at once: three connections of the pool
		c, err := db.sql.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if m := connMutex(t, c); m != 0 {
			t.Errorf("a pool connection has its mutex (%#x)", m)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	st, err := newStage(ctx, kindSpecs[Chats])
	if err != nil || st == nil {
		t.Fatalf("staging: %v %v", st, err)
	}
	if m := connMutex(t, st.conn); m != 0 {
		t.Errorf("the staging connection has its mutex (%#x)", m)
	}
	st.close()

	csv := chatsCSV(600, 7)
	clean := MustOpenAt(t, filepath.Join(t.TempDir(), "clean.db"), testConfig)
	MustImport(t, clean, Chats, "chats.csv", csv)
	want := turnsOf(t, clean)

	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				var n int
				if err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM chat_messages m JOIN chat_turns t USING (conversation_id)").Scan(&n); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	MustImport(t, db, Chats, "chats.csv", csv)
	close(done)
	wg.Wait()
	sameTurns(t, turnsOf(t, db), want)
}
