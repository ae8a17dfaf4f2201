package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// An import shares the database with a running service: slash commands
// read it, and mutes, alert states and the outbox write it. SQLite lets one
// connection write at a time, and a waiting writer polls for the lock (up
// to busy_timeout) at growing intervals, up to 100 ms apart. One
// transaction for a whole import would hold the lock for the length of the
// import, so imports commit in chunks instead:
//
//   - Validation first: unless --skip-invalid is given, every file is read
//     and checked before anything is written, so an invalid row still
//     makes the import write nothing (SPEC section 2). Every kind is read
//     once, into a staging database, and written from it in key order
//     (stage.go); without direct access to SQLite, twice (validate.go).
//   - Then short transactions: a transaction takes batches of batchRows
//     input rows (small, so that one batch stays within the budget even on
//     a slow machine) until it has held the lock for holdBudget, or the next
//     batch is not parsed yet, and commits. Each commit leaves the database
//     consistent: the orders rollup (shop_days) moves by the committed
//     orders' changes, and the committed chats' conversations are listed
//     in chat_turns_stale; after the last batch their turns are rebuilt,
//     once each, in short transactions of their own (chats.go).
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

// soloHold is the hold budget of an import alone with the database (see
// pause.alone): fewer, larger commits, with no pause between them.
const soloHold = 250 * time.Millisecond

// pause spaces an import's transactions.
type pause struct {
	since time.Time     // when the lock was taken, or last released
	gap   time.Duration // how long to leave it free after the last release
	// alone, when set, reports whether no other process has the database
	// open (the import command's imports: othersOpen). While none has,
	// nothing can be waiting for the lock: the import takes it back at
	// once and holds it for soloHold. It is asked before each transaction,
	// so a process that opens the database meanwhile waits at most one
	// soloHold before the pauses resume.
	alone func() bool
	solo  bool // alone when the lock was last taken
}

func (p *pause) held() { p.since = time.Now() }

// due reports whether the lock has been held for the hold budget.
func (p *pause) due() bool {
	budget := holdBudget
	if p.solo {
		budget = soloHold
	}
	return time.Since(p.since) >= budget
}

func (p *pause) released() {
	p.gap = min(max(time.Since(p.since), minPause), maxPause)
	p.since = time.Now()
}

// wait sleeps until the lock has been free for the gap, unless the import
// is alone with the database.
func (p *pause) wait(ctx context.Context) error {
	p.solo = p.alone != nil && p.alone()
	if p.since.IsZero() || p.solo {
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

// The import's connection works with its own settings, restored when the
// import gives the connection back to the pool:
//
//   - A larger page cache. Rows in mixed order (shops and dates
//     interleaved, as a marketplace-wide export gives them) land all over
//     the secondary indexes; with the service's cache the same pages are
//     read back from the file batch after batch.
//   - No automatic checkpoint on commit. SQLite would copy the WAL into
//     the database inside the commit that crosses wal_autocheckpoint pages,
//     while the import holds the write lock. The import's checkpointer
//     copies it on its own connection while the import writes
//     (checkpointer.go); without one, the import checkpoints itself in the
//     pause after a commit (PASSIVE: it waits for no reader or writer, and
//     none waits for it), once checkpointEvery commits have added to the
//     WAL, so that a page rewritten by many commits is copied once.
const (
	importCacheKiB  = 32 << 10 // PRAGMA cache_size in KiB, negated
	checkpointEvery = 16
)

// importPragmas are set on the import's connection, and the service's
// settings (db.go's sqliteDSN, SQLite's default checkpoint) restored after.
var (
	importPragmas  = []string{fmt.Sprintf("PRAGMA cache_size = -%d", importCacheKiB), "PRAGMA wal_autocheckpoint = 0"}
	servicePragmas = []string{fmt.Sprintf("PRAGMA cache_size = -%d", serviceCacheKiB), "PRAGMA wal_autocheckpoint = 1000"}
)

func setPragmas(ctx context.Context, conn *sql.Conn, pragmas []string) error {
	for _, p := range pragmas {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// checkpoint runs after a commit, in the pause. It nudges the import's
// checkpointer (checkpointer.go), which it starts at the second commit;
// without one, it copies the WAL into the database itself once
// checkpointEvery commits have gone by since the last time. force (the
// import's end) stops the checkpointer and copies what is left.
func (w *writer) checkpoint(ctx context.Context, force bool) error {
	w.commits++
	if !force && w.startCkpt != nil && w.commits >= 2 {
		w.ckpt, w.startCkpt = w.startCkpt(), nil
	}
	if w.ckpt != nil && !force {
		w.ckpt.nudge()
		return nil
	}
	w.stopCheckpointer()
	if !force && w.commits < checkpointEvery {
		return nil
	}
	w.commits = 0
	if _, err := w.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// stopCheckpointer stops the import's checkpointer, if it runs.
func (w *writer) stopCheckpointer() {
	if w.ckpt != nil {
		w.ckpt.stop()
		w.ckpt = nil
	}
}

// settle runs the kind's settle step on the import's connection, in short
// transactions spaced like the import's own (chunk.go).
func (w *writer) settle(ctx context.Context) error {
	if w.steps.settle == nil {
		return nil
	}
	return w.steps.settle(ctx, w.conn, &w.pause, func() error { return w.checkpoint(ctx, false) })
}

func settleLoop(ctx context.Context, conn *sql.Conn, p *pause, step func(context.Context, *sql.Tx) (bool, error), committed func() error) error {
	for more := true; more; {
		if err := p.wait(ctx); err != nil {
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		p.held()
		for more, err = true, nil; more && err == nil && !p.due(); {
			more, err = step(ctx, tx)
		}
		if err != nil {
			tx.Rollback()
			p.released()
			return err
		}
		err = tx.Commit()
		p.released()
		if err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		if committed != nil {
			if err := committed(); err != nil {
				return err
			}
		}
	}
	return nil
}
