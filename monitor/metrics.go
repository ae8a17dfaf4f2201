package monitor

import (
	"context"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/shopwatch/shopwatch/store"
)

// MetricsSource is what /metrics reads from the store at each scrape.
type MetricsSource interface {
	AlertLevels(ctx context.Context) ([]store.LevelCount, error)
	OutboxCounts(ctx context.Context) (map[store.OutboxStatus]int, error)
	RecordCounts(ctx context.Context) (map[store.Kind]int64, error)
}

// Metrics are the monitor's figures, a prometheus.Collector: counters kept
// by the process (evaluations, notifications, delivery attempts and
// failures, runs) and gauges read from the store when scraped (alerts by
// level, outbox depth, failed messages, stored records). Register it with
// the process's registry; it is safe for concurrent use.
type Metrics struct {
	evaluations   *prometheus.CounterVec // by result
	notifications *prometheus.CounterVec // by transition
	attempts      *prometheus.CounterVec // by outcome
	deliveredBy   *prometheus.CounterVec // by message kind
	failures      prometheus.Counter
	runs          *prometheus.CounterVec // by kind
	runSeconds    *prometheus.GaugeVec   // the last run's duration, by kind
	lastRun       *prometheus.GaugeVec   // by kind

	mu         sync.Mutex
	clock      clockwork.Clock
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

// The gauges read from the store or the scheduler at each scrape.
var (
	schedulerUpDesc = prometheus.NewDesc("shopwatch_scheduler_up", "Whether the scheduler is running.", nil, nil)
	alertsDesc      = prometheus.NewDesc("shopwatch_alerts",
		`Shop metrics at each alert level after their latest evaluation (metric "data" at warn: stale data).`, []string{"metric", "level"}, nil)
	outboxDesc = prometheus.NewDesc("shopwatch_outbox_messages",
		"Outbox messages by status (pending + sending: the depth; failed: given up).", []string{"status"}, nil)
	outboxDepthDesc = prometheus.NewDesc("shopwatch_outbox_depth", "Messages waiting to be delivered.", nil, nil)
	recordsDesc     = prometheus.NewDesc("shopwatch_records", "Records imported and stored, by kind (orders: distinct orders).", []string{"kind"}, nil)
	storeUpDesc     = prometheus.NewDesc("shopwatch_store_up", "Whether the store answered this scrape.", nil, nil)
)

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	counter := func(name, help, label string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
	}
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"kind"})
	}
	return &Metrics{
		evaluations:   counter("shopwatch_evaluations_total", "Shop evaluations (one shop, one date) by result.", "result"),
		notifications: counter("shopwatch_notifications_total", "Alert notifications decided by evaluations, by transition.", "transition"),
		attempts:      counter("shopwatch_delivery_attempts_total", "Outbox delivery attempts by outcome.", "outcome"),
		deliveredBy:   counter("shopwatch_delivered_total", "Messages delivered, by kind.", "kind"),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "shopwatch_delivery_failures_total",
			Help: "Messages whose delivery was given up (left failed in the outbox)."}),
		runs:       counter("shopwatch_runs_total", "Monitor runs by kind.", "kind"),
		runSeconds: gauge("shopwatch_run_duration_seconds", "Duration of the last monitor run, by kind."),
		lastRun:    gauge("shopwatch_last_run_timestamp_seconds", "When the last monitor run of each kind ended."),
		clock:      clockwork.NewRealClock(),
		recordsTTL: time.Minute,
	}
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

func (m *Metrics) setClock(c clockwork.Clock) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clock = c
}

func (m *Metrics) evaluation(ok bool) {
	if ok {
		m.evaluations.WithLabelValues("ok").Inc()
	} else {
		m.evaluations.WithLabelValues("error").Inc()
	}
}

func (m *Metrics) notification(transition string) { m.notifications.WithLabelValues(transition).Inc() }

