package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// Freshness per record kind (rules.Input): the newest record of each kind
// on or before a date and its usual rate, from the records themselves so
// that any past date is judged as it was; and the last import of each kind
// (migration 8), which every import path records in its transaction.

// kindQueries are, per record kind, the newest record's local date on or
// before a date, and the kind's records of each local date in a span of
// dates: whether the date has any (orders: an order created or delivered),
// and how many count towards the kind's usual rate (orders: created). Each
// is one seek on an index that starts with the shop and the date.
var kindQueries = map[string][2]string{
	rules.KindOrders: {`SELECT MAX(day) FROM shop_days WHERE shop = ? AND day <= ? AND (created > 0 OR delivered > 0)`,
		`SELECT day, created > 0 OR delivered > 0, created FROM shop_days WHERE shop = ? AND day BETWEEN ? AND ? ORDER BY day`},
	rules.KindReviews: {`SELECT MAX(created_day) FROM reviews WHERE shop = ? AND created_day <= ?`,
		`SELECT created_day, true, COUNT(*) FROM reviews WHERE shop = ? AND created_day BETWEEN ? AND ? GROUP BY created_day ORDER BY created_day`},
	rules.KindReturns: {`SELECT MAX(created_day) FROM returns WHERE shop = ? AND created_day <= ?`,
		`SELECT created_day, true, COUNT(*) FROM returns WHERE shop = ? AND created_day BETWEEN ? AND ? GROUP BY created_day ORDER BY created_day`},
	rules.KindChats: {`SELECT MAX(start_day) FROM chat_turns WHERE shop = ? AND start_day <= ?`,
		`SELECT start_day, true, COUNT(*) FROM chat_turns WHERE shop = ? AND start_day BETWEEN ? AND ? GROUP BY start_day ORDER BY start_day`},
}

const qFirstOrderDay = `SELECT MIN(day) FROM shop_days WHERE shop = ? AND (created > 0 OR delivered > 0)`

// kindDay is a local date's records of one kind (kindQueries).
type kindDay struct {
	day  rules.Day
	has  bool
	rate int
}

// kindInputs returns the shop's record kinds as they stood on each of days,
// in rules.Kinds order, with their last imports. It reads each kind once
// for all the days: its newest date on or before the earliest day, and its
// dates from RateDays before that one to the latest day. Every newest
// record on or before a day, and the rate span before it, lie there. A
// digest judges 56 dates: a read per date and kind took 28 ms of its 31.
func (db *Records) kindInputs(ctx context.Context, ref shopRef, days []rules.Day, imports map[string]time.Time) ([][]rules.Input, error) {
	out := make([][]rules.Input, len(days))
	if len(days) == 0 {
		return out, nil
	}
	lo, hi := slices.Min(days), slices.Max(days)
	first := sql.NullInt64{}
	for _, kind := range rules.Kinds {
		q := kindQueries[kind]
		var before sql.NullInt64
		if err := db.scanRow(ctx, q[0], []any{ref.key, int64(lo)}, &before); err != nil {
			return nil, fmt.Errorf("newest %s: %w", kind, err)
		}
		from := lo
		if before.Valid {
			from = rules.Day(before.Int64) - rules.RateDays + 1
		}
		kd, err := db.kindDays(ctx, q[1], ref.key, from, hi)
		if err != nil {
			return nil, fmt.Errorf("%s by date: %w", kind, err)
		}
		if kind == rules.KindOrders && slices.ContainsFunc(kd, func(d kindDay) bool { return d.has }) {
			if err := db.scanRow(ctx, qFirstOrderDay, []any{ref.key}, &first); err != nil {
				return nil, fmt.Errorf("oldest %s: %w", kind, err)
			}
		}
		for i, day := range days {
			out[i] = append(out[i], kindInput(kind, kd, day, imports[kind], rules.Day(first.Int64)))
		}
	}
	return out, nil
}

