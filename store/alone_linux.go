package store

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// othersOpen reports whether a process other than this one has the SQLite
// database at path open. Every connection to a database in WAL mode holds
// a shared lock on byte 128 of its -shm file (SQLite's "dead-man switch",
// see https://sqlite.org/walformat.html) for as long as it is open; Linux
// lists the locks of every process in /proc/locks. Reading it takes no
// lock and opens no file of the database (closing a descriptor of a file
// drops every POSIX lock the process holds on it). When it cannot tell,
// it reports true.
func othersOpen(path string) bool {
	var st syscall.Stat_t
	if path == "" || syscall.Stat(path+"-shm", &st) != nil {
		return true
	}
	dev := uint64(st.Dev)
	major := (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor := dev&0xff | (dev>>12)&^0xff
	file := strconv.FormatUint(major, 16) + ":" + strconv.FormatUint(minor, 16) + ":" + strconv.FormatUint(st.Ino, 10)
	f, err := os.Open("/proc/locks")
	if err != nil {
		return true
	}
	defer f.Close()
	return locksHeldByOthers(bufio.NewScanner(f), file, strconv.Itoa(os.Getpid()))
}

// locksHeldByOthers reads /proc/locks lines ("1: POSIX  ADVISORY  READ
// 4242 fe:00:9978317 128 128"; a waiting lock has "->" after the number)
// and reports whether a process other than pid holds or waits for a lock
// on byte 128 of file (major:minor:inode, major and minor in hex, as
// /proc/locks writes them; it pads them to two digits).
func locksHeldByOthers(sc *bufio.Scanner, file, pid string) bool {
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 1 && f[1] == "->" {
			f = append(f[:1], f[2:]...)
		}
		if len(f) < 8 || f[4] == pid || !sameFile(f[5], file) {
			continue
		}
		start, err1 := strconv.ParseUint(f[6], 10, 64)
		end, err2 := strconv.ParseUint(f[7], 10, 64)
		if err1 != nil || start > 128 || (err2 == nil && end < 128) { // end "EOF": to the end of the file
			continue
		}
		return true
	}
	return sc.Err() != nil
}

// sameFile compares major:minor:inode triples, whatever the padding of
// their hex numbers.
func sameFile(a, b string) bool {
	pa, pb := strings.Split(a, ":"), strings.Split(b, ":")
	if len(pa) != 3 || len(pb) != 3 || pa[2] != pb[2] {
		return false
	}
	for i := range 2 {
		x, err1 := strconv.ParseUint(pa[i], 16, 64)
		y, err2 := strconv.ParseUint(pb[i], 16, 64)
		if err1 != nil || err2 != nil || x != y {
			return false
		}
	}
	return true
}
