package demo

import (
	"encoding/csv"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestClockMatchesTimeFormat(t *testing.T) {
	tests := []struct {
		zone     string
		from, to time.Time
	}{
		{"Asia/Bangkok", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"America/New_York", time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)},
		{"America/Los_Angeles", time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)},
		{"Europe/London", time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)},
		{"Europe/London", time.Date(2026, 10, 24, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC)},
		{"Asia/Kolkata", time.Date(1999, 12, 30, 0, 0, 0, 0, time.UTC), time.Date(2000, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"America/St_Johns", time.Date(2028, 2, 27, 0, 0, 0, 0, time.UTC), time.Date(2028, 3, 15, 0, 0, 0, 0, time.UTC)},
		{"Pacific/Chatham", time.Date(1969, 12, 25, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.from.Format(time.DateOnly), func(t *testing.T) {
			loc, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Skip(err)
			}
			c := newClock(loc)
			r := rand.New(rand.NewPCG(1, 2))
			lo, hi := tt.from.Unix(), tt.to.Unix()
			c.cacheDates(lo+(hi-lo)/3, lo+2*(hi-lo)/3) // dates cached for the middle third only
			var buf []byte
			for i := range 20000 {
				sec := lo + r.Int64N(hi-lo)
				if i%2 == 1 { // walk forwards too, as the generator mostly does
					sec = lo + int64(i)*(hi-lo)/20000
				}
				buf = c.appendRFC3339(buf[:0], sec)
				tm := time.Unix(sec, 0).In(loc)
				if want := tm.Format(time.RFC3339); string(buf) != want {
					t.Fatalf("appendRFC3339(%d) = %s, want %s", sec, buf, want)
				}
				if got, want := c.secOfDay(sec), int64(tm.Hour()*3600+tm.Minute()*60+tm.Second()); got != want {
					t.Fatalf("secOfDay(%d) = %d, want %d", sec, got, want)
				}
			}
		})
	}
}

func TestCSVFieldMatchesEncodingCSV(t *testing.T) {
	tests := []string{
		"", "plain", "a,b", `say "hi"`, "line\nbreak", " leading space", `\.`,
		"ไม่ประทับใจเลย", `Much smaller than expected, the listing says "large"`,
	}
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			var b strings.Builder
			w := csv.NewWriter(&b)
			if err := w.Write([]string{s}); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			want := strings.TrimSuffix(b.String(), "\n")
			if got := csvField(s); got != want {
				t.Errorf("csvField = %s, want %s", got, want)
			}
		})
	}
}
