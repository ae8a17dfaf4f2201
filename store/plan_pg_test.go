package store

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// On PostgreSQL too, the window queries read an index alone (an index-only
// scan), or a primary key; never a whole table. With the scenario's few
// rows a sequential scan would be cheapest, so sequential and bitmap scans
// are disabled for the check: the question is whether the indexes can
// answer, as on SQLite (plan_test.go). The one exception: the breakdowns'
// product bases find their orders through the orders index and read their
// products from the table (pgIndexForms).
func TestWindowQueriesUseIndexesOnPostgres(t *testing.T) {
	db := loadScenarioInto(t, MustOpenAt(t, storetest.Postgres(t), testConfig))
	ctx := context.Background()
	if _, err := db.sql.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		t.Fatal(err)
	}
	conn := mustConn(t, db)
	for _, s := range []string{`SET enable_seqscan = off`, `SET enable_bitmapscan = off`} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	queries := map[string]string{
		"delivered by day":         qDeliveredByDay,
		"created by day":           qCreatedByDay,
		"negative reviews":         qNegReviews,
		"returns":                  qReturns,
		"chat turns":               qTurns,
		"waiting chats":            qWaiting,
		"product bases, delivered": qProductDelivered,
		"product bases, created":   qProductCreated,
	}
	scan := regexp.MustCompile(`(Seq Scan|Index Only Scan|Index Scan|Bitmap Heap Scan) (?:using (\S+) )?on (\S+)`)
	for name, q := range queries {
		args := []any{int64(1), int64(20000), int64(20030), int64(0), int64(0)}[:placeholders(q)]
		plan, err := column(ctx, conn, "EXPLAIN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		scans := 0
		for _, line := range plan {
			m := scan.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			scans++
			switch {
			case m[1] == "Index Only Scan":
			case m[1] == "Index Scan" && strings.HasSuffix(m[2], "_pkey"):
			case m[1] == "Index Scan" && m[2] == "orders_shop_delivered" && strings.HasPrefix(name, "product bases"):
				// The products are not in PostgreSQL's index (pgIndexForms).
			default:
				t.Errorf("%s: plan step %q reads the table (plan: %q)", name, line, plan)
			}
		}
		if scans == 0 {
			t.Errorf("%s: no scan in the plan %q", name, plan)
		}
	}
}

// placeholders counts the parameters of a query in SQLite's notation.
func placeholders(q string) int {
	n := 0
	for _, m := range regexp.MustCompile(`\$(\d+)`).FindAllStringSubmatch(rebind(q), -1) {
		if k := int(m[1][0] - '0'); len(m[1]) == 1 && k > n {
			n = k
		}
	}
	return n
}

// The turns rebuild reads the messages of a few listed conversations of a
// big table through the conversation index, not the whole table
// (pgTurnSource: its cursor, planned as clearPG sets it up).
func TestTurnRebuildReadsListedConversationsOnPostgres(t *testing.T) {
	db := MustOpenAt(t, storetest.Postgres(t), testConfig)
	ctx := context.Background()
	conn := mustConn(t, db)
	for _, q := range []string{
		`INSERT INTO chat_messages (message_id, conversation_id, shop, sender, sent_at, text)
SELECT 'm' || i, 'c' || (i % 5000), 1, 'buyer', i, '' FROM generate_series(1, 50000) i`,
		`ANALYZE chat_messages`,
		`INSERT INTO chat_turns_stale (conversation_id) VALUES ('c7'), ('c42'), ('c4999')`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	r, err := db.newTurnRebuilder(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	err = inTx(ctx, conn, func(tx *sql.Tx) error {
		if _, ok, err := r.clearPG(ctx, tx); err != nil || !ok {
			t.Fatalf("clearPG: listed %v, %v", ok, err)
		}
		lines, err := column(ctx, tx, `EXPLAIN DECLARE c NO SCROLL CURSOR FOR `+pgTurnSource(false))
		if err != nil {
			return err
		}
		plan := strings.Join(lines, "\n")
		if !regexp.MustCompile(`Index Scan (using|on) chat_messages_conversation`).MatchString(plan) || strings.Contains(plan, "Seq Scan on chat_messages") {
			t.Errorf("the rebuild of 3 of 5,000 conversations reads chat_messages as %s", plan)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// column returns the rows of a query of one text column, trimmed: an
// EXPLAIN's plan, a step a line.
func column(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, stmt string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		plan = append(plan, strings.TrimSpace(line))
	}
	return plan, rows.Err()
}

// The window queries' tables are vacuumed for their inserts soon after
// each import (migration 15), so that their pages are marked all visible
// and the queries above read their indexes alone.
func TestWindowTablesVacuumedForInsertsOnPostgres(t *testing.T) {
	db := MustOpenAt(t, storetest.Postgres(t), testConfig)
	tables, err := column(context.Background(), db.sql, `SELECT c.relname FROM pg_class c
WHERE c.relname IN ('orders', 'reviews', 'returns', 'chat_messages', 'chat_turns') AND c.relkind = 'r'
AND 'autovacuum_vacuum_insert_scale_factor=0' = ANY (c.reloptions) ORDER BY c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	if want := "chat_messages chat_turns orders returns reviews"; strings.Join(tables, " ") != want {
		t.Errorf("tables vacuumed for every 1,000 inserts: %q, want %s", tables, want)
	}
}
