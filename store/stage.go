package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
)

// Staging: on SQLite, an import of any kind reads its input once. Every
// row is checked, and the valid ones are appended to a staging database: a
// separate SQLite file in a temporary folder, without journal, written
// without the main database's lock. Only when the whole
// input has been read and found valid (all or nothing, SPEC section 2) are
// the staged rows read back, sorted by each table's key, and written to the
// main database in short transactions (chunk.go).
//
// The sort makes the row order of the input irrelevant: a batch of rows in
// key order lands on a few neighbouring pages of the table, where rows in
// mixed order (shops and dates interleaved, as a marketplace-wide export
// gives them) land on a different page each, and every commit writes each
// page it dirtied to the WAL. Memory stays bounded by the batch and the
// caches: the staged rows live in the staging file, and SQLite's sorter
// spills to temporary files.
//
// Rows with the same key are read back in input order, so that the last
// one read wins, as when the input is written in its own order; an order's
// lines are merged in the same way (rollup.go).

// stageCacheKiB is the staging database's page cache, which bounds the
// sorter's memory too.
const stageCacheKiB = 4 << 10

// stageFacts is the staging table of an orders import's orders, as each
// batch left them (orderFact).
const stageFacts = "facts"

var stageFactCols = []string{"order_id", "shop", "created_at", "created_day", "delivered_at", "delivered_day", "status", "products"}

// stage is the staging database of one import.
type stage struct {
	spec   *kindSpec
	dir    string
	sql    *sql.DB
	conn   *sql.Conn
	tx     *sql.Tx
	raw    *rawConn
	tables []stageTable
	facts  rows // an orders batch's facts, reused
	staged int  // input rows staged, for progress reports
	units  int  // rows of the staging tables, which the input rows became
}

// stageTable is one staging table: facts (orders) or a target's rows.
type stageTable struct {
	name  string
	width int
	keys  int
	one   *rawStmt
	chunk *rawStmt
	// unsorted is set once a staged row's key is smaller than the one
	// before: until then the table is in key order as staged (an export
	// sorted by order id), and is read back without a sort.
	unsorted bool
	last     []any // the key of the last row staged
}

// newStage creates the staging database of an import of spec's kind; it
// returns nil when the SQLite driver does not allow direct access
// (sqliteraw.go), and the import checks its input in a first pass instead
// (validate.go).
func newStage(ctx context.Context, spec *kindSpec) (st *stage, err error) {
	dir, err := os.MkdirTemp("", "shopwatch-import-*")
	if err != nil {
		return nil, fmt.Errorf("staging: %w", err)
	}
	st = &stage{spec: spec, dir: dir}
	ok := false
	defer func() {
		if err != nil || !ok {
			st.close()
		}
	}()
	q := []string{"journal_mode(OFF)", "synchronous(OFF)", "locking_mode(EXCLUSIVE)", "temp_store(FILE)",
		fmt.Sprintf("cache_size(-%d)", stageCacheKiB)}
	dsn := "file:" + filepath.Join(dir, "stage.db") + "?_pragma=" + strings.Join(q, "&_pragma=")
	if st.sql, err = sql.Open(sqliteDriver, dsn); err != nil {
		return nil, fmt.Errorf("staging: %w", err)
	}
	st.sql.SetMaxOpenConns(1)
	if st.conn, err = st.sql.Conn(ctx); err != nil {
		return nil, fmt.Errorf("staging: %w", err)
	}
	if spec.kind == Orders {
		st.tables = append(st.tables, stageTable{name: stageFacts, width: len(stageFactCols), keys: 1})
		st.facts = newRows(len(stageFactCols))
	}
	for i, t := range spec.targets {
		st.tables = append(st.tables, stageTable{name: fmt.Sprintf("t%d", i), width: len(t.cols), keys: t.keys})
	}
	for _, t := range st.tables {
		// Columns without a type keep the values as they were bound.
		cols := make([]string, t.width)
		for i := range cols {
			cols[i] = fmt.Sprintf("c%d", i)
		}
		if _, err := st.conn.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", t.name, strings.Join(cols, ", "))); err != nil {
			return nil, fmt.Errorf("staging: %w", err)
		}
	}
	if st.tx, err = st.conn.BeginTx(ctx, nil); err != nil {
		return nil, fmt.Errorf("staging: %w", err)
	}
	err = st.conn.Raw(func(dc any) error {
		c, found := rawOf(dc)
		if !found {
			return nil
		}
		ok, st.raw = true, c
		for i := range st.tables {
			t := &st.tables[i]
			row := "(" + strings.Repeat("?, ", t.width-1) + "?)"
			ins := "INSERT INTO " + t.name + " VALUES "
			var err error
			if t.one, err = c.prepare(ins + row); err != nil {
				return err
			}
			if t.chunk, err = c.prepare(ins + strings.Repeat(row+", ", rawChunk-1) + row); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("staging: %w", err)
	}
	if !ok {
		return nil, nil
	}
	return st, nil
}

// close drops the staging database.
func (st *stage) close() {
	if st.conn != nil {
		st.conn.Raw(func(any) error {
			for _, t := range st.tables {
				if t.one != nil {
					t.one.close()
				}
				if t.chunk != nil {
					t.chunk.close()
				}
			}
			if st.raw != nil {
				st.raw.release()
			}
			return nil
		})
		if st.tx != nil {
			st.tx.Rollback()
		}
		st.conn.Close()
	}
	if st.sql != nil {
		st.sql.Close()
	}
	os.RemoveAll(st.dir)
}

// add appends a checked batch to the staging tables.
func (st *stage) add(b *batch) error {
	return st.conn.Raw(func(any) error {
		i := 0
		if st.spec.kind == Orders {
			st.facts.reset()
			// In id order, so that a file sorted by order id stays so.
			for _, id := range slices.Sorted(maps.Keys(b.orders)) {
				o := b.orders[id]
				var deliveredAt, deliveredDay any
				if o.hasDeliv {
					deliveredAt, deliveredDay = o.deliveredAt, int64(o.delivered)
				}
				st.facts.add(id, []any{id, o.shop, o.createdAt, int64(o.created), deliveredAt, deliveredDay, o.status, strings.Join(o.products, "\n")})
			}
			if err := st.tables[0].insert(&st.facts); err != nil {
				return err
			}
			i++
		}
		for t := range b.targets {
			if err := st.tables[i+t].insert(&b.targets[t]); err != nil {
				return err
			}
		}
		st.staged += b.n
		return nil
	})
}

func (t *stageTable) insert(rs *rows) error {
	for i := 0; i < rs.len() && !t.unsorted; i++ {
		key := rs.row(i)[:t.keys]
		if t.last != nil && compareKeys(key, t.last) < 0 {
			t.unsorted = true
		}
		t.last = append(t.last[:0], key...)
	}
	for i := 0; i < rs.len(); {
		var err error
		if rs.len()-i >= rawChunk {
			err = t.chunk.exec(rs.vals[i*rs.width : (i+rawChunk)*rs.width])
			i += rawChunk
		} else {
			err = t.one.exec(rs.row(i))
			i++
		}
		if err != nil {
			return fmt.Errorf("staging %s: %w", t.name, err)
		}
	}
	return nil
}

// fill runs the feed into the staging database and returns what it read;
// like check, it returns an *InvalidInputError when the import may not
// write.
func (st *stage) fill(ctx context.Context, db *DB, f feed, opts ImportOptions) (*ImportResult, error) {
	res := newResult(st.spec.kind, f)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches, free, parseErr := db.parseAsync(ctx, st.spec, f, res, opts, "checking")
	var err error
	for b := range batches {
		if err == nil {
			if err = st.add(b); err != nil {
				cancel()
			}
		}
		b.reset()
		select {
		case free <- b:
		default:
		}
	}
	if perr := <-parseErr; perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return nil, err
	}
	if res.Total > 0 && (!opts.SkipInvalid || res.unusable > 0) {
		return nil, &InvalidInputError{Rows: res.Rejected, Total: res.Total, Files: res.unusable}
	}
	if err := st.tx.Commit(); err != nil {
		return nil, fmt.Errorf("staging: %w", err)
	}
	st.tx = nil
	for _, t := range st.tables {
		var n int
		if err := st.conn.QueryRowContext(ctx, "SELECT count(*) FROM "+t.name).Scan(&n); err != nil {
			return nil, fmt.Errorf("staging: %w", err)
		}
		st.units += n
	}
	return res, nil
}

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

