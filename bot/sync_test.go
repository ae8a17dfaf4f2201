package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/store"
)

// A failing TikTok sync shows in status, so that stale figures are never
// read as an all-clear.
func TestStatusShowsSyncFailure(t *testing.T) {
	db, _ := MustFixtureDB(t)
	h := MustHandler(t, db)
	ctx := context.Background()
	ask := func() string {
		return h.Answer(ctx, Request{Command: "/shopwatch", Text: "status", ChannelID: chanBeauty, At: fixtureNow}).Text
	}
	if text := ask(); strings.Contains(text, "TikTok sync") {
		t.Fatalf("status mentions a sync that never ran:\n%s", text)
	}
	ok := store.SyncRun{ShopID: "7495001", Kind: store.Orders, At: fixtureNow.Add(-26 * time.Hour), Records: 10}
	if err := db.RecordSyncRun(ctx, ok); err != nil {
		t.Fatal(err)
	}
	failed := store.SyncRun{ShopID: "7495001", Kind: store.Orders, At: fixtureNow.Add(-time.Hour), Err: errors.New("TikTok answered 429 too many requests")}
	if err := db.RecordSyncRun(ctx, failed); err != nil {
		t.Fatal(err)
	}
	text := ask()
	for _, want := range []string{"TikTok sync of orders is failing", "429 too many requests", "last good sync"} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
}
