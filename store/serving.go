package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// SetConnections keeps up to n connections open and idle for a server
// answering concurrent reads. database/sql keeps only 2 idle connections by
// default: under concurrent load the others are closed after each query,
// and every new connection pays for its pragmas and re-prepares the
// cached statements. n <= 0 leaves the defaults.
func (db *DB) SetConnections(n int) {
	if n <= 0 {
		return
	}
	if db.pg {
		n += 2 // the leader lock and a tick's lock hold connections of their own (replicas.go)
	}
	db.sql.SetMaxOpenConns(n)
	db.sql.SetMaxIdleConns(n)
}

// ChangeWatcher tells a cache whether the database may have changed, in
// any process: an import, a sync, a mute, and for which shops. It holds
// one connection of its own and asks SQLite's data_version, which moves
// whenever another connection commits. On PostgreSQL it asks for the
// current snapshot, which moves whenever a writing transaction ends: on
// any database of the server, so it may move without a change here (the
// cache then finds no shop count moved), but never misses one.
type ChangeWatcher struct {
	mu      sync.Mutex
	conn    *sql.Conn
	stmt    *sql.Stmt
	last    string
	version uint64
}

// WatchChanges returns a watcher; Close it when done.
func (db *DB) WatchChanges(ctx context.Context) (*ChangeWatcher, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: watch changes: %w", err)
	}
	q := `PRAGMA data_version`
	if db.pg {
		q = `SELECT pg_current_snapshot()::text`
	}
	stmt, err := conn.PrepareContext(ctx, q)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: watch changes: %w", err)
	}
	w := &ChangeWatcher{conn: conn, stmt: stmt}
	if err := stmt.QueryRowContext(ctx).Scan(&w.last); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: watch changes: %w", err)
	}
	return w, nil
}

// Version returns a number that changes when the database has changed
// since the previous call.
func (w *ChangeWatcher) Version(ctx context.Context) (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var v string
	if err := w.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: data version: %w", err)
	}
	if v != w.last {
		w.last = v
		w.version++
	}
	return w.version, nil
}

// ShopChanges returns each shop's count of changes to the records and
// mutes its answers are computed from, by shop id. A cache that saw
// Version move drops the entries of the shops whose count moved: writes
// that no answer reads (alert states, the outbox, sync state) move
// Version but no count.
func (w *ChangeWatcher) ShopChanges(ctx context.Context) (map[string]int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	rows, err := w.conn.QueryContext(ctx, `SELECT shop_id, changes FROM shops`)
	if err != nil {
		return nil, fmt.Errorf("store: shop changes: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("store: shop changes: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: shop changes: %w", err)
	}
	return out, nil
}

// Close releases the watcher's connection.
func (w *ChangeWatcher) Close() error {
	w.stmt.Close()
	return w.conn.Close()
}
