package store

import (
	"errors"
	"fmt"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite allocates each page of a page cache on its own (sqlite3_malloc).
// In the transpiled SQLite that is modernc.org/memory's allocator: an 8 KB
// page with its header takes a 16 KB slot, each fresh 4 KB page of memory
// costs a page fault on its first touch (11-16 µs in the virtual machines
// this was measured on), and a closing connection hands its cache back to
// the OS one 60 KB region at a time (madvise; 1,401 calls after a 585k-row
// chats import). An import writes through a 32 MB cache.
//
// UsePagePool gives every page cache of the process one pool instead
// (SQLITE_CONFIG_PAGECACHE), in memory the kernel backs with transparent
// huge pages: one fault per 2 MB, no allocator in the way, and nothing
// handed back before the process exits. SQLite links every slot of the
// pool when it initialises; on 4 KB pages that alone took 57 ms for 40 MB,
// so there is no pool where huge pages cannot be had. A cache whose page
// does not fit a slot (a database with pages over 8 KB), or that finds the
// pool full, allocates as before.

// ImportPagePool is the size of the page pool for an import of input
// bytes of CSV (0: unknown), which UsePagePool then rounds up to whole
// huge pages. The import's connection caches up to 32 MB (importCacheKiB);
// the staging file, the list of chat conversations to rebuild and the
// service's connections cache some more. The pool's high-water marks, in
// slots of about 8.4 KB: 427 for the 1M data set's returns (2.1 MB of CSV),
// 1,594 for its reviews (11 MB), 4,319-4,399 for its chats and orders
// (70 and 132 MB). A small input gets a small pool: the memory is resident
// from the start.
func ImportPagePool(input int64) int {
	most := int64(importCacheKiB<<10 + 16<<20)
	if input <= 0 {
		return int(most)
	}
	return int(min(most, 4<<20+2*input))
}

// errSQLiteInUse is UsePagePool's error once SQLite is initialised (by the
// first database the process opened): its page caches exist already.
var errSQLiteInUse = errors.New("SQLite is initialised already")

// UsePagePool sets up a page pool of about size bytes for every SQLite
// page cache of the process, and reports whether it did: not where the
// kernel offers no transparent huge pages. It must run before the process
// opens its first SQLite database, and before any other goroutine uses
// SQLite (sqlite3_config is not safe for concurrent use). The pool lasts
// as long as the process.
func UsePagePool(size int) (bool, error) {
	mem, release, ok := hugeMemory(size)
	if !ok {
		return false, nil
	}
	tls := libc.NewTLS()
	defer tls.Close()
	hdr := tls.Alloc(8)
	defer tls.Free(8)
	if rc := sqliteConfig(tls, sqlite3.SQLITE_CONFIG_PCACHE_HDRSZ, hdr); rc != sqlite3.SQLITE_OK {
		release()
		return false, fmt.Errorf("page pool: SQLITE_CONFIG_PCACHE_HDRSZ: code %d", rc)
	}
	slot := (newDBPageSize + int(*(*int32)(unsafe.Add(unsafe.Pointer(nil), hdr))) + 7) &^ 7
	rc := sqliteConfig(tls, sqlite3.SQLITE_CONFIG_PAGECACHE, uintptr(unsafe.Pointer(unsafe.SliceData(mem))), int32(slot), int32(len(mem)/slot))
	switch rc {
	case sqlite3.SQLITE_OK:
		return true, nil
	case sqlite3.SQLITE_MISUSE:
		release()
		return false, fmt.Errorf("page pool: %w", errSQLiteInUse)
	default:
		release()
		return false, fmt.Errorf("page pool: SQLITE_CONFIG_PAGECACHE: code %d", rc)
	}
}

// sqliteConfig calls sqlite3_config with its variadic arguments.
func sqliteConfig(tls *libc.TLS, op int32, args ...any) int32 {
	va := libc.NewVaList(args...)
	defer libc.Xfree(tls, va)
	return sqlite3.Xsqlite3_config(tls, op, va)
}

// pagePoolUse is what the process's page caches hold: slots of the page
// pool, now and at most, and bytes allocated outside it (a page too big
// for a slot, or a full pool), now and at most.
type pagePoolUse struct {
	Slots, SlotsHigh       int64
	Overflow, OverflowHigh int64
}

// pagePoolStatus reports the use of the page pool (sqlite3_status64).
func pagePoolStatus() pagePoolUse {
	tls := libc.NewTLS()
	defer tls.Close()
	p := tls.Alloc(16)
	defer tls.Free(16)
	status := func(op int32) (cur, high int64) {
		sqlite3.Xsqlite3_status64(tls, op, p, p+8, 0)
		return *(*int64)(unsafe.Add(unsafe.Pointer(nil), p)), *(*int64)(unsafe.Add(unsafe.Pointer(nil), p+8))
	}
	var u pagePoolUse
	u.Slots, u.SlotsHigh = status(sqlite3.SQLITE_STATUS_PAGECACHE_USED)
	u.Overflow, u.OverflowHigh = status(sqlite3.SQLITE_STATUS_PAGECACHE_OVERFLOW)
	return u
}
