package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
// sorter's memory too (its in-memory runs). Smaller runs sort faster in the
// transpiled SQLite, whose allocator copies a growing run at each step: on
// the 1M-line demo's 585k chat messages, the sort took 0.41-0.43 s with
// 0.5-1 MiB, 0.61-0.63 s with 4 MiB and 0.85-0.88 s with 16 MiB, and the
// import's peak RSS was 118, 134 and 195 MB; on the 5M-line demo's 3M,
// 2.5 s with 1 MiB against 2.9-3.4 s with 4 MiB, for the same total time.
const stageCacheKiB = 1 << 10

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
	// memBytes estimates the rows held in memory (stageTable.mem); spilled
	// is set once they went to the staging file.
	memBytes int
	memLimit int // stageMemBytes
	spilled  bool
}

// stageMemBytes bounds the staged rows an import keeps in memory (16 bytes
// a value, 16 more for text and its bytes) before it writes them to the
// staging file. Below it, they are sorted in Go: SQLite's sorter took 20%
// of a 13.6k-row returns import's CPU, most of it growing its buffer (a
// realloc and a copy at each step, and the page faults of fresh memory).
const stageMemBytes = 8 << 20

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
	// mem holds the rows staged in memory while the stage has not
	// spilled: memChunk rows of width values per slice, so that it grows
	// without copying.
	mem  [][]any
	memN int // rows in mem
}

// memChunk is how many rows one slice of stageTable.mem holds.
const memChunk = 4096

// memRow is row i of mem.
func (t *stageTable) memRow(i int) []any {
	c, w := t.mem[i/memChunk], t.width
	return c[i%memChunk*w : (i%memChunk+1)*w]
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
	defer func(s *stage) { // st, before a return sets it to nil
		if err != nil || !ok {
			s.close()
		}
	}(st)
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
			if err := st.insert(&st.tables[0], &st.facts); err != nil {
				return err
			}
			i++
		}
		for t := range b.targets {
			if err := st.insert(&st.tables[i+t], &b.targets[t]); err != nil {
				return err
			}
		}
		st.staged += b.n
		return nil
	})
}

// insert stages a batch's rows of table t: in memory until the stage's
// rows outgrow st.memLimit, then in the staging file.
func (st *stage) insert(t *stageTable, rs *rows) error {
	vals := rs.vals[:rs.len()*rs.width]
	for i := 0; i < rs.len() && !t.unsorted; i++ {
		key := rs.row(i)[:t.keys]
		if t.last != nil && compareValues(key, t.last) < 0 {
			t.unsorted = true
		}
		t.last = append(t.last[:0], key...)
	}
	if !st.spilled {
		size := 0
		for _, v := range vals {
			size += 16 // the interface
			if str, ok := v.(string); ok {
				size += 16 + len(str) // its header, boxed, and its bytes
			}
		}
		if st.memBytes+size <= st.memLimit {
			for i := range rs.len() {
				if t.memN%memChunk == 0 {
					t.mem = append(t.mem, make([]any, 0, memChunk*t.width))
				}
				c := &t.mem[len(t.mem)-1]
				for _, v := range rs.row(i) {
					*c = append(*c, stagedValue(v))
				}
				t.memN++
			}
			st.memBytes += size
			return nil
		}
		if err := st.spill(); err != nil {
			return err
		}
	}
	return t.write(vals)
}

// spill writes the rows held in memory to the staging file, where the
// later ones go too.
func (st *stage) spill() error {
	for i := range st.tables {
		t := &st.tables[i]
		for _, c := range t.mem {
			if err := t.write(c); err != nil {
				return err
			}
		}
		t.mem, t.memN = nil, 0
	}
	st.spilled, st.memBytes = true, 0
	return nil
}

// write appends rows (width values each) to the staging table.
func (t *stageTable) write(vals []any) error {
	for i := 0; i < len(vals); {
		var err error
		if len(vals)-i >= rawChunk*t.width {
			err = t.chunk.exec(vals[i : i+rawChunk*t.width])
			i += rawChunk * t.width
		} else {
			err = t.one.exec(vals[i : i+t.width])
			i += t.width
		}
		if err != nil {
			return fmt.Errorf("staging %s: %w", t.name, err)
		}
	}
	return nil
}

// stagedValue is v as the staging file gives it back: integers and
// booleans as int64.
func stagedValue(v any) any {
	switch v := v.(type) {
	case int:
		return int64(v)
	case bool:
		if v {
			return int64(1)
		}
		return int64(0)
	}
	return v
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
		st.units += n + t.memN
	}
	return res, nil
}
