package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/shopwatch/shopwatch/rules"
)

// cmdDigest sends the weekly digest for the week ending a date:
// `shopwatch digest --shop ID --date D`, to the shop's channel (with its
// chart), or without --shop every shop's and the all-shops digest to the
// admin channel. A digest already sent is not sent again.
func cmdDigest(ctx context.Context, e *env, g globals, args []string) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	g.register(fs)
	shopID := fs.String("shop", "", "TikTok shop id (default: every shop, and the all-shops digest)")
	date := fs.String("date", "", "the week's last local date YYYY-MM-DD (default: the shop's yesterday)")
	wait := fs.Duration("wait", deliverWait, "how long to wait for delivery; the rest is left to `shopwatch serve`")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	db, err := openDB(ctx, e, g)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg := db.Config()
	shops := cfg.Shops()
	if *shopID != "" {
		s, ok := cfg.Shop(*shopID)
		if !ok {
			return fmt.Errorf("unknown shop %q (not in the config)", *shopID)
		}
		shops = []*rules.Shop{s}
	}
	m, err := newMonitor(e, db, nil, "", e.log, nil)
	if err != nil {
		return err
	}
	unlock, err := lockRuns(ctx, db)
	if err != nil {
		return err
	}
	defer unlock()
	now := e.clock.Now()
	var overviewDay rules.Day
	for i, s := range shops {
		_, day, err := shopDay(e, db, s.ID, *date)
		if err != nil {
			return err
		}
		if i == 0 || day < overviewDay {
			overviewDay = day
		}
		added, err := m.Digest(ctx, s.ID, day, now)
		if err != nil {
			return err
		}
		if added == 0 {
			fmt.Fprintf(e.stderr, "the digest of %s for the week to %s was sent before: not sending it again\n", s.Name, day)
		}
	}
	if *shopID == "" && cfg.AdminChannel != "" {
		added, err := m.Overview(ctx, overviewDay, now)
		if err != nil {
			return err
		}
		if added == 0 {
			fmt.Fprintf(e.stderr, "the all-shops digest for the week to %s was sent before: not sending it again\n", overviewDay)
		}
	}
	return deliver(ctx, e, db, m, *wait)
}
