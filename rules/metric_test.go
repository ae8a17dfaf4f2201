package rules

import (
	"fmt"
	"testing"
)

func testShop(tb testing.TB, profile string) *Shop {
	tb.Helper()
	p, err := LookupProfile(profile)
	if err != nil {
		tb.Fatal(err)
	}
	return &Shop{ID: "7495001", Name: "Test", Timezone: "Asia/Bangkok", Location: mustLoc(tb, "Asia/Bangkok"), Profile: p}
}

// perDay spreads total over n days as evenly as whole numbers allow.
func perDay(n, total int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = total / n
		if i < total%n {
			out[i]++
		}
	}
	return out
}

func neg(order string, day Day, causes ...Cause) ReviewFact {
	return ReviewFact{OrderID: order, Day: day, Causes: NewCauseSet(causes...)}
}

func TestNRR(t *testing.T) {
	shop := testShop(t, "sea") // warn 0.4%, critical 0.5% for nrr, nrr_product, nrr_service
	D := DateDay(2026, 11, 20)
	w := shop.Window(D)
	first := w.First
	tests := []struct {
		name                  string
		delivered             int
		reviews               []ReviewFact
		nrr, product, service int
		level                 Level
	}{
		{"no reviews", 1000, nil, 0, 0, 0, LevelOK},
		{"one order two negative reviews counts once", 1000, []ReviewFact{neg("o1", D, CauseDamaged), neg("o1", D-3, CauseProductQuality)}, 1, 1, 1, LevelOK},
		{"logistics-only review is not counted", 1000, []ReviewFact{neg("o1", D, CauseLateDelivery, CauseCourier)}, 0, 0, 0, LevelOK},
		{"mixed logistics and product cause is counted", 1000, []ReviewFact{neg("o1", D, CauseLateDelivery, CauseNotAsDescribed)}, 1, 1, 0, LevelOK},
		{"no cause is other: nrr only", 1000, []ReviewFact{neg("o1", D)}, 1, 0, 0, LevelOK},
		{"service cause", 1000, []ReviewFact{neg("o1", D, CauseSlowResponse)}, 1, 0, 1, LevelOK},
		{"first window day counts", 1000, []ReviewFact{neg("o1", first, CauseDamaged)}, 1, 0, 1, LevelOK},
		{"day before the window does not", 1000, []ReviewFact{neg("o1", first-1, CauseDamaged)}, 0, 0, 0, LevelOK},
		{"day after the date does not", 1000, []ReviewFact{neg("o1", D+1, CauseDamaged)}, 0, 0, 0, LevelOK},
		{"exactly at warn is ok", 1000, negs(4, D), 4, 4, 0, LevelOK},
		{"above warn, at critical is warn", 1000, negs(5, D), 5, 5, 0, LevelWarn},
		{"above critical", 1000, negs(6, D), 6, 6, 0, LevelCritical},
		{"29 delivered is insufficient data", 29, negs(6, D), 6, 6, 0, LevelInsufficient},
		{"30 delivered is enough", 30, negs(1, D), 1, 1, 0, LevelCritical},
		{"nothing delivered: null value", 0, negs(1, D), 1, 1, 0, LevelInsufficient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(shop, w, Inputs{Delivered: perDay(30, tt.delivered), Reviews: tt.reviews})
			for _, c := range []struct {
				m    Metric
				want int
			}{{NRR, tt.nrr}, {NRRProduct, tt.product}, {NRRService, tt.service}} {
				res := r.Results[c.m]
				if res.Numerator != c.want || res.Denominator != tt.delivered {
					t.Errorf("%s = %d/%d, want %d/%d", c.m, res.Numerator, res.Denominator, c.want, tt.delivered)
				}
				if res.Valid != (tt.delivered > 0) {
					t.Errorf("%s valid = %v with %d delivered", c.m, res.Valid, tt.delivered)
				}
			}
			if got := r.Results[NRR].Level; got != tt.level {
				t.Errorf("nrr level = %s, want %s", got, tt.level)
			}
		})
	}
}

// negs makes n negative reviews on distinct orders with a product cause.
func negs(n int, day Day) []ReviewFact {
	out := make([]ReviewFact, n)
	for i := range out {
		out[i] = neg(fmt.Sprintf("n%d", i), day, CauseProductQuality)
	}
	return out
}

func TestInformationalMetric(t *testing.T) {
	shop := testShop(t, "default") // nrr_product has no thresholds here
	D := DateDay(2026, 11, 20)
	r := Evaluate(shop, shop.Window(D), Inputs{Delivered: perDay(30, 1000), Reviews: negs(20, D)})
	res := r.Results[NRRProduct]
	if res.Level != LevelNone || res.Thresholds != nil || res.Headroom != nil || res.RecoversOn != nil {
		t.Errorf("nrr_product in default profile = %+v, want level none without thresholds", res)
	}
	if res.Numerator != 20 || !res.Valid {
		t.Errorf("informational value still computed: got %d/%d valid=%v", res.Numerator, res.Denominator, res.Valid)
	}
	if avg := r.Results[ChatAvgResponseHours]; avg.Level != LevelNone {
		t.Errorf("chat_avg_response_hours level = %s, want none", avg.Level)
	}
}

