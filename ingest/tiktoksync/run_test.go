package tiktoksync_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// TestRunEvery checks the schedule on a fake clock: a run at start, then
// one every Every, until the context ends. No shop is authorized, so the
// runs touch only the database.
func TestRunEvery(t *testing.T) {
	dir := t.TempDir()
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
	clk := clockwork.NewFakeClock()
	s, err := tiktoksync.New(tiktoksync.Options{DB: db, Client: client, SecretKey: secretKey, Clock: clk,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	runs := func() int { return strings.Count(logs.String(), "TikTok sync done") }

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, "the run at start", func() bool { return runs() == 1 })
	// Each interval: nothing until its last second has passed, then one run
	// (waited for, so that the ticker's next tick is not dropped).
	for want := 2; want <= 3; want++ {
		clk.Advance(tiktoksync.DefaultEvery - time.Second) // to 14:59, 29:59
		// A tick now would be handled at once; the only wall-clock wait
		// here gives a wrong one the time to show.
		time.Sleep(20 * time.Millisecond)
		if n := runs(); n != want-1 {
			t.Fatalf("%d runs just before interval %d, want %d", n, want-1, want-1)
		}
		clk.Advance(time.Second)
		waitFor(t, fmt.Sprintf("run %d", want), func() bool { return runs() >= want })
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := runs(); n != 3 {
		t.Errorf("%d runs after two intervals, want 3", n)
	}
}
