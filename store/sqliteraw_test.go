package store

import (
	"context"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// rawOf must refuse any driver connection but glebarez/go-sqlite's, so
// that imports fall back to the portable path instead of reading memory of
// another shape.
func TestRawOfRefusesOtherConnections(t *testing.T) {
	type conn struct {
		db  uintptr
		tls *int
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
