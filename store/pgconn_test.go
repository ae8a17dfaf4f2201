package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store/storetest"
)

func TestRebind(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bare placeholders numbered in order", `SELECT a FROM t WHERE x = ? AND y IN (?, ?)`, `SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)`},
		{"numbered placeholders kept", `SELECT ?1, ?2 WHERE z = ?1 AND w >= ?12`, `SELECT $1, $2 WHERE z = $1 AND w >= $12`},
		{"in a string", `SELECT '?' || ? FROM t WHERE s = 'a?b'`, `SELECT '?' || $1 FROM t WHERE s = 'a?b'`},
		{"in a quoted name", `SELECT "what?" FROM t WHERE x = ?`, `SELECT "what?" FROM t WHERE x = $1`},
		{"in comments", "SELECT 1 -- why?\nWHERE x = ? /* or? */ AND y = ?", "SELECT 1 -- why?\nWHERE x = $1 /* or? */ AND y = $2"},
		{"a cast after it", `SELECT json_array_elements_text(?::json)`, `SELECT json_array_elements_text($1::json)`},
		{"gorm's own untouched", `SELECT * FROM shops WHERE shop_id = $1`, `SELECT * FROM shops WHERE shop_id = $1`},
		{"an unterminated string", `SELECT 'a?`, `SELECT 'a?`},
		{"an escaped string", `SELECT E'\n' || ?`, `SELECT E'\n' || $1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rebind(tt.in); got != tt.want {
				t.Errorf("rebind(%q)\n = %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// A handle on PostgreSQL keeps its connections open between uses: the
// daily evaluation runs four shops at a time, each holding up to two
// connections, and with database/sql's two idle connections it opened a
// new server process for nearly every shop (51 for 100 shops), each with
// cold caches (pgIdleConns).
func TestPostgresKeepsIdleConnections(t *testing.T) {
	db := MustOpenAt(t, storetest.Postgres(t), testConfig)
	ctx := context.Background()
	const busy = 8 // four workers, two connections each
	for round := range 3 {
		var conns []*sql.Conn
		for range busy {
			c, err := db.sql.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.ExecContext(ctx, `SELECT 1`); err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		if s := db.sql.Stats(); s.MaxIdleClosed > 0 || s.Idle != busy {
			t.Fatalf("round %d: %d connections closed for being idle, %d idle, want none closed and %d idle", round+1, s.MaxIdleClosed, s.Idle, busy)
		}
	}
}

// Opening a database that is set up already takes no setup lock, and so
// one connection (underSetupLock); replicas opening a database that needs
// setting up at the same moment (a fresh one, then a config with another
// shop and a shop's time zone changed) all open, and set it up once.
func TestSetupLockOnlyWhenNeededOnPostgres(t *testing.T) {
	dsn := storetest.Postgres(t)
	openAll := func(config string) []*DB {
		cfg, err := rules.ParseConfig([]byte(config))
		if err != nil {
			t.Fatal(err)
		}
		dbs := make([]*DB, 4)
		var g errgroup.Group
		for i := range dbs {
			g.Go(func() error {
				db, err := Open(context.Background(), Options{DSN: dsn, Config: cfg})
				dbs[i] = db
				return err
			})
		}
		err = g.Wait()
		for _, db := range dbs {
			if db != nil {
				t.Cleanup(func() { db.Close() })
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		return dbs
	}
	openAll(testConfig)
	changed := strings.Replace(testConfig, "timezone: Asia/Bangkok", "timezone: Asia/Jakarta", 1) + `  - id: "7499999"
    name: "New Shop"
    timezone: Asia/Manila
    profile: sea
`
	dbs := openAll(changed)
	var n int
	var tz string
	if err := dbs[0].sql.QueryRow(`SELECT COUNT(*), MAX(CASE WHEN shop_id = '7495001' THEN timezone END) FROM shops`).Scan(&n, &tz); err != nil {
		t.Fatal(err)
	}
	if want := len(dbs[0].cfg.Shops()); n != want || tz != "Asia/Jakarta" {
		t.Errorf("after concurrent opens: %d shops, the first in %s; want %d, Asia/Jakarta", n, tz, want)
	}
	db := MustOpenAt(t, dsn, changed)
	if open := db.sql.Stats().OpenConnections; open != 1 {
		t.Errorf("opening a database set up already: %d connections, want 1", open)
	}
}
