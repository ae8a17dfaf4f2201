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
func (db *Records) BreakdownWindow(ctx context.Context, shopID, metric string, day rules.Day, days, top int) (*Breakdown, error) {
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
	in, err := db.inputs(ctx, ref, w, m.InputKinds()...) // only m's Result is kept
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
	return b.Top(top), nil
}

// ReportDays computes the shop's reports for several local dates from one
// read of the records that their windows span, such as a date and the
// same date a week before.
func (db *Records) ReportDays(ctx context.Context, shopID string, days ...rules.Day) ([]rules.Report, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	if len(days) == 0 {
		return nil, nil
	}
	lo, hi := slices.Min(days), slices.Max(days)
	span := rules.NewWindow(hi, int(hi-lo)+ref.shop.Profile.WindowDays, ref.shop.Location)
	in, err := db.inputs(ctx, ref, span)
	if err != nil {
		return nil, fmt.Errorf("store: reports %s: %w", shopID, err)
	}
	out := make([]rules.Report, len(days))
	reports := make([]*rules.Report, len(days))
	for i, d := range days {
		w := ref.shop.Window(d)
		out[i] = rules.Evaluate(ref.shop, w, narrow(in, span, w))
		reports[i] = &out[i]
	}
	if err := db.judge(ctx, ref, reports...); err != nil {
		return nil, fmt.Errorf("store: reports %s: %w", shopID, err)
	}
	return out, nil
}

// narrow cuts inputs read for the window span down to w, inside it. The
// per-date counts are sliced; the records outside w are left in, as the
// rules count only those of w's dates (and before its end).
func narrow(in rules.Inputs, span, w rules.Window) rules.Inputs {
	lo, hi := span.Index(w.First), span.Index(w.Last)+1
	out := in
	out.Delivered = in.Delivered[lo:hi]
	if in.Created != nil {
		out.Created = in.Created[lo:hi]
	}
	return out
}

// Feedback is what the negative feedback of a shop's window consists of:
// the report, and the causes behind its NRR and the return reasons behind
// its SFRR, without the products (which cost a scan of the window's orders;
// use BreakdownWindow for those).
type Feedback struct {
	Report  rules.Report
	Causes  []CauseCount // NRR: distinct counted orders per cause
	Reasons []CauseCount // SFRR: distinct counted orders per reason category
}

// Feedback reads the shop's report and its feedback causes for local date
// day, in one read of the window's records and one of its returns.
func (db *Records) Feedback(ctx context.Context, shopID string, day rules.Day) (*Feedback, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	w := ref.shop.Window(day)
	in, err := db.inputs(ctx, ref, w)
	if err != nil {
		return nil, fmt.Errorf("store: feedback %s: %w", shopID, err)
	}
	f := &Feedback{Report: rules.Evaluate(ref.shop, w, in)}
	if err := db.judge(ctx, ref, &f.Report); err != nil {
		return nil, fmt.Errorf("store: feedback %s: %w", shopID, err)
	}
	reviews := newTally()
	for _, rv := range in.Reviews {
		if !w.Contains(rv.Day) || !rules.NRR.CountsReview(rv.Causes) {
			continue
		}
		reviews.orders[rv.OrderID] = true
		for _, c := range rv.Causes.Causes() {
			addTo(reviews.causes, c.String(), rv.OrderID)
			reviews.groups[c.String()] = c.Group().String()
		}
	}
	f.Causes = reviews.ranked()

	returns := newTally()
	if err := db.tallyReturns(ctx, ref, w, returns); err != nil {
		return nil, fmt.Errorf("store: feedback %s: %w", shopID, err)
	}
	f.Reasons = returns.ranked()
	return f, nil
}

// Tally is the window's negative feedback as one tally (rules.Tally): the
// NRR causes, the counted returns by reason and the late chat replies,
// each in its own unit, ranked together. Every message about the shop's
// causes (tips, digests, alerts, appeals) shows this.
func (f *Feedback) Tally() rules.Tally { return NewTally(f.Report, f.Causes, f.Reasons) }

// NewTally is the tally of report's window from all its NRR causes and
// SFRR reasons (as Feedback and Explain with top 0 count them).
func NewTally(report rules.Report, causes, reasons []CauseCount) rules.Tally {
	return rules.NewTally(report, tallyCounts(causes), tallyCounts(reasons))
}

func tallyCounts(list []CauseCount) []rules.TallyCount {
	out := make([]rules.TallyCount, len(list))
	for i, c := range list {
		out[i] = rules.TallyCount{Name: c.Name, Fault: c.Group, Orders: c.Count, Unclassified: c.Unclassified}
	}
	return out
}
