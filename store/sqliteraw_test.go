package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// rawOf must refuse any driver connection but glebarez/go-sqlite's, so
// that imports fall back to the portable path instead of reading memory of
// another shape.
func TestRawOfRefusesOtherConnections(t *testing.T) {
	type conn struct {
		db uintptr
		_  *int // where the driver's conn has its tls: the same shape, another type
	}
	tests := []struct {
		name string
		dc   any
	}{
		{"nil", nil},
		{"not a pointer", conn{}},
		{"another package's conn", &conn{db: 1}},
		{"pointer to a non-struct", new(int)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, ok := rawOf(tt.dc); ok || c != nil {
				t.Fatalf("rawOf(%T) = %v, %v; want nil, false", tt.dc, c, ok)
			}
		})
	}
}

// Without the direct path, an import goes through the JSON upserter.
func TestWriterFallsBackToJSON(t *testing.T) {
	for _, portable := range []bool{false, true} {
		db := MustOpenAt(t, storetest.SQLite(t), testConfig) // SQLite's writer
		db.portableImport = portable
		w, err := db.newWriter(context.Background(), kindSpecs[Orders])
		if err != nil {
			t.Fatal(err)
		}
		_, isJSON := w.rows.(*jsonUpserter)
		w.close()
		if isJSON != portable {
			t.Errorf("portable %v: writer uses %T", portable, w.rows)
		}
	}
}

// TestRawQueryInterrupted checks that a raw query (the staging read-back)
// stops when its context ends: before it starts, and in the middle of a
// long first step (a sort of 3M rows, which must not run to its end).
func TestRawQueryInterrupted(t *testing.T) {
	st, err := newStage(context.Background(), kindSpecs[Chats])
	if err != nil || st == nil {
		t.Fatalf("staging: %v %v", st, err)
	}
	defer st.close()
	const sort = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT i FROM n ORDER BY -i"
	for _, tc := range []struct {
		name  string
		after time.Duration // -1: cancelled before the query
	}{{"cancelled before", -1}, {"cancelled during the sort", 20 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.after < 0 {
				cancel()
			} else {
				time.AfterFunc(tc.after, cancel)
			}
			rows := 0
			err := st.conn.Raw(func(any) error {
				return st.raw.each(ctx, sort, nil, func(*rawStmt) error {
					rows++
					return nil
				})
			})
			if !errors.Is(err, context.Canceled) || rows > 0 {
				t.Fatalf("a cancelled query read %d rows and returned %v", rows, err)
			}
		})
	}
	// The interrupt of a query cancelled as it ends must not reach the
	// connection's next query.
	for i := range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rows := 0
		err := st.conn.Raw(func(any) error {
			st.raw.each(ctx, "SELECT 1", nil, func(*rawStmt) error { return nil })
			return st.raw.each(context.Background(), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) SELECT i FROM n", nil, func(*rawStmt) error {
				rows++
				return nil
			})
		})
		if err != nil || rows != 10000 {
			t.Fatalf("round %d: the query after a cancelled one read %d rows and returned %v", i, rows, err)
		}
	}
}

// TestRawInsertFirst: the direct path writes a chunk of new rows by insert
// alone, and a chunk with stored rows by upsert, which then writes the
// next insertRetry chunks; either way the table and the triggers' list of
// stale conversations end as one upsert per row leaves them.
func TestRawInsertFirst(t *testing.T) {
	db := MustOpenAt(t, storetest.SQLite(t), testConfig)
	ctx := context.Background()
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	targets := kindSpecs[Chats].targets
	u, err := newRawUpserter(conn, targets)
	if err != nil || u == nil {
		t.Fatalf("newRawUpserter: %v, %v", u, err)
	}
	defer u.close()
	want := map[string][]any{}
	write := func(from, to int, sentAt func(i int) int64) {
		t.Helper()
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := newBatch(targets)
		for i := from; i < to; i++ {
			id := fmt.Sprintf("m%03d", i)
			vals := []any{id, fmt.Sprintf("c%d", i%7), int64(1), "buyer", sentAt(i), "hi"}
			b.add(0, id, vals...)
			want[id] = vals
		}
		if err := u.upsert(ctx, tx, b); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string, inserted, upserted, stale int) {
		t.Helper()
		if u.inserted != inserted || u.upserted != upserted {
			t.Errorf("%s: %d statements by insert, %d by upsert; want %d and %d", step, u.inserted, u.upserted, inserted, upserted)
		}
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM chat_turns_stale").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != stale {
			t.Errorf("%s: chat_turns_stale has %d rows, want %d", step, n, stale)
		}
		var got strings.Builder
		rows, err := conn.QueryContext(ctx, "SELECT message_id, conversation_id, shop, sender, sent_at, text FROM chat_messages ORDER BY message_id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, conv, sender, text string
			var shop, at int64
			if err := rows.Scan(&id, &conv, &shop, &sender, &at, &text); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&got, id, conv, shop, sender, at, text)
		}
		rows.Close()
		var exp strings.Builder
		for _, id := range slices.Sorted(maps.Keys(want)) {
			fmt.Fprintln(&exp, want[id]...)
		}
		if got.String() != exp.String() {
			t.Errorf("%s: table\n%s\nwant\n%s", step, got.String(), exp.String())
		}
	}
	at := func(i int) int64 { return 1_790_000_000_000 + int64(i)*60_000 }
	// 100 new messages: three chunks and four single rows, all inserted,
	// each listed once by the insert trigger.
	write(0, 100, at)
	check("first load", 7, 0, 100)
	// 100 more: 30 stored and moved in time (the update trigger lists
	// the conversation twice), 20 stored as they are, 50 new. Their first
	// chunk meets stored rows: it goes by upsert, and so do the next
	// insertRetry statements: two chunks and four rows here, then ten
	// chunks of the next batch, after which its eight others are inserted.
	write(50, 150, func(i int) int64 {
		if i < 80 {
			return at(i) + 1000
		}
		return at(i)
	})
	check("re-import", 7, 7, 100+30*2+50)
	write(150, 150+18*rawChunk, at)
	check("later", 7+8, 7+10, 100+30*2+50+18*rawChunk)
}
