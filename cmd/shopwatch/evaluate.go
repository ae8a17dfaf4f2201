package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
)

// maxEvaluateDays bounds a replay.
const maxEvaluateDays = 400

// cmdEvaluate runs the daily job on demand: `shopwatch evaluate --date D
// [--shop ID] [--from D0]`. It computes each shop's metrics for D, decides
// the alerts and delivers them (to Slack with SLACK_BOT_TOKEN, else to
// stdout). With --from it evaluates every date from D0 to D in order,
// which replays the alert history. A date evaluated again posts nothing
// twice.
func cmdEvaluate(ctx context.Context, e *env, g globals, args []string) error {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	g.register(fs)
	date := fs.String("date", "", "local date YYYY-MM-DD (default: each shop's latest date due, its yesterday after the evaluation time)")
	from := fs.String("from", "", "evaluate every date from this one to --date, in order (a replay)")
	shopID := fs.String("shop", "", "TikTok shop id (default: every shop)")
	wait := fs.Duration("wait", deliverWait, "how long to wait for delivery; the rest is left to `shopwatch serve`")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	if *from != "" && *date == "" {
		return fmt.Errorf("%w: --from needs --date", errUsage)
	}
	db, err := openDB(ctx, e, g)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg := db.Config()
	var ids []string
	if *shopID != "" {
		if _, ok := cfg.Shop(*shopID); !ok {
			return fmt.Errorf("unknown shop %q (not in the config)", *shopID)
		}
		ids = []string{*shopID}
	}
	m, err := newMonitor(e, db, nil, "", e.log, nil)
	if err != nil {
		return err
	}
	// Wait for a replica's run in progress; then the dates due are known.
	unlock, err := lockRuns(ctx, db)
	if err != nil {
		return err
	}
	defer unlock()
	now := e.clock.Now()

	// The dates, and the shops of each.
	byDay := map[rules.Day][]string{}
	if *date == "" {
		for _, s := range cfg.Shops() {
			if *shopID == "" || s.ID == *shopID {
				d := monitor.DueDay(s, cfg.Evaluation, now)
				byDay[d] = append(byDay[d], s.ID)
			}
		}
	} else {
		last, err := rules.ParseDay(*date)
		if err != nil {
			return fmt.Errorf("%w: --date: %v", errUsage, err)
		}
		first := last
		if *from != "" {
			if first, err = rules.ParseDay(*from); err != nil {
				return fmt.Errorf("%w: --from: %v", errUsage, err)
			}
		}
		if first > last || last-first >= maxEvaluateDays {
			return fmt.Errorf("%w: --from %s to --date %s: want 1 to %d dates in order", errUsage, first, last, maxEvaluateDays)
		}
		for d := first; d <= last; d++ {
			byDay[d] = ids
		}
	}

	var failed []error
	for _, d := range slices.Sorted(maps.Keys(byDay)) {
		sum, err := m.Evaluate(ctx, d, byDay[d], now)
		if err != nil {
			return err
		}
		// Deliver each date before the next, so that a replay posts in order.
		if err := deliver(ctx, e, db, m, *wait); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, summaryLine(sum))
		failed = append(failed, sum.Errors...)
	}
	if len(failed) > 0 {
		return fmt.Errorf("some shops could not be evaluated: %w", errors.Join(failed...))
	}
	return nil
}

// summaryLine says what one evaluation did.
func summaryLine(s monitor.Summary) string {
	var parts []string
	for _, t := range []rules.Transition{rules.TransitionCritical, rules.TransitionWarn, rules.TransitionImproving,
		rules.TransitionReminder, rules.TransitionResolved, rules.TransitionStale} {
		if n := s.Notifications[t]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, t))
		}
	}
	what := "no notifications"
	if len(parts) > 0 {
		what = strings.Join(parts, ", ")
	}
	line := fmt.Sprintf("evaluated %d shops for %s in %s: %s", s.Shops, s.Day, s.Duration.Round(time.Millisecond), what)
	if s.Repeated > 0 {
		line += fmt.Sprintf("; %d new, %d already posted before (not again)", s.Added, s.Repeated)
	}
	if s.Failed > 0 {
		line += fmt.Sprintf("; %d shops failed", s.Failed)
	}
	return line
}
