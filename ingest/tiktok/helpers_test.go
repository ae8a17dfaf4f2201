package tiktok_test

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// MustClient returns a client for srv; edit may change the options.
func MustClient(tb testing.TB, srv *tiktoktest.Server, edit func(*tiktok.Options)) *tiktok.Client {
	tb.Helper()
	opts := srv.ClientOptions()
	if edit != nil {
		edit(&opts)
	}
	c, err := tiktok.New(opts)
	if err != nil {
		tb.Fatalf("tiktok.New: %v", err)
	}
	return c
}

// MustShop starts a fake with one shop and returns a client and the shop's
// credentials.
func MustShop(tb testing.TB, opts tiktoktest.Options, edit func(*tiktok.Options)) (*tiktoktest.Server, *tiktok.Client, tiktok.ShopAuth) {
	tb.Helper()
	srv := tiktoktest.New(tb, opts)
	srv.AddShop(tiktoktest.Shop{ID: "7495001", Name: "Acme Beauty TH"})
	tok := srv.IssueToken("7495001")
	return srv, MustClient(tb, srv, edit), srv.ShopAuth("7495001", tok)
}

// debugLogger returns a logger writing JSON at debug level to buf.
func debugLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
