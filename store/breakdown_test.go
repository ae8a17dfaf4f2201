package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

func TestBreakdown(t *testing.T) {
	db := loadScenario(t)
	ctx := context.Background()
	D := rules.DateDay(2026, 11, 2)

	nrr, err := db.Breakdown(ctx, "7495002", "nrr", D, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Counted: A (damaged on p1, "broken" on p2), C (other, p1), G (counterfeit + late_delivery, p3).
	wantProducts := map[string]int{"p1": 2, "p2": 1, "p3": 1}
	if len(nrr.Products) != len(wantProducts) || nrr.Products[0].ProductID != "p1" {
		t.Fatalf("products = %+v", nrr.Products)
	}
	for _, p := range nrr.Products {
		if p.Count != wantProducts[p.ProductID] {
			t.Errorf("product %s count = %d, want %d", p.ProductID, p.Count, wantProducts[p.ProductID])
		}
	}
	// p1's own rate: its 2 counted orders over the 42 delivered orders with p1
	// (38 plain, edge-first, edge-last, edge-dst; two-lines has p1 and p2).
	if p := nrr.Products[0]; p.Base != 42 || p.Name != "Serum" {
		t.Errorf("p1 = %+v, want base 42 (all delivered orders hold p1) and name Serum", p)
	}
	wantCauses := map[string]int{"damaged": 1, "other": 1, "counterfeit": 1, "late_delivery": 1}
	for _, c := range nrr.Causes {
		if c.Count != wantCauses[c.Name] {
			t.Errorf("cause %s = %d, want %d", c.Name, c.Count, wantCauses[c.Name])
		}
		delete(wantCauses, c.Name)
	}
	if len(wantCauses) > 0 {
		t.Errorf("missing causes %v", wantCauses)
	}

	product, err := db.Breakdown(ctx, "7495002", "nrr_product", D, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(product.Causes) != 1 || product.Causes[0].Name != "counterfeit" || len(product.Products) != 1 || product.Products[0].ProductID != "p3" {
		t.Errorf("nrr_product breakdown = %+v %+v", product.Products, product.Causes)
	}

	sfrr, err := db.Breakdown(ctx, "7495002", "sfrr", D, 0)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]CauseCount{}
	for _, c := range sfrr.Causes {
		reasons[c.Name] = c
	}
	if c := reasons["Something weird"]; !c.Unclassified || c.Count != 1 || c.Group != "seller" {
		t.Errorf("unclassified reason = %+v (all: %+v)", c, sfrr.Causes)
	}
	if c := reasons["damaged"]; c.Count != 1 || c.Unclassified {
		t.Errorf("damaged = %+v", c)
	}
	if sfrr.Result.Numerator != 2 {
		t.Errorf("sfrr numerator = %d", sfrr.Result.Numerator)
	}

	chat, err := db.Breakdown(ctx, "7495002", "chat", D, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(chat.Waiting) != 1 || chat.Waiting[0].ConversationID != "c5" {
		t.Fatalf("waiting = %+v, want c5", chat.Waiting)
	}
	if want := time.Date(2026, 11, 3, 0, 0, 0, 0, time.FixedZone("EST", -5*3600)); !chat.Waiting[0].Deadline.Equal(want) {
		t.Errorf("c5 reply by %s, want %s", chat.Waiting[0].Deadline, want)
	}
	total, late := 0, 0
	for _, h := range chat.Hours {
		total += h.Turns
		late += h.Late
	}
	if total != 6 || late != 3 {
		t.Errorf("hours total %d late %d, want 6 and 3: %+v", total, late, chat.Hours)
	}
	if chat.Hours[0].Late < chat.Hours[len(chat.Hours)-1].Late {
		t.Errorf("hours not slowest first: %+v", chat.Hours)
	}

	if _, err := db.Breakdown(ctx, "7495002", "nps", D, 0); err == nil {
		t.Error("unknown metric accepted")
	}
	if top, _ := db.Breakdown(ctx, "7495002", "nrr", D, 1); len(top.Products) != 1 || len(top.Causes) != 1 {
		t.Errorf("top 1 kept %d products, %d causes", len(top.Products), len(top.Causes))
	}
}

// In the sea profile the SFRR is over orders created in the window, and so
// is each product's own rate.
func TestBreakdownCreatedBase(t *testing.T) {
	db := MustOpen(t, testConfig)
	MustImport(t, db, Orders, "orders.csv", ordersHeader+
		"in-delivered,7495001,p1,2026-11-05T10:00:00+07:00,Serum,2026-11-08T10:00:00+07:00,delivered\n"+
		"in-later,7495001,p1,2026-11-19T10:00:00+07:00,Serum,2026-11-25T10:00:00+07:00,delivered\n"+
		"in-open,7495001,p1,2026-11-20T10:00:00+07:00,Serum,,in_transit\n"+
		"in-other,7495001,p2,2026-11-20T10:00:00+07:00,Toner,,in_transit\n"+
		"before,7495001,p1,2026-10-01T10:00:00+07:00,Serum,2026-10-25T10:00:00+07:00,delivered\n"+
		"before-open,7495001,p1,2026-10-01T10:00:00+07:00,Serum,,cancelled\n")
	MustImport(t, db, Returns, "returns.csv", "return_id,order_id,shop_id,product_id,created_at,reason\n"+
		"x1,in-delivered,7495001,p1,2026-11-10T10:00:00+07:00,damaged\n")
	b, err := db.Breakdown(context.Background(), "7495001", "sfrr", rules.DateDay(2026, 11, 20), 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Result.Denominator != 4 {
		t.Errorf("sfrr denominator = %d, want the 4 orders created in the window", b.Result.Denominator)
	}
	if len(b.Products) != 1 || b.Products[0].Base != 3 {
		t.Errorf("products = %+v, want p1 with base 3 (in-delivered, in-later, in-open)", b.Products)
	}
}

// An alert's explanation lists the same causes and products, with the same
// own rates, as the breakdown of each metric: for a shop whose SFRR counts
// created orders (sea) and one whose SFRR counts delivered ones.
func TestExplainMatchesBreakdowns(t *testing.T) {
	db := windowFixture(t)
	ctx := context.Background()
	for _, shop := range []string{"7495001", "7495002"} {
		for _, day := range []rules.Day{rules.DateDay(2026, 10, 10), rules.DateDay(2026, 10, 31)} {
			e, err := db.Explain(ctx, shop, day, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range explainedMetrics {
				b, err := db.Breakdown(ctx, shop, string(m), day, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(b.Products) == 0 || b.Products[0].Base == 0 {
					t.Fatalf("%s %s %s: the fixture has no product with a base: %+v", shop, day, m, b.Products)
				}
				if !reflect.DeepEqual(e.Products[m], b.Products) {
					t.Errorf("%s %s %s: explanation products\n%+v\nbreakdown\n%+v", shop, day, m, e.Products[m], b.Products)
				}
				if !reflect.DeepEqual(e.Causes[m], b.Causes) {
					t.Errorf("%s %s %s: explanation causes\n%+v\nbreakdown\n%+v", shop, day, m, e.Causes[m], b.Causes)
				}
			}
		}
	}
}

// TestBreakdownResultIsTheReports: a breakdown's Result is the metric as
// the report computes it, from the record kinds the metric reads only, on
// dates across the scenario, including dates with no reviews.
func TestBreakdownResultIsTheReports(t *testing.T) {
	db := loadScenario(t)
	ctx := context.Background()
	for _, shop := range []string{"7495001", "7495002"} {
		for d := rules.DateDay(2026, 10, 1); d <= rules.DateDay(2026, 11, 10); d += 3 {
			r, err := db.Report(ctx, shop, d)
			if err != nil {
				t.Fatal(err)
			}
			for _, metric := range BreakdownMetrics {
				b, err := db.Breakdown(ctx, shop, metric, d, 0)
				if err != nil {
					t.Fatal(err)
				}
				want := r.Results[b.Metric]
				// The report judges the inputs' freshness; a breakdown does not.
				want.Level, want.Computed, want.Gaps = "", "", nil
				b.Result.Level, b.Result.Computed, b.Result.Gaps = "", "", nil
				if !reflect.DeepEqual(b.Result, want) {
					t.Errorf("shop %s %s %s: breakdown result\n%+v\nreport's\n%+v", shop, d, metric, b.Result, want)
				}
			}
		}
	}
}
