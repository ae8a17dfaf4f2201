package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shopwatch/shopwatch/ingest/inbox"
	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
	"github.com/shopwatch/shopwatch/store"
)

// cmdSync is `shopwatch sync [--shop ID] [--full]`: pulls the orders,
// returns and chat messages changed since the last sync (SPEC section 7).
func cmdSync(ctx context.Context, e *env, g globals, args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	g.register(fs)
	shop := fs.String("shop", "", "only this shop (default: every authorized shop)")
	full := fs.Bool("full", false, "forget the cursors first: load everything within the backfill period again")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	db, err := openDB(ctx, e, g)
	if err != nil {
		return err
	}
	defer db.Close()
	// The results are printed: the syncer's own error log would say it twice.
	quiet := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError + 1}))
	// A first load or --full can take long: show its progress.
	line := newProgressLine(e.stderr, e.clock)
	defer line.clear()
	s, err := newSyncer(e, db, quiet, func(shopID string, kind store.Kind, records int) {
		line.update(fmt.Sprintf("syncing %s %s", shopID, kind), records, 0, 0)
	})
	if err != nil {
		return err
	}
	shops := []string{*shop}
	if *shop == "" {
		linked, err := db.TikTokShops(ctx)
		if err != nil {
			return err
		}
		if len(linked) == 0 {
			return errors.New("no shop is authorized for TikTok yet: shopwatch tiktok authorize --shop ID --code AUTH_CODE")
		}
		shops = shops[:0]
		for _, l := range linked {
			shops = append(shops, l.ShopID)
		}
	}
	if *full {
		for _, id := range shops {
			for _, kind := range tiktoksync.SyncedKinds {
				if err := db.ResetSyncCursor(ctx, id, kind); err != nil {
					return err
				}
			}
		}
	}
	failed, total := 0, 0
	for _, id := range shops {
		results, err := s.SyncShop(ctx, id)
		if len(results) == 0 && err != nil {
			return err
		}
		line.clear()
		for _, r := range results {
			total++
			if r.Err != nil {
				failed++
				fmt.Fprintf(e.stdout, "%s %s: FAILED after %d records: %v\n", r.ShopID, r.Kind, r.Records, r.Err)
				continue
			}
			fmt.Fprintf(e.stdout, "%s %s: %d records, %d rejected (%s)\n", r.ShopID, r.Kind, r.Records, r.Rejected, r.Took.Round(time.Millisecond))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d syncs failed (see above; `shopwatch tiktok status` shows the state)", failed, total)
	}
	return nil
}

// cmdInbox is `shopwatch inbox [--dir DIR]`: imports the inbox folder's
// files once, as serve does every few seconds.
func cmdInbox(ctx context.Context, e *env, g globals, args []string) error {
	fs := flag.NewFlagSet("inbox", flag.ContinueOnError)
	g.register(fs)
	dir := fs.String("dir", "", "the inbox folder (default: the config's inbox)")
	settle := fs.Duration("settle", inbox.DefaultSettle, "how long to watch the files for changes before taking them")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	db, err := openDB(ctx, e, g)
	if err != nil {
		return err
	}
	defer db.Close()
	if *dir == "" {
		*dir = db.Config().Inbox
	}
	if *dir == "" {
		return fmt.Errorf("%w: no inbox: set `inbox: DIR` in the config or give --dir", errUsage)
	}
	if *settle < 0 {
		return fmt.Errorf("%w: --settle must not be negative", errUsage)
	}
	w, err := inbox.New(inbox.Options{Dir: *dir, DB: db, Clock: e.clock, Settle: *settle})
	if err != nil {
		return err
	}
	// A file is taken when two scans --settle apart see it unchanged.
	if _, err := w.Scan(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(*settle):
	}
	results, err := w.Scan(ctx)
	if err != nil {
		return err
	}
	if len(results) == 0 {
		fmt.Fprintf(e.stdout, "nothing to import in %s (files still changing, or changed in the last %s, wait for the next run)\n", *dir, w.Settle())
	}
	failed := 0
	for _, r := range results {
		switch {
		case r.Err == nil:
			fmt.Fprintf(e.stdout, "%s: %s, %d rows imported, moved to %s\n", r.File, r.Kind, r.Imported, r.MovedTo)
		case r.Failed():
			failed++
			fmt.Fprintf(e.stdout, "%s: FAILED, nothing imported, moved to %s; see %s\n", r.File, r.MovedTo, r.Report)
		default:
			failed++
			fmt.Fprintf(e.stdout, "%s: left in the inbox: %v\n", r.File, r.Err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files were not imported", failed, len(results))
	}
	return nil
}

// startSync starts, for serve, what keeps the records current without
// anyone importing files: the TikTok sync (POST /tiktok/webhook through
// handle, and a run every 15 minutes) when TIKTOK_APP_KEY is set, and the
// inbox watcher when the config names an inbox. They run until ctx ends or
// stop is called; stop returns once they have stopped.
func startSync(ctx context.Context, e *env, db *store.DB, handle func(pattern string, h http.Handler)) (stop func(), err error) {
	var s *tiktoksync.Syncer
	if e.getenv("TIKTOK_APP_KEY") == "" {
		e.log.Info("TikTok sync off: TIKTOK_APP_KEY is not set")
	} else if s, err = newSyncer(e, db, e.log, nil); err != nil {
		return nil, fmt.Errorf("TikTok sync: %w", err)
	}
	var w *inbox.Watcher
	if dir := db.Config().Inbox; dir != "" {
		if w, err = inbox.New(inbox.Options{Dir: dir, DB: db, Logger: e.log, Clock: e.clock}); err != nil {
			return nil, err
		}
		e.log.Info("watching the inbox", "dir", dir)
	}
	ctx, cancel := context.WithCancel(ctx)
	var g errgroup.Group // both run until ctx ends and log their own failures
	// With replicas (PostgreSQL), the leader alone runs them; every
	// replica takes webhooks (replicas.go).
	start := func(name string, run func(context.Context)) {
		if db.Shared() {
			g.Go(func() error { whileLeader(ctx, db.Replicas(), name, e.log, run); return nil })
		} else {
			g.Go(func() error { run(ctx); return nil })
		}
	}
	if s != nil {
		handle("POST /tiktok/webhook", s.WebhookHandler())
		start("TikTok sync", func(ctx context.Context) { s.Run(ctx) })
	}
	if w != nil {
		start("inbox", func(ctx context.Context) { w.Run(ctx) })
	}
	return func() { cancel(); _ = g.Wait() }, nil
}
