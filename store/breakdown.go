package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// Breakdown is what lies behind one metric's numerator: the products and
// causes (or return reasons) that drive it, or for chat the hours of the day
// and the conversations still waiting.
type Breakdown struct {
	ShopID   string
	Metric   rules.Metric
	Window   rules.Window
	Result   rules.Result // the metric itself
	Products []ProductCount
	Causes   []CauseCount // nrr*: causes; sfrr: return reasons
	Hours    []HourStat   // chat: by local hour of the buyer's message
	Waiting  []WaitingChat
}

// Top returns b with its lists cut to their first n entries (all of them
// when n is 0): a copy, b is left as it is.
func (b *Breakdown) Top(n int) *Breakdown {
	if n <= 0 {
		return b
	}
	t := *b
	t.Products, t.Causes, t.Hours, t.Waiting = head(t.Products, n), head(t.Causes, n), head(t.Hours, n), head(t.Waiting, n)
	return &t
}

// head is s's first n elements, with no room to append into s's array.
func head[T any](s []T, n int) []T {
	n = min(n, len(s))
	return s[:n:n]
}

// ProductCount is one product's share of a numerator. Messages in the
// outbox keep it too (monitor.Alert, monitor.Digest); its JSON names are
// theirs ("ID").
type ProductCount struct {
	ProductID string `json:"ID"`
	Name      string
	Count     int     // counted orders with this product
	Base      int     // the product's own denominator: its delivered (or created) orders
	Rate      float64 // Count / Base; 0 when Base is 0
	// Metric is the metric whose breakdown the product comes from, when
	// products of several metrics are listed together.
	Metric rules.Metric `json:",omitempty"`
}

// CauseCount is one cause's (or return reason's) share of a numerator.
type CauseCount struct {
	Name         string // cause name, or return reason category
	Group        string // cause group, or return fault class
	Count        int    // counted orders with this cause
	Share        float64
	Unclassified bool // a return reason that matched no rule (counted as seller fault)
}

// HourStat is chat performance for buyer turns starting in one local hour.
type HourStat struct {
	Hour     int     `json:"hour"`
	Turns    int     `json:"turns"` // on time + late
	Late     int     `json:"late"`
	Replied  int     `json:"replied"`
	AvgHours float64 `json:"avg_response_hours"` // mean response time of replied turns
}

// WaitingChat is a buyer turn without a reply that is still inside the target.
type WaitingChat struct {
	ConversationID string    `json:"conversation_id"`
	Since          time.Time `json:"since"`
	Deadline       time.Time `json:"reply_by"`
}

// BreakdownMetrics are the metrics Breakdown accepts ("chat" covers both
// chat metrics).
var BreakdownMetrics = []string{"nrr", "nrr_product", "nrr_service", "sfrr", "chat"}

// Breakdown explains metric for the shop's local date day over the
// profile's window, keeping the top entries of each list (all when top is 0).
func (db *Records) Breakdown(ctx context.Context, shopID, metric string, day rules.Day, top int) (*Breakdown, error) {
	return db.BreakdownWindow(ctx, shopID, metric, day, 0, top)
}

// tally counts distinct orders per product and per cause.
type tally struct {
	products map[string]map[string]bool // product -> orders
	names    map[string]string
	causes   map[string]map[string]bool // cause -> orders
	groups   map[string]string
	unclass  map[string]bool
	orders   map[string]bool
}

func newTally() *tally {
	return &tally{products: map[string]map[string]bool{}, names: map[string]string{}, causes: map[string]map[string]bool{},
		groups: map[string]string{}, unclass: map[string]bool{}, orders: map[string]bool{}}
}

func addTo(m map[string]map[string]bool, key, order string) {
	if m[key] == nil {
		m[key] = map[string]bool{}
	}
	m[key][order] = true
}

// ranked lists a tally's causes, most orders first, with their share of
// the tallied orders.
func (t *tally) ranked() []CauseCount {
	var out []CauseCount
	for name, orders := range t.causes {
		cc := CauseCount{Name: name, Group: t.groups[name], Count: len(orders), Unclassified: t.unclass[name]}
		if n := len(t.orders); n > 0 {
			cc.Share = float64(cc.Count) / float64(n)
		}
		out = append(out, cc)
	}
	slices.SortFunc(out, func(x, y CauseCount) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Name, y.Name))
	})
	return out
}

const qReviewDetail = `SELECT r.order_id, r.product_id, r.causes, COALESCE(l.name, '')
FROM reviews r LEFT JOIN products l ON l.shop = r.shop AND l.product_id = r.product_id
WHERE r.shop = ? AND r.created_day BETWEEN ? AND ? AND r.rating <= 2`

