package store

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestTikTokGrants(t *testing.T) {
	db := MustOpen(t, testConfig)
	ctx := t.Context()
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

	if _, err := db.TikTokShop(ctx, "7495001"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("TikTokShop before authorize: %v, want ErrNotFound", err)
	}
	if _, err := db.TikTokShop(ctx, "999"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("TikTokShop of an unknown shop: %v, want ErrNotFound", err)
	}
	g := TikTokGrant{OpenID: "open1", Sealed: []byte{1, 2, 3}, AccessExpiresAt: t0.Add(time.Hour),
		RefreshExpiresAt: t0.Add(24 * time.Hour), SellerName: "Acme", UpdatedAt: t0}
	links := []TikTokShop{{ShopID: "7495002", Cipher: "c2", AuthorizedAt: t0}, {ShopID: "7495001", Cipher: "c1", AuthorizedAt: t0}}
	if err := db.SaveTikTokGrant(ctx, g, links); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveTikTokGrant(ctx, g, []TikTokShop{{ShopID: "999", Cipher: "x"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("linking an unknown shop: %v, want ErrNotFound", err)
	}
	shops, err := db.TikTokShops(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(shops) != 2 || shops[0].ShopID != "7495001" || shops[0].Cipher != "c1" || shops[1].ShopID != "7495002" || shops[1].OpenID != "open1" {
		t.Fatalf("TikTokShops = %+v, want both shops in config order", shops)
	}
	s, err := db.TikTokShop(ctx, "7495002")
	if err != nil || s.Cipher != "c2" || !s.AuthorizedAt.Equal(t0) {
		t.Fatalf("TikTokShop = %+v, %v", s, err)
	}

	g.Sealed, g.AccessExpiresAt = []byte{4, 5}, t0.Add(48*time.Hour)
	if err := db.UpdateTikTokGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	got, err := db.TikTokGrant(ctx, "open1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Sealed, []byte{4, 5}) || !got.AccessExpiresAt.Equal(t0.Add(48*time.Hour)) || got.SellerName != "Acme" {
		t.Fatalf("TikTokGrant after update = %+v", got)
	}
	if err := db.UpdateTikTokGrant(ctx, TikTokGrant{OpenID: "nobody", Sealed: []byte{1}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a missing grant: %v, want ErrNotFound", err)
	}
}

func TestSyncStatus(t *testing.T) {
	db := MustOpen(t, testConfig)
	ctx := t.Context()
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

	if c, err := db.SyncCursor(ctx, "7495001", Orders); err != nil || !c.IsZero() {
		t.Fatalf("cursor before any sync = %v, %v", c, err)
	}
	for _, c := range []time.Time{t0, t0.Add(-time.Hour), t0.Add(time.Minute)} {
		if err := db.AdvanceSyncCursor(ctx, "7495001", Orders, c); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := db.SyncCursor(ctx, "7495001", Orders); !c.Equal(t0.Add(time.Minute)) {
		t.Fatalf("cursor = %v, want the latest of the advances %v", c, t0.Add(time.Minute))
	}

	if err := db.RecordSyncRun(ctx, SyncRun{ShopID: "7495001", Kind: Orders, At: t0, Records: 12}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordSyncRun(ctx, SyncRun{ShopID: "7495001", Kind: Returns, At: t0, Err: errors.New("tiktok: rate limited")}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordSyncRun(ctx, SyncRun{ShopID: "7495001", Kind: Orders, At: t0.Add(time.Hour), Err: errors.New("boom")}); err != nil {
		t.Fatal(err)
	}
	rejects := []SyncReject{{RecordID: "o1", Problem: "delivered_at: before created_at", At: t0}, {RecordID: "o2", Problem: "product_id: is required", At: t0}}
	if err := db.UpdateSyncRejects(ctx, "7495001", Orders, rejects, []string{"o3"}); err != nil {
		t.Fatal(err)
	}

	all, err := db.SyncStatuses(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Kind != Orders || all[1].Kind != Returns {
		t.Fatalf("SyncStatuses = %+v, want orders then returns of 7495001", all)
	}
	o := all[0]
	if o.ShopID != "7495001" || !o.Cursor.Equal(t0.Add(time.Minute)) || !o.LastSuccess.Equal(t0) ||
		!o.LastFailure.Equal(t0.Add(time.Hour)) || !o.LastAttempt.Equal(t0.Add(time.Hour)) || o.Error != "boom" || o.Records != 12 || !o.Failing() {
		t.Fatalf("orders status = %+v", o)
	}
	if o.Rejected != 2 || len(o.RejectedRecords) != 2 {
		t.Fatalf("orders rejects = %d %+v, want 2", o.Rejected, o.RejectedRecords)
	}
	if r := all[1]; r.Error != "tiktok: rate limited" || !r.LastSuccess.IsZero() || !r.Stale(t0, time.Hour) {
		t.Fatalf("returns status = %+v", r)
	}

	// A success clears the error; an imported record leaves the rejects.
	if err := db.RecordSyncRun(ctx, SyncRun{ShopID: "7495001", Kind: Orders, At: t0.Add(2 * time.Hour), Records: 3}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateSyncRejects(ctx, "7495001", Orders, nil, []string{"o1", "o9"}); err != nil {
		t.Fatal(err)
	}
	one, err := db.SyncStatuses(ctx, "7495001")
	if err != nil {
		t.Fatal(err)
	}
	if o := one[0]; o.Failing() || o.Records != 3 || o.Rejected != 1 || o.RejectedRecords[0].RecordID != "o2" || o.Stale(t0.Add(2*time.Hour), time.Hour) {
		t.Fatalf("orders status after success = %+v", o)
	}
	if none, err := db.SyncStatuses(ctx, "7495002"); err != nil || len(none) != 0 {
		t.Fatalf("status of a shop never synced = %+v, %v", none, err)
	}
	if err := db.ResetSyncCursor(ctx, "7495001", Orders); err != nil {
		t.Fatal(err)
	}
	if c, _ := db.SyncCursor(ctx, "7495001", Orders); !c.IsZero() {
		t.Fatalf("cursor after reset = %v", c)
	}
}

func TestFirstNotification(t *testing.T) {
	db := MustOpen(t, testConfig)
	ctx := t.Context()
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i, want := range []bool{true, false, false} {
		first, err := db.FirstNotification(ctx, "n1", "7495001", 1, t0.Add(time.Duration(i)*time.Minute))
		if err != nil || first != want {
			t.Fatalf("delivery %d: first = %v, %v; want %v", i, first, err, want)
		}
	}
	if n, err := db.PruneNotifications(ctx, t0.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("prune = %d, %v", n, err)
	}
	if first, _ := db.FirstNotification(ctx, "n1", "7495001", 1, t0); !first {
		t.Fatal("a pruned id is new again")
	}
}

func TestOrderProducts(t *testing.T) {
	db := MustOpen(t, testConfig)
	MustImport(t, db, Orders, "orders.csv", ordersHeader+
		"o1,7495001,p1,2026-11-01T10:00:00+07:00,,,\n"+
		"o1,7495001,p2,2026-11-01T10:00:00+07:00,,,\n")
	got, err := db.OrderProducts(t.Context(), "o1")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"p1", "p2"}) {
		t.Fatalf("OrderProducts = %q", got)
	}
	if _, err := db.OrderProducts(t.Context(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing order: %v", err)
	}
}
