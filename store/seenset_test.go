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
	s.reset()
	if s.add("580000000000") {
		t.Error("an id is seen after reset")
	}
}
