package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/shopwatch/shopwatch/rules"
)

// The queries a report is computed from, each over one shop and a range of
// local dates, each served by a key or index on (shop, date).
const (
	qDeliveredByDay = `SELECT day, delivered FROM shop_days WHERE shop = ? AND day BETWEEN ? AND ?`
	qCreatedByDay   = `SELECT day, created FROM shop_days WHERE shop = ? AND day BETWEEN ? AND ?`
	qNegReviews     = `SELECT order_id, created_day, causes FROM reviews WHERE shop = ? AND created_day BETWEEN ? AND ? AND rating <= 2`
	qReturns        = `SELECT order_id, created_day, status, fault FROM returns WHERE shop = ? AND created_day BETWEEN ? AND ?`
	qTurns          = `SELECT start_at, reply_at, start_day FROM chat_turns WHERE shop = ? AND start_day BETWEEN ? AND ?`
)

// Records answers from the stored records: reports, breakdowns, evidence,
// freshness and the rollups' reads. Its queries stay raw SQL, scanned
// straight into the rules' types: they are the hot path of every slash
// command (p99 latency) and of the daily evaluation over every shop, where
// gorm's per-row reflection would cost more than the query itself.
type Records struct{ *conn }

type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func (db *conn) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	db.stmts.mu.Lock()
	defer db.stmts.mu.Unlock()
	if s, ok := db.stmts.stmts[query]; ok {
		return s, nil
	}
	s, err := db.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if db.stmts.stmts == nil {
		db.stmts.stmts = make(map[string]*sql.Stmt)
	}
	db.stmts.stmts[query] = s
	return s, nil
}

func (db *conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := db.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// eachRow runs a query and calls row with each of its rows.
func (db *conn) eachRow(ctx context.Context, query string, args []any, row func(*sql.Rows) error) error {
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanRow runs a query of one row and scans it into dest.
func (db *conn) scanRow(ctx context.Context, query string, args []any, dest ...any) error {
	s, err := db.prepared(ctx, query)
	if err != nil {
		return err
	}
	return s.QueryRowContext(ctx, args...).Scan(dest...)
}

// Report computes every metric of the shop for its local date day, judged
// on the freshness of the record kinds each is computed from.
func (db *Records) Report(ctx context.Context, shopID string, day rules.Day) (rules.Report, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return rules.Report{}, err
	}
	w := ref.shop.Window(day)
	in, err := db.inputs(ctx, ref, w)
	if err != nil {
		return rules.Report{}, fmt.Errorf("store: report %s %s: %w", shopID, day, err)
	}
	r := rules.Evaluate(ref.shop, w, in)
	if err := db.judge(ctx, ref, &r); err != nil {
		return rules.Report{}, fmt.Errorf("store: report %s %s: %w", shopID, day, err)
	}
	return r, nil
}

// inputs loads the records of one shop and window that a report needs: of
// every kind, or of the kinds given (rules.KindOrders and so on), which a
// report on one metric needs (Metric.InputKinds); the others stay empty.
func (db *Records) inputs(ctx context.Context, ref shopRef, w rules.Window, kinds ...string) (in rules.Inputs, err error) {
	need := func(kind string) bool { return err == nil && (len(kinds) == 0 || slices.Contains(kinds, kind)) }
	if need(rules.KindOrders) {
		in.Delivered, err = db.countsByDay(ctx, qDeliveredByDay, ref.key, w)
		if err == nil && ref.shop.Profile.SFRRDenominator == rules.DenomOrders {
			in.Created, err = db.countsByDay(ctx, qCreatedByDay, ref.key, w)
		}
	}
	if need(rules.KindReviews) {
		in.Reviews, err = scanAll(db, ctx, qNegReviews, ref.key, w, func(rows *sql.Rows) (rules.ReviewFact, error) {
			var f rules.ReviewFact
			var causes int64
			err := rows.Scan(&f.OrderID, &f.Day, &causes)
			f.Causes = rules.CauseSet(causes)
			return f, err
		})
	}
	if need(rules.KindReturns) {
		in.Returns, err = scanAll(db, ctx, qReturns, ref.key, w, func(rows *sql.Rows) (rules.ReturnFact, error) {
			var f rules.ReturnFact
			var fault int64
			err := rows.Scan(&f.OrderID, &f.Day, &f.Status, &fault)
			f.Fault = rules.Fault(fault)
			return f, err
		})
	}
	if need(rules.KindChats) {
		in.Turns, err = scanAll(db, ctx, qTurns, ref.key, w, func(rows *sql.Rows) (rules.Turn, error) {
			var t rules.Turn
			var reply sql.NullInt64
			err := rows.Scan(&t.Start, &reply, &t.Day)
			t.Reply = reply.Int64
			return t, err
		})
	}
	return in, err
}

// countsByDay runs a (day, count) query into a slice indexed by window date.
func (db *Records) countsByDay(ctx context.Context, query string, shop int64, w rules.Window) ([]int, error) {
	counts := make([]int, w.Days())
	rows, err := db.query(ctx, query, shop, int64(w.First), int64(w.Last))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d rules.Day
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			return nil, err
		}
		if w.Contains(d) {
			counts[w.Index(d)] = n
		}
	}
	return counts, rows.Err()
}

func scanAll[T any](db *Records, ctx context.Context, query string, shop int64, w rules.Window, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := db.query(ctx, query, shop, int64(w.First), int64(w.Last))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ShopReport is one shop's report, or the error computing it.
type ShopReport struct {
	Report rules.Report
	Err    error
}

// Reports computes the reports of every configured shop for local date day,
// on workers goroutines (at least 1). The result follows the config's order.
func (db *Records) Reports(ctx context.Context, day rules.Day, workers int) []ShopReport {
	shops := db.cfg.Shops()
	out := make([]ShopReport, len(shops))
	var g errgroup.Group // a shop's error is in its report: the others go on
	g.SetLimit(max(1, workers))
	for i, shop := range shops {
		g.Go(func() error {
			r, err := db.Report(ctx, shop.ID, day)
			out[i] = ShopReport{Report: r, Err: err}
			return nil
		})
	}
	_ = g.Wait()
	return out
}
