package store

import (
	"database/sql"
	"database/sql/driver"
	"unsafe"

	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteDriver is the database/sql driver every SQLite connection of the
// store opens (the main database and an import's staging file): the
// glebarez/go-sqlite driver under gorm's SQLite dialector, with each
// connection in SQLite's multi-thread mode.
//
// The driver opens every connection with SQLITE_OPEN_FULLMUTEX
// ("serialized"): SQLite then takes the connection's recursive mutex in
// every call, each sqlite3_step and each bind and column access. In the
// transpiled SQLite a recursive mutex costs several atomic operations; in
// a profile of a 585k-message chats import, locking and unlocking it took
// 15% of the CPU. database/sql never uses a driver connection from two
// goroutines at once ("The returned connection is only used by one
// goroutine at a time", database/sql/driver), which is the condition for
// SQLITE_OPEN_NOMUTEX (https://sqlite.org/threadsafe.html): connections
// still share SQLite's global state (page cache, file locks) under its
// own mutexes. The one call made from another goroutine, the driver's
// sqlite3_interrupt when a context ends, is documented as safe from any
// thread.
//
// The driver has no option for the flag. The only thing the flag changes
// is whether sqlite3_open_v2 gives the connection a mutex (db->mutex; a
// NULL mutex makes every enter and leave a no-op), so withoutMutex removes
// it right after the open, before the connection is handed to anyone.
// When the connection is not the expected driver's, it is left as opened.
const sqliteDriver = "shopwatch-sqlite"

func init() {
	base, err := sql.Open("sqlite", "") // the glebarez driver's registration
	if err != nil {
		panic(err)
	}
	sql.Register(sqliteDriver, noMutexDriver{base.Driver()})
	base.Close()
}

type noMutexDriver struct{ driver.Driver }

func (d noMutexDriver) Open(name string) (driver.Conn, error) {
	c, err := d.Driver.Open(name)
	if err != nil {
		return nil, err
	}
	if raw, ok := rawOf(c); ok {
		raw.withoutMutex()
	}
	return c, nil
}

// withoutMutex frees the connection's mutex, which no one holds yet, and
// leaves it NULL, as SQLITE_OPEN_NOMUTEX would have.
func (c *rawConn) withoutMutex() {
	db := (*sqlite3.Tsqlite3)(unsafe.Add(unsafe.Pointer(nil), c.db))
	m := db.Fmutex
	db.Fmutex = 0
	sqlite3.Xsqlite3_mutex_free(c.tls, m)
}
