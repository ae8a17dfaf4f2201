package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The durable outbox (migration 3). A notification is written here, under
// its key, before anything is sent; a delivery worker claims it for one
// attempt at a time (a lease, so that two processes never send it at once),
// and records the outcome. A message whose attempt may have reached Slack
// without the outcome being recorded (the process died, or the connection
// broke after the request went out) is marked uncertain, and the next
// attempt first looks in Slack for a message with its key.

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

const outboxColumns = `id, msg_key, shop, channel, kind, thread_key, payload, status, uncertain, attempts,
	next_at, lease_until, created_at, sent_at, ts, thread_ts, last_error`

func (db *DB) scanOutbox(row interface{ Scan(...any) error }) (OutboxMessage, error) {
	var m OutboxMessage
	var shop, next, lease, created int64
	var sent sql.NullInt64
	var uncertain int
	var payload string
	err := row.Scan(&m.ID, &m.Key, &shop, &m.Channel, &m.Kind, &m.ThreadKey, &payload, &m.Status, &uncertain, &m.Attempts,
		&next, &lease, &created, &sent, &m.TS, &m.ThreadTS, &m.LastError)
	if err != nil {
		return m, err
	}
	m.ShopID, m.Payload, m.Uncertain = db.shopIDOf(shop), []byte(payload), uncertain != 0
	m.NextAt, m.LeaseUntil, m.CreatedAt = time.UnixMilli(next), time.UnixMilli(lease), time.UnixMilli(created)
	if sent.Valid {
		m.SentAt = time.UnixMilli(sent.Int64)
	}
	return m, nil
}

// Enqueue adds messages to the outbox, due at once. Messages whose key is
// already there are left alone. It returns how many were added.
func (db *DB) Enqueue(ctx context.Context, now time.Time, msgs ...OutboxMessage) (int, error) {
	var added int
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		n, err := enqueue(ctx, tx, db, msgs, now)
		added = n
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: enqueue: %w", err)
	}
	return added, nil
}

const qEnqueue = `INSERT INTO outbox (msg_key, shop, channel, kind, thread_key, payload, status, uncertain,
	attempts, next_at, lease_until, created_at, sent_at, ts, thread_ts, last_error)
VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?, 0, ?, NULL, '', '', '')
ON CONFLICT (msg_key) DO NOTHING`

func enqueue(ctx context.Context, tx *sql.Tx, db *DB, msgs []OutboxMessage, now time.Time) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	stmt, err := db.txStmt(ctx, tx, qEnqueue)
	if err != nil {
		return 0, err
	}
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
		res, err := stmt.ExecContext(ctx, m.Key, shop, m.Channel, m.Kind, m.ThreadKey, string(m.Payload), string(OutboxPending),
			next.UnixMilli(), now.UnixMilli())
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		added += int(n)
	}
	return added, nil
}

// UndeliveredOutbox returns up to limit messages not yet sent nor failed,
// oldest first.
func (db *DB) UndeliveredOutbox(ctx context.Context, limit int) ([]OutboxMessage, error) {
	return db.outboxWhere(ctx, `status IN ('pending', 'sending') ORDER BY id LIMIT ?`, limit)
}

// FailedOutbox returns up to limit messages that delivery gave up on, the
// latest first.
func (db *DB) FailedOutbox(ctx context.Context, limit int) ([]OutboxMessage, error) {
	return db.outboxWhere(ctx, `status = 'failed' ORDER BY id DESC LIMIT ?`, limit)
}

// OutboxByKey returns the message with key, or ErrNotFound.
func (db *DB) OutboxByKey(ctx context.Context, key string) (OutboxMessage, error) {
	msgs, err := db.outboxWhere(ctx, `msg_key = ?`, key)
	if err != nil {
		return OutboxMessage{}, err
	}
	if len(msgs) == 0 {
		return OutboxMessage{}, fmt.Errorf("outbox message %q: %w", key, ErrNotFound)
	}
	return msgs[0], nil
}

// OutboxHas returns which of keys are in the outbox (whatever their status).
func (db *DB) OutboxHas(ctx context.Context, keys []string) (map[string]bool, error) {
	has := map[string]bool{}
	if len(keys) == 0 {
		return has, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT msg_key FROM outbox WHERE msg_key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("store: outbox: %w", err)
		}
		has[k] = true
	}
	return has, rows.Err()
}

// LatestOutboxOfKind returns each shop's latest message of kind.
func (db *DB) LatestOutboxOfKind(ctx context.Context, kind string) ([]OutboxMessage, error) {
	return db.outboxWhere(ctx, `id IN (SELECT MAX(id) FROM outbox WHERE kind = ? GROUP BY shop)`, kind)
}

