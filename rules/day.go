package rules

import (
	"fmt"
	"time"
)

// Day is a calendar date, counted in days since 1970-01-01. Days are always
// local to a shop: the same instant can fall on different Days in two shops.
type Day int32

const secondsPerDay = 86400

// DayOf returns the local calendar date of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	_, offset := t.In(loc).Zone()
	return Day(floorDiv(t.Unix()+int64(offset), secondsPerDay))
}

// DayOfUnixMilli is DayOf for a Unix time in milliseconds.
func DayOfUnixMilli(ms int64, loc *time.Location) Day {
	return DayOf(time.UnixMilli(ms), loc)
}

// DateDay returns the Day of a calendar date.
func DateDay(year int, month time.Month, day int) Day {
	return Day(floorDiv(time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Unix(), secondsPerDay))
}

// ParseDay parses a date in the form 2006-01-02.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	return DateDay(t.Date()), nil
}

// Date returns the year, month and day of d.
func (d Day) Date() (year int, month time.Month, day int) {
	return time.Unix(int64(d)*secondsPerDay, 0).UTC().Date()
}

// String formats d as 2006-01-02.
func (d Day) String() string {
	return time.Unix(int64(d)*secondsPerDay, 0).UTC().Format(time.DateOnly)
}

// Weekday returns the day of the week of d.
func (d Day) Weekday() time.Weekday {
	return time.Weekday((int64(d)%7 + 11) % 7) // 1970-01-01 was a Thursday
}

// Start returns the first instant of d in loc. Where a DST change skips
// midnight the day starts at the change; where it repeats midnight, at the
// first one.
func (d Day) Start(loc *time.Location) time.Time {
	y, m, dd := d.Date()
	t := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	if DayOf(t, loc) < d {
		// A skipped midnight, resolved into the previous day: the day starts
		// when the zone changes.
		_, t = t.ZoneBounds()
	}
	for {
		prev := t.Add(-time.Nanosecond)
		if DayOf(prev, loc) != d {
			return t
		}
		// The day began before t (a repeated midnight): find midnight in the
		// zone in force just before t, or that zone's start if later.
		_, offset := prev.Zone()
		midnight := time.Unix(int64(d)*secondsPerDay-int64(offset), 0).In(loc)
		zoneStart, _ := prev.ZoneBounds()
		if zoneStart.IsZero() || !midnight.Before(zoneStart) {
			return midnight
		}
		t = zoneStart
	}
}

// MarshalText implements encoding.TextMarshaler.
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Day) UnmarshalText(b []byte) error {
	v, err := ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
