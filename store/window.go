package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
)

// MaxWindowDays bounds the window of BreakdownWindow.
const MaxWindowDays = 366

// BreakdownWindow is Breakdown over a window of days local dates ending at
// day instead of the profile's window (0 days: the profile's). The metric
// in the result is computed by the rules over that window, with the
// profile's thresholds and volume minimums.
func (db *DB) BreakdownWindow(ctx context.Context, shopID, metric string, day rules.Day, days, top int) (*Breakdown, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(BreakdownMetrics, metric) {
		return nil, fmt.Errorf("unknown breakdown metric %q (want one of %s)", metric, strings.Join(BreakdownMetrics, ", "))
	}
	if days < 0 || days > MaxWindowDays {
		return nil, fmt.Errorf("window of %d days: want 1 to %d", days, MaxWindowDays)
	}
	if days == 0 {
		days = ref.shop.Profile.WindowDays
	}
	m := rules.Metric(metric)
	if metric == "chat" {
		m = rules.ChatResponseRate
	}
	w := rules.NewWindow(day, days, ref.shop.Location)
	in, err := db.inputs(ctx, ref, w)
	if err != nil {
		return nil, fmt.Errorf("store: breakdown: %w", err)
	}
	report := rules.Evaluate(ref.shop, w, in)
	b := &Breakdown{ShopID: shopID, Metric: m, Window: w, Result: report.Results[m]}
	switch m {
	case rules.ChatResponseRate:
		err = db.chatBreakdown(ctx, ref, w, b, in.Turns)
	case rules.SFRR:
		err = db.returnBreakdown(ctx, ref, w, b)
	default:
		err = db.reviewBreakdown(ctx, ref, w, b)
	}
	if err != nil {
		return nil, fmt.Errorf("store: breakdown: %w", err)
	}
	if top > 0 {
		b.Products = b.Products[:min(top, len(b.Products))]
		b.Causes = b.Causes[:min(top, len(b.Causes))]
		b.Hours = b.Hours[:min(top, len(b.Hours))]
		b.Waiting = b.Waiting[:min(top, len(b.Waiting))]
	}
	return b, nil
}