// eachNegativeReview calls fn for each review rated 1-2 created in w.
func (db *Records) eachNegativeReview(ctx context.Context, ref shopRef, w rules.Window, fn func(order, product, name string, causes rules.CauseSet)) error {
	rows, err := db.query(ctx, qReviewDetail, ref.key, int64(w.First), int64(w.Last))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var order, product, name string
		var causes int64
		if err := rows.Scan(&order, &product, &causes, &name); err != nil {
			return err
		}
		fn(order, product, name, rules.CauseSet(causes))
	}
	return rows.Err()
}

// addReview counts a negative review in the tally of metric m (nrr,
// nrr_product or nrr_service), if m counts it.
func (t *tally) addReview(m rules.Metric, order, product, name string, set rules.CauseSet) {
	if !m.CountsReview(set) {
		return
	}
	t.orders[order] = true
	addTo(t.products, product, order)
	t.names[product] = cmp.Or(t.names[product], name)
	for _, c := range set.Causes() {
		g := c.Group()
		// nrr_product and nrr_service count reviews by group: show that group's causes.
		if (m == rules.NRRProduct && g != rules.GroupProduct) || (m == rules.NRRService && g != rules.GroupService) {
			continue
		}
		addTo(t.causes, c.String(), order)
		t.groups[c.String()] = g.String()
	}
}

func (db *Records) reviewBreakdown(ctx context.Context, ref shopRef, w rules.Window, b *Breakdown) error {
	t := newTally()
	err := db.eachNegativeReview(ctx, ref, w, func(order, product, name string, set rules.CauseSet) {
		t.addReview(b.Metric, order, product, name, set)
	})
	if err != nil {
		return err
	}
	return db.finishTally(ctx, ref, w, b, t, qProductDelivered)
}

const qReturnDetail = `SELECT r.order_id, r.product_id, r.status, r.fault, r.category, r.classified, r.reason, COALESCE(l.name, '')
FROM returns r LEFT JOIN products l ON l.shop = r.shop AND l.product_id = r.product_id
WHERE r.shop = ? AND r.created_day BETWEEN ? AND ?`

// returnRow is one return as the window queries read it.
type returnRow struct {
	order, product, status, category, reason, name string
	fault                                          rules.Fault
	classified                                     bool
}

// eachReturn calls fn for each return created in w, whatever its status.
func (db *Records) eachReturn(ctx context.Context, ref shopRef, w rules.Window, fn func(r returnRow)) error {
	rows, err := db.query(ctx, qReturnDetail, ref.key, int64(w.First), int64(w.Last))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r returnRow
		var fault int64
		if err := rows.Scan(&r.order, &r.product, &r.status, &fault, &r.category, &r.classified, &r.reason, &r.name); err != nil {
			return err
		}
		r.fault = rules.Fault(fault)
		fn(r)
	}
	return rows.Err()
}

// tallyReturns counts the returns created in w that the shop's SFRR counts,
// by product and by reason (the raw reason when no rule classified it).
func (db *Records) tallyReturns(ctx context.Context, ref shopRef, w rules.Window, t *tally) error {
	p := ref.shop.Profile
	return db.eachReturn(ctx, ref, w, func(r returnRow) {
		if p.CountsReturn(r.status, r.fault) {
			t.addReturn(r)
		}
	})
}

// addReturn counts a counted return for its product and its reason: the
// reason's category, or the raw reason when no rule classified it.
func (t *tally) addReturn(r returnRow) {
	t.orders[r.order] = true
	addTo(t.products, r.product, r.order)
	t.names[r.product] = cmp.Or(t.names[r.product], r.name)
	key := r.category
	if !r.classified {
		key = r.reason
		t.unclass[key] = true
	}
	addTo(t.causes, key, r.order)
	t.groups[key] = r.fault.String()
}

func (db *Records) returnBreakdown(ctx context.Context, ref shopRef, w rules.Window, b *Breakdown) error {
	t := newTally()
	if err := db.tallyReturns(ctx, ref, w, t); err != nil {
		return err
	}
	return db.finishTally(ctx, ref, w, b, t, sfrrBase(ref.shop.Profile))
}

// The orders behind each product's own rate: each row is one order's
// products, one per line.
const (
	qProductDelivered = `SELECT products FROM orders WHERE shop = ?1 AND delivered_day BETWEEN ?2 AND ?3`
	qProductCreated   = `SELECT products FROM orders WHERE shop = ?1 AND delivered_day IS NULL AND created_day BETWEEN ?2 AND ?3
UNION ALL
SELECT products FROM orders WHERE shop = ?1 AND delivered_day >= ?2 AND created_day BETWEEN ?2 AND ?3`
)

