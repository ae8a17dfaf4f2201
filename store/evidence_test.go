package store

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/rules"
)

// The report scenario (report_test.go) for 2026-11-02: its negative reviews
// are r1 (A, damaged), r2 (A, damaged from its text), r3 (B, late delivery
// only), r4 (C, no cause) and r8 (G, counterfeit and late delivery); its
// returns x1 (A, damaged), x2 (B, buyer: no longer needed), x3 (C,
// cancelled), x4 (D, seller_won), x5 (E, logistics), x6 (F, unclassified)
// and x7 (A, missing items).
func TestEvidenceScenario(t *testing.T) {
	db := loadScenario(t)
	ctx := context.Background()
	day := rules.DateDay(2026, 11, 2)
	tests := []struct {
		name            string
		product         string
		reviews         int
		logistics       RecordCount
		returns         int
		buyer, withdraw RecordCount
		won             RecordCount
		// tally: entry (the cause, or reason: for a reason without one) ->
		// orders with a counted negative review, counted returns. The late
		// chats (slow_response) are the shop's, product or not.
		tally map[string][2]int
		top   []string
	}{
		// r1 and r2 are both order A: one order with a damaged review.
		{"whole shop", "", 5, RecordCount{Count: 1, Orders: []string{"B"}},
			7, RecordCount{Count: 1, Orders: []string{"B"}}, RecordCount{Count: 1, Orders: []string{"C"}}, RecordCount{Count: 1, Orders: []string{"D"}},
			map[string][2]int{"damaged": {1, 1}, "other": {1, 0}, "counterfeit": {1, 0}, "late_delivery": {1, 0}, "missing_item": {0, 1}, "reason:Something weird": {0, 1}, "slow_response": {0, 0}},
			[]string{"p1", "p2", "p3"}},
		{"product with disputed feedback", "p1", 3, RecordCount{Count: 1, Orders: []string{"B"}},
			5, RecordCount{Count: 1, Orders: []string{"B"}}, RecordCount{Count: 1, Orders: []string{"C"}}, RecordCount{Count: 1, Orders: []string{"D"}},
			map[string][2]int{"damaged": {1, 1}, "other": {1, 0}, "slow_response": {0, 0}}, nil},
		{"product with seller feedback only", "p2", 1, RecordCount{},
			2, RecordCount{}, RecordCount{}, RecordCount{}, map[string][2]int{"damaged": {1, 0}, "missing_item": {0, 1}, "reason:Something weird": {0, 1}, "slow_response": {0, 0}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := db.Evidence(ctx, "7495002", tt.product, day)
			if err != nil {
				t.Fatal(err)
			}
			if e.NegativeReviews != tt.reviews || !equalCount(e.LogisticsReviews, tt.logistics) {
				t.Errorf("reviews = %d, logistics %+v; want %d, %+v", e.NegativeReviews, e.LogisticsReviews, tt.reviews, tt.logistics)
			}
			if e.Returns != tt.returns || !equalCount(e.BuyerReturns, tt.buyer) || !equalCount(e.Withdrawn, tt.withdraw) || !equalCount(e.SellerWon, tt.won) {
				t.Errorf("returns = %d, buyer %+v, withdrawn %+v, seller won %+v; want %d, %+v, %+v, %+v",
					e.Returns, e.BuyerReturns, e.Withdrawn, e.SellerWon, tt.returns, tt.buyer, tt.withdraw, tt.won)
			}
			tally := map[string][2]int{}
			for _, en := range e.Tally.Entries {
				key := en.Cause
				if key == "" {
					key = "reason:" + en.Reason
				}
				tally[key] = [2]int{en.Reviews, en.Returns}
			}
			if !maps.Equal(tally, tt.tally) {
				t.Errorf("tally = %v, want %v", tally, tt.tally)
			}
			var top []string
			for _, p := range e.TopProducts {
				top = append(top, p.ID)
			}
			if !slices.Equal(top, tt.top) {
				t.Errorf("top products = %v, want %v", top, tt.top)
			}
			if tt.product != "" && (e.Product == nil || e.Product.ID != tt.product) {
				t.Errorf("product = %+v, want %s", e.Product, tt.product)
			}
		})
	}
}

func equalCount(a, b RecordCount) bool {
	return a.Count == b.Count && slices.Equal(a.Orders, b.Orders) && a.More == b.More
}

