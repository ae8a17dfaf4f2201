package store

import (
	"hash/maphash"
	"math/bits"
)

// seenSet remembers the keys a PostgreSQL import has staged (order ids,
// review ids, ...) in a fixed space, whatever the size of the import (a
// Bloom filter: a map of the ids' hashes took 288 MB at 5M order lines):
// 128 bits per key the input may hold, at most 16 MiB. At that most it
// may answer "seen" for a key it has not seen about once in 30,000 at 1M
// keys, once in 600 at 5M (TestSeenSetFalsePositives): that row then goes
// through the merge of repeated keys (pgimport.go), which is right for
// any row, only slower. It never answers "not seen" for a key it has
// seen.
//
// Sized for the input: each key touches a random block of the set, so
// that a day's 15k orders wrote to every page of 16 MiB: 12k page faults
// and 318-352 ms of CPU for the import, against 4.4-4.6k and 152-170 ms
// in 1 MiB.
type seenSet struct {
	bits   []uint64
	blocks uint64 // how many blocks, less one (a power of two, less one)
	seed   maphash.Seed
}

const (
	seenMaxBits    = 1 << 27 // 16 MiB
	seenMinBits    = 1 << 15 // 4 KiB: a page
	seenBitsPerKey = 128
	seenHashes     = 3
	blockBits      = 512 // a 64-byte cache line: one memory access per id
)

// newSeenSet returns a set for at most keys keys (0: unknown, a set of
// the most size).
func newSeenSet(keys int64) *seenSet {
	n := uint64(seenMaxBits)
	if keys > 0 && keys <= seenMaxBits/seenBitsPerKey {
		n = max(seenMinBits, uint64(1)<<bits.Len64(uint64(keys)*seenBitsPerKey-1))
	}
	return &seenSet{bits: make([]uint64, n/64), blocks: n/blockBits - 1, seed: maphash.MakeSeed()}
}

// add notes id and reports whether it may have been noted before.
func (s *seenSet) add(id string) bool { return s.look(id, true) }

// look reports whether id may have been noted before, and notes it when
// note is set. Its bits are in one block of the set (a blocked Bloom
// filter): a random access per bit cost 0.3 s of CPU per million orders.
// The block is chosen by the hash's low bits (at most 18), the bits in it
// by its top 27.
func (s *seenSet) look(id string, note bool) bool {
	h := maphash.String(s.seed, id)
	block := (h & s.blocks) * (blockBits / 64)
	h >>= 64 - seenHashes*9 // log2(blockBits) bits per hash
	seen := true
	for range seenHashes {
		b := h & (blockBits - 1)
		h >>= 9
		w, m := block+b/64, uint64(1)<<(b%64)
		if s.bits[w]&m == 0 {
			if !note {
				return false
			}
			seen = false
			s.bits[w] |= m
		}
	}
	return seen
}