// sfrrBase is the query of a product's own SFRR denominator under p.
func sfrrBase(p rules.Profile) string {
	if p.SFRRDenominator == rules.DenomOrders {
		return qProductCreated
	}
	return qProductDelivered
}

// finishTally ranks the tallied products and causes, with each product's
// own rate over the denominator query base.
func (db *Records) finishTally(ctx context.Context, ref shopRef, w rules.Window, b *Breakdown, t *tally, base string) error {
	bases, err := db.productBases(ctx, ref, w, base, t.products)
	if err != nil {
		return err
	}
	b.Products = t.rankedProducts(bases)
	b.Causes = t.ranked()
	return nil
}

// productBases counts, for each product of want, the window's orders that
// the query base selects: a product's own denominator. It reads nothing
// when want is empty.
func (db *Records) productBases(ctx context.Context, ref shopRef, w rules.Window, base string, want map[string]map[string]bool) (map[string]int, error) {
	bases := map[string]int{}
	if len(want) == 0 {
		return bases, nil
	}
	rows, err := db.query(ctx, base, ref.key, int64(w.First), int64(w.Last))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var products string
		if err := rows.Scan(&products); err != nil {
			return nil, err
		}
		for id := range strings.SplitSeq(products, "\n") {
			if _, ok := want[id]; ok {
				bases[id]++
			}
		}
	}
	return bases, rows.Err()
}

// rankedProducts lists a tally's products, most counted orders first, then
// the highest own rate over bases.
func (t *tally) rankedProducts(bases map[string]int) []ProductCount {
	var out []ProductCount
	for id, orders := range t.products {
		pc := ProductCount{ProductID: id, Name: t.names[id], Count: len(orders), Base: bases[id]}
		if pc.Base > 0 {
			pc.Rate = float64(pc.Count) / float64(pc.Base)
		}
		out = append(out, pc)
	}
	slices.SortFunc(out, func(x, y ProductCount) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(y.Rate, x.Rate), cmp.Compare(x.ProductID, y.ProductID))
	})
	return out
}

const qWaiting = `SELECT conversation_id, start_at FROM chat_turns WHERE shop = ? AND start_day BETWEEN ? AND ? AND start_at >= ? AND (reply_at IS NULL OR reply_at >= ?) ORDER BY start_at`

func (db *Records) chatBreakdown(ctx context.Context, ref shopRef, w rules.Window, b *Breakdown, turns []rules.Turn) error {
	s := ref.shop
	end, target := w.End.UnixMilli(), s.Profile.TargetMillis()
	hours := make([]HourStat, 24)
	var replyMillis [24]int64
	for h := range hours {
		hours[h].Hour = h
	}
	for _, t := range turns {
		if !s.CountsTurn(t, w) {
			continue
		}
		h := time.UnixMilli(t.Start).In(s.Location).Hour()
		outcome, replied := rules.ClassifyTurn(t, end, target)
		switch outcome {
		case rules.TurnOnTime:
			hours[h].Turns++
		case rules.TurnLate:
			hours[h].Turns++
			hours[h].Late++
		}
		if replied {
			hours[h].Replied++
			replyMillis[h] += t.Reply - t.Start
		}
	}
	for h := range hours {
		if hours[h].Replied > 0 {
			hours[h].AvgHours = float64(replyMillis[h]) / float64(hours[h].Replied) / float64(time.Hour/time.Millisecond)
		}
		if hours[h].Turns > 0 {
			b.Hours = append(b.Hours, hours[h])
		}
	}
	// Slowest first: the most late turns, then the longest average response.
	slices.SortFunc(b.Hours, func(x, y HourStat) int {
		return cmp.Or(cmp.Compare(y.Late, x.Late), cmp.Compare(y.AvgHours, x.AvgHours), cmp.Compare(x.Hour, y.Hour))
	})
	// Turns still within the target at the end of the day: the ones to answer now.
	rows, err := db.query(ctx, qWaiting, ref.key, int64(w.First), int64(w.Last), end-target, end)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var start int64
		if err := rows.Scan(&id, &start); err != nil {
			return err
		}
		if s.OnHoliday(rules.DayOfUnixMilli(start, s.Location)) || start >= end {
			continue
		}
		b.Waiting = append(b.Waiting, WaitingChat{ConversationID: id, Since: time.UnixMilli(start).In(s.Location), Deadline: time.UnixMilli(start + target).In(s.Location)})
	}
	return rows.Err()
}
