package main

import (
	"encoding/binary"
	"time"
)

// fileStamp identifies a version of a file without reading it: its size,
// modification and change times, inode and device. The zero stamp is none.
type fileStamp struct {
	size, mtime, ctime int64 // times in Unix nanoseconds
	ino, dev           uint64
}

// stampSize is the length of an encoded stamp.
const stampSize = 5 * 8

func (s fileStamp) none() bool { return s == fileStamp{} }

// settled reports whether the file had been still for configSettle at now:
// a later write cannot share its times.
func (s fileStamp) settled(now time.Time) bool {
	return !s.none() && max(s.mtime, s.ctime) <= now.Add(-configSettle).UnixNano()
}

func (s fileStamp) append(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(s.size))
	b = binary.LittleEndian.AppendUint64(b, uint64(s.mtime))
	b = binary.LittleEndian.AppendUint64(b, uint64(s.ctime))
	b = binary.LittleEndian.AppendUint64(b, s.ino)
	return binary.LittleEndian.AppendUint64(b, s.dev)
}

// decodeStamp reads the stamp at the start of b (at least stampSize long)
// and returns the rest.
func decodeStamp(b []byte) (fileStamp, []byte) {
	u := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8*i:]) }
	return fileStamp{size: int64(u(0)), mtime: int64(u(1)), ctime: int64(u(2)), ino: u(3), dev: u(4)}, b[stampSize:]
}
