package tiktoksync_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"net/http"
	"net/http/httptest"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
	"github.com/shopwatch/shopwatch/internal/promtext"
	"github.com/shopwatch/shopwatch/store"
)

func TestCollector(t *testing.T) {
	f := MustFixture(t, fixtureOptions{})
	f.MustAuthorize(t, shopID)
	now := f.now()
	bare := tiktoktest.Order{ID: "o-bare", CreateTime: now.Add(-time.Hour), UpdateTime: now.Add(-time.Hour)}
	f.srv.PutOrders(shopID, bare)
	f.MustSync(t)
	f.srv.Inject(100, tiktoktest.Fault{Status: 403, Code: tiktok.CodeScopeNotAuthorized, Message: "no scope"})
	f.s.SyncShop(t.Context(), shopID)
	f.srv.ClearFaults()

	fams := MustScrape(t, tiktoksync.NewCollector(f.db))
	if typ := fams["shopwatch_sync_failing"].GetType(); typ != dto.MetricType_GAUGE {
		t.Errorf("shopwatch_sync_failing is a %v", typ)
	}
	for _, want := range []struct {
		name, kind string
		value      float64
	}{
		{"shopwatch_sync_failing", "orders", 1},
		{"shopwatch_sync_rejected_records", "orders", 1},
		{"shopwatch_sync_last_success_timestamp_seconds", "chats", float64(f.status(t, store.Chats).LastSuccess.Unix())},
	} {
		got, ok := sample(fams[want.name], map[string]string{"shop": shopID, "kind": want.kind})
		if !ok || got != want.value {
			t.Errorf("%s{shop=%q,kind=%q} = %v (found %v), want %v", want.name, shopID, want.kind, got, ok, want.value)
		}
	}
}

// statuses is a StatusSource that returns fixed statuses.
type statuses []store.SyncStatus

func (s statuses) SyncStatuses(context.Context, string) ([]store.SyncStatus, error) { return s, nil }

// TestCollectorEscapesLabels: shop IDs come from the config, so a label
// value may hold anything; the exposition must parse back to the same value.
func TestCollectorEscapesLabels(t *testing.T) {
	for _, tc := range []struct{ name, shop string }{
		{"quotes", `shop "one"`},
		{"backslashes", `C:\shops\1`},
		{"newline", "line one\nline two"},
		{"all of them", "a\\\"b\n\\n"},
		{"unicode", "店铺 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
			fams := MustScrape(t, tiktoksync.NewCollector(statuses{{ShopID: tc.shop, Kind: store.Orders, LastSuccess: at, LastAttempt: at}}))
			got, ok := sample(fams["shopwatch_sync_last_success_timestamp_seconds"], map[string]string{"shop": tc.shop, "kind": "orders"})
			if !ok || got != float64(at.Unix()) {
				t.Errorf("shop %q: %v %v in %v", tc.shop, got, ok, fams)
			}
		})
	}
}

// MustScrape serves c's metrics from a registry of its own over a real
// HTTP server, as /metrics does, and parses the text exposition with
// Prometheus's own parser.
func MustScrape(tb testing.TB, c promtext.Collector) map[string]*dto.MetricFamily {
	tb.Helper()
	reg := &promtext.Registry{}
	reg.Register(c)
	srv := httptest.NewServer(reg.Handler(slog.New(slog.DiscardHandler)))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		tb.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// sample is the value of the series of fam with exactly labels.
func sample(fam *dto.MetricFamily, labels map[string]string) (float64, bool) {
	for _, m := range fam.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				match = false
			}
		}
		if match {
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}
