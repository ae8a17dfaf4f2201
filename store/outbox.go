package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The durable outbox (migration 3). A notification is written here, under
// its key, before anything is sent; a delivery worker claims it for one
// attempt at a time (a lease, so that two processes never send it at once),
// and records the outcome. A message whose attempt may have reached Slack
// without the outcome being recorded (the process died, or the connection
// broke after the request went out) is marked uncertain, and the next
// attempt first looks in Slack for a message with its key.

// Outbox is the durable outbox: notifications, their claims and their
// delivery attempts.
type Outbox struct{ *conn }

// OutboxStatus is where a message stands.
type OutboxStatus string

// Outbox statuses.
const (
	OutboxPending OutboxStatus = "pending" // waiting for its next attempt (NextAt)
	OutboxSending OutboxStatus = "sending" // claimed by a worker until LeaseUntil
	OutboxSent    OutboxStatus = "sent"    // Slack accepted it
	OutboxFailed  OutboxStatus = "failed"  // given up: visible in /metrics and logs
)

// ErrLeaseLost is returned by FinishAttempt when the message is no longer
// claimed by the attempt (its lease ran out and another worker took it).
var ErrLeaseLost = errors.New("outbox lease lost")

// OutboxMessage is one notification to deliver.
type OutboxMessage struct {
	ID        int64
	Key       string // unique: a second message with the same key is a duplicate
	ShopID    string // AdminShopID when it is about no one shop
	Channel   string
	Kind      string // what the payload is, for the notifier: alert, digest, ...
	ThreadKey string // key of the message this one threads under (and may update); "" for none
	Payload   []byte // what the notifier renders (JSON)

	Status     OutboxStatus
	Uncertain  bool // an earlier attempt may have posted it
	Attempts   int
	NextAt     time.Time
	LeaseUntil time.Time
	CreatedAt  time.Time
	SentAt     time.Time // zero until sent
	TS         string    // Slack's timestamp of the posted message
	ThreadTS   string    // the thread it was posted in, if any
	LastError  string
}

// message is the OutboxMessage of r.
func (db *conn) message(r outboxRow) OutboxMessage {
	m := OutboxMessage{ID: r.ID, Key: r.MsgKey, ShopID: db.shopIDOf(r.Shop), Channel: r.Channel, Kind: r.Kind, ThreadKey: r.ThreadKey,
		Payload: []byte(r.Payload), Status: OutboxStatus(r.Status), Uncertain: r.Uncertain, Attempts: r.Attempts,
		NextAt: time.UnixMilli(r.NextAt), LeaseUntil: time.UnixMilli(r.LeaseUntil), CreatedAt: time.UnixMilli(r.CreatedAt),
		TS: r.TS, ThreadTS: r.ThreadTS, LastError: r.LastError}
	if r.SentAt != nil {
		m.SentAt = time.UnixMilli(*r.SentAt)
	}
	return m
}

// Enqueue adds messages to the outbox, due at once. Messages whose key is
// already there are left alone. It returns how many were added.
func (db *Outbox) Enqueue(ctx context.Context, now time.Time, msgs ...OutboxMessage) (int, error) {
	var added int
	err := db.orm(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := enqueue(tx, db.conn, msgs, now)
		added = n
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: enqueue: %w", err)
	}
	return added, nil
}

func enqueue(tx *gorm.DB, db *conn, msgs []OutboxMessage, now time.Time) (int, error) {
	added := 0
	for _, m := range msgs {
		if m.Key == "" || m.Channel == "" {
			return 0, fmt.Errorf("outbox message %q: key and channel are required", m.Key)
		}
		shop, err := db.shopKey(m.ShopID)
		if err != nil {
			return 0, err
		}
		next := m.NextAt
		if next.IsZero() {
			next = now
		}
		// One row at a time: a message whose key is there already is
		// skipped, and ON CONFLICT DO NOTHING counts only the new.
		res := tx.Clauses(ignoreDup).Omit("id").Create(&outboxRow{MsgKey: m.Key, Shop: shop, Channel: m.Channel, Kind: m.Kind,
			ThreadKey: m.ThreadKey, Payload: string(m.Payload), Status: string(OutboxPending), NextAt: next.UnixMilli(), CreatedAt: now.UnixMilli()})
		if res.Error != nil {
			return 0, res.Error
		}
		added += int(res.RowsAffected)
	}
	return added, nil
}

