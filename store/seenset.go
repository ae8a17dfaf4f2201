package store

import "hash/maphash"

// seenSet remembers the order ids a PostgreSQL import has staged in a
// fixed 16 MiB, whatever the size of the import (a Bloom filter: a map of
// the ids' hashes took 288 MB at 5M order lines). It may answer "seen" for
// an id it has not seen, about once in 90,000 orders at 1M orders, once
// in 800 at 5M: that order then goes through the merge of repeated orders
// (pgimport.go), which is right for any order, only slower. It never
// answers "not seen" for an id it has seen.
type seenSet struct {
	bits []uint64
	seed maphash.Seed
}

const (
	seenBits   = 1 << 27 // a power of two
	seenHashes = 3
)

func newSeenSet() *seenSet {
	return &seenSet{bits: make([]uint64, seenBits/64), seed: maphash.MakeSeed()}
}

// add notes id and reports whether it may have been noted before.
func (s *seenSet) add(id string) bool {
	h := maphash.String(s.seed, id)
	h1, h2 := h, h>>32|h<<32|1 // double hashing: h1 + i*h2
	seen := true
	for i := range uint64(seenHashes) {
		b := (h1 + i*h2) & (seenBits - 1)
		w, m := b/64, uint64(1)<<(b%64)
		if s.bits[w]&m == 0 {
			seen = false
			s.bits[w] |= m
		}
	}
	return seen
}

// reset forgets every id.
func (s *seenSet) reset() { clear(s.bits) }
