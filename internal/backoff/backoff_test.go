package backoff

import (
	"testing"
	"time"
)

func TestExponential(t *testing.T) {
	for _, tt := range []struct {
		name    string
		attempt int
		want    time.Duration
	}{
		{"first attempt waits the first delay", 1, time.Second},
		{"second doubles", 2, 2 * time.Second},
		{"third doubles again", 3, 4 * time.Second},
		{"capped at max", 20, time.Minute},
		{"attempt zero is the first", 0, time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Exponential(tt.attempt, time.Second, time.Minute); got != tt.want {
				t.Errorf("Exponential(%d) = %s, want %s", tt.attempt, got, tt.want)
			}
		})
	}
}

func TestJitterBounds(t *testing.T) {
	for _, tt := range []struct {
		name   string
		f      func(time.Duration) time.Duration
		lo, hi time.Duration
		base   time.Duration
	}{
		{"spread 20% stays within 80%..120%", func(d time.Duration) time.Duration { return Spread(d, 0.2) }, 8 * time.Second, 12 * time.Second, 10 * time.Second},
		{"equal jitter stays within half..full", Equal, 5 * time.Second, 10 * time.Second, 10 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for range 1000 {
				got := tt.f(tt.base)
				if got < tt.lo || got > tt.hi {
					t.Fatalf("%s out of [%s, %s]", got, tt.lo, tt.hi)
				}
				seen[got] = true
			}
			if len(seen) < 10 {
				t.Errorf("only %d distinct delays in 1000: no jitter", len(seen))
			}
		})
	}
}

func TestAfter(t *testing.T) {
	for _, tt := range []struct {
		name       string
		retryAfter time.Duration
		want       time.Duration
	}{
		{"no Retry-After: the computed delay", -1, 3 * time.Second},
		{"Retry-After honoured", 7 * time.Second, 7 * time.Second},
		{"Retry-After zero honoured", 0, 0},
		{"Retry-After capped at max", time.Hour, time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := After(tt.retryAfter, time.Minute, 3*time.Second); got != tt.want {
				t.Errorf("After(%s) = %s, want %s", tt.retryAfter, got, tt.want)
			}
		})
	}
}