// UndeliveredOutbox returns up to limit messages not yet sent nor failed,
// oldest first.
func (db *Outbox) UndeliveredOutbox(ctx context.Context, limit int) ([]OutboxMessage, error) {
	return db.outboxFind(db.orm(ctx).Where("status IN ?", []string{string(OutboxPending), string(OutboxSending)}).Order("id").Limit(limit))
}

// FailedOutbox returns up to limit messages that delivery gave up on, the
// latest first.
func (db *Outbox) FailedOutbox(ctx context.Context, limit int) ([]OutboxMessage, error) {
	return db.outboxFind(db.orm(ctx).Where("status = ?", string(OutboxFailed)).Order("id DESC").Limit(limit))
}

// OutboxByKey returns the message with key, or ErrNotFound.
func (db *Outbox) OutboxByKey(ctx context.Context, key string) (OutboxMessage, error) {
	msgs, err := db.outboxFind(db.orm(ctx).Where("msg_key = ?", key))
	if err != nil {
		return OutboxMessage{}, err
	}
	if len(msgs) == 0 {
		return OutboxMessage{}, fmt.Errorf("outbox message %q: %w", key, ErrNotFound)
	}
	return msgs[0], nil
}

// OutboxHas returns which of keys are in the outbox (whatever their status).
func (db *Outbox) OutboxHas(ctx context.Context, keys []string) (map[string]bool, error) {
	has := map[string]bool{}
	if len(keys) == 0 {
		return has, nil
	}
	var found []string
	if err := db.orm(ctx).Model(&outboxRow{}).Where("msg_key IN ?", keys).Pluck("msg_key", &found).Error; err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	for _, k := range found {
		has[k] = true
	}
	return has, nil
}

// LatestOutboxOfKind returns each shop's latest message of kind.
func (db *Outbox) LatestOutboxOfKind(ctx context.Context, kind string) ([]OutboxMessage, error) {
	g := db.orm(ctx)
	latest := g.Model(&outboxRow{}).Select("MAX(id)").Where("kind = ?", kind).Group("shop")
	return db.outboxFind(g.Where("id IN (?)", latest))
}

// outboxFind returns the messages q selects.
func (db *conn) outboxFind(q *gorm.DB) ([]OutboxMessage, error) {
	var rows []outboxRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	var out []OutboxMessage
	for _, r := range rows {
		out = append(out, db.message(r))
	}
	return out, nil
}

// ClaimOutbox takes message id for one delivery attempt, until leaseUntil.
// It returns false when the message is not due, is being sent by another
// worker, or is done. A message found claimed with an expired lease was in
// flight when its worker stopped: it comes back uncertain. On PostgreSQL
// the row is locked for the claim, and a row another replica is claiming
// is skipped (SELECT ... FOR UPDATE SKIP LOCKED), so that one replica
// takes it.
func (db *Outbox) ClaimOutbox(ctx context.Context, id int64, now, leaseUntil time.Time) (OutboxMessage, bool, error) {
	var m OutboxMessage
	claimed := false
	err := db.orm(ctx).Transaction(func(tx *gorm.DB) error {
		var r outboxRow
		// FOR UPDATE SKIP LOCKED where the database has it; SQLite's
		// transactions take the write lock at BEGIN (_txlock=immediate).
		err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate, Options: clause.LockingOptionsSkipLocked}).Where("id = ?", id).Take(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		m = db.message(r)
		switch {
		case m.Status == OutboxPending && !m.NextAt.After(now):
		case m.Status == OutboxSending && !m.LeaseUntil.After(now):
			m.Uncertain = true // its worker died mid-attempt
		default:
			return nil
		}
		m.Status, m.Attempts, m.LeaseUntil = OutboxSending, m.Attempts+1, leaseUntil
		err = tx.Model(&outboxRow{}).Where("id = ?", id).Updates(map[string]any{
			"status": string(m.Status), "attempts": m.Attempts, "lease_until": leaseUntil.UnixMilli(), "uncertain": m.Uncertain}).Error
		claimed = err == nil
		return err
	})
	if err != nil {
		return OutboxMessage{}, false, fmt.Errorf("store: claim outbox %d: %w", id, err)
	}
	return m, claimed, nil
}

