// Package monitor is shopwatch's background side (SPEC section 4): the
// daily evaluation of every shop and its alert lifecycle, the weekly
// digests, the hourly sweep for buyer chats close to the response target,
// the scheduler that runs them in each shop's own time zone. They write to
// the durable outbox; package delivery's worker, which the monitor starts
// with its Notifier, delivers it. It declares the small interfaces it needs
// (Store, Notifier) and never imports the Slack side.
package monitor

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/delivery"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// Store is what the monitor reads and writes, by need; *store.DB
// implements it, and each small part is implemented by one of the store's
// aggregates alone.
type Store interface {
	Config() *rules.Config
	Ping(ctx context.Context) error
	ReportSource
	AlertStore
	RunStore
	OutboxWriter
	SyncSource
	delivery.OutboxStore
	MetricsSource
}

// ReportSource is what evaluation and digests read of the records.
type ReportSource interface {
	Report(ctx context.Context, shopID string, day rules.Day) (rules.Report, error)
	ReportDays(ctx context.Context, shopID string, days ...rules.Day) ([]rules.Report, error)
	Daily(ctx context.Context, shopID string, day rules.Day) (*store.Daily, error)
	Explain(ctx context.Context, shopID string, day rules.Day, top int) (*store.Explanation, error)
	Feedback(ctx context.Context, shopID string, day rules.Day) (*store.Feedback, error)
	BreakdownWindow(ctx context.Context, shopID, metric string, day rules.Day, days, top int) (*store.Breakdown, error)
	LastDataDay(ctx context.Context, shopID string, day rules.Day) (rules.Day, bool, error)
	Unanswered(ctx context.Context, shopID string, from, to time.Time) ([]store.WaitingChat, error)
}

// AlertStore is the alert states evaluation steps, the mutes it honours
// and the open critical episodes it reminds of.
type AlertStore interface {
	AlertStates(ctx context.Context, shopID string, before rules.Day) (map[rules.Metric]rules.AlertState, error)
	SaveEvaluation(ctx context.Context, ev store.Evaluation) (int, error)
	Mutes(ctx context.Context, shopID string, now time.Time) ([]store.Mute, error)
	UnacknowledgedCritical(ctx context.Context, shopID string) ([]store.CriticalAlert, error)
}

// RunStore is the scheduler's memory of the runs done, and its pruning.
type RunStore interface {
	RunDone(ctx context.Context, shopID, kind string, day rules.Day) (bool, error)
	MarkRun(ctx context.Context, shopID, kind string, day rules.Day, at time.Time) error
	LastRuns(ctx context.Context, kind string) (map[string]rules.Day, error)
	Prune(ctx context.Context, statesBefore rules.Day, outboxBefore time.Time) (int64, error)
}

// OutboxWriter is how the producers (digests, reminders, sync alerts)
// queue messages without queueing one twice.
type OutboxWriter interface {
	Enqueue(ctx context.Context, now time.Time, msgs ...store.OutboxMessage) (int, error)
	LatestOutboxOfKind(ctx context.Context, kind string) ([]store.OutboxMessage, error)
	OutboxHas(ctx context.Context, keys []string) (map[string]bool, error)
}

// SyncSource is the TikTok sync's status, for the stale-sync alert.
type SyncSource interface {
	SyncStatuses(ctx context.Context, shopID string) ([]store.SyncStatus, error)
}

var (
	_ Store                = (*store.DB)(nil)
	_ ReportSource         = (*store.Records)(nil)
	_ AlertStore           = (*store.Alerts)(nil)
	_ RunStore             = (*store.Alerts)(nil)
	_ OutboxWriter         = (*store.Outbox)(nil)
	_ delivery.OutboxStore = (*store.Outbox)(nil)
	_ SyncSource           = (*store.Grants)(nil)
)

// Options configure a Monitor. Zero values take the defaults.
type Options struct {
	DB       Store    // required
	Notifier Notifier // required to deliver (Start, Deliver); evaluation alone works without
	Logger   *slog.Logger
	// Clock is the monitor's time: the scheduler's and the delivery
	// worker's. Default: the real clock.
	Clock clockwork.Clock
	// Workers is how many shops are evaluated at once (default 4).
	Workers int
	// CatchUpDays bounds how many missed daily evaluations are caught up,
	// in order, when the service starts after a while (default 7).
	CatchUpDays int
	// DigestCatchUp is how late a missed weekly digest is still sent
	// (default 24h): a service down for a week does not send last week's.
	DigestCatchUp time.Duration
	// SweepLead is how long before its response deadline a waiting buyer
	// chat is announced by the hourly sweep (default 2h).
	SweepLead time.Duration
	// SyncAlertAfter is how long a shop's TikTok sync may fail, with no
	// successful run, before the hourly sweep announces it (default 1h).
	// A shop that never synced is announced at the first sweep after its
	// first failure.
	SyncAlertAfter time.Duration
	// KeepStates is how many days of alert states are kept (default 120),
	// KeepMessages how long delivered and failed messages (default 60 days;
	// the first message of an open episode stays until it is resolved).
	// Older ones are removed once a day.
	KeepStates   int
	KeepMessages time.Duration
	// Delivery configures the delivery worker; its Store, Notifier,
	// Logger, Clock and Metrics default to the monitor's.
	Delivery DeliveryOptions
	Metrics  *Metrics
	// Replicas, when set, coordinates replicas sharing the database
	// (replicas.go); nil: this process is the only one.
	Replicas Coordinator
	// OnEvaluated, when set, is called after each daily evaluation (by the
	// scheduler or Evaluate) with its summary, such as the Slack App Home's
	// refresh. It runs on the evaluation's goroutine: it must not block.
	OnEvaluated func(Summary)
}

