package monitor

import (
	"context"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/internal/promtext"
	"github.com/shopwatch/shopwatch/store"
)

// MetricsSource is what /metrics reads from the store at each scrape.
type MetricsSource interface {
	AlertLevels(ctx context.Context) ([]store.LevelCount, error)
	OutboxCounts(ctx context.Context) (map[store.OutboxStatus]int, error)
	RecordCounts(ctx context.Context) (map[store.Kind]int64, error)
}

// Metrics are the monitor's figures, a promtext.Collector: counters kept
// by the process (evaluations, notifications, delivery attempts and
// failures, runs) and gauges read from the store when scraped (alerts by
// level, outbox depth, failed messages, stored records). Register it with
// the process's registry; it is safe for concurrent use.
type Metrics struct {
	evaluations   *promtext.Vec // by result
	notifications *promtext.Vec // by transition
	attempts      *promtext.Vec // by outcome
	deliveredBy   *promtext.Vec // by message kind
	failures      *promtext.Vec
	runs          *promtext.Vec // by kind
	runSeconds    *promtext.Vec // the last run's duration, by kind
	lastRun       *promtext.Vec // by kind

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
	schedulerUpFamily = promtext.Family{Name: "shopwatch_scheduler_up", Help: "Whether the scheduler is running.", Type: promtext.Gauge}
	alertsFamily      = promtext.Family{Name: "shopwatch_alerts", Type: promtext.Gauge,
		Help: `Shop metrics at each alert level after their latest evaluation (metric "data" at warn: stale data).`}
	outboxFamily = promtext.Family{Name: "shopwatch_outbox_messages", Type: promtext.Gauge,
		Help: "Outbox messages by status (pending + sending: the depth; failed: given up)."}
	outboxDepthFamily = promtext.Family{Name: "shopwatch_outbox_depth", Help: "Messages waiting to be delivered.", Type: promtext.Gauge}
	recordsFamily     = promtext.Family{Name: "shopwatch_records", Help: "Records imported and stored, by kind (orders: distinct orders).", Type: promtext.Gauge}
	storeUpFamily     = promtext.Family{Name: "shopwatch_store_up", Help: "Whether the store answered this scrape.", Type: promtext.Gauge}
)

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	counter := func(name, help, label string) *promtext.Vec {
		return promtext.NewVec(promtext.Counter, name, help, label)
	}
	gauge := func(name, help string) *promtext.Vec {
		return promtext.NewVec(promtext.Gauge, name, help, "kind")
	}
	return &Metrics{
		evaluations:   counter("shopwatch_evaluations_total", "Shop evaluations (one shop, one date) by result.", "result"),
		notifications: counter("shopwatch_notifications_total", "Alert notifications decided by evaluations, by transition.", "transition"),
		attempts:      counter("shopwatch_delivery_attempts_total", "Outbox delivery attempts by outcome.", "outcome"),
		deliveredBy:   counter("shopwatch_delivered_total", "Messages delivered, by kind.", "kind"),
		failures:      counter("shopwatch_delivery_failures_total", "Messages whose delivery was given up (left failed in the outbox).", ""),
		runs:          counter("shopwatch_runs_total", "Monitor runs by kind.", "kind"),
		runSeconds:    gauge("shopwatch_run_duration_seconds", "Duration of the last monitor run, by kind."),
		lastRun:       gauge("shopwatch_last_run_timestamp_seconds", "When the last monitor run of each kind ended."),
		clock:         clockwork.NewRealClock(),
		recordsTTL:    time.Minute,
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
		m.evaluations.Add("ok", 1)
	} else {
		m.evaluations.Add("error", 1)
	}
}

func (m *Metrics) notification(transition string) { m.notifications.Add(transition, 1) }

func (m *Metrics) attempt(outcome string) { m.attempts.Add(outcome, 1) }

func (m *Metrics) delivered(kind string) { m.deliveredBy.Add(kind, 1) }

func (m *Metrics) failed() { m.failures.Add("", 1) }

func (m *Metrics) run(kind string, d time.Duration) {
	m.mu.Lock()
	if kind == RunDaily {
		m.levels = nil // the evaluation changed them
	}
	now := m.clock.Now()
	m.mu.Unlock()
	m.runs.Add(kind, 1)
	m.runSeconds.Set(kind, d.Seconds())
	m.lastRun.Set(kind, float64(now.Unix()))
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

// values reads the counters of v by their one label's value ("" for a
// counter without labels).
func values(v *promtext.Vec) map[string]int64 {
	out := map[string]int64{}
	for k, x := range v.Values() {
		out[k] = int64(x)
	}
	return out
}

// scrapeTimeout bounds the store queries of one scrape.
const scrapeTimeout = 5 * time.Second

// Collect implements promtext.Collector: the counters, then what the
// scheduler and the store say now.
func (m *Metrics) Collect() ([]promtext.Family, error) {
	var fams []promtext.Family
	for _, v := range []*promtext.Vec{m.evaluations, m.notifications, m.attempts, m.deliveredBy, m.failures, m.runs, m.runSeconds, m.lastRun} {
		fams = append(fams, v.Family())
	}
	m.mu.Lock()
	src, health := m.src, m.scheduler
	m.mu.Unlock()
	if health != nil {
		up := schedulerUpFamily
		if health() == nil {
			up.Add(1)
		} else {
			up.Add(0)
		}
		fams = append(fams, up)
	}
	if src == nil {
		return fams, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	up := 1.0
	if levels, err := m.alertLevels(ctx, src); err == nil {
		f := alertsFamily
		for _, l := range levels {
			f.Add(float64(l.Count), "metric", string(l.Metric), "level", string(l.Level))
		}
		fams = append(fams, f)
	} else {
		up = 0
	}
	if counts, err := src.OutboxCounts(ctx); err == nil {
		f, depth := outboxFamily, outboxDepthFamily
		for s, n := range counts {
			f.Add(float64(n), "status", string(s))
		}
		depth.Add(float64(counts[store.OutboxPending] + counts[store.OutboxSending]))
		fams = append(fams, f, depth)
	} else {
		up = 0
	}
	if records, err := m.recordCounts(ctx, src); err == nil {
		f := recordsFamily
		for k, n := range records {
			f.Add(float64(n), "kind", string(k))
		}
		fams = append(fams, f)
	} else {
		up = 0
	}
	storeUp := storeUpFamily
	storeUp.Add(up)
	return append(fams, storeUp), nil
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
