package tiktok_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
)

func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		inject   func(*tiktoktest.Server)
		edit     func(*tiktok.Options)
		requests int // the fake's count, including the successful one
	}{
		{"429 twice", func(s *tiktoktest.Server) { s.RateLimit(2, 0) }, nil, 3},
		{"rate-limit code with HTTP 200", func(s *tiktoktest.Server) {
			s.Inject(2, tiktoktest.Fault{Status: http.StatusOK, Code: tiktok.CodeTooManyRequests, Message: "Too many requests."})
		}, nil, 3},
		{"503 three times", func(s *tiktoktest.Server) { s.Unavailable(3) }, nil, 4},
		{"internal error code", func(s *tiktoktest.Server) {
			s.Inject(1, tiktoktest.Fault{Status: http.StatusInternalServerError, Code: tiktok.CodeInternalError, Message: "Internal error."})
		}, nil, 2},
		{"slow answers time out", func(s *tiktoktest.Server) { s.Slow(2, 2*time.Second) },
			func(o *tiktok.Options) { o.RequestTimeout = 100 * time.Millisecond }, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c, shop := MustShop(t, tiktoktest.Options{}, tt.edit)
			srv.AddGeneratedOrders(shop.ID, 0, 10, t0, time.Minute)
			tt.inject(srv)
			page, err := c.SearchOrders(t.Context(), shop, tiktok.OrderSearch{})
			if err != nil {
				t.Fatalf("SearchOrders: %v", err)
			}
			if len(page.Orders) != 10 {
				t.Fatalf("%d orders", len(page.Orders))
			}
			if n := srv.Total(); n != tt.requests {
				t.Fatalf("fake saw %d requests, want %d", n, tt.requests)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	if testing.Short() {
		t.Skip("waits a second")
	}
	srv, c, shop := MustShop(t, tiktoktest.Options{}, func(o *tiktok.Options) { o.RetryMaxDelay = 5 * time.Second })
	srv.RateLimit(1, time.Second)
	start := time.Now()
	if _, err := c.SearchOrders(t.Context(), shop, tiktok.OrderSearch{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second {
		t.Fatalf("retried after %v, before the Retry-After of 1s", took)
	}
}

func TestRetriesGiveUp(t *testing.T) {
	tests := []struct {
		name       string
		inject     func(*tiktoktest.Server)
		wantStatus int
		rateLimit  bool
	}{
		{"always 503", func(s *tiktoktest.Server) { s.Unavailable(100) }, http.StatusServiceUnavailable, false},
		{"always 429", func(s *tiktoktest.Server) { s.RateLimit(100, 0) }, http.StatusTooManyRequests, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c, shop := MustShop(t, tiktoktest.Options{}, func(o *tiktok.Options) { o.MaxAttempts = 3 })
			tt.inject(srv)
			_, err := c.SearchOrders(t.Context(), shop, tiktok.OrderSearch{})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "giving up after 3 attempts") {
				t.Fatalf("err = %q, want it to say it gave up after 3 attempts", err)
			}
			var ae *tiktok.APIError
			if !errors.As(err, &ae) || ae.HTTPStatus != tt.wantStatus {
				t.Fatalf("err = %v, want APIError with HTTP %d", err, tt.wantStatus)
			}
			if errors.Is(err, tiktok.ErrRateLimited) != tt.rateLimit {
				t.Fatalf("errors.Is(err, ErrRateLimited) = %v, want %v", !tt.rateLimit, tt.rateLimit)
			}
			if n := srv.Total(); n != 3 {
				t.Fatalf("fake saw %d requests, want 3", n)
			}
		})
	}

	t.Run("network errors", func(t *testing.T) {
		srv, _, shop := MustShop(t, tiktoktest.Options{}, nil)
		opts := srv.ClientOptions()
		opts.MaxAttempts = 2
		opts.APIURL = "http://127.0.0.1:1" // nothing listens there
		c, err := tiktok.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.SearchOrders(t.Context(), shop, tiktok.OrderSearch{})
		if err == nil || !strings.Contains(err.Error(), "giving up after 2 attempts") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestContextCancellation(t *testing.T) {
	t.Run("during a slow answer", func(t *testing.T) {
		srv, c, shop := MustShop(t, tiktoktest.Options{}, nil)
		srv.Slow(1, 10*time.Second)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.SearchOrders(ctx, shop, tiktok.OrderSearch{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("took %v after the deadline", took)
		}
	})
	t.Run("during backoff", func(t *testing.T) {
		srv, c, shop := MustShop(t, tiktoktest.Options{}, func(o *tiktok.Options) { o.RetryMaxDelay = time.Minute })
		srv.RateLimit(5, 30*time.Second)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.SearchOrders(ctx, shop, tiktok.OrderSearch{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want Canceled", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("took %v to notice the cancel", took)
		}
		if n := srv.Total(); n != 1 {
			t.Fatalf("fake saw %d requests, want 1", n)
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		srv, c, shop := MustShop(t, tiktoktest.Options{}, nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := c.SearchOrders(ctx, shop, tiktok.OrderSearch{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if n := srv.Total(); n != 0 {
			t.Fatalf("fake saw %d requests", n)
		}
	})
}
