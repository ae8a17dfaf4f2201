package rules

import (
	"cmp"
	"slices"
	"strings"
)

// reasonCauses maps return-reason categories (Reason.Category) to the cause
// of negative feedback they are: a damaged return and a damaged review are
// the same problem, with the same tips. Buyer-fault categories, and
// seller_other and custom, map to none.
var reasonCauses = map[string]Cause{
	"empty_package":    CauseMissingItem,
	"missing_item":     CauseMissingItem,
	"counterfeit":      CauseCounterfeit,
	"expired":          CauseProductQuality,
	"spoiled":          CauseProductQuality,
	"defective":        CauseProductQuality,
	"quality":          CauseProductQuality,
	"wrong_item":       CauseWrongItem,
	"not_as_described": CauseNotAsDescribed,
	"damaged":          CauseDamaged,
	"late":             CauseLateDelivery,
	"lost":             CauseCourier,
	"not_received":     CauseCourier,
	"not_delivered":    CauseCourier,
}

// ReasonCause is the cause of negative feedback a return-reason category
// stands for, if any.
func ReasonCause(category string) (Cause, bool) {
	c, ok := reasonCauses[category]
	return c, ok
}

// TallyEntry is one cause of a shop's negative feedback in a window, counted
// in each record kind's own unit. The units are never added together.
type TallyEntry struct {
	// Cause is the cause's name ("damaged", "other"), or "" for a return
	// reason that stands for no cause (Reason then names it).
	Cause string `json:",omitempty"`
	// Reason is the return-reason category, or the raw reason when no rule
	// classified it; only for entries without a cause.
	Reason string `json:",omitempty"`
	// Unclassified is set for a return reason that matched no rule (counted
	// as seller fault).
	Unclassified bool   `json:",omitempty"`
	Group        string // product, service, logistics or other; the fault class for a reason without a cause

	Reviews   int `json:",omitempty"` // orders with a negative review counted in NRR that names the cause
	Returns   int `json:",omitempty"` // orders with a counted return whose reason is the cause
	Logistics int `json:",omitempty"` // of Returns, those whose reason is logistics fault
	Late      int `json:",omitempty"` // late chat replies (the cause slow_response)

	// Weight ranks the entries: the share of each metric's warn threshold
	// the entry's records use up, summed over the metrics they count in
	// (Tally's doc).
	Weight float64
}

// Label is the entry's wording for people: the cause's seed wording, or the
// return reason.
func (e TallyEntry) Label() string {
	if e.Cause != "" {
		if c, err := ParseCause(e.Cause); err == nil {
			return c.Description()
		}
		return CauseOther.Description()
	}
	label := strings.ReplaceAll(e.Reason, "_", " ")
	switch e.Reason {
	case categorySellerOther:
		label = "other seller-fault return reason"
	case categoryCustom:
		label = "return reason from configured keywords"
	}
	if e.Unclassified {
		label += " (unclassified return reason, counted as seller fault)"
	}
	return label
}

// CoTagged reports whether the entry's negative reviews count in NRR only
// because they also name a cause of another group: a logistics cause alone
// does not count.
func (e TallyEntry) CoTagged() bool { return e.Reviews > 0 && e.Group == GroupLogistics.String() }

// Counts reports whether the entry has records counted in metric m.
func (e TallyEntry) Counts(m Metric) bool {
	switch m {
	case NRR:
		return e.Reviews > 0
	case NRRProduct:
		return e.Reviews > 0 && e.Group == GroupProduct.String()
	case NRRService:
		return e.Reviews > 0 && e.Group == GroupService.String()
	case SFRR:
		return e.Returns > 0
	case ChatResponseRate:
		return e.Late > 0
	}
	return false
}

// Tally is the one account of a shop's negative feedback that every message
// shows: negative reviews, counted returns and late chat replies, each in
// its own unit, grouped by cause and ranked together.
//
// The ranking: each entry's weight is, for each metric its records count
// in, its count ÷ the metric's denominator ÷ the metric's warn threshold
// (for the chat rate, the late share's allowance 1 - warn), summed. It is
// how much of the warn line the cause alone uses up: 0.5 is half of it. A
// metric without a denominator or thresholds weighs its count as a share
// of its numerator instead. Ties go to more records, then the cause name,
// with "other" and causes without tips last.
type Tally struct {
	Entries []TallyEntry
	Reviews int // NRR numerator: orders with a counted negative review
	Returns int // SFRR numerator: orders with a counted return
	Late    int // late chat replies (chat_response_rate's late turns)
}