func TestSFRR(t *testing.T) {
	D := DateDay(2026, 11, 20)
	ret := func(order, status string, f Fault) ReturnFact {
		return ReturnFact{OrderID: order, Day: D, Status: status, Fault: f}
	}
	tests := []struct {
		name    string
		profile string
		returns []ReturnFact
		num     int
		den     int
	}{
		{"seller fault counts", "default", []ReturnFact{ret("o1", "completed", FaultSeller)}, 1, 1000},
		{"cancelled is ignored", "default", []ReturnFact{ret("o1", "cancelled", FaultSeller)}, 0, 1000},
		{"seller_won is ignored", "default", []ReturnFact{ret("o1", "seller_won", FaultSeller)}, 0, 1000},
		{"requested and approved count", "default", []ReturnFact{ret("o1", "requested", FaultSeller), ret("o2", "approved", FaultSeller)}, 2, 1000},
		{"empty status counts", "default", []ReturnFact{ret("o1", "", FaultSeller)}, 1, 1000},
		{"buyer fault never counts", "sea", []ReturnFact{ret("o1", "completed", FaultBuyer)}, 0, 800},
		{"logistics not counted by default", "default", []ReturnFact{ret("o1", "completed", FaultLogistics)}, 0, 1000},
		{"logistics counted in sea, over orders", "sea", []ReturnFact{ret("o1", "completed", FaultLogistics)}, 1, 800},
		{"logistics counted in us, over delivered", "us", []ReturnFact{ret("o1", "completed", FaultLogistics)}, 1, 1000},
		{"two returns on one order count once", "default", []ReturnFact{ret("o1", "completed", FaultSeller), ret("o1", "requested", FaultSeller)}, 1, 1000},
		{"a cancelled and a live return on one order count once", "default", []ReturnFact{ret("o1", "cancelled", FaultSeller), ret("o1", "requested", FaultSeller)}, 1, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shop := testShop(t, tt.profile)
			w := shop.Window(D)
			in := Inputs{Delivered: perDay(w.Days(), 1000), Created: perDay(w.Days(), 800), Returns: tt.returns}
			res := Evaluate(shop, w, in).Results[SFRR]
			if res.Numerator != tt.num || res.Denominator != tt.den {
				t.Errorf("sfrr = %d/%d, want %d/%d", res.Numerator, res.Denominator, tt.num, tt.den)
			}
		})
	}
}

func TestHeadroom(t *testing.T) {
	tests := []struct {
		num, den int
		crit     float64
		want     int
	}{
		{0, 1000, 0.005, 5},
		{3, 1000, 0.005, 2},
		{5, 1000, 0.005, 0},
		{6, 1000, 0.005, 0},
		{6, 981, 0.005, 0},
		{0, 981, 0.005, 4}, // 4/981 = 0.41%, 5/981 = 0.51%
		{1, 300, 0.01, 2},  // 3/300 = 1.0% is not past 1.0%
		{0, 29, 0.015, 0},  // 1/29 > 1.5%
		{0, 100, 0.015, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d of %d, critical %g", tt.num, tt.den, tt.crit), func(t *testing.T) {
			if got := Headroom(tt.num, tt.den, tt.crit); got != tt.want {
				t.Errorf("Headroom = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRecoversOn(t *testing.T) {
	shop := testShop(t, "default") // nrr warn 0.8%, 30-day window
	D := DateDay(2026, 11, 20)
	w := shop.Window(D)
	at := func(idx, n int) []ReviewFact { // n negative orders on window index idx
		out := make([]ReviewFact, n)
		for i := range out {
			out[i] = neg(fmt.Sprintf("d%d-%d", idx, i), w.First+Day(idx), CauseDamaged)
		}
		return out
	}
	concat := func(parts ...[]ReviewFact) (out []ReviewFact) {
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	uneven := make([]int, 30)
	for i := 15; i < 30; i++ {
		uneven[i] = 200
	}
	tests := []struct {
		name      string
		delivered []int
		reviews   []ReviewFact
		want      string // "" for null
	}{
		{"not above warn: null", perDay(30, 3000), at(29, 24), ""},
		{"first day's negatives leave tomorrow", perDay(30, 3000), concat(at(0, 10), at(10, 10), at(29, 10)), "2026-11-21"},
		{"all negatives today: they leave after the full window", perDay(30, 3000), at(29, 25), "2026-12-20"},
		{"deliveries at the daily average lift the denominator", uneven, at(29, 25), "2026-11-22"},
		{"one order reviewed twice leaves with its later review", perDay(30, 3000), concat(at(29, 24), []ReviewFact{neg("x", w.First, CauseDamaged), neg("x", w.First+5, CauseDamaged)}), "2026-11-26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(shop, w, Inputs{Delivered: tt.delivered, Reviews: tt.reviews}).Results[NRR]
			got := ""
			if res.RecoversOn != nil {
				got = res.RecoversOn.String()
			}
			if got != tt.want {
				t.Errorf("recovers_on = %q, want %q (nrr %d/%d)", got, tt.want, res.Numerator, res.Denominator)
			}
		})
	}
}