func (db *DB) outboxWhere(ctx context.Context, where string, args ...any) ([]OutboxMessage, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		m, err := db.scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("store: outbox: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ClaimOutbox takes message id for one delivery attempt, until leaseUntil.
// It returns false when the message is not due, is being sent by another
// worker, or is done. A message found claimed with an expired lease was in
// flight when its worker stopped: it comes back uncertain. On PostgreSQL
// the row is locked for the claim, and a row another replica is claiming
// is skipped (SELECT ... FOR UPDATE SKIP LOCKED), so that one replica
// takes it.
func (db *DB) ClaimOutbox(ctx context.Context, id int64, now, leaseUntil time.Time) (OutboxMessage, bool, error) {
	var m OutboxMessage
	claimed := false
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = db.scanOutbox(tx.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`+db.skipLocked(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case m.Status == OutboxPending && !m.NextAt.After(now):
		case m.Status == OutboxSending && !m.LeaseUntil.After(now):
			m.Uncertain = true // its worker died mid-attempt
		default:
			return nil
		}
		m.Status, m.Attempts, m.LeaseUntil = OutboxSending, m.Attempts+1, leaseUntil
		_, err = tx.ExecContext(ctx, `UPDATE outbox SET status = ?, attempts = ?, lease_until = ?, uncertain = ? WHERE id = ?`,
			string(m.Status), m.Attempts, leaseUntil.UnixMilli(), boolInt(m.Uncertain), id)
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
func (db *DB) FinishAttempt(ctx context.Context, m OutboxMessage, a Attempt) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		switch a.Status {
		case OutboxSent:
			res, err = tx.ExecContext(ctx, `UPDATE outbox SET status = ?, sent_at = ?, ts = ?, thread_ts = ?, uncertain = 0, last_error = ''
WHERE id = ? AND status = 'sending' AND attempts = ?`, string(a.Status), a.At.UnixMilli(), a.TS, a.ThreadTS, m.ID, m.Attempts)
		case OutboxPending:
			res, err = tx.ExecContext(ctx, `UPDATE outbox SET status = ?, next_at = ?, uncertain = ?, last_error = ?
WHERE id = ? AND status = 'sending' AND attempts = ?`, string(a.Status), a.NextAt.UnixMilli(), boolInt(a.Uncertain || m.Uncertain), a.Err, m.ID, m.Attempts)
		case OutboxFailed:
			res, err = tx.ExecContext(ctx, `UPDATE outbox SET status = ?, last_error = ?
WHERE id = ? AND status = 'sending' AND attempts = ?`, string(a.Status), a.Err, m.ID, m.Attempts)
		default:
			return fmt.Errorf("attempt status %q", a.Status)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrLeaseLost
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO delivery_attempts (outbox_id, attempt, at, millis, outcome, error) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (outbox_id, attempt) DO UPDATE SET at = excluded.at, millis = excluded.millis, outcome = excluded.outcome, error = excluded.error`,
			m.ID, m.Attempts, a.At.UnixMilli(), a.Duration.Milliseconds(), a.Outcome, a.Err)
		return err
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
func (db *DB) DeliveryAttempts(ctx context.Context, id int64) ([]DeliveryAttempt, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT attempt, at, millis, outcome, error FROM delivery_attempts WHERE outbox_id = ? ORDER BY attempt`, id)
	if err != nil {
		return nil, fmt.Errorf("store: delivery attempts %d: %w", id, err)
	}
	defer rows.Close()
	var out []DeliveryAttempt
	for rows.Next() {
		var a DeliveryAttempt
		var at, ms int64
		if err := rows.Scan(&a.Attempt, &at, &ms, &a.Outcome, &a.Err); err != nil {
			return nil, err
		}
		a.At, a.Duration = time.UnixMilli(at), time.Duration(ms)*time.Millisecond
		out = append(out, a)
	}
	return out, rows.Err()
}

// OutboxCounts counts the outbox's messages by status.
func (db *DB) OutboxCounts(ctx context.Context) (map[OutboxStatus]int, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT status, COUNT(*) FROM outbox GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("store: outbox counts: %w", err)
	}
	defer rows.Close()
	out := map[OutboxStatus]int{OutboxPending: 0, OutboxSending: 0, OutboxSent: 0, OutboxFailed: 0}
	for rows.Next() {
		var s OutboxStatus
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// RetryFailed puts the failed messages created after since back in the
// queue, due at now, and returns how many.
func (db *DB) RetryFailed(ctx context.Context, since, now time.Time) (int, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE outbox SET status = 'pending', next_at = ?, created_at = ? WHERE status = 'failed' AND created_at >= ?`,
		now.UnixMilli(), now.UnixMilli(), since.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: retry failed: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
