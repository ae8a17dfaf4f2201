package rules

import (
	"fmt"
	"sort"
	"strings"
)

// Metric names a measured quantity (SPEC section 3).
type Metric string

// The metrics of SPEC section 3.
const (
	NRR                  Metric = "nrr"
	NRRProduct           Metric = "nrr_product"
	NRRService           Metric = "nrr_service"
	SFRR                 Metric = "sfrr"
	ChatResponseRate     Metric = "chat_response_rate"
	ChatAvgResponseHours Metric = "chat_avg_response_hours"
)

// Metrics lists every metric in report order.
var Metrics = []Metric{NRR, NRRProduct, NRRService, SFRR, ChatResponseRate, ChatAvgResponseHours}

// ParseMetric returns the metric named s.
func ParseMetric(s string) (Metric, error) {
	for _, m := range Metrics {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown metric %q (want one of %s)", s, metricNames())
}

func metricNames() string {
	names := make([]string, len(Metrics))
	for i, m := range Metrics {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

// LowerIsWorse reports whether a smaller value of m is worse.
func (m Metric) LowerIsWorse() bool { return m == ChatResponseRate }

// Thresholds are a metric's warn and critical levels, as fractions.
type Thresholds struct {
	Warn     float64
	Critical float64
}

// Denominator names what a rate is divided by.
type Denominator string

// Denominators of the SFRR.
const (
	DenomDelivered Denominator = "delivered"
	DenomOrders    Denominator = "orders"
)

// Profile is a market's set of windows and thresholds (SPEC section 3).
type Profile struct {
	Name            string
	WindowDays      int
	Thresholds      map[Metric]Thresholds // absent: informational metric
	SFRRFaults      []Fault               // fault classes the SFRR counts
	SFRRDenominator Denominator
	ChatTargetHours float64
	MinDelivered    int // volume minimum for delivered- and orders-based rates
	MinTurns        int // volume minimum for chat_response_rate
}

// Counts reports whether the profile's SFRR counts fault f.
func (p Profile) Counts(f Fault) bool {
	for _, c := range p.SFRRFaults {
		if c == f {
			return true
		}
	}
	return false
}

// Clone returns a deep copy of p, safe to modify.
func (p Profile) Clone() Profile {
	c := p
	c.Thresholds = make(map[Metric]Thresholds, len(p.Thresholds))
	for m, t := range p.Thresholds {
		c.Thresholds[m] = t
	}
	c.SFRRFaults = append([]Fault(nil), p.SFRRFaults...)
	return c
}

var profiles = map[string]Profile{
	"default": {
		Name:       "default",
		WindowDays: 30,
		Thresholds: map[Metric]Thresholds{
			NRR:              {Warn: 0.008, Critical: 0.010},
			SFRR:             {Warn: 0.010, Critical: 0.015},
			ChatResponseRate: {Warn: 0.95, Critical: 0.90},
		},
		SFRRFaults:      []Fault{FaultSeller},
		SFRRDenominator: DenomDelivered,
		ChatTargetHours: 12,
		MinDelivered:    30,
		MinTurns:        10,
	},
	"sea": {
		Name:       "sea",
		WindowDays: 30,
		Thresholds: map[Metric]Thresholds{
			NRR:              {Warn: 0.004, Critical: 0.005},
			NRRProduct:       {Warn: 0.004, Critical: 0.005},
			NRRService:       {Warn: 0.004, Critical: 0.005},
			SFRR:             {Warn: 0.012, Critical: 0.015},
			ChatResponseRate: {Warn: 0.90, Critical: 0.85},
		},
		SFRRFaults:      []Fault{FaultSeller, FaultLogistics},
		SFRRDenominator: DenomOrders,
		ChatTargetHours: 12,
		MinDelivered:    30,
		MinTurns:        10,
	},
	"us": {
		Name:       "us",
		WindowDays: 60,
		Thresholds: map[Metric]Thresholds{
			NRR:              {Warn: 0.010, Critical: 0.012},
			SFRR:             {Warn: 0.010, Critical: 0.015},
			ChatResponseRate: {Warn: 0.90, Critical: 0.85},
		},
		SFRRFaults:      []Fault{FaultSeller, FaultLogistics},
		SFRRDenominator: DenomDelivered,
		ChatTargetHours: 24,
		MinDelivered:    30,
		MinTurns:        10,
	},
}

// LookupProfile returns a copy of the built-in profile called name.
func LookupProfile(name string) (Profile, error) {
	p, ok := profiles[name]
	if !ok {
		names := make([]string, 0, len(profiles))
		for n := range profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		return Profile{}, fmt.Errorf("unknown profile %q (want one of %s)", name, strings.Join(names, ", "))
	}
	return p.Clone(), nil
}
