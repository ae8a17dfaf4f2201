package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// Freshness per record kind (rules.Input): the newest record of each kind
// on or before a date and its usual rate, from the records themselves so
// that any past date is judged as it was; and the last import of each kind
// (migration 8), which every import path records in its transaction.

// kindQueries are, per record kind, the newest record's local date on or
// before a date, and the records in a span of dates. Each is one seek on
// an index that starts with the shop and the date.
var kindQueries = map[string][2]string{
	rules.KindOrders: {`SELECT MAX(day) FROM shop_days WHERE shop = ? AND day <= ? AND (created > 0 OR delivered > 0)`,
		`SELECT COALESCE(SUM(created), 0) FROM shop_days WHERE shop = ? AND day BETWEEN ? AND ?`},
	rules.KindReviews: {`SELECT MAX(created_day) FROM reviews WHERE shop = ? AND created_day <= ?`,
		`SELECT COUNT(*) FROM reviews WHERE shop = ? AND created_day BETWEEN ? AND ?`},
	rules.KindReturns: {`SELECT MAX(created_day) FROM returns WHERE shop = ? AND created_day <= ?`,
		`SELECT COUNT(*) FROM returns WHERE shop = ? AND created_day BETWEEN ? AND ?`},
	rules.KindChats: {`SELECT MAX(start_day) FROM chat_turns WHERE shop = ? AND start_day <= ?`,
		`SELECT COUNT(*) FROM chat_turns WHERE shop = ? AND start_day BETWEEN ? AND ?`},
}

const qFirstOrderDay = `SELECT MIN(day) FROM shop_days WHERE shop = ? AND (created > 0 OR delivered > 0)`

// kindInputs returns the shop's record kinds as they stood on day, in
// rules.Kinds order, with their last imports.
func (db *Records) kindInputs(ctx context.Context, ref shopRef, day rules.Day, imports map[string]time.Time) ([]rules.Input, error) {
	out := make([]rules.Input, 0, len(rules.Kinds))
	for _, kind := range rules.Kinds {
		q := kindQueries[kind]
		in := rules.Input{Kind: kind, Imported: imports[kind]}
		stmt, err := db.prepared(ctx, q[0])
		if err != nil {
			return nil, err
		}
		var last sql.NullInt64
		if err := stmt.QueryRowContext(ctx, ref.key, int64(day)).Scan(&last); err != nil {
			return nil, fmt.Errorf("newest %s: %w", kind, err)
		}
		if last.Valid {
			in.Has, in.Last = true, rules.Day(last.Int64)
			if stmt, err = db.prepared(ctx, q[1]); err != nil {
				return nil, err
			}
			if err := stmt.QueryRowContext(ctx, ref.key, int64(in.Last)-rules.RateDays+1, int64(in.Last)).Scan(&in.Recent); err != nil {
				return nil, fmt.Errorf("rate of %s: %w", kind, err)
			}
			if kind == rules.KindOrders {
				if stmt, err = db.prepared(ctx, qFirstOrderDay); err != nil {
					return nil, err
				}
				if err := stmt.QueryRowContext(ctx, ref.key).Scan(&in.First); err != nil {
					return nil, fmt.Errorf("oldest %s: %w", kind, err)
				}
			}
		}
		out = append(out, in)
	}
	return out, nil
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
	for _, r := range reports {
		inputs, err := db.kindInputs(ctx, ref, r.Date, imports)
		if err != nil {
			return err
		}
		db.cfg.Alerts.ApplyInputs(r, inputs)
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
