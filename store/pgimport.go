package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// Imports on PostgreSQL. The whole import is one transaction: readers keep
// reading the committed state meanwhile (MVCC), so there is no reason to
// commit in chunks as on SQLite, and an import that fails for any reason
// leaves nothing behind. Parsed rows go to temporary staging tables with
// COPY (pgcopy.go), each row numbered in input order; at the end one
// set-based merge per table upserts the last row of each key:
//
//   - orders: an order's dates and status are those of its last line, its
//     products the stored ones followed by the new ones in input order;
//     shop_days moves by the difference between the stored and the merged
//     orders, computed before the orders are written. Most orders of an
//     import are new and staged once: they are inserted as staged. The
//     writer notes each order it stages (seenset.go) and stages an
//     order's later rows apart (stage_orders_again); those orders, and
//     the stored ones whose staged row brings other products, are merged
//     product by product in SQL. A stored order staged once with its
//     stored products (a re-export) takes its staged row, or is left
//     alone when that is the stored one: a re-import of the 1M demo's
//     orders took 25.9 s when every stored order was merged product by
//     product, 6.4 s now.
//     A first load (into an empty table, with no other session
//     connected) copies the orders it sees first
//     straight into orders, without its indexes (pgindexes.go), and treats
//     them as stored: only the orders staged again are merged;
//   - every other table: the last row of each key replaces the stored one.
//     As for orders, the writer stages the rows of a key it sees again
//     apart (stage_T_again); the rows staged once are merged without a
//     sort for the last of each key, and those stored as they are left
//     out before the upsert (mergeFirst). A first load copies the rows it
//     sees first into the table, as the orders' does;
//   - chats: the conversations whose messages the merge adds or changes in
//     what turns are made of are listed (chat_turns_stale) and have their
//     turns rebuilt in the same transaction, from one cursor (pgturns.go).
//     A first load copies the messages it sees first straight into
//     chat_messages, as the orders' does, lists nothing, and rebuilds
//     every conversation's turns.

// pgCopyRows is how many rows are buffered per table before a COPY.
const pgCopyRows = 8192

type pgWriter struct {
	db    *DB
	conn  *sql.Conn
	tx    *sql.Tx
	spec  *kindSpec
	steps importSteps
	seq   int64
	rows  []copyBuf // per target (orders: per orderTargets), rows waiting for COPY
	// scratch holds the fields of the row being queued.
	scratch []byte

	// The keys of the first target staged so far, the rows of keys
	// staged again, waiting for COPY, and whether there were any.
	seen    *seenSet
	again   copyBuf
	repeats bool
	// staged counts the rows of the first target staged (not copied
	// into the table by a first load), again or not.
	staged int64
	// load holds the indexes of the kind's first target to rebuild when
	// this import is a first load, whose rows seen first are copied into
	// the table itself (firstLoad).
	load *pgIndexes
	// locked is set once the transaction holds the kind's import lock
	// (lockKind).
	locked bool
	// days counts, on an orders first load, the orders copied into the
	// table by shop and day, for the rollup (mergeOrders).
	days map[shopDay]*dayCounts
}

type shopDay struct{ shop, day int64 }

type dayCounts struct{ created, delivered int64 }

func (db *DB) newPGWriter(ctx context.Context, spec *kindSpec, rows int64) (*pgWriter, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", spec.kind, err)
	}
	w := &pgWriter{db: db, conn: conn, spec: spec, rows: make([]copyBuf, len(spec.targets)), seen: newSeenSet(rows)}
	if err := db.settlePendingTurns(ctx, conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("import %s: %w", spec.kind, err)
	}
	if spec.begin != nil && spec.kind != Orders { // orders merge in SQL (mergeOrders)
		if w.steps, err = spec.begin(ctx, db, conn); err != nil {
			conn.Close()
			return nil, fmt.Errorf("import %s: %w", spec.kind, err)
		}
	}
	return w, nil
}

