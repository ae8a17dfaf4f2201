package store

import (
	"context"
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
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
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
		rows, err := conn.QueryContext(ctx, "EXPLAIN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, strings.TrimSpace(line))
		}
		rows.Close()
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
