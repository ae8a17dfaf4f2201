package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

func TestMutes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shopwatch.db")
	db := MustOpenAt(t, path, testConfig)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	hour := time.Hour

	mustSet := func(shop, metric string, d time.Duration) {
		t.Helper()
		if err := db.SetMute(ctx, Mute{ShopID: shop, Metric: metric, Until: now.Add(d), At: now, By: "U1", Channel: "C1"}); err != nil {
			t.Fatal(err)
		}
	}
	mustSet("7495001", "nrr", 2*hour)
	mustSet("7495001", "nrr", 3*hour) // replaces
	mustSet("7495002", MuteAll, hour)

	tests := []struct {
		name   string
		shop   string
		metric rules.Metric
		at     time.Time
		muted  bool
		until  time.Time
	}{
		{"muted metric", "7495001", rules.NRR, now, true, now.Add(3 * hour)},
		{"replaced mute holds longer", "7495001", rules.NRR, now.Add(150 * time.Minute), true, now.Add(3 * hour)},
		{"other metric", "7495001", rules.SFRR, now, false, time.Time{}},
		{"ends at until", "7495001", rules.NRR, now.Add(3 * hour), false, time.Time{}},
		{"all covers every metric", "7495002", rules.ChatResponseRate, now, true, now.Add(hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			muted, until, err := db.Muted(ctx, tt.shop, tt.metric, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if muted != tt.muted || !until.Equal(tt.until) {
				t.Errorf("Muted = %v until %v, want %v until %v", muted, until, tt.muted, tt.until)
			}
		})
	}

	// Mutes survive a reopen (they are stored, migration 2).
	db.Close()
	db = MustOpenAt(t, path, testConfig)
	ms, err := db.Mutes(ctx, "7495001", now)
	if err != nil || len(ms) != 1 || ms[0].Metric != "nrr" || ms[0].By != "U1" || !ms[0].Until.Equal(now.Add(3*hour)) {
		t.Fatalf("Mutes after reopen = %+v, %v", ms, err)
	}

	mustSet("7495001", MuteAll, hour)
	if ms, _ := db.Mutes(ctx, "7495001", now); len(ms) != 2 || ms[0].Metric != MuteAll {
		t.Errorf("Mutes = %+v, want all first", ms)
	}
	if n, err := db.Unmute(ctx, "7495001", "nrr", now); err != nil || n != 1 {
		t.Errorf("Unmute nrr = %d, %v", n, err)
	}
	if n, err := db.Unmute(ctx, "7495001", "", now); err != nil || n != 1 {
		t.Errorf("Unmute everything = %d, %v", n, err)
	}
	if n, _ := db.Unmute(ctx, "7495001", "", now); n != 0 {
		t.Errorf("second Unmute removed %d", n)
	}

	bad := []Mute{
		{ShopID: "nope", Metric: "nrr", Until: now.Add(hour), At: now},
		{ShopID: "7495001", Metric: "nrr_typo", Until: now.Add(hour), At: now},
		{ShopID: "7495001", Metric: "nrr", Until: now, At: now},
	}
	for _, m := range bad {
		if err := db.SetMute(ctx, m); err == nil {
			t.Errorf("SetMute(%+v) succeeded", m)
		}
	}
}

func TestBreakdownWindow(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testConfig)
	var orders string
	for i := range 40 { // delivered on 2026-11-01 and 2026-11-15, Bangkok
		day := "01"
		if i%2 == 1 {
			day = "15"
		}
		orders += "o" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ",7495001,p1,2026-10-25T10:00:00+07:00,Serum,2026-11-" + day + "T10:00:00+07:00,delivered\n"
	}
	MustImport(t, db, Orders, "orders.csv", ordersHeader+orders)
	MustImport(t, db, Reviews, "reviews.csv", "review_id,order_id,shop_id,product_id,rating,created_at,tags\n"+
		"r1,oaa,7495001,p1,1,2026-11-02T10:00:00+07:00,damaged\n"+
		"r2,oba,7495001,p1,1,2026-11-16T10:00:00+07:00,wrong_item\n")
	day := rules.DateDay(2026, 11, 20)
	tests := []struct {
		name      string
		days      int
		first     rules.Day
		num, den  int
		causes    int
		wantError bool
	}{
		{"profile window", 0, rules.DateDay(2026, 10, 22), 2, 40, 2, false},
		{"one week", 7, rules.DateDay(2026, 11, 14), 1, 20, 1, false},
		{"too long", 400, 0, 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := db.BreakdownWindow(ctx, "7495001", "nrr", day, tt.days, 5)
			if tt.wantError {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Window.First != tt.first || b.Window.Last != day || b.Result.Numerator != tt.num || b.Result.Denominator != tt.den || len(b.Causes) != tt.causes {
				t.Errorf("window %s..%s, result %d/%d, causes %+v", b.Window.First, b.Window.Last, b.Result.Numerator, b.Result.Denominator, b.Causes)
			}
		})
	}
	// The profile window matches Breakdown.
	a, _ := db.Breakdown(ctx, "7495001", "nrr", day, 5)
	b, _ := db.BreakdownWindow(ctx, "7495001", "nrr", day, 0, 5)
	if a.Result.Value != b.Result.Value || len(a.Products) != len(b.Products) {
		t.Errorf("BreakdownWindow(0 days) = %+v, Breakdown = %+v", b.Result, a.Result)
	}
}
