package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
)

// Evidence is what a shop's records can show in an appeal, over its
// profile's window: the feedback that the shop's metrics leave out or that
// a seller may dispute, and the seller-side feedback by cause, each counted
// in its own unit (negative reviews, returns), never as orders. With a
// product it covers that product's reviews and returns; chat is shop-wide.
type Evidence struct {
	ShopID  string
	Window  rules.Window
	Report  rules.Report // the shop's report for the window's last date
	Product *ProductRef  // nil: the whole shop

	NegativeReviews  int         // reviews rated 1-2 created in the window
	LogisticsReviews RecordCount // of those, reviews whose causes are all logistics (not in NRR)

	Returns      int         // returns created in the window, whatever their status
	BuyerReturns RecordCount // live returns whose reason is the buyer's (fault class buyer)
	Withdrawn    RecordCount // returns with status cancelled: the buyer withdrew them
	SellerWon    RecordCount // returns with status seller_won: decided for the seller
	// Tally is the window's tally of negative feedback (as Feedback.Tally
	// counts it: orders with a counted negative review, counted returns and
	// late chat replies, by cause), narrowed to Product when there is one.
	Tally rules.Tally

	// SizeComplaints counts wrong-item or not-as-described reviews and
	// returns that mention a size: what makes a size chart relevant.
	SizeComplaints int

	// TopProducts are the products with the most negative reviews plus
	// returns in the window (shop-wide evidence only), most first.
	TopProducts []ProductFeedback
}

// RecordCount counts records and keeps the first few of their order ids
// (sorted, distinct), for the seller to look up.
type RecordCount struct {
	Count  int
	Orders []string
	More   bool // the records have more orders than Orders keeps
}

// MaxEvidenceOrders is how many order ids a RecordCount keeps.
const MaxEvidenceOrders = 3

func (c *RecordCount) add(order string) {
	c.Count++
	if i, found := slices.BinarySearch(c.Orders, order); !found {
		c.Orders = slices.Insert(c.Orders, i, order)
		if len(c.Orders) > MaxEvidenceOrders {
			c.Orders, c.More = c.Orders[:MaxEvidenceOrders], true
		}
	}
}

// ProductRef is a product as the shop's orders name it.
type ProductRef struct {
	ID   string
	Name string // "" when no order line gave a name
}

// ProductFeedback is a product's share of the window's negative feedback.
type ProductFeedback struct {
	ProductRef
	NegativeReviews int
	Returns         int
}

// maxTopProducts bounds Evidence.TopProducts.
const maxTopProducts = 5

const (
	qEvidenceReviews = `SELECT r.order_id, r.product_id, r.causes, r.text, COALESCE(l.name, '')
FROM reviews r LEFT JOIN products l ON l.shop = r.shop AND l.product_id = r.product_id
WHERE r.shop = ? AND r.created_day BETWEEN ? AND ? AND r.rating <= 2`
	qProducts = `SELECT product_id, name FROM products WHERE shop = ? ORDER BY product_id`
)

// Evidence reads what the shop's records for the window ending on local
// date day can show in an appeal; productID, when not "", narrows reviews
// and returns to that product (which must be one of the shop's products).
func (db *Records) Evidence(ctx context.Context, shopID, productID string, day rules.Day) (*Evidence, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	w := ref.shop.Window(day)
	in, err := db.inputs(ctx, ref, w)
	if err != nil {
		return nil, fmt.Errorf("store: evidence %s: %w", shopID, err)
	}
	e := &Evidence{ShopID: shopID, Window: w, Report: rules.Evaluate(ref.shop, w, in)}
	if productID != "" {
		p, err := db.product(ctx, ref, productID)
		if err != nil {
			return nil, err
		}
		e.Product = &p
	}
	top := map[string]*ProductFeedback{}
	bump := func(id, name string) *ProductFeedback {
		p := top[id]
		if p == nil {
			p = &ProductFeedback{ProductRef: ProductRef{ID: id}}
			top[id] = p
		}
		p.Name = cmp.Or(p.Name, name)
		return p
	}
	reviews, returns := newTally(), newTally()
	if err := db.evidenceReviews(ctx, ref, w, productID, e, reviews, bump); err != nil {
		return nil, fmt.Errorf("store: evidence %s: %w", shopID, err)
	}
	if err := db.evidenceReturns(ctx, ref, w, productID, e, returns, bump); err != nil {
		return nil, fmt.Errorf("store: evidence %s: %w", shopID, err)
	}
	e.Tally = NewTally(e.Report, reviews.ranked(), returns.ranked())
	if productID == "" {
		for _, p := range top {
			e.TopProducts = append(e.TopProducts, *p)
		}
		slices.SortFunc(e.TopProducts, func(x, y ProductFeedback) int {
			return cmp.Or(cmp.Compare(y.NegativeReviews+y.Returns, x.NegativeReviews+x.Returns), cmp.Compare(x.ID, y.ID))
		})
		e.TopProducts = e.TopProducts[:min(maxTopProducts, len(e.TopProducts))]
	}
	return e, nil
}