func (o *Options) validate() error {
	if o.DB == nil {
		return errors.New("monitor: Options.DB is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.CatchUpDays <= 0 {
		o.CatchUpDays = 7
	}
	if o.DigestCatchUp <= 0 {
		o.DigestCatchUp = 24 * time.Hour
	}
	if o.SweepLead <= 0 {
		o.SweepLead = 2 * time.Hour
	}
	if o.SyncAlertAfter <= 0 {
		o.SyncAlertAfter = time.Hour
	}
	if o.KeepStates <= 0 {
		o.KeepStates = 120
	}
	if o.KeepMessages <= 0 {
		o.KeepMessages = 60 * 24 * time.Hour
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	return nil
}

// Monitor runs the daily evaluation, the digests and the sweep, and
// delivers what they write to the outbox.
type Monitor struct {
	db      Store
	cfg     *rules.Config
	notify  Notifier
	log     *slog.Logger
	clock   clockwork.Clock
	o       Options
	metrics *Metrics
	deliver *Deliverer // nil without a notifier

	runMu sync.Mutex // one run (tick, evaluation, digest) at a time
	sched *scheduler
	// writeMu serialises the process's writes (evaluations, the delivery
	// worker): waiting here is cheaper than in SQLite's busy handler.
	writeMu sync.Mutex
}

// New returns a monitor.
func New(o Options) (*Monitor, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	m := &Monitor{db: o.DB, cfg: o.DB.Config(), notify: o.Notifier, log: o.Logger.With("component", "monitor"),
		clock: o.Clock, o: o, metrics: o.Metrics}
	m.metrics.setSource(o.DB)
	m.metrics.setClock(o.Clock)
	if o.Notifier != nil {
		d := o.Delivery
		if d.Store == nil {
			d.Store = o.DB
		}
		if d.Notifier == nil {
			d.Notifier = o.Notifier
		}
		if d.Logger == nil {
			d.Logger = o.Logger
		}
		if d.Clock == nil {
			d.Clock = o.Clock
		}
		if d.Metrics == nil {
			d.Metrics = o.Metrics
		}
		if d.WriteLock == nil {
			d.WriteLock = &m.writeMu
		}
		var err error
		if m.deliver, err = NewDeliverer(d); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Metrics returns the monitor's metrics, for /metrics.
func (m *Monitor) Metrics() *Metrics { return m.metrics }

// Deliverer returns the delivery worker, nil without a notifier.
func (m *Monitor) Deliverer() *Deliverer { return m.deliver }

// wake tells the delivery worker that the outbox has new messages.
func (m *Monitor) wake() {
	if m.deliver != nil {
		m.deliver.Wake()
	}
}

// Deliver delivers what is in the outbox until nothing is left or ctx is
// done (the command line's evaluate and digest), and returns how many
// messages remain for the daemon.
func (m *Monitor) Deliver(ctx context.Context) (int, error) {
	if m.deliver == nil {
		return 0, errors.New("monitor: no notifier to deliver with")
	}
	return m.deliver.Drain(ctx)
}

// Health reports the state of the database, the scheduler and the
// delivery worker: nil when all is well.
func (m *Monitor) Health(ctx context.Context) error {
	if err := m.db.Ping(ctx); err != nil {
		return errors.Join(errors.New("database unavailable"), err)
	}
	if m.sched == nil {
		return nil // not started: evaluation on demand
	}
	if err := m.sched.health(); err != nil {
		return err
	}
	if m.deliver != nil && !m.deliver.Alive(2*m.deliver.Poll()+time.Minute) {
		return errors.New("delivery worker stalled")
	}
	return nil
}

// shops returns the configured shops with the given ids (all when ids is
// empty), in config order.
func (m *Monitor) shops(ids []string) ([]*rules.Shop, error) {
	if len(ids) == 0 {
		return m.cfg.Shops(), nil
	}
	out := make([]*rules.Shop, 0, len(ids))
	for _, id := range ids {
		s, ok := m.cfg.Shop(id)
		if !ok {
			return nil, errors.New("monitor: unknown shop " + id)
		}
		out = append(out, s)
	}
	return out, nil
}

// channelOf is where a shop's messages go: its channel, else the admin
// channel.
func (m *Monitor) channelOf(s *rules.Shop) string {
	if s.Channel != "" {
		return s.Channel
	}
	return m.cfg.AdminChannel
}
