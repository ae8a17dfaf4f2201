package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// A first load into an empty table is faster without its indexes: PostgreSQL
// appends the rows, then builds each index from one sort, instead of
// inserting every row into every B-tree at a scattered place (1M mixed-order
// lines into orders: about 5 s instead of 12 s; a first import of every
// kind takes this way, pgWriter.firstLoad). The indexes are dropped and
// rebuilt inside the import's transaction, so a failed import leaves them
// as they were; the table is locked (ACCESS EXCLUSIVE) from the drop to the
// commit. Readers of the empty table would wait for the whole import (a
// serving replica's slash commands read it: 1.1-1.9 s behind a 294k-line
// load in TestImportDoesNotBlockService), so an import takes this way only
// while no other session is connected to the database (pgAlone).

// pgAlone reports whether no session other than those of this store
// handle (its application_name: openPostgres) is connected to the
// database. A session whose name or type the server hides from this role
// counts as another.
func pgAlone(ctx context.Context, tx *sql.Tx) (bool, error) {
	var others bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
AND COALESCE(backend_type, 'client backend') = 'client backend'
AND application_name IS DISTINCT FROM current_setting('application_name'))`).Scan(&others)
	return !others, err
}

// pgIndexes are the indexes of a table, dropped to be rebuilt.
type pgIndexes struct {
	table   string
	creates []string // the statements that rebuild them
}

// emptyTable reports whether table has no rows; when it has none, it locks
// the table for the rest of the transaction, so that it stays empty.
func emptyTable(ctx context.Context, tx *sql.Tx, table string) (bool, error) {
	name := pgx.Identifier{table}.Sanitize()
	var found bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+name+`)`).Scan(&found); err != nil || found {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE `+name+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		return false, err
	}
	// Rows committed between the look and the lock.
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+name+`)`).Scan(&found)
	return err == nil && !found, err
}

// dropIndexes drops the indexes of table, primary key and unique
// constraints included, and returns how to rebuild them.
func dropIndexes(ctx context.Context, tx *sql.Tx, table string) (*pgIndexes, error) {
	name := pgx.Identifier{table}.Sanitize()
	rows, err := tx.QueryContext(ctx, `SELECT c.relname, k.conname, COALESCE(pg_get_constraintdef(k.oid), ''), pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid
WHERE i.indrelid = ?::regclass ORDER BY c.relname`, name)
	if err != nil {
		return nil, fmt.Errorf("indexes of %s: %w", table, err)
	}
	defer rows.Close()
	ix := &pgIndexes{table: table}
	var drops []string
	for rows.Next() {
		var index, def, indexDef string
		var constraint sql.NullString
		if err := rows.Scan(&index, &constraint, &def, &indexDef); err != nil {
			return nil, fmt.Errorf("indexes of %s: %w", table, err)
		}
		if constraint.Valid {
			c := pgx.Identifier{constraint.String}.Sanitize()
			drops = append(drops, `ALTER TABLE `+name+` DROP CONSTRAINT `+c)
			ix.creates = append(ix.creates, `ALTER TABLE `+name+` ADD CONSTRAINT `+c+` `+def)
		} else {
			drops = append(drops, `DROP INDEX `+pgx.Identifier{index}.Sanitize())
			ix.creates = append(ix.creates, indexDef)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("indexes of %s: %w", table, err)
	}
	rows.Close()
	for _, s := range drops {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("drop the indexes of %s: %w", table, err)
		}
	}
	return ix, nil
}

// rebuild creates the dropped indexes again.
func (ix *pgIndexes) rebuild(ctx context.Context, tx *sql.Tx) error {
	for _, s := range ix.creates {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("rebuild the indexes of %s: %w", ix.table, err)
		}
	}
	return nil
}
