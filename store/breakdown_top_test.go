package store

import (
	"slices"
	"testing"
)

func TestBreakdownTop(t *testing.T) {
	whole := &Breakdown{
		Products: []ProductCount{{ProductID: "a"}, {ProductID: "b"}, {ProductID: "c"}},
		Causes:   []CauseCount{{Name: "damaged"}, {Name: "other"}},
		Hours:    []HourStat{{Hour: 9}},
	}
	for _, tt := range []struct {
		n                       int
		products, causes, hours int
	}{
		{0, 3, 2, 1}, // all
		{1, 1, 1, 1},
		{2, 2, 2, 1},
		{5, 3, 2, 1},
	} {
		got := whole.Top(tt.n)
		if len(got.Products) != tt.products || len(got.Causes) != tt.causes || len(got.Hours) != tt.hours || len(got.Waiting) != 0 {
			t.Errorf("Top(%d): %d products, %d causes, %d hours; want %d, %d, %d", tt.n, len(got.Products), len(got.Causes), len(got.Hours), tt.products, tt.causes, tt.hours)
		}
		if len(got.Products) > 0 && got.Products[0].ProductID != "a" {
			t.Errorf("Top(%d) reordered: %+v", tt.n, got.Products)
		}
		// The copy's lists end where they are cut: appending to one leaves
		// the whole breakdown (a cached one) as it was.
		_ = append(got.Products, ProductCount{ProductID: "x"})
		if !slices.Equal(whole.Products, []ProductCount{{ProductID: "a"}, {ProductID: "b"}, {ProductID: "c"}}) || len(whole.Causes) != 2 {
			t.Fatalf("Top(%d) changed the whole breakdown: %+v", tt.n, whole)
		}
	}
}
