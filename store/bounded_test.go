package store

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// csvRead is one result of csv.Reader.Read: a record or an error, and the
// line it starts on.
type csvRead struct {
	line int
	rec  []string
	err  string // "" for a record; "long" for a row cut off
}

// readAll reads every record of r as the import does, up to a bound on
// the number of reads.
func readAll(tb testing.TB, r io.Reader) []csvRead {
	tb.Helper()
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var out []csvRead
	for range 1 << 16 {
		rec, err := cr.Read()
		if err == io.EOF {
			return out
		}
		var pe *csv.ParseError
		var long *rowTooLongError
		switch {
		case err == nil:
			line, _ := cr.FieldPos(0)
			out = append(out, csvRead{line: line, rec: slices.Clone(rec)})
		case errors.As(err, &long):
			out = append(out, csvRead{line: long.line, err: "long"})
		case errors.As(err, &pe):
			out = append(out, csvRead{line: pe.StartLine, err: pe.Err.Error()})
		default:
			tb.Fatalf("read: %v", err)
		}
	}
	tb.Fatal("no end of input after 65,536 reads")
	return nil
}

// FuzzBoundedReader compares encoding/csv over a boundedReader with
// encoding/csv alone: with a limit above the input's size they read the
// same; with a small one, every record read is within the limit and is
// the record encoding/csv alone reads on the same line.
func FuzzBoundedReader(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n"), uint16(3))
	f.Add([]byte("order_id,shop_id\nO\"1,7\n\"multi\nline\",x\n"+strings.Repeat("y", 50)+"\nlast,row\n"), uint16(8))
	f.Add([]byte("a,\"b\"\"c\"\r\n\n\"x\r\ny\",z\r\n\"bad\"quote,1\n2,3"), uint16(5))
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		plain := readAll(t, bytes.NewReader(data))
		if got := readAll(t, newBoundedReader(bytes.NewReader(data), len(data)+1)); !slices.EqualFunc(got, plain, equalRead) {
			t.Fatalf("with no row cut off:\n got %v\nwant %v", got, plain)
		}
		max := 1 + int(limit)%256
		byLine := map[int]csvRead{}
		for _, r := range plain {
			byLine[r.line] = r
		}
		for _, r := range readAll(t, newBoundedReader(bytes.NewReader(data), max)) {
			p, ok := byLine[r.line]
			if !ok {
				t.Fatalf("%v starts on a line where encoding/csv starts nothing (%v)", r, plain)
			}
			if r.err != "" {
				continue
			}
			if n := len(strings.Join(r.rec, ",")); n > max {
				t.Fatalf("record %q of %d bytes passed a limit of %d", r.rec, n, max)
			}
			if !equalRead(r, p) {
				t.Fatalf("line %d: got %v, encoding/csv reads %v", r.line, r, p)
			}
		}
	})
}

func equalRead(a, b csvRead) bool {
	return a.line == b.line && a.err == b.err && slices.Equal(a.rec, b.rec)
}

// BenchmarkBoundedReader measures what the row limit costs on typical
// order lines, beside encoding/csv alone.
func BenchmarkBoundedReader(b *testing.B) {
	for _, bounded := range []bool{false, true} {
		name := "csv"
		if bounded {
			name = "bounded+csv"
		}
		b.Run(name, func(b *testing.B) {
			var size int64
			for range b.N {
				var r io.Reader = &countingReader{r: &ordersReader{n: 100000}, n: &size}
				if bounded {
					r = newBoundedReader(r, MaxRowBytes)
				}
				cr := csv.NewReader(r)
				cr.ReuseRecord = true
				for {
					if _, err := cr.Read(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.SetBytes(size / int64(b.N))
		})
	}
}