// query reads a staging table in key order, rows of one key in input
// order.
func (r *stageReader) query(t stageTable, row func(s *rawStmt) error) error {
	order := make([]string, 0, t.keys+1)
	for i := range t.keys {
		order = append(order, fmt.Sprintf("c%d", i))
	}
	order = append(order, "rowid")
	if !t.unsorted {
		order = []string{"rowid"}
	}
	q := fmt.Sprintf("SELECT * FROM %s ORDER BY %s", t.name, strings.Join(order, ", "))
	err := r.st.conn.Raw(func(any) error { return r.st.raw.each(r.ctx, q, nil, row) })
	switch {
	case err == nil:
		return nil
	case r.ctx.Err() != nil: // interrupted
		return r.ctx.Err()
	default:
		return fmt.Errorf("staging %s: %w", t.name, err)
	}
}

// compareKeys compares two keys as SQLite orders them (integers before
// text, text by its bytes); a key of other types, or of two types
// SQLite would order otherwise, compares as smaller, so that the table
// is read back sorted.
func compareKeys(a, b []any) int {
	for i := range a {
		switch x := a[i].(type) {
		case string:
			y, ok := b[i].(string)
			if !ok {
				return -1
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		case int64:
			y, ok := b[i].(int64)
			if !ok {
				return -1
			}
			if c := cmp.Compare(x, y); c != 0 {
				return c
			}
		default:
			return -1
		}
	}
	return 0
}

// facts reads the staged orders: the facts of one order, from several
// batches of the input, merge as load would have merged them one batch
// after the other (the last batch's dates and status, the union of the
// products in input order).
func (r *stageReader) facts() error {
	var o *orderFact
	var last string
	err := r.query(r.st.tables[0], func(s *rawStmt) error {
		id, _ := s.column(0).(string)
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
		o.shop, _ = s.column(1).(int64)
		o.createdAt, _ = s.column(2).(int64)
		created, _ := s.column(3).(int64)
		o.created = rules.Day(created)
		o.status, _ = s.column(6).(string)
		deliveredDay, hasDeliv := s.column(5).(int64)
		o.hasDeliv = hasDeliv
		if hasDeliv {
			o.deliveredAt, _ = s.column(4).(int64)
			o.delivered = rules.Day(deliveredDay)
		}
		products, _ := s.column(7).(string)
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
	vals := make([]any, t.width)
	var key strings.Builder
	return r.query(t, func(s *rawStmt) error {
		key.Reset()
		for i := range vals {
			vals[i] = s.column(i)
		}
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
