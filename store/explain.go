package store

import (
	"context"
	"fmt"
	"maps"

	"github.com/shopwatch/shopwatch/rules"
)

// Explanation is what lies behind a shop's negative feedback on a date, as
// the monitor's alerts show it: for each of nrr, nrr_product, nrr_service
// and sfrr, the causes (return reasons for sfrr) and the products, counted
// in the window's negative reviews and counted returns, each product with
// its own rate.
type Explanation struct {
	Causes   map[rules.Metric][]CauseCount
	Products map[rules.Metric][]ProductCount
}

// explainedMetrics are the metrics Explain covers.
var explainedMetrics = []rules.Metric{rules.NRR, rules.NRRProduct, rules.NRRService, rules.SFRR}

// Explain reads what lies behind every metric of the shop's window for
// local date day in one read of its negative reviews, one of its returns
// and one of its orders (two when the SFRR counts created orders), keeping
// the top entries of each list (all when top is 0).
func (db *Records) Explain(ctx context.Context, shopID string, day rules.Day, top int) (*Explanation, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	w := ref.shop.Window(day)
	tallies := map[rules.Metric]*tally{}
	for _, m := range explainedMetrics {
		tallies[m] = newTally()
	}
	err = db.eachNegativeReview(ctx, ref, w, func(order, product, name string, set rules.CauseSet) {
		for _, m := range []rules.Metric{rules.NRR, rules.NRRProduct, rules.NRRService} {
			tallies[m].addReview(m, order, product, name, set)
		}
	})
	if err == nil {
		err = db.tallyReturns(ctx, ref, w, tallies[rules.SFRR])
	}
	if err != nil {
		return nil, fmt.Errorf("store: explain %s: %w", shopID, err)
	}

	// The products' own bases: one read of the window's orders for all the
	// metrics that count delivered orders.
	p := ref.shop.Profile
	delivered := map[string]map[string]bool{}
	for m, t := range tallies {
		if m != rules.SFRR || sfrrBase(p) == qProductDelivered {
			maps.Copy(delivered, t.products)
		}
	}
	bases := map[rules.Metric]map[string]int{}
	deliveredBases, err := db.productBases(ctx, ref, w, qProductDelivered, delivered)
	if err != nil {
		return nil, fmt.Errorf("store: explain %s: %w", shopID, err)
	}
	for _, m := range explainedMetrics {
		bases[m] = deliveredBases
	}
	if sfrrBase(p) != qProductDelivered {
		if bases[rules.SFRR], err = db.productBases(ctx, ref, w, sfrrBase(p), tallies[rules.SFRR].products); err != nil {
			return nil, fmt.Errorf("store: explain %s: %w", shopID, err)
		}
	}

	e := &Explanation{Causes: map[rules.Metric][]CauseCount{}, Products: map[rules.Metric][]ProductCount{}}
	for m, t := range tallies {
		causes, products := t.ranked(), t.rankedProducts(bases[m])
		if top > 0 {
			causes, products = causes[:min(top, len(causes))], products[:min(top, len(products))]
		}
		e.Causes[m], e.Products[m] = causes, products
	}
	return e, nil
}

// Daily is what the daily evaluation reads of a shop for a date, from one
// read of its records: the date's report, the report of a week before (an
// alert's trend) and, when the chat response rate is past warn, the chat
// hours of the date's window, slowest first (a chat alert's explanation).
type Daily struct {
	Report    rules.Report
	WeekAgo   rules.Report
	ChatHours []HourStat
}

// Daily reads the shop's daily figures for local date day.
func (db *Records) Daily(ctx context.Context, shopID string, day rules.Day) (*Daily, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	s := ref.shop
	span := rules.NewWindow(day, 7+s.Profile.WindowDays, s.Location)
	in, err := db.inputs(ctx, ref, span)
	if err != nil {
		return nil, fmt.Errorf("store: daily %s %s: %w", shopID, day, err)
	}
	w := s.Window(day)
	d := &Daily{Report: rules.Evaluate(s, w, narrow(in, span, w))}
	before := s.Window(day - 7)
	d.WeekAgo = rules.Evaluate(s, before, narrow(in, span, before))
	if err := db.judge(ctx, ref, &d.Report, &d.WeekAgo); err != nil {
		return nil, fmt.Errorf("store: daily %s %s: %w", shopID, day, err)
	}
	if d.Report.Results[rules.ChatResponseRate].Level.Severity() > 0 {
		b := &Breakdown{ShopID: shopID, Metric: rules.ChatResponseRate, Window: w}
		if err := db.chatBreakdown(ctx, ref, w, b, in.Turns); err != nil {
			return nil, fmt.Errorf("store: daily %s %s: %w", shopID, day, err)
		}
		d.ChatHours = b.Hours
	}
	return d, nil
}
