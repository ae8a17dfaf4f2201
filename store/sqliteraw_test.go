package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// rawOf must refuse any driver connection but glebarez/go-sqlite's, so
// that imports fall back to the portable path instead of reading memory of
// another shape.
func TestRawOfRefusesOtherConnections(t *testing.T) {
	type conn struct {
		db uintptr
		_  *int // where the driver's conn has its tls: the same shape, another type
	}
	tests := []struct {
		name string
		dc   any
	}{
		{"nil", nil},
		{"not a pointer", conn{}},
		{"another package's conn", &conn{db: 1}},
		{"pointer to a non-struct", new(int)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, ok := rawOf(tt.dc); ok || c != nil {
				t.Fatalf("rawOf(%T) = %v, %v; want nil, false", tt.dc, c, ok)
			}
		})
	}
}

// Without the direct path, an import goes through the JSON upserter.
func TestWriterFallsBackToJSON(t *testing.T) {
	for _, portable := range []bool{false, true} {
		db := MustOpenAt(t, storetest.SQLite(t), testConfig) // SQLite's writer
		db.portableImport = portable
		w, err := db.newWriter(context.Background(), kindSpecs[Orders])
		if err != nil {
			t.Fatal(err)
		}
		_, isJSON := w.rows.(*jsonUpserter)
		w.close()
		if isJSON != portable {
			t.Errorf("portable %v: writer uses %T", portable, w.rows)
		}
	}
}

// TestRawQueryInterrupted checks that a raw query (the staging read-back)
// stops when its context ends: before it starts, and in the middle of a
// long first step (a sort of 3M rows, which must not run to its end).
func TestRawQueryInterrupted(t *testing.T) {
	st, err := newStage(context.Background(), kindSpecs[Chats])
	if err != nil || st == nil {
		t.Fatalf("staging: %v %v", st, err)
	}
	defer st.close()
	const sort = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT i FROM n ORDER BY -i"
	for _, tc := range []struct {
		name  string
		after time.Duration // -1: cancelled before the query
	}{{"cancelled before", -1}, {"cancelled during the sort", 20 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.after < 0 {
				cancel()
			} else {
				time.AfterFunc(tc.after, cancel)
			}
			rows := 0
			err := st.conn.Raw(func(any) error {
				return st.raw.each(ctx, sort, nil, func(*rawStmt) error {
					rows++
					return nil
				})
			})
			if !errors.Is(err, context.Canceled) || rows > 0 {
				t.Fatalf("a cancelled query read %d rows and returned %v", rows, err)
			}
		})
	}
	// The interrupt of a query cancelled as it ends must not reach the
	// connection's next query.
	for i := range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rows := 0
		err := st.conn.Raw(func(any) error {
			st.raw.each(ctx, "SELECT 1", nil, func(*rawStmt) error { return nil })
			return st.raw.each(context.Background(), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) SELECT i FROM n", nil, func(*rawStmt) error {
				rows++
				return nil
			})
		})
		if err != nil || rows != 10000 {
			t.Fatalf("round %d: the query after a cancelled one read %d rows and returned %v", i, rows, err)
		}
	}
}
