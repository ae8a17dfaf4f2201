package store

import (
	"strconv"
	"testing"
)

// The set never forgets an id, and rarely claims one it was not given.
func TestSeenSet(t *testing.T) {
	s := newSeenSet()
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
	s := newSeenSet()
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
