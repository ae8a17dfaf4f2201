package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
)

// An import's WAL is copied into the database by a checkpointer of its
// own: a second connection, on its own goroutine, that runs a PASSIVE
// checkpoint after each of the import's commits while the import goes on
// writing. SQLite lets a checkpoint copy the committed frames while a
// writer appends new ones, and the writer starts the WAL over once every
// frame is copied and no reader needs them. Done on the import's own
// connection, in its pause, the same copy held up the next batch: the
// forced checkpoint at the end of a 1M-line import copied 29-35k pages,
// 0.45-0.55 s, with one of the machine's two cores idle. A page that
// several commits rewrite is copied more than once this way, off the
// import's path.
//
// The checkpointer starts at the import's second commit (a small import,
// one commit, does without it) and stops before the import's last
// checkpoint, which copies what is left on the import's connection. A
// database the checkpointer cannot open on its own (in memory) keeps the
// import checkpointing itself, every checkpointEvery commits.
type checkpointer struct {
	db   *sql.DB
	kick chan struct{}
	done chan struct{}
	log  *slog.Logger
	runs *atomic.Int64 // conn.checkpoints
}

// startCheckpointer opens the checkpointer of the database file at path;
// it returns nil when it cannot (path is empty for a database in memory).
func startCheckpointer(ctx context.Context, path string, log *slog.Logger, runs *atomic.Int64) *checkpointer {
	if path == "" {
		return nil
	}
	db, err := sql.Open(sqliteDriver, sqliteDSN(path, false))
	if err != nil {
		return nil
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), done: make(chan struct{}), log: log, runs: runs}
	go c.run(context.WithoutCancel(ctx))
	return c
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	defer c.db.Close()
	for range c.kick {
		// PASSIVE waits for no one: when another connection checkpoints
		// or the import holds the lock, it copies what it can, or nothing.
		// The import's last checkpoint covers whatever is left, so an
		// error here costs time, not data.
		if _, err := c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
			c.log.Debug("import: background checkpoint", "err", err)
			continue
		}
		c.runs.Add(1)
	}
}

// nudge asks for a checkpoint, unless one is asked for already.
func (c *checkpointer) nudge() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// stop waits for the running checkpoint, if any, and closes the
// checkpointer's connection.
func (c *checkpointer) stop() {
	close(c.kick)
	<-c.done
}
