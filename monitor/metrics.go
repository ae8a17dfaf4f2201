package monitor

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/shopwatch/shopwatch/store"
)

// MetricsSource is what /metrics reads from the store at each scrape.
type MetricsSource interface {
	AlertLevels(ctx context.Context) ([]store.LevelCount, error)
	OutboxCounts(ctx context.Context) (map[store.OutboxStatus]int, error)
	RecordCounts(ctx context.Context) (map[store.Kind]int64, error)
}

// Metrics are the monitor's figures in the Prometheus text format: counters
// kept by the process (evaluations, notifications, delivery attempts and
// failures, runs) and gauges read from the store when scraped (alerts by
// level, outbox depth, failed messages, stored records). Mount it at
// /metrics; it is safe for concurrent use.
type Metrics struct {
	mu            sync.Mutex
	evaluations   map[string]int64 // by result
	notifications map[string]int64 // by transition
	attempts      map[string]int64 // by outcome
	deliveredBy   map[string]int64 // by message kind
	failures      int64
	runs          map[string]int64
	runSeconds    map[string]float64 // the last run's duration, by kind
	lastRun       map[string]time.Time

	src        MetricsSource
	records    map[store.Kind]int64 // cached: counting is slow on big tables
	recordsAt  time.Time
	recordsTTL time.Duration
	levels     []store.LevelCount // cached: the latest state of every shop's metrics
	levelsAt   time.Time
	scheduler  func() error // nil: no scheduler in this process
}

// levelsTTL is how long /metrics reuses the alert levels it read.
const levelsTTL = 15 * time.Second

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{evaluations: map[string]int64{}, notifications: map[string]int64{}, attempts: map[string]int64{},
		deliveredBy: map[string]int64{}, runs: map[string]int64{}, runSeconds: map[string]float64{}, lastRun: map[string]time.Time{},
		recordsTTL: time.Minute}
}

func (m *Metrics) setSource(src MetricsSource) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.src = src
}

func (m *Metrics) setScheduler(health func() error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.scheduler = health
}

func (m *Metrics) evaluation(ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ok {
		m.evaluations["ok"]++
	} else {
		m.evaluations["error"]++
	}
}

func (m *Metrics) notification(transition string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notifications[transition]++
}

func (m *Metrics) attempt(outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.attempts[outcome]++
}

func (m *Metrics) delivered(kind string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deliveredBy[kind]++
}

func (m *Metrics) failed() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures++
}

func (m *Metrics) run(kind string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if kind == RunDaily {
		m.levels = nil // the evaluation changed them
	}
	m.runs[kind]++
	m.runSeconds[kind] = d.Seconds()
	m.lastRun[kind] = time.Now()
}

// Counters are a snapshot of the process's counters, for tests and logs.
type Counters struct {
	Evaluations, EvaluationErrors int64
	Notifications                 map[string]int64
	Attempts                      map[string]int64
	Delivered                     map[string]int64
	Failures                      int64
}

// Counters returns a snapshot of the counters.
func (m *Metrics) Counters() Counters {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Counters{Evaluations: m.evaluations["ok"], EvaluationErrors: m.evaluations["error"],
		Notifications: clone(m.notifications), Attempts: clone(m.attempts), Delivered: clone(m.deliveredBy), Failures: m.failures}
}

