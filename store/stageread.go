package store

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
)

// source returns the staged rows as batches, read back by key (see load);
// progress, if set, is called after each batch with the rows sent.
func (st *stage) source(progress func(rows, staged int)) batchSource {
	return func(ctx context.Context) (<-chan *batch, chan *batch, <-chan error) {
		batches := make(chan *batch, 4)
		free := make(chan *batch, 6)
		errc := make(chan error, 1)
		go func() {
			defer close(batches)
			r := &stageReader{st: st, ctx: ctx, out: batches, free: free, progress: progress}
			errc <- r.run()
		}()
		return batches, free, errc
	}
}

// stageReader sends the staged rows in batches of batchRows.
type stageReader struct {
	st       *stage
	ctx      context.Context
	out      chan<- *batch
	free     chan *batch
	b        *batch
	sent     int
	progress func(rows, staged int)
}

func (r *stageReader) run() error {
	r.b = r.get()
	i := 0
	if r.st.spec.kind == Orders {
		if err := r.facts(); err != nil {
			return err
		}
		i++
	}
	for t := range r.st.spec.targets {
		if err := r.table(r.st.tables[i+t], t); err != nil {
			return err
		}
	}
	if r.b.n > 0 {
		r.send()
	}
	return r.ctx.Err()
}

func (r *stageReader) get() *batch {
	select {
	case b := <-r.free:
		return b
	default:
		return newBatch(r.st.spec.targets)
	}
}

func (r *stageReader) send() {
	r.sent += r.b.n
	select {
	case r.out <- r.b:
	case <-r.ctx.Done():
	}
	r.b = r.get()
	if r.progress != nil {
		// In input rows: an order's lines are one staged row.
		rows := r.st.staged
		if r.st.units > 0 {
			rows = int(int64(r.st.staged) * int64(min(r.sent, r.st.units)) / int64(r.st.units))
		}
		r.progress(rows, r.st.staged)
	}
}

// added counts a row into the batch and sends the batch when it is full.
func (r *stageReader) added() error {
	r.b.n++
	if r.b.n >= batchRows {
		r.send()
	}
	return r.ctx.Err()
}

// query calls row with each row of a staging table, in key order, rows of
// one key in input order. row must not change the values.
func (r *stageReader) query(t stageTable, row func(vals []any) error) error {
	if !r.st.spilled {
		return t.memRows(row)
	}
	order := make([]string, 0, t.keys+1)
	for i := range t.keys {
		order = append(order, fmt.Sprintf("c%d", i))
	}
	order = append(order, "rowid")
	if !t.unsorted {
		order = []string{"rowid"}
	}
	q := fmt.Sprintf("SELECT * FROM %s ORDER BY %s", t.name, strings.Join(order, ", "))
	vals := make([]any, t.width)
	err := r.st.conn.Raw(func(any) error {
		return r.st.raw.each(r.ctx, q, nil, func(s *rawStmt) error {
			for i := range vals {
				vals[i] = s.column(i)
			}
			return row(vals)
		})
	})
	switch {
	case err == nil:
		return nil
	case r.ctx.Err() != nil: // interrupted
		return r.ctx.Err()
	default:
		return fmt.Errorf("staging %s: %w", t.name, err)
	}
}

// memRows calls row with each row held in memory, in key order (a stable
// sort: rows of one key stay in input order).
func (t *stageTable) memRows(row func(vals []any) error) error {
	k := t.keys
	order := make([]int, t.memN)
	for i := range order {
		order[i] = i
	}
	if t.unsorted {
		// Ties in input order: a stable sort, by pdqsort on (key, index).
		// slices.SortStableFunc merges in place (O(n log² n) moves): it was
		// 7% of a 13.6k-row returns import's CPU.
		slices.SortFunc(order, func(a, b int) int {
			if c := compareValues(t.memRow(a)[:k], t.memRow(b)[:k]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
	}
	for _, i := range order {
		if err := row(t.memRow(i)); err != nil {
			return err
		}
	}
	return nil
}

// compareValues compares two keys as SQLite orders them: NULL, then
// integers, text (by its bytes) and blobs.
func compareValues(a, b []any) int {
	for i := range a {
		x, y := stagedValue(a[i]), stagedValue(b[i])
		if c := cmp.Compare(valueClass(x), valueClass(y)); c != 0 {
			return c
		}
		var c int
		switch x := x.(type) {
		case int64:
			c = cmp.Compare(x, y.(int64))
		case string:
			c = strings.Compare(x, y.(string))
		case []byte:
			c = bytes.Compare(x, y.([]byte))
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// valueClass is a value's rank in SQLite's order of storage classes.
func valueClass(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case int64:
		return 1
	case string:
		return 2
	case []byte:
		return 3
	}
	return 4
}

// facts reads the staged orders: the facts of one order, from several
// batches of the input, merge as load would have merged them one batch
// after the other (the last batch's dates and status, the union of the
// products in input order).
func (r *stageReader) facts() error {
	var o *orderFact
	var last string
	err := r.query(r.st.tables[0], func(vals []any) error {
		id, _ := vals[0].(string)
		if o == nil || id != last {
			if o != nil {
				if err := r.added(); err != nil {
					return err
				}
			}
			o = &orderFact{}
			r.b.orders[id] = o
			last = id
		}
		o.shop, _ = vals[1].(int64)
		o.createdAt, _ = vals[2].(int64)
		created, _ := vals[3].(int64)
		o.created = rules.Day(created)
		o.status, _ = vals[6].(string)
		deliveredDay, hasDeliv := vals[5].(int64)
		o.hasDeliv = hasDeliv
		if hasDeliv {
			o.deliveredAt, _ = vals[4].(int64)
			o.delivered = rules.Day(deliveredDay)
		}
		products, _ := vals[7].(string)
		for _, p := range strings.Split(products, "\n") {
			if !slices.Contains(o.products, p) {
				o.products = append(o.products, p)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if o != nil {
		return r.added()
	}
	return nil
}

// table reads the staged rows of target t.
func (r *stageReader) table(t stageTable, target int) error {
	var key strings.Builder
	return r.query(t, func(vals []any) error {
		key.Reset()
		for i, v := range vals[:t.keys] {
			if i > 0 {
				key.WriteByte(0)
			}
			switch v := v.(type) {
			case string:
				key.WriteString(v)
			case int64:
				key.WriteString(strconv.FormatInt(v, 10))
			default:
				fmt.Fprint(&key, v)
			}
		}
		r.b.add(target, key.String(), vals...)
		return r.added()
	})
}
