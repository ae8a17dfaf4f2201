package tiktok

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	cl := &Client{baseDelay: 100 * time.Millisecond, maxDelay: 2 * time.Second}
	tests := []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		lo, hi     time.Duration
	}{
		{"first retry", 1, -1, 50 * time.Millisecond, 100 * time.Millisecond},
		{"second retry doubles", 2, -1, 100 * time.Millisecond, 200 * time.Millisecond},
		{"fifth retry", 5, -1, 800 * time.Millisecond, 1600 * time.Millisecond},
		{"capped", 30, -1, time.Second, 2 * time.Second},
		{"retry-after wins", 1, 1500 * time.Millisecond, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{"retry-after zero", 3, 0, 0, 0},
		{"retry-after capped", 1, time.Hour, 2 * time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 100 {
				d := cl.backoff(tt.attempt, tt.retryAfter)
				if d < tt.lo || d > tt.hi {
					t.Fatalf("backoff = %v, want in [%v, %v]", d, tt.lo, tt.hi)
				}
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", -1},
		{"3", 3 * time.Second},
		{" 0 ", 0},
		{"-5", -1},
		{"soon", -1},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Fatalf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestAPIErrorIs(t *testing.T) {
	tests := []struct {
		name             string
		err              *APIError
		expired, limited bool
		retry            bool
	}{
		{"expired", &APIError{Code: CodeExpiredAccessToken, HTTPStatus: 401}, true, false, false},
		{"invalid token", &APIError{Code: CodeInvalidAccessToken, HTTPStatus: 401}, true, false, false},
		{"rate code", &APIError{Code: CodeTooManyRequests, HTTPStatus: 200}, false, true, true},
		{"http 429", &APIError{HTTPStatus: 429}, false, true, true},
		{"internal", &APIError{Code: CodeInternalError, HTTPStatus: 200}, false, false, true},
		{"502", &APIError{HTTPStatus: 502}, false, false, true},
		{"invalid path is not a rate limit", &APIError{Code: CodeInvalidPath, HTTPStatus: 404}, false, false, false},
		{"bad sign", &APIError{Code: CodeInvalidSign, HTTPStatus: 401}, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error = tt.err
			if errors.Is(err, ErrTokenExpired) != tt.expired || errors.Is(err, ErrRateLimited) != tt.limited || tt.err.retryable() != tt.retry {
				t.Fatalf("%v: expired %v limited %v retry %v", err, errors.Is(err, ErrTokenExpired), errors.Is(err, ErrRateLimited), tt.err.retryable())
			}
		})
	}
}
