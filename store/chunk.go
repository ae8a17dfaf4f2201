package store

import (
	"context"
	"time"
)

// An import shares the database with a running service: slash commands
// read it, and mutes, alert states and the outbox write it. SQLite lets one
// connection write at a time, and a waiting writer polls for the lock (up
// to busy_timeout) at growing intervals, up to 100 ms apart. One
// transaction for a whole import would hold the lock for the length of the
// import, so imports commit in chunks instead:
//
//   - Validation first (validate.go): unless --skip-invalid is given, every
//     file is read and checked before anything is written, so an invalid
//     row still makes the import write nothing (SPEC section 2).
//   - Then short transactions: a transaction takes batches of batchRows
//     input rows (small, so that one batch stays within the budget even on
//     a slow machine) until it has held the lock for holdBudget, or the next
//     batch is not parsed yet, and commits. Each commit leaves the database
//     consistent: the orders rollup (shop_days) moves by the committed
//     orders' changes, and the committed chats' conversations have their
//     turns rebuilt.
//   - After a commit the writer leaves the lock free about as long as it
//     held it (at least minPause, at most maxPause), so that other
//     writers' polls find it free. Parsing goes on meanwhile.
//   - The shops' change counters (which invalidate the answer cache) move
//     once, in a last short transaction.
//
// An import that fails after validation (an I/O error, a full disk, an
// interrupt) keeps the batches it committed; imports are idempotent, so
// running it again completes it.

// How long an import's transaction may hold the write lock before it
// commits (it finishes the batch it is writing), and the bounds of the
// pause after it.
const (
	holdBudget = 25 * time.Millisecond
	minPause   = 2 * time.Millisecond
	maxPause   = 50 * time.Millisecond
)

// pause spaces an import's transactions.
type pause struct {
	since time.Time     // when the lock was taken, or last released
	gap   time.Duration // how long to leave it free after the last release
}

func (p *pause) held() { p.since = time.Now() }

// due reports whether the lock has been held for the hold budget.
func (p *pause) due() bool { return time.Since(p.since) >= holdBudget }

func (p *pause) released() {
	p.gap = min(max(time.Since(p.since), minPause), maxPause)
	p.since = time.Now()
}

// wait sleeps until the lock has been free for the gap.
func (p *pause) wait(ctx context.Context) error {
	if p.since.IsZero() {
		return nil
	}
	d := p.gap - time.Since(p.since)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