// stageCols are a target's columns in its staging table.
func stageCols(t target) []string { return append(append([]string(nil), t.cols...), "seq") }

func (w *pgWriter) write(ctx context.Context, b *batch) error {
	if w.tx == nil {
		tx, err := w.conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		w.tx = tx
		if w.db.importTx != nil {
			w.db.importTx(tx, false)
		}
		// The merge sorts and hashes the whole import: in memory.
		// A first load builds the indexes of its table from one sort
		// each (pgindexes.go). The merge's statements run once each,
		// on temporary tables the planner has no statistics of: their
		// estimated costs pass JIT's thresholds, and compiling took
		// longer than it saved (the orders' product merge, 2,000 orders
		// of a 1M-line re-import: 0.45-0.72 s with JIT, 0.10-0.14 s
		// without; the other statements within the noise).
		if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '256MB'; SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL jit = off`); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		for _, t := range w.spec.targets {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TEMP TABLE stage_%s ON COMMIT DROP AS SELECT %s, 0::bigint AS seq FROM %s WITH NO DATA`,
				t.name, strings.Join(t.cols, ", "), t.name)); err != nil {
				return fmt.Errorf("stage %s: %w", t.name, err)
			}
		}
		first := w.spec.targets[0].name
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT * FROM stage_%s WITH NO DATA`, w.againTable(), first)); err != nil {
			return fmt.Errorf("stage %s: %w", first, err)
		}
		if err := w.firstLoad(ctx); err != nil {
			return err
		}
	}
	if w.spec.kind == Orders {
		for id, o := range b.orders { // the orders target's columns
			f := appendText(w.scratch[:0], id)
			f = appendInt8(f, o.shop)
			f = appendInt8(f, o.createdAt)
			f = appendInt8(f, int64(o.created))
			if o.hasDeliv {
				f = appendInt8(f, o.deliveredAt)
				f = appendInt8(f, int64(o.delivered))
			} else {
				f = appendNull(appendNull(f))
			}
			f = appendText(f, o.status)
			f = appendProducts(f, o.products)
			w.scratch = f
			// A first load writes each COPY's orders shop by shop, by
			// the day a breakdown finds them by (delivered, else
			// created): a breakdown reads the products of a shop's orders
			// from the table (pgIndexForms), and the 1M demo's orders
			// loaded in the file's mixed order put the 1.4k-7.7k orders
			// of a shop's 27 days on 1,369-5,724 pages, 117-236 now
			// (51-202 ms, 7-17 ms, each in a new connection); the load
			// took 4.08-4.41 s, 4.06-4.45 s now (three alternated runs).
			day := o.created
			if o.hasDeliv {
				day = o.delivered
			}
			if w.queueFirst(id, f, len(w.spec.targets[targetOrders].cols), &[2]int64{o.shop, int64(day)}) {
				w.countDays(o)
			}
		}
	}
	for t := range b.targets {
		rs := &b.targets[t]
		for i := range rs.len() {
			f := w.scratch[:0]
			for _, v := range rs.row(i) {
				var err error
				if f, err = appendValue(f, v); err != nil {
					return fmt.Errorf("stage %s: %w", w.spec.targets[t].name, err)
				}
			}
			w.scratch = f
			if w.spec.kind != Orders && t == 0 {
				w.queueFirst(rs.row(i)[0].(string), f, rs.width, nil)
				continue
			}
			w.seq++
			w.rows[t].add(f, rs.width, w.seq)
		}
	}
	return w.copyFull(ctx, pgCopyRows)
}

// queueFirst queues a row of n fields, encoded in fields, for the kind's
// first target, keyed by key, numbered by the next seq: the row of a key
// seen before goes to w.again (to be merged after the others); the others
// are staged, or on a first load go to the table itself, without the seq,
// in the order of their sort key if they have one (write), and
// queueFirst reports true.
func (w *pgWriter) queueFirst(key string, fields []byte, n int, sortKey *[2]int64) (loaded bool) {
	w.seq++
	if w.seen.add(key) {
		w.again.add(fields, n, w.seq)
		w.repeats = true
		w.staged++
		return false
	}
	if w.load != nil {
		if sortKey != nil {
			w.rows[0].addSorted(fields, n, *sortKey)
		} else {
			w.rows[0].add(fields, n, noSeq)
		}
		return true
	}
	w.staged++
	w.rows[0].add(fields, n, w.seq)
	return false
}

// appendProducts appends an order's products as one text field, one
// product per line.
func appendProducts(b []byte, products []string) []byte {
	n := max(len(products)-1, 0)
	for _, p := range products {
		n += len(p)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	for i, p := range products {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, p...)
	}
	return b
}

// countDays counts o, which a first load copies into orders, in w.days.
func (w *pgWriter) countDays(o *orderFact) {
	add := func(day rules.Day, created, delivered int64) {
		k := shopDay{o.shop, int64(day)}
		c := w.days[k]
		if c == nil {
			c = &dayCounts{}
			w.days[k] = c
		}
		c.created += created
		c.delivered += delivered
	}
	if w.days == nil {
		w.days = map[shopDay]*dayCounts{}
	}
	add(o.created, 1, 0)
	if o.hasDeliv {
		add(o.delivered, 0, 1)
	}
}

// copyDays copies w.days into the temporary table first_days.
func (w *pgWriter) copyDays(ctx context.Context) error {
	if _, err := w.tx.ExecContext(ctx, `CREATE TEMP TABLE first_days (shop bigint, day bigint, created bigint, delivered bigint) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("count the orders by day: %w", err)
	}
	var buf copyBuf
	for k, c := range w.days {
		buf.addValues([]any{k.shop, k.day, c.created, c.delivered}) // int64s: no error
	}
	return pgCopy(ctx, w.conn, "first_days", []string{"shop", "day", "created", "delivered"}, &buf)
}

