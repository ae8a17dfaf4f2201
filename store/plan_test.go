package store

import (
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// The queries that read a whole window of a shop's records (metrics and
// breakdowns) must be answered from an index alone: a read of the table
// behind it costs a B-tree search per row.
func TestWindowQueriesUseCoveringIndexes(t *testing.T) {
	db := MustOpenAt(t, storetest.SQLite(t), testConfig) // PostgreSQL: plan_pg_test.go
	indexSQL := func() string {
		var s string
		if err := db.sql.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'orders_shop_delivered'`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	migrated := indexSQL()
	// A first load drops the orders indexes and builds them again at the end:
	// they must come back as the migrations left them.
	MustImport(t, db, Orders, "orders.csv", ordersHeader+"1,7495001,p1,2026-11-01T10:00:00+07:00,,2026-11-03T10:00:00+07:00,delivered\n")
	if got := indexSQL(); got != migrated {
		t.Errorf("after a first load the orders index is\n%s\nwant, as migrated,\n%s", got, migrated)
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
	for name, q := range queries {
		steps := planSteps(t, db, q, 1, 20000, 20030, 0, 0)
		for _, s := range steps {
			if strings.HasPrefix(s, "SCAN ") {
				t.Errorf("%s: plan step %q scans a whole table (plan: %q)", name, s, steps)
			}
			if strings.HasPrefix(s, "SEARCH ") && !strings.Contains(s, "COVERING INDEX") && !strings.Contains(s, "PRIMARY KEY") {
				t.Errorf("%s: plan step %q reads the table (plan: %q)", name, s, steps)
			}
		}
	}
}

// planSteps returns the steps of SQLite's plan for query.
func planSteps(t *testing.T, db *DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.sql.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return steps
}
