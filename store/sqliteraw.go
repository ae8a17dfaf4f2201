package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// The SQLite driver under gorm (glebarez/go-sqlite) prepares every statement
// anew on each call and binds arguments in quadratic time, which caps bulk
// imports far below what SQLite itself can do. For imports, shopwatch
// reaches the driver connection's own SQLite handle (through
// database/sql's Conn.Raw, on the connection that holds the import's
// transaction) and runs statements prepared once, with arguments bound from
// a reused buffer. When the driver's connection does not have the expected
// shape (another driver or version), imports fall back to the portable
// path: one JSON array per batch (jsonUpserter, bulk.go).
//
// Supported paths were measured against this one on the same 982k-line
// orders file: statements prepared once on the transaction (database/sql's
// tx.PrepareContext) with 32-row VALUES ran at 17-20k lines/s, since this
// driver prepares a statement anew on every call and looks each argument
// up by a linear scan; the JSON path runs at about half this one's speed
// (BenchmarkImportOrders). So this path stays, behind the upserter
// interface, and TestPortableImportMatches checks that both store the same.

// rawUpserter writes batches through statements prepared once on the
// SQLite handle, per target: the upsert of one row and of rawChunk rows,
// and, for a target whose upsert replaces stored rows, the insert of new
// rows only (insertNewRowsSQL).
//
// SQLite gives a statement a statement journal when it may write several
// rows (several VALUES rows, or a trigger) and may abort half-way (a NOT
// NULL column under the default ABORT): every page the statement changes
// is copied into the journal first, so that an abort can undo the
// statement alone. An upsert's DO UPDATE always runs under ABORT. In a
// profile of a 585k-message chats import whose conversations interleave,
// that journal took 11% of the CPU, its index pages being scattered. The
// writer first inserts a chunk with INSERT OR FAIL ... DO NOTHING, which
// needs no journal (FAIL keeps what the statement wrote before the error,
// and so do the triggers, which take its conflict mode); when SQLite
// reports that every row of the chunk was new, the chunk is done. When not,
// the upsert runs on the chunk: it updates the stored rows, and finds the
// ones just inserted as they are. After such a chunk the target writes
// insertRetry chunks by upsert alone before trying again, so that a
// re-import pays for one extra insert every insertRetry chunks.
//
// A statement that fails under FAIL leaves its first rows written: that is
// safe only because an error of the upserter always rolls back the whole
// transaction (load, settleLoop), as an abort would have.
type rawUpserter struct {
	conn    *sql.Conn
	c       *rawConn
	targets []target
	stmts   []rawTarget
	// statements that wrote a chunk by insert alone, and by upsert
	inserted, upserted int
}

// rawTarget is one target's statements: [0] for one row, [1] for rawChunk
// rows.
type rawTarget struct {
	upsert [2]*rawStmt
	insert [2]*rawStmt // nil when the upsert itself writes new rows only
	skip   int         // chunks to write by upsert before trying insert again
}

// insertRetry is how many chunks a target writes by upsert alone after an
// insert found stored rows.
const insertRetry = 16

// newRawUpserter returns nil when conn's driver connection has not the
// expected shape.
func newRawUpserter(conn *sql.Conn, targets []target) (*rawUpserter, error) {
	var u *rawUpserter
	err := conn.Raw(func(dc any) error {
		c, ok := rawOf(dc)
		if !ok {
			return nil
		}
		u = &rawUpserter{conn: conn, c: c, targets: targets}
		for _, t := range targets {
			rt, err := prepareTarget(c, t)
			u.stmts = append(u.stmts, rt) // closed with the others, also after an error
			if err != nil {
				return fmt.Errorf("prepare %s: %w", t.name, err)
			}
		}
		return nil
	})
	if err != nil {
		if u != nil {
			u.close()
		}
		return nil, err
	}
	return u, nil
}

func prepareTarget(c *rawConn, t target) (rt rawTarget, err error) {
	for k, n := range [2]int{1, rawChunk} {
		switch {
		case t.replaces():
			if rt.insert[k], err = c.prepare(t.insertNewRowsSQL(n)); err == nil {
				rt.upsert[k], err = c.prepare(t.upsertRowsSQL(n))
			}
		case t.add:
			rt.upsert[k], err = c.prepare(t.upsertRowsSQL(n))
		default: // DO NOTHING already: the insert is the upsert
			rt.upsert[k], err = c.prepare(t.insertNewRowsSQL(n))
		}
		if err != nil {
			return rt, err
		}
	}
	return rt, nil
}

