package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Bulk writes send each batch of rows to the database as one JSON array
// bound to a single parameter and unpacked by the database (json_each in
// SQLite): one short statement per batch and table instead of one
// placeholder per value, which the SQLite driver would parse and bind one
// by one.

// batchRows is how many input rows the parser hands the writer at a time.
const batchRows = 512

// target is a table an import writes, with its upsert key.
type target struct {
	name    string
	cols    []string
	keys    int  // the first keys columns are the conflict key
	nothing bool // on conflict keep the stored row
	add     bool // on conflict add the other columns to the stored ones
}

// upsertSQL inserts the rows of a JSON array of arrays bound to the one
// parameter; a row already stored under the same key is replaced.
func (t target) upsertSQL() string {
	// "WHERE true" keeps SQLite from reading ON CONFLICT as a join clause.
	return t.upsertFrom(fmt.Sprintf("SELECT %s FROM json_each(?) WHERE true", t.jsonColumns()))
}

// upsertRowsSQL inserts n rows from one parameter per value.
func (t target) upsertRowsSQL(n int) string {
	row := "(" + strings.Repeat("?, ", len(t.cols)-1) + "?)"
	return t.upsertFrom("VALUES " + strings.Repeat(row+", ", n-1) + row)
}

// replaces reports whether the target's upsert replaces a stored row
// (DO UPDATE with the new values), rather than keeping it or adding to it.
func (t target) replaces() bool { return !t.nothing && !t.add && t.keys < len(t.cols) }

// insertNewRowsSQL inserts n rows from one parameter per value, leaving
// alone those whose key is stored, under SQLite's OR FAIL (sqliteraw.go).
func (t target) insertNewRowsSQL(n int) string {
	row := "(" + strings.Repeat("?, ", len(t.cols)-1) + "?)"
	return fmt.Sprintf("INSERT OR FAIL INTO %s (%s) VALUES %s ON CONFLICT (%s) DO NOTHING",
		t.name, strings.Join(t.cols, ", "), strings.Repeat(row+", ", n-1)+row, strings.Join(t.cols[:t.keys], ", "))
}

// rawChunk is how many rows one statement of the direct SQLite path writes:
// binding stays per value, but the statement's own cost is shared.
const rawChunk = 32

func (t target) upsertFrom(source string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) %s ON CONFLICT (%s) DO ",
		t.name, strings.Join(t.cols, ", "), source, strings.Join(t.cols[:t.keys], ", "))
	if t.nothing || t.keys == len(t.cols) {
		b.WriteString("NOTHING")
		return b.String()
	}
	b.WriteString("UPDATE SET ")
	for i, c := range t.cols[t.keys:] {
		if i > 0 {
			b.WriteString(", ")
		}
		if t.add {
			fmt.Fprintf(&b, "%s = %s.%s + excluded.%s", c, t.name, c, c)
		} else {
			fmt.Fprintf(&b, "%s = excluded.%s", c, c)
		}
	}
	if t.add {
		return b.String()
	}
	// A row stored already as it is (a product's name, an unchanged
	// re-imported row) is left alone: rewriting it would dirty its page, and
	// a commit writes every dirty page to the WAL. In mixed-order input
	// these pages are scattered, one per row. (IS DISTINCT FROM: both
	// SQLite and PostgreSQL read it; only SQLite reads IS NOT for it.)
	for i, c := range t.cols[t.keys:] {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" OR ")
		}
		fmt.Fprintf(&b, "%s.%s IS DISTINCT FROM excluded.%s", t.name, c, c)
	}
	return b.String()
}

// jsonColumns selects the columns of a row of json_each over an array of arrays.
func (t target) jsonColumns() string {
	cols := make([]string, len(t.cols))
	for i := range cols {
		cols[i] = fmt.Sprintf("value ->> %d", i)
	}
	return strings.Join(cols, ", ")
}

// rows collects rows for one target, deduplicated by key so that no
// statement touches one row twice (which PostgreSQL refuses): a later row
// with the same key replaces the earlier one, as a re-import does.
type rows struct {
	width int
	vals  []any // row i is vals[i*width : (i+1)*width]
	index map[string]int
}

