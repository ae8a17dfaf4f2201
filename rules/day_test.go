package rules

import (
	"testing"
	"time"
)

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func mustDay(tb testing.TB, s string) Day {
	tb.Helper()
	d, err := ParseDay(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestDayOf(t *testing.T) {
	tests := []struct {
		name, zone, at, want string
	}{
		{"offset in the timestamp is ignored, the shop zone decides", "Asia/Bangkok", "2026-11-20T23:30:00Z", "2026-11-21"},
		{"same instant in a western shop", "America/Los_Angeles", "2026-11-20T23:30:00Z", "2026-11-20"},
		{"last nanosecond of the day", "Asia/Bangkok", "2026-11-20T23:59:59.999999999+07:00", "2026-11-20"},
		{"midnight belongs to the new day", "Asia/Bangkok", "2026-11-21T00:00:00+07:00", "2026-11-21"},
		{"before 1970", "UTC", "1969-12-31T23:00:00Z", "1969-12-31"},
		{"repeated hour at DST end, second pass", "America/New_York", "2026-11-01T01:30:00-05:00", "2026-11-01"},
		{"London in summer time", "Europe/London", "2026-06-30T23:30:00Z", "2026-07-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DayOf(mustTime(t, tt.at), mustLoc(t, tt.zone))
			if got.String() != tt.want {
				t.Errorf("DayOf(%s, %s) = %s, want %s", tt.at, tt.zone, got, tt.want)
			}
		})
	}
}

func TestDayStart(t *testing.T) {
	tests := []struct {
		name, zone, day, want string
	}{
		{"plain day", "Asia/Bangkok", "2026-11-20", "2026-11-19T17:00:00Z"},
		{"DST starts at 2am: midnight is still the start", "America/New_York", "2026-03-08", "2026-03-08T05:00:00Z"},
		{"day after DST start is 23h after", "America/New_York", "2026-03-09", "2026-03-09T04:00:00Z"},
		{"DST ends at 2am", "America/New_York", "2026-11-02", "2026-11-02T05:00:00Z"},
		{"midnight skipped (Havana): day starts at 01:00 CDT", "America/Havana", "2026-03-08", "2026-03-08T05:00:00Z"},
		{"midnight repeated (Havana): the first midnight", "America/Havana", "2026-11-01", "2026-11-01T04:00:00Z"},
		{"midnight skipped (Santiago)", "America/Santiago", "2026-09-06", "2026-09-06T04:00:00Z"},
		{"Santiago after the hour repeats before midnight", "America/Santiago", "2026-04-05", "2026-04-05T04:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoc(t, tt.zone)
			d := mustDay(t, tt.day)
			got := d.Start(loc)
			if want := mustTime(t, tt.want); !got.Equal(want) {
				t.Errorf("Start = %s (%s UTC), want %s", got, got.UTC(), tt.want)
			}
			if DayOf(got, loc) != d {
				t.Errorf("DayOf(Start) = %s, want %s", DayOf(got, loc), d)
			}
			if DayOf(got.Add(-time.Nanosecond), loc) != d-1 {
				t.Errorf("instant before Start is on %s, want %s", DayOf(got.Add(-time.Nanosecond), loc), d-1)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	w := NewWindow(mustDay(t, "2026-03-31"), 30, ny)
	if w.First.String() != "2026-03-02" || w.Days() != 30 {
		t.Fatalf("window = %s .. %s (%d days), want 2026-03-02 .. 2026-03-31", w.First, w.Last, w.Days())
	}
	if !w.End.Equal(mustTime(t, "2026-04-01T04:00:00Z")) {
		t.Errorf("End = %s, want 2026-04-01T00:00 EDT", w.End.UTC())
	}
	for _, c := range []struct {
		day  string
		want bool
	}{{"2026-03-01", false}, {"2026-03-02", true}, {"2026-03-31", true}, {"2026-04-01", false}} {
		if got := w.Contains(mustDay(t, c.day)); got != c.want {
			t.Errorf("Contains(%s) = %v, want %v", c.day, got, c.want)
		}
	}
}

func TestDayText(t *testing.T) {
	d := mustDay(t, "2026-11-23")
	if d.Weekday() != time.Monday {
		t.Errorf("2026-11-23 weekday = %s, want Monday", d.Weekday())
	}
	if _, err := ParseDay("2026-02-30"); err == nil {
		t.Error("ParseDay(2026-02-30) succeeded, want an error")
	}
	if y, m, dd := (d + 8).Date(); y != 2026 || m != time.December || dd != 1 {
		t.Errorf("2026-11-23 + 8 = %d-%d-%d, want 2026-12-01", y, m, dd)
	}
}
