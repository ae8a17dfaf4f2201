package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Rows go to PostgreSQL in COPY's binary format, encoded here as they are
// queued. pgx's CopyFrom took them as []any (one allocation per row, one
// per string boxed), described the table with a round trip per COPY, and
// encoded each value through its type map: the 1M demo's orders first load
// spent 2.9-3.4 s of the client's CPU, 1.9-2.6 s now (three alternated
// runs). The store's columns are all BIGINT or TEXT (pgschema.go), which
// is all this encoder writes: Go strings as text, integers and bools (as 0
// or 1, as SQLite stores them) as int8, nil as NULL. A value of another
// type is an error before anything is sent; a column of another type
// makes the server refuse the COPY.

// copyHeader opens a binary COPY: its signature, no flags, no extension.
var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// noSeq marks a row queued without a sequence number (copyBuf.add).
const noSeq = -1

// copyBuf holds the rows of one COPY in PostgreSQL's binary format.
type copyBuf struct {
	b       []byte // copyHeader, then the rows
	rows    int
	scratch []byte // addValues' fields
	// sorted holds the rows added by addSorted, by their sort key, and
	// out the rows in that order for the COPY.
	sorted []sortedRow
	out    []byte
}

// sortedRow is a row of a copyBuf, b[start:end], and its sort key.
type sortedRow struct {
	key        [2]int64
	start, end int
}

// add appends a row of n fields encoded in fields (by appendValue and its
// kin), followed by seq as a last BIGINT field unless it is noSeq.
func (c *copyBuf) add(fields []byte, n int, seq int64) {
	if len(c.b) == 0 {
		c.b = append(c.b, copyHeader...)
	}
	if seq != noSeq {
		n++
	}
	c.b = binary.BigEndian.AppendUint16(c.b, uint16(n))
	c.b = append(c.b, fields...)
	if seq != noSeq {
		c.b = appendInt8(c.b, seq)
	}
	c.rows++
}

// addSorted appends a row without a seq, to be copied in the order of key
// (a buffer's rows are all added so, or none).
func (c *copyBuf) addSorted(fields []byte, n int, key [2]int64) {
	start := max(len(c.b), len(copyHeader))
	c.add(fields, n, noSeq)
	c.sorted = append(c.sorted, sortedRow{key, start, len(c.b)})
}

// bytes returns the COPY's data: the rows, those added by addSorted in
// the order of their keys, then the trailer.
func (c *copyBuf) bytes() []byte {
	data := c.b
	if len(c.sorted) > 0 {
		if len(c.sorted) != c.rows {
			panic("copyBuf: rows added both sorted and not") // a writer's bug
		}
		slices.SortFunc(c.sorted, func(a, b sortedRow) int {
			return cmp.Or(cmp.Compare(a.key[0], b.key[0]), cmp.Compare(a.key[1], b.key[1]))
		})
		c.out = append(c.out[:0], copyHeader...)
		for _, r := range c.sorted {
			c.out = append(c.out, c.b[r.start:r.end]...)
		}
		data = c.out
	}
	return binary.BigEndian.AppendUint16(data, math.MaxUint16) // -1: the end
}

// addValues appends a row of vals (appendValue).
func (c *copyBuf) addValues(vals []any) error {
	f := c.scratch[:0]
	for _, v := range vals {
		var err error
		if f, err = appendValue(f, v); err != nil {
			return err
		}
	}
	c.scratch = f
	c.add(f, len(vals), noSeq)
	return nil
}

func (c *copyBuf) reset() {
	c.b, c.rows, c.sorted = c.b[:0], 0, c.sorted[:0]
}

// appendValue appends v as one field of a row.
func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return appendNull(b), nil
	case string:
		return appendText(b, v), nil
	case int64:
		return appendInt8(b, v), nil
	case int:
		return appendInt8(b, int64(v)), nil
	case bool:
		if v {
			return appendInt8(b, 1), nil
		}
		return appendInt8(b, 0), nil
	}
	return b, fmt.Errorf("copy: unexpected value %T", v)
}

func appendNull(b []byte) []byte {
	return binary.BigEndian.AppendUint32(b, math.MaxUint32) // -1
}

func appendText(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func appendInt8(b []byte, v int64) []byte {
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(v))
}

// pgCopy copies the rows of buf into table's cols with COPY, on conn (in
// the transaction open on it, if any), and empties buf.
func pgCopy(ctx context.Context, conn *sql.Conn, table string, cols []string, buf *copyBuf) error {
	return conn.Raw(func(dc any) error {
		c, ok := pgxConn(dc)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", dc)
		}
		return copyRows(ctx, c, table, cols, buf)
	})
}

// copyRows is pgCopy on a pgx connection.
func copyRows(ctx context.Context, c *pgx.Conn, table string, cols []string, buf *copyBuf) error {
	if buf.rows == 0 {
		return nil
	}
	data := buf.bytes()
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	_, err := c.PgConn().CopyFrom(ctx, bytes.NewReader(data),
		fmt.Sprintf(`COPY %s (%s) FROM STDIN (FORMAT binary)`, pgx.Identifier{table}.Sanitize(), strings.Join(quoted, ", ")))
	buf.reset()
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}