func newRows(width int) rows { return rows{width: width, index: make(map[string]int)} }

func (r *rows) len() int { return len(r.vals) / r.width }

func (r *rows) row(i int) []any { return r.vals[i*r.width : (i+1)*r.width] }

func (r *rows) add(key string, vals []any) {
	if i, ok := r.index[key]; ok {
		copy(r.row(i), vals)
		return
	}
	r.index[key] = r.len()
	r.vals = append(r.vals, vals...)
}

// json returns the rows as a JSON array of arrays, using buf for storage.
func (r *rows) json(buf []byte) []byte {
	buf = append(buf[:0], '[')
	for i := range r.len() {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '[')
		for j, v := range r.row(i) {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSON(buf, v)
		}
		buf = append(buf, ']')
	}
	return append(buf, ']')
}

func (r *rows) reset() {
	clear(r.vals)
	r.vals = r.vals[:0]
	clear(r.index)
}

// appendJSON encodes a string, integer, bool or nil.
func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case bool:
		if v {
			return append(b, '1')
		}
		return append(b, '0')
	}
	panic(fmt.Sprintf("store: cannot encode %T", v))
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// batch holds parsed rows for each target table.
type batch struct {
	targets []rows
	orders  map[string]*orderFact // orders import: the batch's orders, for the rollups
	n       int                   // input rows in the batch
}

func newBatch(targets []target) *batch {
	b := &batch{targets: make([]rows, len(targets)), orders: make(map[string]*orderFact)}
	for i, t := range targets {
		b.targets[i] = newRows(len(t.cols))
	}
	return b
}

// add adds a row for target t.
func (b *batch) add(t int, key string, vals ...any) { b.targets[t].add(key, vals) }

func (b *batch) reset() {
	for i := range b.targets {
		b.targets[i].reset()
	}
	clear(b.orders)
	b.n = 0
}

// writer upserts batches on one connection, in short transactions (see
// chunk.go).
type writer struct {
	conn *sql.Conn
	tx   *sql.Tx // the open transaction, if any
	spec *kindSpec
	rows upserter

	steps   importSteps
	pause   pause
	commits int    // since the last checkpoint (chunk.go)
	path    string // the database file ("" in memory)
	// ckpt copies the WAL while the import writes (checkpointer.go);
	// startCkpt starts it, at the second commit.
	ckpt      *checkpointer
	startCkpt func() *checkpointer
}

func (db *DB) newWriter(ctx context.Context, spec *kindSpec) (w *writer, err error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", spec.kind, err)
	}
	w = &writer{conn: conn, spec: spec}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	if err := setPragmas(ctx, conn, importPragmas); err != nil {
		return nil, fmt.Errorf("import %s: %w", spec.kind, err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&w.path); err != nil {
		return nil, fmt.Errorf("import %s: %w", spec.kind, err)
	}
	w.startCkpt = func() *checkpointer { return startCheckpointer(ctx, w.path, db.log, &db.checkpoints) }
	if err := db.settlePendingTurns(ctx, conn); err != nil {
		return nil, fmt.Errorf("import %s: %w", spec.kind, err)
	}
	if spec.begin != nil {
		if w.steps, err = spec.begin(ctx, db, conn); err != nil {
			return nil, fmt.Errorf("import %s: %w", spec.kind, err)
		}
	}
	if !db.portableImport {
		raw, err := newRawUpserter(conn, spec.targets)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", spec.kind, err)
		}
		if raw != nil {
			w.rows = raw
		}
	}
	if w.rows == nil {
		if w.rows, err = newJSONUpserter(ctx, conn, spec.targets); err != nil {
			return nil, fmt.Errorf("import %s: %w", spec.kind, err)
		}
	}
	return w, nil
}

