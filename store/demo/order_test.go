package demo_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/store/demo"
)

// readRecords reads a generated CSV file: its header and records.
func readRecords(tb testing.TB, path string) ([]string, [][]string) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return all[0], all[1:]
}

func column(header []string, name string) int {
	return slices.Index(header, name)
}

func TestGenerateOrder(t *testing.T) {
	base := demo.Options{Shops: 6, Days: 12, OrdersPerDay: 30, Seed: 3, End: end}
	shopsDir, _ := MustGenerate(t, base)
	files := []string{demo.OrdersFile, demo.ReviewsFile, demo.ReturnsFile, demo.ChatsFile}
	instant := map[string]string{demo.OrdersFile: "created_at", demo.ReviewsFile: "created_at", demo.ReturnsFile: "created_at", demo.ChatsFile: "sent_at"}
	tests := []struct {
		name  string
		order demo.Order
		check func(t *testing.T, file string, header []string, recs [][]string)
	}{
		{"shop sorts by shop id", demo.OrderShop, func(t *testing.T, file string, header []string, recs [][]string) {
			c := column(header, "shop_id")
			for i := 1; i < len(recs); i++ {
				if recs[i-1][c] > recs[i][c] {
					t.Fatalf("%s row %d: shop %s after %s", file, i+1, recs[i][c], recs[i-1][c])
				}
			}
		}},
		{"date sorts by instant", demo.OrderDate, func(t *testing.T, file string, header []string, recs [][]string) {
			c := column(header, instant[file])
			var prev time.Time
			for i, r := range recs {
				at, err := time.Parse(time.RFC3339, r[c])
				if err != nil {
					t.Fatal(err)
				}
				if at.Before(prev) {
					t.Fatalf("%s row %d: %s before %s", file, i+1, at, prev)
				}
				prev = at
			}
		}},
		{"mixed sorts by hashed id, shops mixed, an order's lines together", demo.OrderMixed, func(t *testing.T, file string, header []string, recs [][]string) {
			shop := column(header, "shop_id")
			changes := 0
			seen := map[string]bool{}
			for i, r := range recs {
				if i == 0 {
					seen[r[0]] = true
					continue
				}
				if demo.MixedKey(recs[i-1][0], base.Seed) > demo.MixedKey(r[0], base.Seed) {
					t.Fatalf("%s row %d: not in hashed id order", file, i+1)
				}
				if r[0] != recs[i-1][0] && seen[r[0]] {
					t.Fatalf("%s row %d: id %s is not beside its other lines", file, i+1, r[0])
				}
				seen[r[0]] = true
				if r[shop] != recs[i-1][shop] {
					changes++
				}
			}
			// With 6 shops, about 5 rows in 6 change shop when mixed.
			if len(recs) > 20 && changes < len(recs)/2 {
				t.Errorf("%s: shop changes %d times in %d rows: not mixed", file, changes, len(recs))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := base
			opts.Order = tt.order
			dir, _ := MustGenerate(t, opts)
			restore := demo.SetRunBytes(4 << 10) // many runs to merge
			small, _ := MustGenerate(t, opts)
			restore()
			for _, file := range files {
				header, recs := readRecords(t, filepath.Join(dir, file))
				wantHeader, want := readRecords(t, filepath.Join(shopsDir, file))
				if !slices.Equal(header, wantHeader) {
					t.Fatalf("%s: header %v, want %v", file, header, wantHeader)
				}
				// The default order is shop by shop already: shop leaves it.
				if tt.order != demo.OrderShop && slices.EqualFunc(recs, want, slices.Equal) {
					t.Errorf("%s: rows in the default order", file)
				}
				if !slices.Equal(sortedRows(recs), sortedRows(want)) {
					t.Errorf("%s: not the same rows as the default order", file)
				}
				tt.check(t, file, header, recs)
				a, _ := os.ReadFile(filepath.Join(dir, file))
				b, _ := os.ReadFile(filepath.Join(small, file))
				if string(a) != string(b) {
					t.Errorf("%s: differs when sorted in small runs", file)
				}
			}
			left, _ := filepath.Glob(filepath.Join(dir, ".sort-*"))
			if len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

func sortedRows(recs [][]string) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = strings.Join(r, "\x00")
	}
	slices.Sort(out)
	return out
}

func TestParseOrder(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    demo.Order
		wantErr bool
	}{
		{"", demo.OrderShops, false},
		{"default", demo.OrderShops, false},
		{"mixed", demo.OrderMixed, false},
		{"shop", demo.OrderShop, false},
		{"date", demo.OrderDate, false},
		{"random", "", true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := demo.ParseOrder(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseOrder(%q) = %q, %v", tt.in, got, err)
			}
		})
	}
}