// firstLoad makes an import into an empty table (the kind's first target,
// keyed by its first column), while no one else is connected, a first
// load: the table is locked until the commit, and the rows seen first go
// in without its indexes, which the commit rebuilds from one sort each
// (pgindexes.go). The rows seen again are staged (the orders' in
// stage_T_again) and merged after the rebuild. On the 1M demo, the
// chats' first load took 6.6-7.1 s against 8.0 s staged (two alternated
// runs each, when the turns' rebuild took about 4 s of it either way), the
// reviews' 0.78-0.83 s against 1.18-1.48 s (three alternated runs).
func (w *pgWriter) firstLoad(ctx context.Context) error {
	table := w.spec.targets[0].name
	alone, err := pgAlone(ctx, w.tx)
	if err == nil && alone {
		// Before the table's lock: see lockKind.
		err = w.lockKind(ctx)
	}
	empty := false
	if err == nil && alone {
		empty, err = emptyTable(ctx, w.tx, table)
	}
	if err == nil && empty {
		w.load, err = dropIndexes(ctx, w.tx, table)
	}
	if err != nil {
		return fmt.Errorf("stage %s: %w", table, err)
	}
	return nil
}

// lockKind takes the kind's import lock (an advisory lock held to the end
// of the transaction), unless the transaction holds it already. Imports
// of a kind merge one at a time: each merge computes what it changes from
// the stored rows (the orders new to the store and the rollup's
// difference, the conversations whose turns to rebuild), which another
// import's merge must not change before it commits. Two imports of the same
// new orders at once failed on the orders' primary key
// (TestConcurrentImportsOnPostgres). Imports stage side by side and wait
// only for each other's merge; a first load takes the lock before the
// table's own (firstLoad), as every import takes it before any lock on
// the kind's tables, so the two locks cannot be taken in both orders.
func (w *pgWriter) lockKind(ctx context.Context) error {
	if w.locked {
		return nil
	}
	if _, err := w.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, lockKey("import "+string(w.spec.kind))); err != nil {
		return fmt.Errorf("wait for the other imports of %s: %w", w.spec.kind, err)
	}
	w.locked = true
	return nil
}

