package rules

// ReviewFact is a review with rating 1 or 2 created in a window.
type ReviewFact struct {
	OrderID string
	Day     Day // local date the review was created
	Causes  CauseSet
}

// ReturnFact is a return/refund request created in a window.
type ReturnFact struct {
	OrderID string
	Day     Day // local date the request was created
	Status  string
	Fault   Fault
}

// Return statuses that the SFRR ignores: the buyer withdrew the request, or
// arbitration decided for the seller.
const (
	ReturnCancelled = "cancelled"
	ReturnSellerWon = "seller_won"
)

// ReturnStatuses are the valid values of returns.status.
var ReturnStatuses = []string{"requested", "approved", "completed", ReturnCancelled, ReturnSellerWon}

// ReturnTypes are the valid values of returns.type.
var ReturnTypes = []string{"refund", "return_and_refund", "replacement"}

// Inputs are the records of one shop that a report is computed from. Slices
// indexed by day hold one entry per window date, starting at Window.First.
type Inputs struct {
	Delivered []int        // orders delivered, by local date
	Created   []int        // orders created, by local date
	Reviews   []ReviewFact // reviews rated 1-2 created in the window
	Returns   []ReturnFact // returns created in the window
	Turns     []Turn       // buyer turns starting in the window
}

// Result is one metric of a report (SPEC section 5). Its JSON form is the
// plain one that round-trips, as messages keep it; `metrics --json` writes
// the SPEC's shape at the edge (cmd).
type Result struct {
	Metric      Metric
	Valid       bool    // false when the denominator is 0: the value is null
	Value       float64 // a fraction for rates, hours for chat_avg_response_hours
	Numerator   int
	Denominator int
	Pending     int `json:",omitempty"` // chat_response_rate: turns still inside the target
	Count       int `json:",omitempty"` // chat_avg_response_hours: replied turns
	WindowDays  int
	TargetHours float64 `json:",omitempty"` // chat metrics
	Level       Level
	Thresholds  *Thresholds `json:",omitempty"` // nil for informational metrics
	Headroom    *int        `json:",omitempty"` // more counted records the rate can take before passing critical
	RecoversOn  *Day        `json:",omitempty"` // first date the rate is back within warn, if it is past warn
	// Computed is the level of the figures when Level is LevelStale or
	// LevelNoData (AlertPolicy.ApplyInputs), and Gaps the input kinds at
	// fault; both empty otherwise.
	Computed Level   `json:",omitempty"`
	Gaps     []Input `json:",omitempty"`
}

// Report is every metric of one shop for one date.
type Report struct {
	ShopID  string
	Date    Day
	Profile string
	Window  Window
	Results map[Metric]Result
	Inputs  []Input // the freshness of each record kind, when judged (AlertPolicy.ApplyInputs)
}

// rateSeries is the day-by-day material of a rate: per window date, the
// denominator and the numerator records whose last counted event is that day.
type rateSeries struct {
	den  []int
	last []int
}

func (s rateSeries) totals() (num, den int) {
	for i := range s.den {
		den += s.den[i]
		num += s.last[i]
	}
	return num, den
}

// Evaluate computes every metric of shop for the window's date.
func Evaluate(shop *Shop, w Window, in Inputs) Report {
	p := shop.Profile
	r := Report{ShopID: shop.ID, Date: w.Last, Profile: p.Name, Window: w, Results: make(map[Metric]Result, len(Metrics))}

	nrr, product, service := negativeReviewSeries(w, in.Reviews, in.Delivered)
	r.Results[NRR] = evaluateRate(NRR, nrr, w, p, p.MinDelivered)
	r.Results[NRRProduct] = evaluateRate(NRRProduct, product, w, p, p.MinDelivered)
	r.Results[NRRService] = evaluateRate(NRRService, service, w, p, p.MinDelivered)

	den := in.Delivered
	if p.SFRRDenominator == DenomOrders {
		den = in.Created
	}
	r.Results[SFRR] = evaluateRate(SFRR, returnSeries(w, in.Returns, den, p), w, p, p.MinDelivered)

	rate, avg := evaluateChat(w, in.Turns, shop)
	r.Results[ChatResponseRate] = rate
	r.Results[ChatAvgResponseHours] = avg
	return r
}

