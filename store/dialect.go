package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The few statements whose SQL differs between SQLite and PostgreSQL.

// upsertRows upserts rows into t in one statement, the rows bound as one
// JSON parameter: an array of arrays unpacked by json_each on SQLite, an
// array of objects typed by the table's own row type on PostgreSQL.
func (db *DB) upsertRows(ctx context.Context, tx *sql.Tx, t target, r *rows) error {
	if r.len() == 0 {
		return nil
	}
	if !db.pg {
		_, err := tx.ExecContext(ctx, t.upsertSQL(), string(r.json(nil)))
		return err
	}
	q := t.upsertFrom(fmt.Sprintf("SELECT %s FROM json_populate_recordset(NULL::%s, ?::json)", strings.Join(t.cols, ", "), t.name))
	_, err := tx.ExecContext(ctx, q, string(r.jsonObjects(t.cols, nil)))
	return err
}

// jsonObjects returns the rows as a JSON array of objects keyed by cols.
func (r *rows) jsonObjects(cols []string, buf []byte) []byte {
	buf = append(buf[:0], '[')
	for i := range r.len() {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '{')
		for j, v := range r.row(i) {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, cols[j])
			buf = append(buf, ':')
			buf = appendJSON(buf, v)
		}
		buf = append(buf, '}')
	}
	return append(buf, ']')
}
