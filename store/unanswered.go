package store

import (
	"context"
	"fmt"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

const qUnanswered = `SELECT conversation_id, start_at FROM chat_turns
WHERE shop = ? AND start_day BETWEEN ? AND ? AND start_at >= ? AND start_at < ? AND reply_at IS NULL ORDER BY start_at`

// Unanswered returns the shop's buyer turns without a reply (as far as the
// imported chats tell) whose response deadline falls in [from, to), outside
// holiday periods, oldest first.
func (db *Records) Unanswered(ctx context.Context, shopID string, from, to time.Time) ([]WaitingChat, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	s := ref.shop
	target := time.Duration(s.Profile.TargetMillis()) * time.Millisecond
	start, end := from.Add(-target), to.Add(-target)
	rows, err := db.query(ctx, qUnanswered, ref.key, int64(rules.DayOf(start, s.Location)-1), int64(rules.DayOf(end, s.Location)+1),
		start.UnixMilli(), end.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: unanswered chats %s: %w", shopID, err)
	}
	defer rows.Close()
	var out []WaitingChat
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("store: unanswered chats %s: %w", shopID, err)
		}
		if s.OnHoliday(rules.DayOfUnixMilli(at, s.Location)) {
			continue
		}
		since := time.UnixMilli(at).In(s.Location)
		out = append(out, WaitingChat{ConversationID: id, Since: since, Deadline: since.Add(target)})
	}
	return out, rows.Err()
}
