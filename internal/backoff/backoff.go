// Package backoff is shopwatch's one retry delay: exponential from a first
// delay, capped, with the jitter a caller chooses. The outbox's delivery
// worker, the TikTok client and the App Home publisher use it; each keeps
// its own loop, because each waits differently (a fake clock, a context
// deadline, a per-channel queue), and a server's Retry-After, when given,
// takes precedence over the computed delay (see After).
package backoff

import (
	"math/rand/v2"
	"time"
)

// Exponential is the delay before retry number attempt (from 1): first,
// doubled with each attempt, at most max.
func Exponential(attempt int, first, max time.Duration) time.Duration {
	d := first
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Spread is d randomised by ±frac (0.2: between 80% and 120% of d), so that
// many waiters do not retry in step.
func Spread(d time.Duration, frac float64) time.Duration {
	return time.Duration(float64(d) * (1 - frac + 2*frac*rand.Float64()))
}

// Equal is "equal jitter": a random delay between d/2 and d.
func Equal(d time.Duration) time.Duration {
	half := d / 2
	return half + rand.N(half+1)
}

// After is the server's Retry-After when it gave one (retryAfter >= 0),
// at most max; else computed.
func After(retryAfter, max, computed time.Duration) time.Duration {
	if retryAfter >= 0 {
		return min(retryAfter, max)
	}
	return computed
}