// CountsReview reports whether a 1-2 star review with causes c counts in
// the numerator of m, one of nrr, nrr_product and nrr_service.
func (m Metric) CountsReview(c CauseSet) bool {
	switch m {
	case NRR:
		return c.SellerRelated()
	case NRRProduct:
		return c.HasGroup(GroupProduct)
	case NRRService:
		return c.HasGroup(GroupService)
	}
	return false
}

// CountsReturn reports whether a return with this status and fault class
// counts in the profile's SFRR.
func (p Profile) CountsReturn(status string, f Fault) bool {
	return status != ReturnCancelled && status != ReturnSellerWon && p.Counts(f)
}

// negativeReviewSeries counts, per order, the last window date on which it
// had a counted negative review, for nrr and its product and service parts.
func negativeReviewSeries(w Window, reviews []ReviewFact, delivered []int) (nrr, product, service rateSeries) {
	metrics := [3]Metric{NRR, NRRProduct, NRRService}
	var last [3]map[string]Day
	for i := range last {
		last[i] = make(map[string]Day)
	}
	for _, rv := range reviews {
		if !w.Contains(rv.Day) {
			continue
		}
		for i, m := range metrics {
			if m.CountsReview(rv.Causes) {
				noteLast(last[i], rv.OrderID, rv.Day)
			}
		}
	}
	return seriesOf(w, last[0], delivered), seriesOf(w, last[1], delivered), seriesOf(w, last[2], delivered)
}

// returnSeries counts, per order, the last window date of a counted return.
func returnSeries(w Window, returns []ReturnFact, den []int, p Profile) rateSeries {
	last := make(map[string]Day)
	for _, rt := range returns {
		if w.Contains(rt.Day) && p.CountsReturn(rt.Status, rt.Fault) {
			noteLast(last, rt.OrderID, rt.Day)
		}
	}
	return seriesOf(w, last, den)
}

func noteLast(last map[string]Day, order string, d Day) {
	if cur, ok := last[order]; !ok || d > cur {
		last[order] = d
	}
}

// seriesOf builds a rate series from each counted order's last date.
func seriesOf(w Window, last map[string]Day, den []int) rateSeries {
	s := rateSeries{den: den, last: make([]int, w.Days())}
	for _, d := range last {
		s.last[w.Index(d)]++
	}
	return s
}

// evaluateRate evaluates a higher-is-worse rate.
func evaluateRate(m Metric, s rateSeries, w Window, p Profile, minVolume int) Result {
	num, den := s.totals()
	r := Result{Metric: m, Numerator: num, Denominator: den, WindowDays: w.Days()}
	if den > 0 {
		r.Valid, r.Value = true, float64(num)/float64(den)
	}
	th, ok := p.Thresholds[m]
	if !ok {
		r.Level = LevelNone
		return r
	}
	r.Thresholds = &th
	r.Level = LevelOf(m, r.Value, r.Valid, den, minVolume, &th)
	if !r.Valid {
		return r
	}
	h := Headroom(num, den, th.Critical)
	r.Headroom = &h
	if m.Worse(r.Value, th.Warn) {
		if d, ok := recoveryDay(s, w, th.Warn); ok {
			r.RecoversOn = &d
		}
	}
	return r
}

// Headroom is how many more records num can take, at denominator den,
// before num/den passes critical; 0 when it is already past.
func Headroom(num, den int, critical float64) int {
	if den <= 0 {
		return 0
	}
	n := int(critical * float64(den)) // max n with n/den <= critical, give or take rounding
	for n >= 0 && float64(n)/float64(den) > critical {
		n--
	}
	for float64(n+1)/float64(den) <= critical {
		n++
	}
	return max(0, n-num)
}

// recoveryDay finds the first date after w.Last on which the rate is at warn
// or below, if no new counted record arrives, as records leave the window and
// the denominator grows each day by the window's daily average.
func recoveryDay(s rateSeries, w Window, warn float64) (Day, bool) {
	n := w.Days()
	_, den := s.totals()
	avg := float64(den) / float64(n)
	for k := 1; k <= n; k++ {
		// The window of date Last+k keeps the old dates from index k on.
		num, oldDen := 0, 0
		for i := k; i < n; i++ {
			num += s.last[i]
			oldDen += s.den[i]
		}
		d := float64(oldDen) + avg*float64(k)
		if d > 0 && float64(num)/d <= warn {
			return w.Last + Day(k), true
		}
	}
	return 0, false
}