func clone[K comparable, V any](in map[K]V) map[K]V {
	out := make(map[K]V, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// scrapeTimeout bounds the store queries of one scrape.
const scrapeTimeout = 5 * time.Second

// WriteTo writes the metrics in the Prometheus text exposition format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	var b bytes.Buffer
	m.write(ctx, &b)
	return b.WriteTo(w)
}

// ServeHTTP serves GET /metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), scrapeTimeout)
	defer cancel()
	var b bytes.Buffer
	m.write(ctx, &b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = b.WriteTo(w)
}

func (m *Metrics) write(ctx context.Context, b *bytes.Buffer) {
	m.mu.Lock()
	src, health := m.src, m.scheduler
	family(b, "shopwatch_evaluations_total", "counter", "Shop evaluations (one shop, one date) by result.", "result", m.evaluations)
	family(b, "shopwatch_notifications_total", "counter", "Alert notifications decided by evaluations, by transition.", "transition", m.notifications)
	family(b, "shopwatch_delivery_attempts_total", "counter", "Outbox delivery attempts by outcome.", "outcome", m.attempts)
	family(b, "shopwatch_delivered_total", "counter", "Messages delivered, by kind.", "kind", m.deliveredBy)
	fmt.Fprintf(b, "# HELP shopwatch_delivery_failures_total Messages whose delivery was given up (left failed in the outbox).\n# TYPE shopwatch_delivery_failures_total counter\nshopwatch_delivery_failures_total %d\n", m.failures)
	family(b, "shopwatch_runs_total", "counter", "Monitor runs by kind.", "kind", m.runs)
	family(b, "shopwatch_run_duration_seconds", "gauge", "Duration of the last monitor run, by kind.", "kind", m.runSeconds)
	last := map[string]float64{}
	for k, t := range m.lastRun {
		last[k] = float64(t.Unix())
	}
	family(b, "shopwatch_last_run_timestamp_seconds", "gauge", "When the last monitor run of each kind ended.", "kind", last)
	m.mu.Unlock()

	if health != nil {
		up := 0
		if health() == nil {
			up = 1
		}
		fmt.Fprintf(b, "# HELP shopwatch_scheduler_up Whether the scheduler is running.\n# TYPE shopwatch_scheduler_up gauge\nshopwatch_scheduler_up %d\n", up)
	}
	if src == nil {
		return
	}
	up := 1
	if levels, err := m.alertLevels(ctx, src); err == nil {
		fmt.Fprintf(b, "# HELP shopwatch_alerts Shop metrics at each alert level after their latest evaluation (metric \"data\" at warn: stale data).\n# TYPE shopwatch_alerts gauge\n")
		for _, l := range levels {
			fmt.Fprintf(b, "shopwatch_alerts{metric=%q,level=%q} %d\n", string(l.Metric), string(l.Level), l.Count)
		}
	} else {
		up = 0
	}
	if counts, err := src.OutboxCounts(ctx); err == nil {
		byStatus := map[string]int64{}
		for s, n := range counts {
			byStatus[string(s)] = int64(n)
		}
		family(b, "shopwatch_outbox_messages", "gauge", "Outbox messages by status (pending + sending: the depth; failed: given up).", "status", byStatus)
		fmt.Fprintf(b, "# HELP shopwatch_outbox_depth Messages waiting to be delivered.\n# TYPE shopwatch_outbox_depth gauge\nshopwatch_outbox_depth %d\n",
			counts[store.OutboxPending]+counts[store.OutboxSending])
	} else {
		up = 0
	}
	if records, err := m.recordCounts(ctx, src); err == nil {
		byKind := map[string]int64{}
		for k, n := range records {
			byKind[string(k)] = n
		}
		family(b, "shopwatch_records", "gauge", "Records imported and stored, by kind (orders: distinct orders).", "kind", byKind)
	} else {
		up = 0
	}
	fmt.Fprintf(b, "# HELP shopwatch_store_up Whether the store answered this scrape.\n# TYPE shopwatch_store_up gauge\nshopwatch_store_up %d\n", up)
}

func (m *Metrics) alertLevels(ctx context.Context, src MetricsSource) ([]store.LevelCount, error) {
	m.mu.Lock()
	if m.levels != nil && time.Since(m.levelsAt) < levelsTTL {
		l := m.levels
		m.mu.Unlock()
		return l, nil
	}
	m.mu.Unlock()
	l, err := src.AlertLevels(ctx)
	if err != nil {
		return nil, err
	}
	if l == nil {
		l = []store.LevelCount{}
	}
	m.mu.Lock()
	m.levels, m.levelsAt = l, time.Now()
	m.mu.Unlock()
	return l, nil
}

func (m *Metrics) recordCounts(ctx context.Context, src MetricsSource) (map[store.Kind]int64, error) {
	m.mu.Lock()
	if m.records != nil && time.Since(m.recordsAt) < m.recordsTTL {
		r := m.records
		m.mu.Unlock()
		return r, nil
	}
	m.mu.Unlock()
	r, err := src.RecordCounts(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.records, m.recordsAt = r, time.Now()
	m.mu.Unlock()
	return r, nil
}

// family writes one metric family with one label, its series sorted.
func family[V int64 | float64](b *bytes.Buffer, name, typ, help, label string, values map[string]V) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "%s{%s=%q} %s\n", name, label, k, formatValue(values[k])) // label values are ASCII names
	}
}

func formatValue[V int64 | float64](v V) string {
	switch x := any(v).(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return "0"
}
