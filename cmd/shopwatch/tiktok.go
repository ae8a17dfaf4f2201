package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
	"github.com/shopwatch/shopwatch/store"
)

// cmdTikTok is `shopwatch tiktok authorize|status`.
func cmdTikTok(ctx context.Context, e *env, g globals, args []string) error {
	const sub = "tiktok authorize --shop ID --code AUTH_CODE | tiktok status [--shop ID]"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, sub)
	}
	switch args[0] {
	case "authorize":
		return tiktokAuthorize(ctx, e, g, args[1:])
	case "status":
		return tiktokStatus(ctx, e, g, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(e.stdout, "usage: shopwatch %s\n", sub)
		return nil
	}
	return fmt.Errorf("%w: unknown subcommand %q: %s", errUsage, args[0], sub)
}

// tiktokAuthorize exchanges an authorization code for tokens, finds the
// shop ciphers and stores both (SPEC section 7).
func tiktokAuthorize(ctx context.Context, e *env, g globals, args []string) error {
	fs := flag.NewFlagSet("tiktok authorize", flag.ContinueOnError)
	g.register(fs)
	shop := fs.String("shop", "", "the TikTok shop id (as in the config)")
	code := fs.String("code", "", "the authorization code from the seller's authorization redirect")
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 || *shop == "" || *code == "" {
		return fmt.Errorf("%w: tiktok authorize --shop ID --code AUTH_CODE", errUsage)
	}
	db, err := openDB(ctx, e, g)
	if err != nil {
		return err
	}
	defer db.Close()
	// The syncer is made before the code is spent: without the secret key
	// or the app's credentials the tokens could not be stored.
	s, err := newSyncer(e, db, e.log, nil)
	if err != nil {
		return err
	}
	a, err := s.Authorize(ctx, *shop, *code)
	for _, sh := range a.Linked {
		fmt.Fprintf(e.stdout, "authorized shop %s (%s, %s)\n", sh.ID, sh.Name, sh.Region)
	}
	for _, sh := range a.Others {
		fmt.Fprintf(e.stdout, "also covered, not in the config: shop %s (%s, %s)\n", sh.ID, sh.Name, sh.Region)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "seller %q: tokens stored encrypted; the access token is refreshed automatically, the authorization lasts until %s\n",
		a.SellerName, a.RefreshExpiresAt.Format(time.DateOnly))
	fmt.Fprintf(e.stdout, "next: shopwatch sync --shop %s\n", *shop)
	return nil
}

// tiktokStatus prints the sync status of the authorized shops.
func tiktokStatus(ctx context.Context, e *env, g globals, args []string) error {
	fs := flag.NewFlagSet("tiktok status", flag.ContinueOnError)
	g.register(fs)
	shop := fs.String("shop", "", "only this shop, with its rejected records")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	db, err := openDB(ctx, e, g)
	if err != nil {
		return err
	}
	defer db.Close()
	if *shop != "" {
		if _, ok := db.Config().Shop(*shop); !ok {
			return fmt.Errorf("unknown shop %q (not in the config)", *shop)
		}
	}
	linked, err := db.TikTokShops(ctx)
	if err != nil {
		return err
	}
	statuses, err := db.SyncStatuses(ctx, *shop)
	if err != nil {
		return err
	}
	if len(linked) == 0 {
		fmt.Fprintln(e.stdout, "no shop is authorized for TikTok yet: shopwatch tiktok authorize --shop ID --code AUTH_CODE")
		return nil
	}
	now := e.clock.Now()
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SHOP\tKIND\tLAST SUCCESS\tSYNCED UP TO\tRECORDS\tREJECTED\tSTATE")
	for _, l := range linked {
		if *shop != "" && l.ShopID != *shop {
			continue
		}
		seen := false
		for _, st := range statuses {
			if st.ShopID != l.ShopID {
				continue
			}
			seen = true
			state := "ok"
			if st.Failing() {
				state = "FAILING since " + ago(now, st.LastFailure) + ": " + st.Error
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", st.ShopID, st.Kind, ago(now, st.LastSuccess), ago(now, st.Cursor), st.Records, st.Rejected, state)
		}
		if !seen {
			fmt.Fprintf(tw, "%s\t-\tnever\t-\t-\t-\tauthorized %s, not synced yet\n", l.ShopID, ago(now, l.AuthorizedAt))
		}
	}
	tw.Flush()
	if *shop != "" {
		for _, st := range statuses {
			for _, r := range st.RejectedRecords {
				fmt.Fprintf(e.stdout, "rejected %s %s (%s): %s\n", st.Kind, r.RecordID, r.At.UTC().Format(time.RFC3339), r.Problem)
			}
			if more := st.Rejected - len(st.RejectedRecords); more > 0 {
				fmt.Fprintf(e.stdout, "... and %d more rejected %s\n", more, st.Kind)
			}
		}
	}
	return nil
}

// ago says when t was, relative to now.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm ago", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// newSyncer returns a syncer for the TikTok app in the environment
// (TIKTOK_APP_KEY, TIKTOK_APP_SECRET, TIKTOK_API_URL, TIKTOK_AUTH_URL,
// SHOPWATCH_SECRET_KEY) and the config's sync settings.
// newSyncer returns the syncer of the config; progress may be nil.
func newSyncer(e *env, db *store.DB, log *slog.Logger, progress func(shopID string, kind store.Kind, records int)) (*tiktoksync.Syncer, error) {
	key, secret := e.getenv("TIKTOK_APP_KEY"), e.getenv("TIKTOK_APP_SECRET")
	if key == "" || secret == "" {
		return nil, errors.New("TIKTOK_APP_KEY and TIKTOK_APP_SECRET must be set (the app's credentials from TikTok Shop Partner Center)")
	}
	client, err := tiktok.New(tiktok.Options{
		AppKey:    key,
		AppSecret: secret,
		APIURL:    e.getenv("TIKTOK_API_URL"),
		AuthURL:   e.getenv("TIKTOK_AUTH_URL"),
		Logger:    e.log,
		Clock:     e.clock,
	})
	if err != nil {
		return nil, err
	}
	set := db.Config().Sync
	return tiktoksync.New(tiktoksync.Options{
		DB:        db,
		Client:    client,
		SecretKey: e.getenv("SHOPWATCH_SECRET_KEY"),
		Logger:    log,
		Clock:     e.clock,
		Every:     set.Every,
		Overlap:   set.Overlap,
		Backfill:  set.Backfill,
		Progress:  progress,
	})
}