// write upserts one batch, in the open transaction or a new one (after
// the pause that follows the last commit).
func (w *writer) write(ctx context.Context, b *batch) error {
	if w.tx == nil {
		if err := w.pause.wait(ctx); err != nil {
			return err
		}
		tx, err := w.conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		w.tx = tx
		w.pause.held()
	}
	if w.steps.prepare != nil {
		if err := w.steps.prepare(ctx, w.tx, b); err != nil {
			return err
		}
	}
	return w.rows.upsert(ctx, w.tx, b)
}

// due reports whether the open transaction has held the lock long enough,
// or whether it should commit since the next batch is not ready (idle):
// another process may be waiting for the lock. Alone with the database,
// the import keeps it until its budget runs out: no one waits, and every
// commit writes the pages its batches dirtied to the WAL (a 13.6k-row
// returns import committed after nearly every batch, 80 of its 150 ms).
func (w *writer) due(idle bool) bool {
	return w.tx != nil && ((idle && !w.pause.solo) || w.pause.due())
}

// commit finishes the kind's steps for the batches written since the last
// commit and commits them.
func (w *writer) commit(ctx context.Context) error {
	if w.tx == nil {
		return nil
	}
	tx := w.tx
	w.tx = nil
	if w.steps.flush != nil {
		if err := w.steps.flush(ctx, tx); err != nil {
			tx.Rollback()
			w.pause.released()
			return err
		}
	}
	err := tx.Commit()
	w.pause.released()
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return w.checkpoint(ctx, false)
}

// rollback drops what was written since the last commit.
func (w *writer) rollback() {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx = nil
		w.pause.released()
	}
}

// upserter writes the rows of a batch, per target, in the open
// transaction. There are two: the portable one (jsonUpserter) and the
// direct SQLite one (sqliteraw.go), which imports use when the driver
// allows it.
type upserter interface {
	upsert(ctx context.Context, tx *sql.Tx, b *batch) error
	close()
}

// jsonUpserter sends each target's rows as one JSON array, through
// statements prepared once on the import's connection.
type jsonUpserter struct {
	targets []target
	stmts   []*sql.Stmt
	buf     []byte
}

func newJSONUpserter(ctx context.Context, conn *sql.Conn, targets []target) (*jsonUpserter, error) {
	u := &jsonUpserter{targets: targets}
	for _, t := range targets {
		s, err := conn.PrepareContext(ctx, t.upsertSQL())
		if err != nil {
			u.close()
			return nil, fmt.Errorf("prepare %s: %w", t.name, err)
		}
		u.stmts = append(u.stmts, s)
	}
	return u, nil
}

func (u *jsonUpserter) upsert(ctx context.Context, tx *sql.Tx, b *batch) error {
	for t := range b.targets {
		if b.targets[t].len() == 0 {
			continue
		}
		u.buf = b.targets[t].json(u.buf)
		if _, err := tx.StmtContext(ctx, u.stmts[t]).ExecContext(ctx, string(u.buf)); err != nil {
			return fmt.Errorf("write %s: %w", u.targets[t].name, err)
		}
	}
	return nil
}

func (u *jsonUpserter) close() {
	for _, s := range u.stmts {
		s.Close()
	}
}

// finish runs the last, short transaction of an import: it marks the
// shops the import read as changed and records the import of the kind
// for each (freshness.go).
func (w *writer) finish(ctx context.Context, shops []int64, at time.Time) error {
	if len(shops) == 0 {
		return nil
	}
	if err := w.pause.wait(ctx); err != nil {
		return err
	}
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := touchShops(ctx, tx, false, shops); err != nil {
		tx.Rollback()
		return err
	}
	if err := recordImports(ctx, tx, false, w.spec.kind, shops, at); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return w.checkpoint(ctx, true)
}

// close rolls back what was not committed and releases the statements
// and the connection.
func (w *writer) close() {
	w.rollback()
	w.stopCheckpointer()
	if w.rows != nil {
		w.rows.close()
	}
	if w.steps.close != nil {
		w.steps.close()
	}
	// A connection that keeps the import's settings would hold its cache
	// and never checkpoint: drop it from the pool rather.
	if err := setPragmas(context.Background(), w.conn, servicePragmas); err != nil {
		w.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	w.conn.Close()
}