func (m *Metrics) attempt(outcome string) { m.attempts.WithLabelValues(outcome).Inc() }

func (m *Metrics) delivered(kind string) { m.deliveredBy.WithLabelValues(kind).Inc() }

func (m *Metrics) failed() { m.failures.Inc() }

func (m *Metrics) run(kind string, d time.Duration) {
	m.mu.Lock()
	if kind == RunDaily {
		m.levels = nil // the evaluation changed them
	}
	now := m.clock.Now()
	m.mu.Unlock()
	m.runs.WithLabelValues(kind).Inc()
	m.runSeconds.WithLabelValues(kind).Set(d.Seconds())
	m.lastRun.WithLabelValues(kind).Set(float64(now.Unix()))
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
	evals := values(m.evaluations)
	return Counters{Evaluations: evals["ok"], EvaluationErrors: evals["error"],
		Notifications: values(m.notifications), Attempts: values(m.attempts), Delivered: values(m.deliveredBy),
		Failures: values(m.failures)[""]}
}

// values reads the counters of c by their one label's value ("" for a
// counter without labels).
func values(c prometheus.Collector) map[string]int64 {
	ch := make(chan prometheus.Metric)
	go func() { c.Collect(ch); close(ch) }()
	out := map[string]int64{}
	for metric := range ch {
		var d dto.Metric
		if err := metric.Write(&d); err != nil || d.Counter == nil {
			continue
		}
		key := ""
		if len(d.Label) > 0 {
			key = d.Label[0].GetValue()
		}
		out[key] = int64(d.Counter.GetValue())
	}
	return out
}

// scrapeTimeout bounds the store queries of one scrape.
const scrapeTimeout = 5 * time.Second

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.evaluations, m.notifications, m.attempts, m.deliveredBy, m.failures, m.runs, m.runSeconds, m.lastRun}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
	for _, d := range []*prometheus.Desc{schedulerUpDesc, alertsDesc, outboxDesc, outboxDepthDesc, recordsDesc, storeUpDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: the counters, then what the
// scheduler and the store say now.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
	m.mu.Lock()
	src, health := m.src, m.scheduler
	m.mu.Unlock()
	if health != nil {
		up := 0.0
		if health() == nil {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(schedulerUpDesc, prometheus.GaugeValue, up)
	}
	if src == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	up := 1.0
	if levels, err := m.alertLevels(ctx, src); err == nil {
		for _, l := range levels {
			ch <- prometheus.MustNewConstMetric(alertsDesc, prometheus.GaugeValue, float64(l.Count), string(l.Metric), string(l.Level))
		}
	} else {
		up = 0
	}
	if counts, err := src.OutboxCounts(ctx); err == nil {
		for s, n := range counts {
			ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n), string(s))
		}
		ch <- prometheus.MustNewConstMetric(outboxDepthDesc, prometheus.GaugeValue, float64(counts[store.OutboxPending]+counts[store.OutboxSending]))
	} else {
		up = 0
	}
	if records, err := m.recordCounts(ctx, src); err == nil {
		for k, n := range records {
			ch <- prometheus.MustNewConstMetric(recordsDesc, prometheus.GaugeValue, float64(n), string(k))
		}
	} else {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, up)
}

func (m *Metrics) alertLevels(ctx context.Context, src MetricsSource) ([]store.LevelCount, error) {
	m.mu.Lock()
	if m.levels != nil && m.clock.Since(m.levelsAt) < levelsTTL {
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
	m.levels, m.levelsAt = l, m.clock.Now()
	m.mu.Unlock()
	return l, nil
}

func (m *Metrics) recordCounts(ctx context.Context, src MetricsSource) (map[store.Kind]int64, error) {
	m.mu.Lock()
	if m.records != nil && m.clock.Since(m.recordsAt) < m.recordsTTL {
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
	m.records, m.recordsAt = r, m.clock.Now()
	m.mu.Unlock()
	return r, nil
}