func (db *Records) evidenceReviews(ctx context.Context, ref shopRef, w rules.Window, productID string, e *Evidence, t *tally, bump func(id, name string) *ProductFeedback) error {
	rows, err := db.query(ctx, qEvidenceReviews, ref.key, int64(w.First), int64(w.Last))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var order, product, text, name string
		var causes int64
		if err := rows.Scan(&order, &product, &causes, &text, &name); err != nil {
			return err
		}
		if productID != "" && product != productID {
			continue
		}
		bump(product, name).NegativeReviews++
		e.NegativeReviews++
		set := rules.CauseSet(causes)
		if !set.SellerRelated() {
			e.LogisticsReviews.add(order)
			continue
		}
		t.orders[order] = true
		for _, c := range set.Causes() { // "other" for a review without a cause
			addTo(t.causes, c.String(), order)
			t.groups[c.String()] = c.Group().String()
		}
		if (set.Has(rules.CauseWrongItem) || set.Has(rules.CauseNotAsDescribed)) && mentionsSize(text) {
			e.SizeComplaints++
		}
	}
	return rows.Err()
}

func (db *Records) evidenceReturns(ctx context.Context, ref shopRef, w rules.Window, productID string, e *Evidence, t *tally, bump func(id, name string) *ProductFeedback) error {
	return db.eachReturn(ctx, ref, w, func(r returnRow) {
		if productID != "" && r.product != productID {
			return
		}
		bump(r.product, r.name).Returns++
		e.Returns++
		if ref.shop.Profile.CountsReturn(r.status, r.fault) {
			t.addReturn(r)
		}
		switch {
		case r.status == rules.ReturnCancelled:
			e.Withdrawn.add(r.order)
		case r.status == rules.ReturnSellerWon:
			e.SellerWon.add(r.order)
		case r.fault == rules.FaultBuyer:
			e.BuyerReturns.add(r.order)
		case r.fault == rules.FaultSeller:
			if (r.category == "wrong_item" || r.category == "not_as_described") && mentionsSize(r.reason) {
				e.SizeComplaints++
			}
		}
	})
}

// mentionsSize reports whether a review text or return reason speaks of
// a size or fit.
func mentionsSize(s string) bool {
	s = strings.ToLower(s)
	for _, w := range []string{"size", "too small", "too big", "too large", "too tight", "too loose", "doesn't fit", "does not fit", "didn't fit", "did not fit"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// product reads one of the shop's products by id.
func (db *Records) product(ctx context.Context, ref shopRef, id string) (ProductRef, error) {
	all, err := db.products(ctx, ref)
	if err != nil {
		return ProductRef{}, err
	}
	for _, p := range all {
		if p.ID == id {
			return p, nil
		}
	}
	return ProductRef{}, fmt.Errorf("product %q of shop %s: %w", id, ref.shop.ID, ErrNotFound)
}

func (db *Records) products(ctx context.Context, ref shopRef) ([]ProductRef, error) {
	rows, err := db.query(ctx, qProducts, ref.key)
	if err != nil {
		return nil, fmt.Errorf("store: products of %s: %w", ref.shop.ID, err)
	}
	defer rows.Close()
	var out []ProductRef
	for rows.Next() {
		var p ProductRef
		if err := rows.Scan(&p.ID, &p.Name); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FindProducts returns the shop's products that q names: the product with
// that id, or else those whose name contains q (ignoring case and runs of
// spaces), by id.
func (db *Records) FindProducts(ctx context.Context, shopID, q string) ([]ProductRef, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return nil, err
	}
	all, err := db.products(ctx, ref)
	if err != nil {
		return nil, err
	}
	q = strings.TrimSpace(q)
	for _, p := range all {
		if p.ID == q {
			return []ProductRef{p}, nil
		}
	}
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	want := norm(q)
	var out []ProductRef
	if want == "" {
		return nil, nil
	}
	for _, p := range all {
		name := norm(p.Name)
		if name == want {
			return []ProductRef{p}, nil // an exact name wins over names that contain it
		}
		if strings.Contains(name, want) {
			out = append(out, p)
		}
	}
	return out, nil
}
