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
	err := db.orm(ctx).Clauses(upsert([]string{"user_id"}, "opened_at")).Create(&homeUserRow{UserID: userID, OpenedAt: at.UnixMilli()}).Error
	if err != nil {
		return fmt.Errorf("store: save home user %s: %w", userID, err)
	}
	return nil
}

// HomeUsers returns the Slack users who opened the App Home tab, most
// recent opening first.
func (db *Alerts) HomeUsers(ctx context.Context) ([]string, error) {
	var out []string
	if err := db.orm(ctx).Model(&homeUserRow{}).Order("opened_at DESC, user_id").Pluck("user_id", &out).Error; err != nil {
		return nil, fmt.Errorf("store: home users: %w", err)
	}
	return out, nil
}
