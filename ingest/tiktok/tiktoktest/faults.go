package tiktoktest

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
)

// Injected faults, and the request counters tests read.

// Fault is an injected failure, served instead of (or, for a pure delay,
// before) the normal answer.
type Fault struct {
	// Status is the HTTP status to answer; 0 serves the request normally
	// after Delay.
	Status int
	// Code and Message form the envelope; with Code 0 the body is plain
	// text, as a load balancer would send.
	Code    int
	Message string
	// RetryAfter, when positive, is sent as a Retry-After header in whole
	// seconds (rounded up).
	RetryAfter time.Duration
	// Delay holds the answer back, or until the client gives up.
	Delay time.Duration
}

// Inject makes the next n requests (to either host) fail with f.
func (s *Server) Inject(n int, f Fault) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// RateLimit makes the next n requests answer HTTP 429 with code 36009002
// and, when retryAfter > 0, a Retry-After header.
func (s *Server) RateLimit(n int, retryAfter time.Duration) {
	s.Inject(n, Fault{Status: http.StatusTooManyRequests, Code: tiktok.CodeTooManyRequests,
		Message: "Too many requests. You've made too many requests in a short period of time.", RetryAfter: retryAfter})
}

// Unavailable makes the next n requests answer HTTP 503 with a plain-text
// body.
func (s *Server) Unavailable(n int) {
	s.Inject(n, Fault{Status: http.StatusServiceUnavailable})
}

// Slow delays the answers to the next n requests by d (or until the client
// gives up), then serves them normally.
func (s *Server) Slow(n int, d time.Duration) { s.Inject(n, Fault{Delay: d}) }

// ClearFaults drops faults not yet served.
func (s *Server) ClearFaults() {
	s.fmu.Lock()
	s.faults = nil
	s.fmu.Unlock()
}

// Count returns how many requests the fake received for a route: an API
// path such as "/order/202309/orders/search", with
// "{conversation_id}" standing for the id in the messages path.
func (s *Server) Count(route string) int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.counts[route]
}

// Total returns how many requests the fake received on both hosts.
func (s *Server) Total() int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.total
}

// ResetCounts zeroes the request counters.
func (s *Server) ResetCounts() {
	s.fmu.Lock()
	s.counts = map[string]int{}
	s.total = 0
	s.fmu.Unlock()
}

// admit counts a request and takes the next fault, if any.
func (s *Server) admit(route string) (Fault, bool, string) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.counts[route]++
	s.total++
	s.seq++
	reqID := fmt.Sprintf("%s%010X", s.now().UTC().Format("20060102150405"), s.seq)
	if len(s.faults) == 0 {
		return Fault{}, false, reqID
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true, reqID
}

// serveFault answers with f; it reports false when f is a pure delay and the
// request should now be served normally.
func serveFault(w http.ResponseWriter, r *http.Request, f Fault, reqID string) (done bool) {
	if f.Delay > 0 && !sleep(r.Context(), f.Delay) {
		return true // the client went away
	}
	if f.Status == 0 {
		return false
	}
	if f.RetryAfter > 0 {
		secs := int((f.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	if f.Code == 0 {
		http.Error(w, http.StatusText(f.Status), f.Status)
		return true
	}
	writeError(w, f.Status, f.Code, f.Message, reqID)
	return true
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
