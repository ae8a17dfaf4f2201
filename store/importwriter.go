package store

import (
	"context"
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
	// finish records the import for the shops it read (freshness, change
	// counts), after the last commit.
	finish(ctx context.Context, shops []int64, at time.Time) error
	// close rolls back what was not committed and releases the connection.
	close()
}

// openWriter returns the writer of the database's dialect.
func (db *DB) openWriter(ctx context.Context, spec *kindSpec) (importWriter, error) {
	if db.pg {
		return db.newPGWriter(ctx, spec)
	}
	return db.newWriter(ctx, spec)
}
