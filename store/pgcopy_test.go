package store

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// Rows encoded by copyBuf read back from the server as they were queued:
// the values text COPY would have to escape, NULL apart from the empty
// string, the ends of BIGINT, bools as 0 and 1, a field of the longest
// size, rows with a seq and without, and several COPYs through one buffer.
func TestCopyBufRoundTripOnPostgres(t *testing.T) {
	db := MustOpenAt(t, storetest.Postgres(t), testConfig)
	ctx := context.Background()
	conn := mustConn(t, db)
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE copied (name text, n bigint, flag bigint, seq bigint)`); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", MaxFieldBytes)
	rows := []struct {
		vals []any
		want string // name|n|flag|seq as read back
	}{
		{[]any{"plain", int64(1), true}, "plain|1|1|1"},
		{[]any{"", int64(0), false}, "|0|0|2"},
		{[]any{nil, nil, nil}, "-|-|-|3"},
		{[]any{"tab\t, new line\n, \\N, back\\slash, \"quoted\"\r", int64(math.MinInt64), false}, "tab\t, new line\n, \\N, back\\slash, \"quoted\"\r|-9223372036854775808|0|4"},
		{[]any{"héllo wörld ✓ 😀", int64(math.MaxInt64), true}, "héllo wörld ✓ 😀|9223372036854775807|1|5"},
		{[]any{long, -7, true}, long + "|-7|1|6"},
	}
	cols := []string{"name", "n", "flag", "seq"}
	var buf copyBuf
	for i, r := range rows {
		var f []byte
		for _, v := range r.vals {
			var err error
			if f, err = appendValue(f, v); err != nil {
				t.Fatal(err)
			}
		}
		buf.add(f, len(r.vals), int64(i+1))
		if i == 2 { // the first three in a COPY of their own
			if err := pgCopy(ctx, conn, "copied", cols, &buf); err != nil {
				t.Fatal(err)
			}
			if buf.rows != 0 || len(buf.b) != 0 {
				t.Fatalf("after a COPY the buffer holds %d rows in %d bytes", buf.rows, len(buf.b))
			}
		}
	}
	if err := pgCopy(ctx, conn, "copied", cols, &buf); err != nil {
		t.Fatal(err)
	}
	// A row without a seq (a first load's), and an empty buffer, which
	// sends nothing.
	if err := buf.addValues([]any{"no seq", int64(8), false}); err != nil {
		t.Fatal(err)
	}
	if err := pgCopy(ctx, conn, "copied", cols[:3], &buf); err != nil {
		t.Fatal(err)
	}
	if err := pgCopy(ctx, conn, "copied", cols, &buf); err != nil {
		t.Fatalf("an empty buffer: %v", err)
	}

	// Each row as one text (column trims only its ends: a letter, a digit
	// or "-").
	lines, err := column(ctx, conn, `SELECT concat_ws('|', COALESCE(name, '-'), COALESCE(n::text, '-'), COALESCE(flag::text, '-'), COALESCE(seq::text, '-')) FROM copied ORDER BY seq NULLS LAST`)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range rows {
		want = append(want, r.want)
	}
	want = append(want, "no seq|8|0|-")
	if len(lines) != len(want) {
		t.Fatalf("read back %d rows, want %d", len(lines), len(want))
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("row %d read back as %.80q, want %.80q", i+1, lines[i], want[i])
		}
	}
}

// What the encoder cannot write is an error before anything is sent, and
// rows the table does not fit are refused by the server, rolling back the
// whole COPY.
func TestCopyBufRefusesOnPostgres(t *testing.T) {
	if _, err := appendValue(nil, 1.5); err == nil {
		t.Error("a float encoded without an error")
	}
	var buf copyBuf
	if err := buf.addValues([]any{"a", struct{}{}}); err == nil || buf.rows != 0 {
		t.Errorf("a struct: error %v, %d rows queued", err, buf.rows)
	}

	db := MustOpenAt(t, storetest.Postgres(t), testConfig)
	ctx := context.Background()
	conn := mustConn(t, db)
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE copied (name text, n bigint)`); err != nil {
		t.Fatal(err)
	}
	buf.addValues([]any{"fits", int64(1)})
	buf.addValues([]any{"one field too many", int64(2), int64(3)})
	if err := pgCopy(ctx, conn, "copied", []string{"name", "n"}, &buf); err == nil || !strings.Contains(err.Error(), "copy copied") {
		t.Errorf("a row of 3 fields into 2 columns: error %v", err)
	}
	buf.addValues([]any{int64(1), "text into bigint"})
	if err := pgCopy(ctx, conn, "copied", []string{"name", "n"}, &buf); err == nil {
		t.Error("text into a bigint column: no error")
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM copied`).Scan(&n); err != nil || n != 0 {
		t.Errorf("after refused COPYs the table holds %d rows (%v)", n, err)
	}
}
