package store

import (
	"fmt"
	"reflect"
	"unsafe"

	"modernc.org/libc"
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
// path: one JSON array per batch (see bulk.go).

// rawConn is the SQLite handle of a glebarez/go-sqlite connection.
type rawConn struct {
	tls *libc.TLS
	db  uintptr
	out uintptr // where sqlite3_prepare_v2 writes the statement handle (heap memory)
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

var nonEmpty = "-"

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
	c.out = 0
	if rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, z, -1, uintptr(unsafe.Pointer(&c.out)), 0); rc != sqlite3.SQLITE_OK {
		return nil, c.err(rc)
	}
	return &rawStmt{c: c, p: c.out}, nil
}

// exec binds vals (nil, int64, int, bool or string) and runs the statement.
func (s *rawStmt) exec(vals []any) error {
	c := s.c
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
			// SQLITE_STATIC (0): SQLite reads the Go string in place until
			// the reset below; vals keeps it alive and Go does not move
			// heap memory. An empty string needs a non-nil pointer to bind
			// as text rather than NULL.
			data := unsafe.StringData(v)
			if len(v) == 0 {
				data = unsafe.StringData(nonEmpty)
			}
			rc = sqlite3.Xsqlite3_bind_text(c.tls, s.p, idx, uintptr(unsafe.Pointer(data)), int32(len(v)), 0)
		default:
			return fmt.Errorf("sqlite: cannot bind %T", v)
		}
		if rc != sqlite3.SQLITE_OK {
			sqlite3.Xsqlite3_reset(c.tls, s.p)
			return c.err(rc)
		}
	}
	rc := sqlite3.Xsqlite3_step(c.tls, s.p)
	sqlite3.Xsqlite3_reset(c.tls, s.p)
	if rc != sqlite3.SQLITE_DONE && rc != sqlite3.SQLITE_ROW {
		return c.err(rc)
	}
	return nil
}

func (s *rawStmt) close() {
	if s.p != 0 {
		sqlite3.Xsqlite3_finalize(s.c.tls, s.p)
		s.p = 0
	}
}