// The evidence's figures are the store's own: its report is Report's, the
// reviews it sets aside as logistics-only are exactly the negative reviews
// NRR leaves out, and the returns it sets aside are exactly those SFRR
// leaves out for their status or buyer fault.
func TestEvidenceMatchesReport(t *testing.T) {
	db := loadScenario(t)
	ctx := context.Background()
	day := rules.DateDay(2026, 11, 2)
	e, err := db.Evidence(ctx, "7495002", "", day)
	if err != nil {
		t.Fatal(err)
	}
	r, err := db.Report(ctx, "7495002", day)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []rules.Metric{rules.NRR, rules.SFRR, rules.ChatResponseRate} {
		if got, want := e.Report.Results[m], r.Results[m]; got.Numerator != want.Numerator || got.Denominator != want.Denominator || got.Level != want.Level {
			t.Errorf("%s: evidence report %d/%d %s, Report %d/%d %s", m, got.Numerator, got.Denominator, got.Level, want.Numerator, want.Denominator, want.Level)
		}
	}
	fb, err := db.Feedback(ctx, "7495002", day)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.Tally, fb.Tally(); !reflect.DeepEqual(got, want) {
		t.Errorf("evidence tally %+v\nFeedback's tally %+v", got, want)
	}
	w := e.Window
	neg := count(t, db, "SELECT COUNT(*) FROM reviews r JOIN shops s ON s.id = r.shop WHERE s.shop_id = '7495002' AND r.rating <= 2 AND r.created_day BETWEEN ? AND ?", int64(w.First), int64(w.Last))
	if e.NegativeReviews != neg {
		t.Errorf("negative reviews = %d, the table holds %d", e.NegativeReviews, neg)
	}
	if e.LogisticsReviews.Count+4 != e.NegativeReviews { // r1, r2, r4 and r8 (a product cause too) count in NRR
		t.Errorf("logistics-only %d of %d negative reviews", e.LogisticsReviews.Count, e.NegativeReviews)
	}
	live := 0
	for _, en := range e.Tally.Entries {
		live += en.Returns
	}
	// SFRR (default profile: seller fault) counts orders A and F: returns x1, x7 (A) and x6 (F).
	if live != 3 || r.Results[rules.SFRR].Numerator != 2 {
		t.Errorf("seller-fault returns = %d, SFRR numerator %d; want 3 returns on 2 orders", live, r.Results[rules.SFRR].Numerator)
	}
}

func TestEvidenceUnknownProduct(t *testing.T) {
	db := loadScenario(t)
	_, err := db.Evidence(context.Background(), "7495002", "p9", rules.DateDay(2026, 11, 2))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"p9"`) {
		t.Errorf("err = %v, want ErrNotFound naming p9", err)
	}
}

func TestEvidenceSizeComplaints(t *testing.T) {
	db := MustOpen(t, testConfig)
	MustImport(t, db, Orders, "o.csv", ordersHeader+
		"o1,7495001,shirt,2026-11-01T09:00:00+07:00,Linen Shirt,2026-11-03T09:00:00+07:00,delivered\n"+
		"o2,7495001,shirt,2026-11-01T09:00:00+07:00,Linen Shirt,2026-11-03T09:00:00+07:00,delivered\n"+
		"o3,7495001,vit,2026-11-01T09:00:00+07:00,Vitamin D,2026-11-03T09:00:00+07:00,delivered\n")
	MustImport(t, db, Reviews, "r.csv", "review_id,order_id,shop_id,product_id,rating,created_at,text,tags\n"+
		"r1,o1,7495001,shirt,1,2026-11-05T09:00:00+07:00,they sent size S not M,wrong_item\n"+
		"r2,o3,7495001,vit,1,2026-11-05T09:00:00+07:00,wrong flavour,wrong_item\n"+
		"r3,o3,7495001,vit,2,2026-11-05T09:00:00+07:00,capsule size is huge,product_quality\n")
	MustImport(t, db, Returns, "x.csv", "return_id,order_id,shop_id,product_id,created_at,reason,type,status\n"+
		"x1,o2,7495001,shirt,2026-11-05T09:00:00+07:00,Received the wrong size,refund,approved\n"+
		"x2,o3,7495001,vit,2026-11-05T09:00:00+07:00,Ordered the wrong size,refund,approved\n")
	tests := []struct {
		product string
		want    int
	}{
		{"", 2},      // r1 and x1; r3 is not about the wrong item, x2 is the buyer's mistake
		{"shirt", 2}, // both are the shirt's
		{"vit", 0},   // a supplement shop's complaints do not call for a size chart
	}
	for _, tt := range tests {
		t.Run("product "+tt.product, func(t *testing.T) {
			e, err := db.Evidence(context.Background(), "7495001", tt.product, rules.DateDay(2026, 11, 20))
			if err != nil {
				t.Fatal(err)
			}
			if e.SizeComplaints != tt.want {
				t.Errorf("size complaints = %d, want %d", e.SizeComplaints, tt.want)
			}
		})
	}
}

func TestFindProducts(t *testing.T) {
	db := MustOpen(t, testConfig)
	MustImport(t, db, Orders, "o.csv", ordersHeader+
		"o1,7495001,1001,2026-11-01T09:00:00+07:00,Vitamin C Serum 30ml,,\n"+
		"o2,7495001,1002,2026-11-01T09:00:00+07:00,Hydrating Toner 150ml,,\n"+
		"o3,7495001,1003,2026-11-01T09:00:00+07:00,Serum,,\n"+
		"o4,7495002,2001,2026-11-01T09:00:00-05:00,Dog Bowl,,\n")
	tests := []struct {
		name, q string
		want    []string
	}{
		{"by id", "1002", []string{"1002"}},
		{"by part of the name, several words", "vitamin  c", []string{"1001"}},
		{"ambiguous part", "ml", []string{"1001", "1002"}},
		{"exact name wins", "serum", []string{"1003"}},
		{"another shop's product", "dog", nil},
		{"another shop's id", "2001", nil},
		{"blank", " ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, err := db.FindProducts(context.Background(), "7495001", tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range found {
				ids = append(ids, p.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("FindProducts(%q) = %v, want %v", tt.q, ids, tt.want)
			}
		})
	}
}

func TestRecordCountKeepsFirstOrders(t *testing.T) {
	var c RecordCount
	for _, o := range []string{"o9", "o3", "o3", "o7", "o1", "o5", "o8", "o2"} { // MaxEvidenceOrders is 3
		c.add(o)
	}
	want := RecordCount{Count: 8, Orders: []string{"o1", "o2", "o3"}, More: true}
	if !equalCount(c, want) {
		t.Errorf("= %+v, want %+v", c, want)
	}
}
