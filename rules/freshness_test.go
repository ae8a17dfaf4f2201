package rules

import (
	"fmt"
	"strings"
	"testing"
)

func TestAlertPolicyJudge(t *testing.T) {
	d := DateDay(2026, 12, 2)
	for _, tt := range []struct {
		name      string
		in        Input
		staleDays int
		want      Freshness
	}{
		{"never imported", Input{Kind: KindReviews}, 2, NoData},
		{"never imported, staleness off", Input{Kind: KindReviews}, 0, NoData},
		{"a record today", Input{Kind: KindReviews, Has: true, Last: d, Recent: 90}, 2, Fresh},
		{"a record yesterday", Input{Kind: KindReviews, Has: true, Last: d - 1, Recent: 90}, 2, Fresh},
		{"3 a day, none for 2 days: 6 overdue", Input{Kind: KindReviews, Has: true, Last: d - 2, Recent: 90}, 2, Fresh},
		{"3 a day, none for 3 days: 9 overdue", Input{Kind: KindReviews, Has: true, Last: d - 3, Recent: 90}, 2, Stale},
		{"reviews stopped 25 days ago", Input{Kind: KindReviews, Has: true, Last: d - 25, Recent: 90}, 2, Stale},
		{"1 return a week, none for 3 weeks", Input{Kind: KindReturns, Has: true, Last: d - 21, Recent: 4}, 2, Fresh},
		{"1 return a day, none for 8 days", Input{Kind: KindReturns, Has: true, Last: d - 8, Recent: 30}, 2, Stale},
		{"60 orders a day, none for 2 days", Input{Kind: KindOrders, Has: true, Last: d - 2, Recent: 1800}, 2, Stale},
		{"60 orders a day, none for 2 days, 3-day policy", Input{Kind: KindOrders, Has: true, Last: d - 2, Recent: 1800}, 3, Fresh},
		{"staleness off", Input{Kind: KindOrders, Has: true, Last: d - 30, Recent: 1800}, 0, Fresh},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultAlertPolicy()
			p.StaleDays = tt.staleDays
			if got := p.Judge(tt.in, d); got != tt.want {
				t.Errorf("Judge = %s, want %s", got, tt.want)
			}
		})
	}
}

// freshReport is an NRR/SFRR/chat report on day whose record kinds are
// fresh but for the ones in bad (kind: stale or no_data).
func freshReport(day Day, nrr float64, bad map[string]Freshness) Report {
	chatTh := Thresholds{Warn: 0.95, Critical: 0.9}
	r := Report{Date: day, Results: map[Metric]Result{
		NRR:              nrrResult(nrr),
		SFRR:             {Metric: SFRR, Valid: true, Value: 0.001, Numerator: 1, Denominator: 1000, Thresholds: &Thresholds{Warn: 0.01, Critical: 0.015}, Level: LevelOK},
		ChatResponseRate: {Metric: ChatResponseRate, Valid: true, Value: 0.99, Numerator: 99, Denominator: 100, Thresholds: &chatTh, Level: LevelOK},
	}}
	var inputs []Input
	for _, k := range Kinds {
		in := Input{Kind: k, Has: true, Last: day, First: day - 60, Recent: 300}
		switch bad[k] {
		case Stale:
			in.Last = day - 10
		case NoData:
			in = Input{Kind: k}
		}
		inputs = append(inputs, in)
	}
	DefaultAlertPolicy().ApplyInputs(&r, inputs)
	return r
}

func TestApplyInputs(t *testing.T) {
	day := DateDay(2026, 12, 2)
	for _, tt := range []struct {
		name string
		bad  map[string]Freshness
		want string // metric:level[/computed] in order
	}{
		{"all fresh", nil, "nrr:ok sfrr:ok chat_response_rate:ok"},
		{"reviews stale: NRR only", map[string]Freshness{KindReviews: Stale}, "nrr:stale/ok sfrr:ok chat_response_rate:ok"},
		{"reviews never imported", map[string]Freshness{KindReviews: NoData}, "nrr:no_data/ok sfrr:ok chat_response_rate:ok"},
		{"orders stale: NRR and SFRR", map[string]Freshness{KindOrders: Stale}, "nrr:stale/ok sfrr:stale/ok chat_response_rate:ok"},
		{"no data wins over stale", map[string]Freshness{KindOrders: Stale, KindReviews: NoData}, "nrr:no_data/ok sfrr:stale/ok chat_response_rate:ok"},
		{"chats stale", map[string]Freshness{KindChats: Stale}, "nrr:ok sfrr:ok chat_response_rate:stale/ok"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := freshReport(day, 0.003, tt.bad)
			var got []string
			for _, m := range []Metric{NRR, SFRR, ChatResponseRate} {
				res := r.Results[m]
				s := string(m) + ":" + string(res.Level)
				if res.Computed != "" {
					s += "/" + string(res.Computed)
				}
				got = append(got, s)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("got %s, want %s", g, tt.want)
			}
		})
	}
}

func TestAlertStaleKind(t *testing.T) {
	// NRR is critical; reviews stop (stale) for days while its figure
	// falls: the alert holds, a reviews notice posts once, and when
	// reviews come back the all-clear posts and NRR is judged again.
	const crit, ok = 0.006, 0.003
	days := []struct {
		nrr  float64
		bad  map[string]Freshness
		want string
	}{
		{crit, nil, "nrr:critical"},
		{ok, map[string]Freshness{KindReviews: Stale}, "data_reviews:stale"},
		{ok, map[string]Freshness{KindReviews: Stale}, ""},
		{ok, map[string]Freshness{KindReviews: Stale}, ""},
		{crit, nil, "data_reviews:resolved"},
		{ok, nil, "nrr:resolved"},
		{ok, map[string]Freshness{KindReviews: NoData}, "data_reviews:stale"},
		{ok, map[string]Freshness{KindReviews: NoData}, ""},
	}
	p := DefaultAlertPolicy()
	prev := map[Metric]AlertState{}
	for i, d := range days {
		day := DateDay(2026, 11, 1) + Day(i)
		o := Observation{ShopID: "1", Day: day, HasData: true, LastData: day, Report: freshReport(day, d.nrr, d.bad)}
		states, notes := p.Step(prev, o)
		prev = map[Metric]AlertState{}
		for _, s := range states {
			prev[s.Metric] = s
		}
		var got []string
		for _, n := range notes {
			got = append(got, fmt.Sprintf("%s:%s", n.Metric, n.Transition))
		}
		if g := strings.Join(got, " "); g != d.want {
			t.Fatalf("day %d: got %q, want %q", i, g, d.want)
		}
		if s := prev[NRR]; i >= 1 && i <= 4 && s.Level != LevelCritical {
			t.Errorf("day %d: NRR state %s, want the critical alert held", i, s.Level)
		}
	}
}

func TestStaleKindHeldWhileTheShopIsStale(t *testing.T) {
	// With no records at all, the shop's stale notice speaks: no notice
	// per kind.
	p := DefaultAlertPolicy()
	day := DateDay(2026, 11, 10)
	r := freshReport(day, 0.003, map[string]Freshness{KindOrders: Stale, KindReviews: Stale, KindReturns: Stale, KindChats: Stale})
	_, notes := p.Step(nil, Observation{ShopID: "1", Day: day, HasData: true, LastData: day - 10, Report: r})
	if len(notes) != 1 || notes[0].Metric != MetricData || notes[0].Transition != TransitionStale {
		t.Errorf("notes %+v, want only the shop's stale notice", notes)
	}
}