// upsert runs on the connection of tx, which holds the transaction.
func (u *rawUpserter) upsert(_ context.Context, _ *sql.Tx, b *batch) error {
	return u.conn.Raw(func(any) error {
		for t := range b.targets {
			rs := &b.targets[t]
			for i := 0; i < rs.len(); {
				n, k := 1, 0
				if rs.len()-i >= rawChunk {
					n, k = rawChunk, 1
				}
				if err := u.write(&u.stmts[t], rs.vals[i*rs.width:(i+n)*rs.width], n, k); err != nil {
					return fmt.Errorf("write %s: %w", u.targets[t].name, err)
				}
				i += n
			}
		}
		return nil
	})
}

// write writes the n rows of vals with the statements of index k.
func (u *rawUpserter) write(rt *rawTarget, vals []any, n, k int) error {
	if rt.insert[k] != nil {
		if rt.skip > 0 {
			rt.skip--
		} else {
			if err := rt.insert[k].exec(vals); err != nil {
				return err
			}
			if int(sqlite3.Xsqlite3_changes(u.c.tls, u.c.db)) == n {
				u.inserted++
				return nil
			}
			rt.skip = insertRetry
		}
	}
	u.upserted++
	return rt.upsert[k].exec(vals)
}

func (u *rawUpserter) close() {
	u.conn.Raw(func(any) error {
		for _, rt := range u.stmts {
			for _, s := range append(rt.upsert[:], rt.insert[:]...) {
				if s != nil {
					s.close()
				}
			}
		}
		u.c.release()
		return nil
	})
}

// rawConn is the SQLite handle of a glebarez/go-sqlite connection.
//
// Everything handed to SQLite lives in C memory (libc.Xmalloc): the
// transpiled SQLite turns addresses back into pointers, which Go's pointer
// checks (on under -race) refuse for Go memory.
type rawConn struct {
	tls   *libc.TLS
	db    uintptr
	arena uintptr // C memory for text arguments
	size  int
}

// cmem is n bytes of C memory at p, as a Go slice.
func cmem(p uintptr, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), p)), n)
}

// reserve makes the text buffer at least n bytes (never empty, so that an
// empty string binds as text, not NULL).
func (c *rawConn) reserve(n int) error {
	if n <= c.size && c.arena != 0 {
		return nil
	}
	c.release()
	size := max(n, 4096)
	p := libc.Xmalloc(c.tls, types.Size_t(size))
	if p == 0 {
		return errors.New("sqlite: out of memory")
	}
	c.arena, c.size = p, size
	return nil
}

func (c *rawConn) release() {
	if c.arena != 0 {
		libc.Xfree(c.tls, c.arena)
		c.arena, c.size = 0, 0
	}
}

// rawOf returns the SQLite handle under a database/sql driver connection.
func rawOf(driverConn any) (*rawConn, bool) {
	v := reflect.ValueOf(driverConn)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	t := v.Elem().Type()
	if t.PkgPath() != "github.com/glebarez/go-sqlite" || t.Name() != "conn" {
		return nil, false
	}
	db, ok := t.FieldByName("db")
	tls, ok2 := t.FieldByName("tls")
	if !ok || !ok2 || db.Type.Kind() != reflect.Uintptr || tls.Type != reflect.TypeOf((*libc.TLS)(nil)) {
		return nil, false
	}
	base := v.UnsafePointer()
	c := &rawConn{
		db:  *(*uintptr)(unsafe.Add(base, db.Offset)),
		tls: *(**libc.TLS)(unsafe.Add(base, tls.Offset)),
	}
	return c, c.db != 0 && c.tls != nil
}

func (c *rawConn) err(rc int32) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
	return fmt.Errorf("sqlite: %s (%d)", msg, rc)
}

// rawStmt is a statement prepared once on a rawConn.
type rawStmt struct {
	c *rawConn
	p uintptr
}

func (c *rawConn) prepare(query string) (*rawStmt, error) {
	z, err := libc.CString(query)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, z)
	if err := c.reserve(8); err != nil {
		return nil, err
	}
	if rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, z, -1, c.arena, 0); rc != sqlite3.SQLITE_OK {
		return nil, c.err(rc)
	}
	return &rawStmt{c: c, p: *(*uintptr)(unsafe.Pointer(&cmem(c.arena, 8)[0]))}, nil
}