// TallyCount is a count of orders behind one cause or return reason, the
// input of NewTally.
type TallyCount struct {
	Name         string // cause name, or return-reason category (the raw reason when unclassified)
	Fault        string // returns: the reason's fault class
	Orders       int
	Unclassified bool
}

// NewTally builds the tally of report's window from its NRR causes (each
// the orders with a counted negative review naming it) and its counted
// returns by reason; late chat replies come from the report.
func NewTally(report Report, causes, reasons []TallyCount) Tally {
	t := Tally{Reviews: report.Results[NRR].Numerator, Returns: report.Results[SFRR].Numerator}
	idx := map[string]int{}
	entry := func(key string, e TallyEntry) *TallyEntry {
		i, ok := idx[key]
		if !ok {
			i = len(t.Entries)
			idx[key] = i
			t.Entries = append(t.Entries, e)
		}
		return &t.Entries[i]
	}
	causeEntry := func(name string) *TallyEntry {
		group := GroupOther.String()
		if c, err := ParseCause(name); err == nil {
			group = c.Group().String()
		}
		return entry(name, TallyEntry{Cause: name, Group: group})
	}
	for _, c := range causes {
		causeEntry(c.Name).Reviews += c.Orders
	}
	for _, r := range reasons {
		var e *TallyEntry
		if cause, ok := reasonCauses[r.Name]; ok && !r.Unclassified {
			e = causeEntry(cause.String())
		} else {
			e = entry("reason:"+r.Name, TallyEntry{Reason: r.Name, Unclassified: r.Unclassified, Group: r.Fault})
		}
		e.Returns += r.Orders
		if r.Fault == FaultLogistics.String() {
			e.Logistics += r.Orders
		}
	}
	if chat := report.Results[ChatResponseRate]; chat.Valid {
		if late := chat.Denominator - chat.Numerator; late > 0 {
			t.Late = late
			causeEntry(CauseSlowResponse.String()).Late = late
		}
	}
	for i := range t.Entries {
		e := &t.Entries[i]
		e.Weight = weigh(report.Results[NRR], e.Reviews, false) + weigh(report.Results[SFRR], e.Returns, false) +
			weigh(report.Results[ChatResponseRate], e.Late, true)
	}
	slices.SortStableFunc(t.Entries, func(a, b TallyEntry) int {
		return cmp.Or(cmp.Compare(b.Weight, a.Weight), cmp.Compare(b.records(), a.records()),
			cmp.Compare(b2i(a.lesser()), b2i(b.lesser())), cmp.Compare(a.Cause+a.Reason, b.Cause+b.Reason))
	})
	return t
}

// weigh is n records' share of r's warn threshold (of its late allowance
// for a higher-is-better rate).
func weigh(r Result, n int, late bool) float64 {
	if n == 0 {
		return 0
	}
	if r.Denominator > 0 && r.Thresholds != nil {
		allowance := r.Thresholds.Warn
		if late {
			allowance = 1 - allowance
		}
		if allowance > 0 {
			return float64(n) / float64(r.Denominator) / allowance
		}
	}
	total := r.Numerator
	if late {
		total = r.Denominator - r.Numerator
	}
	return float64(n) / float64(max(total, n))
}

func (e TallyEntry) records() int { return e.Reviews + e.Returns + e.Late }

// lesser: "other" and reasons without a cause say less than a known cause.
func (e TallyEntry) lesser() bool { return e.Cause == "" || e.Cause == CauseOther.String() }

// Top is the first n entries (all when n is 0).
func (t Tally) Top(n int) []TallyEntry {
	if n <= 0 || n > len(t.Entries) {
		return t.Entries
	}
	return t.Entries[:n]
}

// For is the entries with records counted in metric m, in the tally's
// order, at most n (all when n is 0).
func (t Tally) For(m Metric, n int) []TallyEntry {
	var out []TallyEntry
	for _, e := range t.Entries {
		if e.Counts(m) && (n <= 0 || len(out) < n) {
			out = append(out, e)
		}
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