// Attempt is the outcome of one delivery attempt.
type Attempt struct {
	Status    OutboxStatus  // OutboxSent, OutboxPending (retry at NextAt) or OutboxFailed
	Outcome   string        // for the attempts log: sent, found, rate_limited, server_error, network_error, rejected, ...
	At        time.Time     // when the attempt ended
	Duration  time.Duration // how long it took
	NextAt    time.Time     // OutboxPending: the next attempt
	Uncertain bool          // OutboxPending: the attempt may have posted the message
	TS        string        // OutboxSent: the message's Slack timestamp
	ThreadTS  string
	Err       string
}

// FinishAttempt records the outcome of the attempt that claimed m (m as
// ClaimOutbox returned it). It returns ErrLeaseLost when the claim no
// longer holds.
func (db *Outbox) FinishAttempt(ctx context.Context, m OutboxMessage, a Attempt) error {
	err := db.orm(ctx).Transaction(func(tx *gorm.DB) error {
		var set map[string]any
		switch a.Status {
		case OutboxSent:
			set = map[string]any{"sent_at": a.At.UnixMilli(), "ts": a.TS, "thread_ts": a.ThreadTS, "uncertain": false, "last_error": ""}
		case OutboxPending:
			set = map[string]any{"next_at": a.NextAt.UnixMilli(), "uncertain": a.Uncertain || m.Uncertain, "last_error": a.Err}
		case OutboxFailed:
			set = map[string]any{"last_error": a.Err}
		default:
			return fmt.Errorf("attempt status %q", a.Status)
		}
		set["status"] = string(a.Status)
		res := tx.Model(&outboxRow{}).Where("id = ? AND status = ? AND attempts = ?", m.ID, string(OutboxSending), m.Attempts).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrLeaseLost
		}
		return tx.Clauses(upsert([]string{"outbox_id", "attempt"}, "at", "millis", "outcome", "error")).Create(&attemptRow{
			OutboxID: m.ID, Attempt: m.Attempts, At: a.At.UnixMilli(), Millis: a.Duration.Milliseconds(), Outcome: a.Outcome, Error: a.Err}).Error
	})
	if err != nil && !errors.Is(err, ErrLeaseLost) {
		return fmt.Errorf("store: finish outbox %d: %w", m.ID, err)
	}
	return err
}

// DeliveryAttempt is one row of a message's attempts log.
type DeliveryAttempt struct {
	Attempt  int
	At       time.Time
	Duration time.Duration
	Outcome  string
	Err      string
}

// DeliveryAttempts returns the attempts log of outbox message id.
func (db *Outbox) DeliveryAttempts(ctx context.Context, id int64) ([]DeliveryAttempt, error) {
	var rows []attemptRow
	if err := db.orm(ctx).Where("outbox_id = ?", id).Order("attempt").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: delivery attempts %d: %w", id, err)
	}
	var out []DeliveryAttempt
	for _, r := range rows {
		out = append(out, DeliveryAttempt{Attempt: r.Attempt, At: time.UnixMilli(r.At), Duration: time.Duration(r.Millis) * time.Millisecond,
			Outcome: r.Outcome, Err: r.Error})
	}
	return out, nil
}

// OutboxCounts counts the outbox's messages by status.
func (db *Outbox) OutboxCounts(ctx context.Context) (map[OutboxStatus]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	if err := db.orm(ctx).Model(&outboxRow{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: outbox counts: %w", err)
	}
	out := map[OutboxStatus]int{OutboxPending: 0, OutboxSending: 0, OutboxSent: 0, OutboxFailed: 0}
	for _, r := range rows {
		out[OutboxStatus(r.Status)] = r.N
	}
	return out, nil
}

// RetryFailed puts the failed messages created after since back in the
// queue, due at now, and returns how many.
func (db *Outbox) RetryFailed(ctx context.Context, since, now time.Time) (int, error) {
	res := db.orm(ctx).Model(&outboxRow{}).Where("status = ? AND created_at >= ?", string(OutboxFailed), since.UnixMilli()).
		Updates(map[string]any{"status": string(OutboxPending), "next_at": now.UnixMilli(), "created_at": now.UnixMilli()})
	if res.Error != nil {
		return 0, fmt.Errorf("store: retry failed: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}
