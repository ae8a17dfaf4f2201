package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SaveHomeUser records that a Slack user opened the App Home tab at at, so
// that their Home is published again after each evaluation.
func (db *Alerts) SaveHomeUser(ctx context.Context, userID string, at time.Time) error {
	if userID == "" {
		return errors.New("store: save home user: empty user id")
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO home_users (user_id, opened_at) VALUES (?, ?)
ON CONFLICT (user_id) DO UPDATE SET opened_at = excluded.opened_at`, userID, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: save home user %s: %w", userID, err)
	}
	return nil
}

// HomeUsers returns the Slack users who opened the App Home tab, most
// recent opening first.
func (db *Alerts) HomeUsers(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT user_id FROM home_users ORDER BY opened_at DESC, user_id`)
	if err != nil {
		return nil, fmt.Errorf("store: home users: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: home users: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: home users: %w", err)
	}
	return out, nil
}
