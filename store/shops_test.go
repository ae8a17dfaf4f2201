package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store/storetest"
)

// Reopening with another config keeps each shop's database key, adds new
// shops, updates names and zones, and leaves shops no longer configured in
// the table.
func TestReopenSyncsShops(t *testing.T) {
	const renamed = `shops:
  - id: "7495002"
    name: "Acme USA"
    timezone: America/Chicago
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
    profile: sea
`
	const added = `shops:
  - id: "7495003"
    name: "New Shop"
    timezone: Asia/Jakarta
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
`
	tests := []struct {
		name, config string
		want         map[string]string // shop id: "name/timezone" as stored
	}{
		{"same config", testConfig, map[string]string{"7495001": "Acme Beauty TH/Asia/Bangkok", "7495002": "Acme US/America/New_York"}},
		{"renamed and moved, listed in another order", renamed, map[string]string{"7495001": "Acme Beauty TH/Asia/Bangkok", "7495002": "Acme USA/America/Chicago"}},
		{"one added, one no longer configured", added, map[string]string{"7495001": "Acme Beauty TH/Asia/Bangkok", "7495002": "Acme US/America/New_York", "7495003": "New Shop/Asia/Jakarta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shops.db")
			first := MustOpenAt(t, path, testConfig)
			keys := map[string]int64{}
			for id, ref := range first.index().byID {
				keys[id] = ref.key
			}
			first.Close()

			db := MustOpenAt(t, path, tt.config)
			rows, err := db.sql.Query(`SELECT id, shop_id, name || '/' || timezone FROM shops`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			got := map[string]string{}
			for rows.Next() {
				var key int64
				var id, nameZone string
				if err := rows.Scan(&key, &id, &nameZone); err != nil {
					t.Fatal(err)
				}
				got[id] = nameZone
				if k, ok := keys[id]; ok && k != key {
					t.Errorf("shop %s: key %d, was %d", id, key, k)
				}
				if ref, ok := db.index().byID[id]; ok && ref.key != key {
					t.Errorf("shop %s: opened with key %d, stored %d", id, ref.key, key)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("stored shops %v, want %v", got, tt.want)
			}
			for id, w := range tt.want {
				if got[id] != w {
					t.Errorf("shop %s stored as %q, want %q", id, got[id], w)
				}
			}
			for _, s := range db.cfg.Shops() {
				ref, err := db.shop(s.ID)
				if err != nil || db.index().byKey[ref.key] != s {
					t.Errorf("shop %s: not opened under its key (%v)", s.ID, err)
				}
			}
		})
	}
}

// An open limited to some shops (Options.Shops, as short commands open)
// reads and syncs only their rows. The first use of another shop syncs the
// rest (a new shop is added, a changed time zone recomputed), and every
// answer is the one of a full open.
func TestOpenForSomeShops(t *testing.T) {
	// A shop is added, and 7495002 moves from New York to Tokyo: its
	// order's local dates move.
	changed := strings.Replace(testConfig, "America/New_York", "Asia/Tokyo", 1) + `  - id: "7495003"
    name: "New Shop"
    timezone: Asia/Jakarta
`
	const orders = ordersHeader +
		"o1,7495001,p1,2026-10-01T10:00:00+07:00,Item,2026-10-03T10:00:00+07:00,delivered\n" +
		"o2,7495002,p1,2026-10-01T20:00:00-04:00,Item,2026-10-03T20:00:00-04:00,delivered\n"
	day := func(s string) rules.Day {
		d, err := rules.ParseDay(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	stored := func(db *DB) map[string]string {
		t.Helper()
		rows, err := db.sql.Query(`SELECT shop_id, timezone FROM shops`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var id, tz string
			if err := rows.Scan(&id, &tz); err != nil {
				t.Fatal(err)
			}
			out[id] = tz
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		use   func(t *testing.T, db *DB)
		other bool // the use involves another shop
	}{
		{"a report of another shop", func(t *testing.T, db *DB) {
			if _, err := db.Report(t.Context(), "7495002", day("2026-10-05")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"an import of any shop's rows", func(t *testing.T, db *DB) {
			MustImport(t, db, Orders, "more.csv", ordersHeader+"o3,7495003,p1,2026-10-02T10:00:00+07:00,Item,,\n")
		}, true},
		{"the sync statuses of every shop", func(t *testing.T, db *DB) {
			if _, err := db.SyncStatuses(t.Context(), ""); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"nothing but the shop opened for", func(t *testing.T, db *DB) {
			if _, err := db.Report(t.Context(), "7495001", day("2026-10-05")); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := storetest.DSN(t)
			first := MustOpenAt(t, dsn, testConfig)
			MustImport(t, first, Orders, "orders.csv", orders)
			first.Close()

			db := mustOpenImageAt(t, dsn, changed, "7495001")
			if idx := db.index(); idx.all || len(idx.byID) != 1 {
				t.Fatalf("opened for one shop, registered %d (all: %v)", len(idx.byID), idx.all)
			}
			if n := db.Config().DecodedShops(); n != 1 {
				t.Fatalf("opened for one shop, %d of the config image's shops decoded", n)
			}
			if got := stored(db); len(got) != 2 || got["7495002"] != "America/New_York" {
				t.Fatalf("opened for one shop, the others' rows changed: %v", got)
			}
			tc.use(t, db)
			got := stored(db)
			if !tc.other {
				if len(got) != 2 || db.index().all || db.Config().DecodedShops() != 1 {
					t.Errorf("a use of the shop opened for synced the others: %v (%d shops decoded)", got, db.Config().DecodedShops())
				}
				return
			}
			if len(got) != 3 || got["7495002"] != "Asia/Tokyo" || !db.index().all {
				t.Fatalf("after a use of another shop, shops %v (all registered: %v)", got, db.index().all)
			}
			// o2 was created on 2 October in Tokyo (1 October in New York).
			if n := count(t, db, `SELECT COUNT(*) FROM orders o JOIN shops s ON s.id = o.shop WHERE s.shop_id = '7495002' AND o.created_day = ?`, day("2026-10-02")); n != 1 {
				t.Errorf("the moved shop's order is not on its new local date")
			}
			full := MustOpen(t, changed)
			MustImport(t, full, Orders, "orders.csv", orders)
			tc.use(t, full)
			for _, id := range []string{"7495001", "7495002", "7495003"} {
				a, b := reportFacts(t, db, id, day("2026-10-05")), reportFacts(t, full, id, day("2026-10-05"))
				if a != b {
					t.Errorf("shop %s: %s\na full open: %s", id, a, b)
				}
			}
		})
	}
}

// mustOpenImageAt is MustOpenAt with the config read back from its image,
// as short commands get it from the config cache: its shops are decoded as
// they are looked up.
func mustOpenImageAt(tb testing.TB, path, config string, shops ...string) *DB {
	tb.Helper()
	db, err := Open(tb.Context(), Options{DSN: path, Config: storetest.ImageConfig(tb, config), Shops: shops})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// reportFacts is what a shop's report says, without the import times.
func reportFacts(t *testing.T, db *DB, shopID string, day rules.Day) string {
	t.Helper()
	r, err := db.Report(t.Context(), shopID, day)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %v:", r.Profile, r.Date, r.Window.End)
	for _, m := range rules.Metrics {
		res := r.Results[m]
		fmt.Fprintf(&b, " %s=%d/%d %s", m, res.Numerator, res.Denominator, res.Level)
	}
	for _, in := range r.Inputs {
		fmt.Fprintf(&b, " %s:%v %s..%s %d", in.Kind, in.Has, in.First, in.Last, in.Recent)
	}
	return b.String()
}

// A limited open that cannot register the other shops when one is asked
// for says why: the shop is configured, so "not in the config" would be
// wrong.
func TestLimitedOpenRegistrationFails(t *testing.T) {
	dsn := storetest.DSN(t)
	MustOpenAt(t, dsn, testConfig).Close() // every shop registered once
	db := MustOpenAt(t, dsn, testConfig, "7495001")
	if _, err := db.Alerts.AlertStates(t.Context(), "7495001", 0); err != nil {
		t.Fatalf("the shop of the open: %v", err)
	}
	db.sql.Close() // the registration's read fails
	_, err := db.Alerts.AlertStates(t.Context(), "7495002", 0)
	if err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("another shop, with the database gone: %v, want the registration's error", err)
	}
	if _, err := db.Alerts.AlertStates(t.Context(), "7495009", 0); err == nil {
		t.Fatal("a shop not in the config: no error")
	}
}
