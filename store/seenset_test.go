package store

import (
	"strconv"
	"testing"
)

// The set never forgets an id, and rarely claims one it was not given.
func TestSeenSet(t *testing.T) {
	s := newSeenSet(0)
	const n = 200_000
	for i := range n {
		if s.add("58000000000" + strconv.Itoa(i)) {
			t.Logf("first add of id %d reported seen (a false positive)", i)
		}
	}
	for i := range n {
		if !s.add("58000000000" + strconv.Itoa(i)) {
			t.Fatalf("id %d was added and is not seen", i)
		}
	}
	fp := 0
	for i := n; i < 2*n; i++ {
		if s.add("59000000000" + strconv.Itoa(i)) {
			fp++
		}
	}
	// Expected about n * (1 - e^(-3 * 2n / 2^27))^3, under 0.1.
	if fp > 5 {
		t.Errorf("%d of %d new ids reported seen", fp, n)
	}
}

// The false positive rate at 1M and 5M ids stays near what seenset.go
// states (the probes, which add ids too, count against it).
func TestSeenSetFalsePositives(t *testing.T) {
	if testing.Short() {
		t.Skip("adds 5M ids")
	}
	s := newSeenSet(0)
	n := 0
	for _, tt := range []struct {
		ids  int
		most float64 // false positives per new id
	}{{1_000_000, 1.0 / 10_000}, {5_000_000, 1.0 / 200}} {
		for ; n < tt.ids; n++ {
			s.add("58" + strconv.Itoa(n))
		}
		fp := 0
		const probes = 200_000
		for i := range probes {
			if s.add("59" + strconv.Itoa(tt.ids) + "-" + strconv.Itoa(i)) {
				fp++
			}
		}
		if rate := float64(fp) / probes; rate > tt.most {
			t.Errorf("%d ids: %d of %d new ids reported seen (%.2g), want at most %.2g", tt.ids, fp, probes, rate, tt.most)
		} else {
			t.Logf("%d ids: %d of %d new ids reported seen", tt.ids, fp, probes)
		}
	}
}

// A set for n keys has 128 bits for each at least, in a power of two
// from a page to 16 MiB, and keeps the false-positive rate the largest has
// at 1M keys; an import of unknown size gets the largest.
func TestSeenSetSized(t *testing.T) {
	for _, tt := range []struct {
		keys int64
		bits int
	}{{0, 1 << 27}, {1, 1 << 15}, {256, 1 << 15}, {257, 1 << 16}, {15_000, 1 << 21}, {1 << 20, 1 << 27}, {1<<20 + 1, 1 << 27}} {
		s := newSeenSet(tt.keys)
		if got := len(s.bits) * 64; got != tt.bits {
			t.Errorf("newSeenSet(%d): %d bits, want %d", tt.keys, got, tt.bits)
		}
		if tt.keys == 0 || tt.keys > 100_000 {
			continue
		}
		for i := range tt.keys {
			s.add("58" + strconv.FormatInt(i, 10))
		}
		fp := 0
		const probes = 200_000
		for i := range probes {
			if s.look("59-"+strconv.Itoa(i), false) {
				fp++
			}
		}
		if fp > probes/10_000 {
			t.Errorf("newSeenSet(%d) holding as many: %d of %d new ids reported seen", tt.keys, fp, probes)
		}
	}
	// The CSV files' sizes bound their rows; one unknown size makes the
	// bound unknown.
	db := &DB{}
	for _, tt := range []struct {
		sizes []int64
		rows  int64
	}{{[]int64{2400}, 100}, {[]int64{2400, 240}, 110}, {[]int64{2400, 0}, 0}} {
		var sources []Source
		for _, n := range tt.sizes {
			sources = append(sources, Source{Name: "f.csv", Size: n})
		}
		if f := db.csvFeed(kindSpecs[Orders], sources, ""); f.rows != tt.rows {
			t.Errorf("sizes %v: at most %d rows, want %d", tt.sizes, f.rows, tt.rows)
		}
	}
}
