package rules

import "time"

// Window is the span of shop-local dates a metric covers: for date D and N
// days, the dates D-(N-1) .. D. Records at or after End, the start of the
// local date D+1, are ignored.
type Window struct {
	First Day       // first local date in the window
	Last  Day       // the evaluated date D
	End   time.Time // the evaluation instant T: the start of local date D+1
}

// NewWindow returns the window of days local dates ending at day, in loc.
func NewWindow(day Day, days int, loc *time.Location) Window {
	return Window{First: day - Day(days-1), Last: day, End: (day + 1).Start(loc)}
}

// Days is the number of dates in w.
func (w Window) Days() int { return int(w.Last-w.First) + 1 }

// Contains reports whether d is one of w's dates.
func (w Window) Contains(d Day) bool { return d >= w.First && d <= w.Last }

// Index is the position of d in w, counting from 0 at w.First.
func (w Window) Index(d Day) int { return int(d - w.First) }
