package demo

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Order is the row order of the data files.
type Order string

// The row orders of Options.Order.
const (
	// OrderShops is the generator's own order: shop by shop, each shop's
	// rows in time order (the default).
	OrderShops Order = ""
	// OrderMixed sorts rows by a keyed hash of their first column (the
	// order id of order lines, the record id otherwise): shops and dates
	// are mixed, as in a marketplace-wide export or a multi-shop sync. The
	// lines of one order stay together.
	OrderMixed Order = "mixed"
	// OrderShop sorts rows by shop id, keeping each shop's rows in time
	// order.
	OrderShop Order = "shop"
	// OrderDate sorts rows by their instant (created_at, sent_at), all
	// shops together.
	OrderDate Order = "date"
)

// ParseOrder returns the Order named s ("" or "default" is OrderShops).
func ParseOrder(s string) (Order, error) {
	switch o := Order(s); o {
	case OrderMixed, OrderShop, OrderDate:
		return o, nil
	case "", "default":
		return OrderShops, nil
	}
	return "", fmt.Errorf("demo: order %q: want mixed, shop or date", s)
}

// sortColumns says, per data file, which columns hold the shop id and the
// instant that OrderShop and OrderDate sort by.
var sortColumns = map[string]struct{ shop, at int }{
	OrdersFile:  {1, 3},
	ReviewsFile: {2, 5},
	ReturnsFile: {2, 4},
	ChatsFile:   {2, 4},
}

// runBytes bounds the records held in memory by reorder: the files are
// sorted in runs of about this size, then merged.
var runBytes = 32 << 20

// sortKey orders records: by s, then n.
type sortKey struct {
	s string
	n int64
}

func (a sortKey) compare(b sortKey) int {
	return cmp.Or(cmp.Compare(a.s, b.s), cmp.Compare(a.n, b.n))
}

// keyFunc returns the function computing a record's key in order o.
func keyFunc(o Order, file string, seed int64) func([]byte) (sortKey, error) {
	cols := sortColumns[file]
	switch o {
	case OrderShop:
		return func(rec []byte) (sortKey, error) { return sortKey{s: string(field(rec, cols.shop))}, nil }
	case OrderDate:
		return func(rec []byte) (sortKey, error) {
			t, err := time.Parse(time.RFC3339, string(field(rec, cols.at)))
			return sortKey{n: t.UnixNano()}, err
		}
	}
	return func(rec []byte) (sortKey, error) {
		h := fnv.New64a()
		h.Write(field(rec, 0))
		return sortKey{n: int64(splitmix(h.Sum64() ^ uint64(seed)))}, nil
	}
}

// field returns the i-th field of a CSV record, unquoted fields as they
// are (the key columns are never quoted by the generator).
func field(rec []byte, i int) []byte {
	quoted := false
	start := 0
	for j, c := range rec {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			if i == 0 {
				return rec[start:j]
			}
			i--
			start = j + 1
		}
	}
	if i == 0 {
		return bytes.TrimRight(rec[start:], "\r\n")
	}
	return nil
}

// recordReader reads CSV records (with their line end), a quoted field
// spanning lines included.
type recordReader struct{ r *bufio.Reader }

func (rr recordReader) next() ([]byte, error) {
	var rec []byte
	quotes := 0
	for {
		line, err := rr.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			rec = append(rec, line...)
			quotes += bytes.Count(line, []byte{'"'})
			continue
		}
		rec = append(rec, line...)
		quotes += bytes.Count(line, []byte{'"'})
		if err != nil {
			if err == io.EOF && len(rec) > 0 {
				return rec, nil
			}
			return nil, err
		}
		if quotes%2 == 0 {
			return rec, nil
		}
	}
}

// reorder rewrites the data file at path (its header first) in order o.
// It holds about runBytes of records in memory whatever the file's size:
// sorted runs go to temporary files beside it, then are merged.
func reorder(path string, o Order, seed int64) (err error) {
	key := keyFunc(o, filepath.Base(path), seed)
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	rr := recordReader{bufio.NewReaderSize(in, bufSize)}
	header, err := rr.next()
	if err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".sort-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var runs []string
	type rec struct {
		k sortKey
		b []byte
	}
	var recs []rec
	size := 0
	flush := func() error {
		slices.SortStableFunc(recs, func(a, b rec) int { return a.k.compare(b.k) })
		name := filepath.Join(tmp, fmt.Sprintf("run-%d", len(runs)))
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, bufSize)
		for _, r := range recs {
			w.Write(r.b)
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		runs = append(runs, name)
		recs, size = recs[:0], 0
		return f.Close()
	}
	for {
		b, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		k, err := key(b)
		if err != nil {
			return fmt.Errorf("%s: sort key: %w", path, err)
		}
		recs = append(recs, rec{k, b})
		if size += len(b); size >= runBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(recs) > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	recs = nil
	in.Close()
	return merge(path, header, runs, key)
}

// merge writes header and the records of the sorted runs, in key order
// (ties in run order, so the sort is stable), to path.
func merge(path string, header []byte, runs []string, key func([]byte) (sortKey, error)) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	w := bufio.NewWriterSize(out, bufSize)
	w.Write(header)
	h := make(runHeap, 0, len(runs))
	for i, name := range runs {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		c := &cursor{run: i, rr: recordReader{bufio.NewReaderSize(f, 64<<10)}, key: key}
		if ok, err := c.advance(); err != nil {
			return err
		} else if ok {
			h = append(h, c)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		c := h[0]
		w.Write(c.rec)
		ok, err := c.advance()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return out.Close()
}

// cursor is a run being merged: its current record and key.
type cursor struct {
	run int
	rr  recordReader
	key func([]byte) (sortKey, error)
	rec []byte
	k   sortKey
}

func (c *cursor) advance() (bool, error) {
	rec, err := c.rr.next()
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.rec = rec
	c.k, err = c.key(rec)
	return err == nil, err
}

type runHeap []*cursor

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := h[i].k.compare(h[j].k); c != 0 {
		return c < 0
	}
	return h[i].run < h[j].run
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *runHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
