package promtext_test

import (
	"bytes"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/shopwatch/shopwatch/internal/promtext"
)

// collector reports fixed families, or an error.
type collector struct {
	fams []promtext.Family
	err  error
}

func (c collector) Collect() ([]promtext.Family, error) { return c.fams, c.err }

// scrape serves reg over a real HTTP server and parses the answer with
// Prometheus's own parser; it returns the families, the raw text and what
// was logged.
func scrape(t *testing.T, reg *promtext.Registry) (map[string]*dto.MetricFamily, string, string) {
	t.Helper()
	var log bytes.Buffer
	srv := httptest.NewServer(reg.Handler(slog.New(slog.NewTextHandler(&log, nil))))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("GET /metrics: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	fams, err := parse(body.String())
	if err != nil {
		t.Fatalf("parse:\n%s\n%v", body.String(), err)
	}
	return fams, body.String(), log.String()
}

// parse reads text with Prometheus's own parser.
func parse(text string) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(strings.NewReader(text))
}

// value is the value of fam's series with exactly labels.
func value(fam *dto.MetricFamily, labels map[string]string) (float64, bool) {
	for _, m := range fam.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(labels) {
			continue
		}
		match := true
		for k, v := range labels {
			match = match && got[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		default:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// TestLabelValuesRoundTrip: label values come from the config (shop ids)
// and the store, so they may hold anything; Prometheus's parser must read
// back the same value, and HELP texts the same text.
func TestLabelValuesRoundTrip(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"plain", "7495001"},
		{"empty", ""},
		{"quotes", `shop "one"`},
		{"backslashes", `C:\shops\1`},
		{"newline", "line one\nline two"},
		{"all of them", "a\\\"b\n\\n"},
		{"unicode", "店铺 1"},
		{"braces and commas", `x},y="z`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			help := "Help with " + tc.value
			f := promtext.Family{Name: "shopwatch_test", Help: help, Type: promtext.Gauge}
			f.Add(42, "shop", tc.value, "kind", "orders")
			reg := &promtext.Registry{}
			reg.Register(collector{fams: []promtext.Family{f}})
			fams, text, _ := scrape(t, reg)
			fam := fams["shopwatch_test"]
			if got, ok := value(fam, map[string]string{"shop": tc.value, "kind": "orders"}); !ok || got != 42 {
				t.Errorf("%q: got %v %v:\n%s", tc.value, got, ok, text)
			}
			if fam.GetHelp() != help || fam.GetType() != dto.MetricType_GAUGE {
				t.Errorf("help %q type %v, want %q gauge", fam.GetHelp(), fam.GetType(), help)
			}
		})
	}
}

func TestValues(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		text string
	}{
		{0, "0"},
		{12, "12"},
		{-3, "-3"},
		{0.25, "0.25"},
		{1.7649792e+09, "1.7649792e+09"},
		{math.Inf(1), "+Inf"},
		{math.Inf(-1), "-Inf"},
		{math.NaN(), "NaN"},
	} {
		f := promtext.Family{Name: "v", Type: promtext.Gauge}
		f.Add(tc.v)
		got := string(promtext.Append(nil, []promtext.Family{f}))
		if want := "# TYPE v gauge\nv " + tc.text + "\n"; got != want {
			t.Errorf("%v: %q, want %q", tc.v, got, want)
		}
		fams, err := parse(got)
		if err != nil {
			t.Fatalf("%v: %v", tc.v, err)
		}
		back := fams["v"].GetMetric()[0].GetGauge().GetValue()
		if back != tc.v && !(math.IsNaN(back) && math.IsNaN(tc.v)) {
			t.Errorf("%v parsed back as %v", tc.v, back)
		}
	}
}

// TestOrder: families sorted by name and samples by their labels, label
// pairs by name, whatever order they were reported in; families without
// samples left out.
func TestOrder(t *testing.T) {
	b := promtext.Family{Name: "b_total", Help: "B.", Type: promtext.Counter}
	b.Add(2, "metric", "nrr", "level", "warn")
	b.Add(1, "metric", "chat", "level", "ok")
	a := promtext.Family{Name: "a", Help: "A.", Type: promtext.Gauge}
	a.Add(3)
	empty := promtext.Family{Name: "c", Help: "C.", Type: promtext.Gauge}
	reg := &promtext.Registry{}
	reg.Register(collector{fams: []promtext.Family{b, empty}})
	reg.Register(collector{fams: []promtext.Family{a}})
	_, text, _ := scrape(t, reg)
	want := `# HELP a A.
# TYPE a gauge
a 3
# HELP b_total B.
# TYPE b_total counter
b_total{level="ok",metric="chat"} 1
b_total{level="warn",metric="nrr"} 2
`
	if text != want {
		t.Errorf("got\n%s\nwant\n%s", text, want)
	}
}

// TestFailingCollector: a collector that fails is left out and logged; the
// others are served. A family reported twice is served once.
func TestFailingCollector(t *testing.T) {
	ok := promtext.Family{Name: "shopwatch_up", Type: promtext.Gauge}
	ok.Add(1)
	partial := promtext.Family{Name: "shopwatch_partial", Type: promtext.Gauge}
	partial.Add(7)
	reg := &promtext.Registry{}
	reg.Register(collector{fams: []promtext.Family{ok}})
	reg.Register(collector{fams: []promtext.Family{partial}, err: errors.New("database is locked")})
	reg.Register(collector{fams: []promtext.Family{ok}})
	fams, text, log := scrape(t, reg)
	if _, found := fams["shopwatch_partial"]; found || len(fams["shopwatch_up"].GetMetric()) != 1 {
		t.Errorf("served:\n%s", text)
	}
	for _, want := range []string{"database is locked", "shopwatch_up reported twice"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q: %s", want, log)
		}
	}
}

func TestVec(t *testing.T) {
	c := promtext.NewVec(promtext.Counter, "shopwatch_runs_total", "Runs.", "kind")
	plain := promtext.NewVec(promtext.Counter, "shopwatch_failures_total", "Failures.", "")
	g := promtext.NewVec(promtext.Gauge, "shopwatch_last_seconds", "Last.", "kind")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Add("daily", 1)
				c.Add("digest", 0.5)
				g.Set("daily", 3)
			}
		})
	}
	wg.Wait()
	if got := c.Values(); got["daily"] != 8000 || got["digest"] != 4000 || len(got) != 2 {
		t.Errorf("counter values %v", got)
	}
	reg := &promtext.Registry{}
	reg.Register(collector{fams: []promtext.Family{c.Family(), plain.Family(), g.Family()}})
	fams, text, _ := scrape(t, reg)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
		typ    dto.MetricType
	}{
		{"shopwatch_runs_total", map[string]string{"kind": "daily"}, 8000, dto.MetricType_COUNTER},
		{"shopwatch_failures_total", map[string]string{}, 0, dto.MetricType_COUNTER}, // a counter without labels starts at 0
		{"shopwatch_last_seconds", map[string]string{"kind": "daily"}, 3, dto.MetricType_GAUGE},
	} {
		got, ok := value(fams[tc.name], tc.labels)
		if !ok || got != tc.want || fams[tc.name].GetType() != tc.typ {
			t.Errorf("%s%v = %v (found %v, %v), want %v %v:\n%s", tc.name, tc.labels, got, ok, fams[tc.name].GetType(), tc.want, tc.typ, text)
		}
	}
}
