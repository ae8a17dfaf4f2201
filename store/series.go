package store

import (
	"context"
	"fmt"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// MaxSeriesDays bounds the dates of one Series.
const MaxSeriesDays = 400

// Series returns the shop's reports for each local date from first to last,
// as Report would compute them one by one, from a single read of the
// records: the weekly digest charts eight weeks of daily values.
func (db *DB) Series(ctx context.Context, shopID string, first, last rules.Day) ([]rules.Report, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	if last < first || int(last-first) >= MaxSeriesDays {
		return nil, fmt.Errorf("store: series %s: %s to %s: want 1 to %d dates", shopID, first, last, MaxSeriesDays)
	}
	s := ref.shop
	n := s.Profile.WindowDays
	wide := rules.NewWindow(last, int(last-first)+n, s.Location)
	in, err := db.inputs(ctx, ref, wide)
	if err != nil {
		return nil, fmt.Errorf("store: series %s: %w", shopID, err)
	}
	out := make([]rules.Report, 0, int(last-first)+1)
	for d := first; d <= last; d++ {
		w := s.Window(d)
		lo, hi := wide.Index(w.First), wide.Index(w.Last)+1
		sub := rules.Inputs{Reviews: in.Reviews, Returns: in.Returns, Turns: in.Turns}
		if in.Delivered != nil {
			sub.Delivered = in.Delivered[lo:hi]
		}
		if in.Created != nil {
			sub.Created = in.Created[lo:hi]
		}
		out = append(out, rules.Evaluate(s, w, sub))
	}
	return out, nil
}

const qUnanswered = `SELECT conversation_id, start_at FROM chat_turns
WHERE shop = ? AND start_day BETWEEN ? AND ? AND start_at >= ? AND start_at < ? AND reply_at IS NULL ORDER BY start_at`

// Unanswered returns the shop's buyer turns without a reply (as far as the
// imported chats tell) whose response deadline falls in [from, to), outside
// holiday periods, oldest first.
func (db *DB) Unanswered(ctx context.Context, shopID string, from, to time.Time) ([]WaitingChat, error) {
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
