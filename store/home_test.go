package store

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestHomeUsers: the users who opened Home are kept, once each, latest
// opening first, across a reopening of the file; an empty id is refused.
func TestHomeUsers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shopwatch.db")
	db := MustOpenAt(t, path, testConfig)
	at := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	for i, u := range []string{"U0AAA", "U0BBB", "U0AAA", "U0CCC"} {
		if err := db.SaveHomeUser(ctx, u, at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveHomeUser(ctx, "", at); err == nil {
		t.Error("an empty user id was saved")
	}
	db.Close()
	db = MustOpenAt(t, path, testConfig)
	got, err := db.HomeUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"U0CCC", "U0AAA", "U0BBB"}; !slices.Equal(got, want) {
		t.Errorf("HomeUsers = %v, want %v", got, want)
	}
}
