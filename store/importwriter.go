package store

import (
	"context"
	"fmt"
	"time"
)

// importWriter writes an import's parsed batches: SQLite's writer commits
// them in short transactions (bulk.go, chunk.go), PostgreSQL's copies them
// to staging tables and merges them at the end, in one transaction
// (pgimport.go).
type importWriter interface {
	// write takes one batch.
	write(ctx context.Context, b *batch) error
	// due reports whether to commit now; idle is set when the next batch
	// is not parsed yet.
	due(idle bool) bool
	// commit makes the batches written so far durable.
	commit(ctx context.Context) error
	// rollback drops what was written since the last commit.
	rollback()
	// settle finishes what the kind leaves for after its last batch (the
	// chat turns, chats.go), after the last commit.
	settle(ctx context.Context) error
	// finish records the import for the shops it read (freshness, change
	// counts), after the last commit.
	finish(ctx context.Context, shops []int64, at time.Time) error
	// close rolls back what was not committed and releases the connection.
	close()
}

// openWriter returns the writer of the database's dialect, for an import
// of at most rows rows (0: unknown).
func (db *DB) openWriter(ctx context.Context, spec *kindSpec, rows int64, opts ImportOptions) (importWriter, error) {
	if db.pg {
		return db.newPGWriter(ctx, spec, rows)
	}
	w, err := db.newWriter(ctx, spec)
	if err != nil {
		return nil, err
	}
	if !opts.Alone {
		return w, nil
	}
	w.pause.alone = func() bool { return !othersOpen(w.path) }
	return w, nil
}

// checkSources makes sure, before anything is written, that the import
// may write: on SQLite, whose import commits in batches, every file is
// read and checked first (validate). PostgreSQL's import is one
// transaction, rolled back when a row is rejected: the files are read
// once, while they are written.
func (db *DB) checkSources(ctx context.Context, spec *kindSpec, sources []Source, opts ImportOptions) (checked []Source, cleanup func(), err error) {
	if db.pg {
		return sources, func() {}, nil
	}
	return db.validate(ctx, spec, sources, opts)
}

// checkFeed is checkSources for records: on SQLite the feed is run once
// without writing (check), on PostgreSQL only while it is written.
func (db *DB) checkFeed(ctx context.Context, spec *kindSpec, f feed, opts ImportOptions) error {
	if db.pg {
		return nil
	}
	return db.check(ctx, spec, f, opts)
}

// invalidWhileWriting is the error of an import that found rejected rows
// while writing: on SQLite, the files were valid when checked and changed
// since; on PostgreSQL that is where rows are checked.
func (db *DB) invalidWhileWriting(e *InvalidInputError) error {
	if db.pg {
		return e
	}
	return fmt.Errorf("%w: %w", errChangedDuringImport, e)
}
