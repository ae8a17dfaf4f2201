package tiktoksync_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// TestRunEvery checks the schedule: a run at start, then one every Every,
// until the context ends. No shop is authorized, so the runs touch only the
// database.
func TestRunEvery(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		cfg, err := rules.ParseConfig([]byte(testConfig))
		if err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(t.Context(), store.Options{DSN: filepath.Join(dir, "shopwatch.db"), Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		client, err := tiktok.New(tiktok.Options{AppKey: "k", AppSecret: "s", APIURL: "http://127.0.0.1:1", AuthURL: "http://127.0.0.1:1"})
		if err != nil {
			t.Fatal(err)
		}
		logs := &logBuffer{}
		s, err := tiktoksync.New(tiktoksync.Options{DB: db, Client: client, SecretKey: secretKey,
			Logger: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		runs := func() int { return strings.Count(logs.String(), "TikTok sync done") }

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		if n := runs(); n != 1 {
			t.Fatalf("%d runs at start, want 1", n)
		}
		time.Sleep(tiktoksync.DefaultEvery - time.Second) // to 14:59
		synctest.Wait()
		if n := runs(); n != 1 {
			t.Fatalf("%d runs just before the first interval, want 1", n)
		}
		time.Sleep(2 * tiktoksync.DefaultEvery) // to 44:59
		synctest.Wait()
		if n := runs(); n != 3 {
			t.Fatalf("%d runs after two intervals, want 3", n)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}