// againTable is where the rows of keys seen before go.
func (w *pgWriter) againTable() string { return "stage_" + w.spec.targets[0].name + "_again" }

// copyFull copies the buffers holding at least n rows.
func (w *pgWriter) copyFull(ctx context.Context, n int) error {
	for t, tg := range w.spec.targets {
		if w.rows[t].rows >= n {
			table, cols := "stage_"+tg.name, stageCols(tg)
			if w.load != nil && t == 0 { // a first load's table (firstLoad)
				table, cols = tg.name, tg.cols
			}
			if err := pgCopy(ctx, w.conn, table, cols, &w.rows[t]); err != nil {
				return err
			}
		}
	}
	if w.again.rows >= n {
		return pgCopy(ctx, w.conn, w.againTable(), stageCols(w.spec.targets[0]), &w.again)
	}
	return nil
}

// due is never: the import commits once, at the end.
func (w *pgWriter) due(bool) bool { return false }

func (w *pgWriter) commit(ctx context.Context) error {
	if w.tx == nil {
		return nil
	}
	if err := w.copyFull(ctx, 1); err != nil {
		return err
	}
	if err := w.lockKind(ctx); err != nil {
		return err
	}
	if w.load != nil {
		// The merge reads the table by key and upserts through it.
		if err := w.load.rebuild(ctx, w.tx); err != nil {
			return err
		}
	}
	m, err := w.plan(ctx)
	if err != nil {
		return fmt.Errorf("merge %s: %w", w.spec.targets[0].name, err)
	}
	if w.steps.premerge != nil {
		if err := w.steps.premerge(ctx, w.tx, m); err != nil {
			return err
		}
	}
	for t, tg := range w.spec.targets {
		switch {
		case w.spec.kind == Orders && t == targetOrders:
			err = w.mergeOrders(ctx, m)
		case t == 0:
			err = w.mergeFirst(ctx, tg, m)
		default:
			err = upsertLast(ctx, w.tx, tg, "stage_"+tg.name)
		}
		if err != nil {
			return fmt.Errorf("merge %s: %w", tg.name, err)
		}
	}
	if w.steps.flush != nil {
		if err := w.steps.flush(ctx, w.tx); err != nil {
			return err
		}
	}
	tx := w.tx
	w.tx, w.locked = nil, false
	if w.db.importTx != nil {
		w.db.importTx(tx, true)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// plan sets out how the merge goes (pgMerge).
func (w *pgWriter) plan(ctx context.Context) (pgMerge, error) {
	m := pgMerge{firstLoad: w.load != nil}
	if m.firstLoad {
		return m, nil
	}
	var err error
	m.byIndex, err = fewStaged(ctx, w.tx, w.staged, w.spec.targets[0].name)
	return m, err
}

func (w *pgWriter) rollback() {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx = nil
	}
	for t := range w.rows {
		w.rows[t].reset()
	}
	w.again.reset()
	w.load, w.locked, w.days, w.staged, w.repeats = nil, false, nil, 0, false
}

func (w *pgWriter) finish(ctx context.Context, shops []int64, at time.Time) error {
	if len(shops) == 0 {
		return nil
	}
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := touchShops(ctx, tx, true, shops); err != nil {
		tx.Rollback()
		return err
	}
	if err := recordImports(ctx, tx, true, w.spec.kind, shops, at); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// settle has nothing left to do: the chat turns were rebuilt before the
// commit.
func (w *pgWriter) settle(context.Context) error { return nil }

func (w *pgWriter) close() {
	w.rollback()
	if w.steps.close != nil {
		w.steps.close()
	}
	w.conn.Close()
}