// kindInput is a kind's input on day, from its dates kd (in date order):
// the newest date with records on or before day, and the records that
// count towards the rate in the RateDays dates to it.
func kindInput(kind string, kd []kindDay, day rules.Day, imported time.Time, first rules.Day) rules.Input {
	in := rules.Input{Kind: kind, Imported: imported}
	last, _ := slices.BinarySearchFunc(kd, day+1, func(d kindDay, t rules.Day) int { return cmp.Compare(d.day, t) })
	for last--; last >= 0 && !kd[last].has; last-- {
	}
	if last < 0 {
		return in
	}
	in.Has, in.Last = true, kd[last].day
	for i := last; i >= 0 && kd[i].day > in.Last-rules.RateDays; i-- {
		in.Recent += kd[i].rate
	}
	if kind == rules.KindOrders {
		in.First = first
	}
	return in
}

// kindDays reads a kind's dates from to through (kindQueries).
func (db *Records) kindDays(ctx context.Context, query string, shop int64, from, through rules.Day) ([]kindDay, error) {
	var out []kindDay
	err := db.eachRow(ctx, query, []any{shop, int64(from), int64(through)}, func(rows *sql.Rows) error {
		var d kindDay
		if err := rows.Scan(&d.day, &d.has, &d.rate); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

// lastImports returns when each record kind of the shop was last imported.
func (db *Records) lastImports(ctx context.Context, ref shopRef) (map[string]time.Time, error) {
	rows, err := db.query(ctx, `SELECT kind, imported_at FROM record_imports WHERE shop = ?`, ref.key)
	if err != nil {
		return nil, fmt.Errorf("last imports: %w", err)
	}
	defer rows.Close()
	out := make(map[string]time.Time, len(rules.Kinds))
	for rows.Next() {
		var kind string
		var at int64
		if err := rows.Scan(&kind, &at); err != nil {
			return nil, fmt.Errorf("last imports: %w", err)
		}
		out[kind] = time.UnixMilli(at)
	}
	return out, rows.Err()
}

// judge applies the freshness of the shop's record kinds on each report's
// date to the reports.
func (db *Records) judge(ctx context.Context, ref shopRef, reports ...*rules.Report) error {
	imports, err := db.lastImports(ctx, ref)
	if err != nil {
		return err
	}
	days := make([]rules.Day, len(reports))
	for i, r := range reports {
		days[i] = r.Date
	}
	inputs, err := db.kindInputs(ctx, ref, days, imports)
	if err != nil {
		return err
	}
	for i, r := range reports {
		db.cfg.Alerts.ApplyInputs(r, inputs[i])
	}
	return nil
}

// recordImports records, in an import's transaction, that it brought
// records of kind for the shops with keys shops, at at (zero: now), in one
// statement for all the shops (pg: on PostgreSQL). A statement per shop,
// prepared anew by the driver each time, cost an import touching 100
// shops about 13 ms, one touching 1,000 ten times that. The newest
// record's date (record_imports.newest_day, migration 8) is not written:
// reports read it live (kindInputs); the column stays for the binaries of
// earlier versions, which still write it.
func recordImports(ctx context.Context, tx *sql.Tx, pg bool, kind Kind, shops []int64, at time.Time) error {
	if len(shops) == 0 {
		return nil
	}
	if at.IsZero() {
		at = time.Now()
	}
	if _, ok := kindQueries[string(kind)]; !ok {
		return fmt.Errorf("record import: unknown kind %q", kind)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO record_imports (shop, kind, imported_at)
SELECT ids.shop, CAST(? AS TEXT), CAST(? AS BIGINT) FROM `+shopKeys(pg)+` ids WHERE true
ON CONFLICT (shop, kind) DO UPDATE SET imported_at = excluded.imported_at`,
		string(kind), at.UnixMilli(), keysJSON(shops))
	if err != nil {
		return fmt.Errorf("record import: %w", err)
	}
	return nil
}
