package store

import "testing"

func TestHugePagesOffered(t *testing.T) {
	for _, tt := range []struct {
		mode string
		want bool
	}{
		{"always [madvise] never\n", true},
		{"[always] madvise never\n", true},
		{"always madvise [never]\n", false},
		{"", false},
		{"always madvise never", false},
		{"] [", false},
	} {
		if got := hugePagesOffered(tt.mode); got != tt.want {
			t.Errorf("hugePagesOffered(%q) = %v, want %v", tt.mode, got, tt.want)
		}
	}
}
