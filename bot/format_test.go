package bot

import (
	"testing"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

func TestHeadroomText(t *testing.T) {
	cfg, err := rules.ParseConfig([]byte(fixtureConfig))
	if err != nil {
		t.Fatal(err)
	}
	sea, _ := cfg.Shop("7495001") // nrr 0.4/0.5%, sfrr 1.2/1.5% seller+logistics over orders, chat 90/85%
	def, _ := cfg.Shop("7495003") // nrr 0.8/1%, sfrr seller only
	rate := func(m rules.Metric, num, den int, level rules.Level, warn, crit float64) rules.Result {
		h := 0
		return rules.Result{Metric: m, Valid: true, Value: float64(num) / float64(den), Numerator: num, Denominator: den,
			Level: level, Thresholds: &rules.Thresholds{Warn: warn, Critical: crit}, Headroom: &h}
	}
	tests := []struct {
		name string
		shop *rules.Shop
		r    rules.Result
		want string
	}{
		{"ok shows room to warn, not to critical", sea, rate(rules.NRR, 2, 1000, rules.LevelOK, 0.004, 0.005),
			"NRR passes warn (0.4%) after 3 more orders with a negative review."},
		{"warn shows room to critical", sea, rate(rules.NRR, 5, 1000, rules.LevelWarn, 0.004, 0.005),
			"NRR passes critical (0.5%) after 1 more order with a negative review."},
		{"critical says plainly how many are too many", sea, rate(rules.NRR, 96, 3464, rules.LevelCritical, 0.004, 0.005),
			"Within critical (0.5%) allows at most 17 orders with a negative review among today's 3,464 delivered orders; there are 96, 79 too many."},
		{"sea sfrr counts returns of both faults", sea, rate(rules.SFRR, 10, 1000, rules.LevelOK, 0.012, 0.015),
			"SFRR passes warn (1.2%) after 3 more counted returns."},
		{"default sfrr counts seller-fault returns", def, rate(rules.SFRR, 5, 1000, rules.LevelOK, 0.01, 0.015),
			"SFRR passes warn (1%) after 6 more seller-fault returns."},
		{"chat ok shows late replies to warn", sea, rate(rules.ChatResponseRate, 95, 100, rules.LevelOK, 0.90, 0.85),
			"The chat response rate falls below warn (90%) after 6 more late replies."},
		{"chat warn shows late replies to critical", sea, rate(rules.ChatResponseRate, 88, 100, rules.LevelWarn, 0.90, 0.85),
			"The chat response rate falls below critical (85%) after 4 more late replies."},
		{"chat critical says what brings it back", sea, rate(rules.ChatResponseRate, 80, 100, rules.LevelCritical, 0.90, 0.85),
			"Below critical (85%): 34 more replies on time, and no late ones, would bring it back."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := headroom(tt.shop, tt.r); got != tt.want {
				t.Errorf("headroom =\n%q, want\n%q", got, tt.want)
			}
		})
	}
}

// TestCoTaggedCauses: a logistics cause shows in NRR only beside another
// cause, and every list that shows it says so.
func TestCoTaggedCauses(t *testing.T) {
	cfg, err := rules.ParseConfig([]byte(fixtureConfig))
	if err != nil {
		t.Fatal(err)
	}
	sea, _ := cfg.Shop("7495001")
	tests := []struct {
		name, got, want string
	}{
		{"breakdown", causeLine(sea, rules.NRR, store.CauseCount{Name: "late_delivery", Group: "logistics", Count: 2, Share: 0.1}),
			"Late delivery (`late_delivery`, logistics): 2 orders with a negative review, 10.00%; counted only because each of these reviews also names a seller-related cause"},
		{"breakdown of a seller cause", causeLine(sea, rules.NRR, store.CauseCount{Name: "damaged", Group: "service", Count: 2, Share: 0.1}),
			"Damaged item or package (`damaged`, service): 2 orders with a negative review, 10.00%"},
		{"sea return reason", causeLine(sea, rules.SFRR, store.CauseCount{Name: "not_received", Group: "logistics", Count: 4, Share: 0.05}),
			"not received (logistics fault): 4 counted returns, 5.00%"},
		{"tally", tallyLine(causeOf(rules.TallyEntry{Cause: "late_delivery", Group: "logistics", Reviews: 2, Returns: 1, Logistics: 1})),
			"*Late delivery*: 2 orders with a negative review (counted in NRR only because the review also names another cause), 1 counted return (logistics fault)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got\n%q, want\n%q", tt.got, tt.want)
			}
		})
	}
}