// exec binds vals and runs the statement.
func (s *rawStmt) exec(vals []any) error {
	if err := s.bind(vals); err != nil {
		return err
	}
	rc := sqlite3.Xsqlite3_step(s.c.tls, s.p)
	sqlite3.Xsqlite3_reset(s.c.tls, s.p)
	if rc != sqlite3.SQLITE_DONE && rc != sqlite3.SQLITE_ROW {
		return s.c.err(rc)
	}
	return nil
}

// bind binds vals (nil, int64, int, bool or string) to the statement's
// parameters. Text is bound from the connection's buffer, which stays as
// it is until the statement is reset.
func (s *rawStmt) bind(vals []any) error {
	c := s.c
	need := 0
	for _, v := range vals {
		if str, ok := v.(string); ok {
			need += len(str)
		}
	}
	if err := c.reserve(need); err != nil {
		return err
	}
	buf := cmem(c.arena, c.size)
	off := 0
	for i, v := range vals {
		idx := int32(i + 1)
		var rc int32
		switch v := v.(type) {
		case nil:
			rc = sqlite3.Xsqlite3_bind_null(c.tls, s.p, idx)
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, s.p, idx, v)
		case int:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, s.p, idx, int64(v))
		case bool:
			var n int64
			if v {
				n = 1
			}
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, s.p, idx, n)
		case string:
			// SQLITE_STATIC (0): the buffer is only reused after a reset.
			copy(buf[off:], v)
			rc = sqlite3.Xsqlite3_bind_text(c.tls, s.p, idx, c.arena+uintptr(off), int32(len(v)), 0)
			off += len(v)
		default:
			sqlite3.Xsqlite3_reset(c.tls, s.p)
			return fmt.Errorf("sqlite: cannot bind %T", v)
		}
		if rc != sqlite3.SQLITE_OK {
			sqlite3.Xsqlite3_reset(c.tls, s.p)
			return c.err(rc)
		}
	}
	return nil
}

// step runs the statement to its next row: false when there is none.
// column copies what it reads into Go memory: SQLite's own copy of a row
// stays valid only until the next step.
func (s *rawStmt) step() (bool, error) {
	switch rc := sqlite3.Xsqlite3_step(s.c.tls, s.p); rc {
	case sqlite3.SQLITE_ROW:
		return true, nil
	case sqlite3.SQLITE_DONE:
		return false, nil
	default:
		return false, s.c.err(rc)
	}
}

// column is the value of column i of the current row, as database/sql
// would scan it into an any: int64, float64, string, []byte or nil.
func (s *rawStmt) column(i int) any {
	tls, p, col := s.c.tls, s.p, int32(i)
	switch sqlite3.Xsqlite3_column_type(tls, p, col) {
	case sqlite3.SQLITE_INTEGER:
		return sqlite3.Xsqlite3_column_int64(tls, p, col)
	case sqlite3.SQLITE_FLOAT:
		return sqlite3.Xsqlite3_column_double(tls, p, col)
	case sqlite3.SQLITE_TEXT:
		z := sqlite3.Xsqlite3_column_text(tls, p, col)
		return string(cmem(z, int(sqlite3.Xsqlite3_column_bytes(tls, p, col))))
	case sqlite3.SQLITE_BLOB:
		z := sqlite3.Xsqlite3_column_blob(tls, p, col)
		return bytes.Clone(cmem(z, int(sqlite3.Xsqlite3_column_bytes(tls, p, col))))
	default:
		return nil
	}
}

// each prepares query on the connection, runs it with args and calls row
// for each of its rows, which reads them with column. It stops with ctx's
// error when ctx ends: between rows, and within a long step (a sort) by
// sqlite3_interrupt, as the driver's queries do (it may be called from any
// goroutine; SQLite drops an interrupt that comes before the statement's
// first step, hence the checks between rows too). It returns only once the
// interrupt, if any, is done.
func (c *rawConn) each(ctx context.Context, query string, args []any, row func(s *rawStmt) error) error {
	s, err := c.prepare(query)
	if err != nil {
		return err
	}
	defer s.close()
	if err := s.bind(args); err != nil {
		return err
	}
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(interrupted)
		sqlite3.Xsqlite3_interrupt(c.tls, c.db)
	})
	defer func() {
		if !stop() { // it has run, or is running: a late interrupt
			<-interrupted // would stop the connection's next statement
		}
	}()
	for n := 0; ; n++ {
		if n%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ok, err := s.step()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if !ok {
			return nil
		}
		if err := row(s); err != nil {
			return err
		}
	}
}

func (s *rawStmt) close() {
	if s.p != 0 {
		sqlite3.Xsqlite3_finalize(s.c.tls, s.p)
		s.p = 0
	}
}
