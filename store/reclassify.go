package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shopwatch/shopwatch/rules"
)

// reclassify re-derives stored review causes and return faults when the
// classification rules (built-in or from the config) have changed since
// they were computed. Unless locked, it returns errSetupLock instead
// (underSetupLock).
func (db *DB) reclassify(ctx context.Context, locked bool) error {
	steps := []struct {
		key, fingerprint string
		run              func(context.Context, *sql.Tx) (int, error)
	}{
		{"cause_rules", db.causes.Fingerprint(), db.reclassifyReviews},
		{"reason_rules", db.faults.Fingerprint(), db.reclassifyReturns},
	}
	for _, s := range steps {
		var stored string
		err := db.sql.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, s.key).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: read %s: %w", s.key, err)
		}
		if stored == s.fingerprint {
			continue
		}
		if !locked {
			return errSetupLock
		}
		err = db.inTx(ctx, func(tx *sql.Tx) error {
			n, err := s.run(ctx, tx)
			if err != nil {
				return err
			}
			if n > 0 {
				db.log.Info("classification rules changed: reclassified records", "rules", s.key, "changed", n)
				if _, err := tx.ExecContext(ctx, `UPDATE shops SET changes = changes + 1`); err != nil {
					return err
				}
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, s.key, s.fingerprint)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: reclassify (%s): %w", s.key, err)
		}
	}
	return nil
}

func (db *DB) reclassifyReviews(ctx context.Context, tx *sql.Tx) (int, error) {
	type change struct {
		id     string
		causes int64
	}
	var changes []change
	rows, err := tx.QueryContext(ctx, `SELECT review_id, text, tags, causes FROM reviews`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id, text, tagText string
		var old int64
		if err := rows.Scan(&id, &text, &tagText, &old); err != nil {
			rows.Close()
			return 0, err
		}
		tags, _ := rules.ParseTags(tagText) // validated on import
		if c := int64(db.causes.Classify(tags, text)); c != old {
			changes = append(changes, change{id, c})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `UPDATE reviews SET causes = ? WHERE review_id = ?`, c.causes, c.id); err != nil {
			return 0, err
		}
	}
	return len(changes), nil
}

func (db *DB) reclassifyReturns(ctx context.Context, tx *sql.Tx) (int, error) {
	type change struct {
		id string
		r  rules.Reason
	}
	var changes []change
	rows, err := tx.QueryContext(ctx, `SELECT return_id, reason, fault, category, classified FROM returns`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id, reason, category string
		var fault int64
		var classified bool
		if err := rows.Scan(&id, &reason, &fault, &category, &classified); err != nil {
			rows.Close()
			return 0, err
		}
		r := db.faults.Classify(reason)
		if int64(r.Fault) != fault || r.Category != category || r.Classified != classified {
			changes = append(changes, change{id, r})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `UPDATE returns SET fault = ?, category = ?, classified = ? WHERE return_id = ?`, int64(c.r.Fault), c.r.Category, c.r.Classified, c.id); err != nil {
			return 0, err
		}
	}
	return len(changes), nil
}
