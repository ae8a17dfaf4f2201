package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/shopwatch/shopwatch/bot"
	"github.com/shopwatch/shopwatch/internal/promtext"
	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/templates"
)

// The monitor's wiring, shared by serve, evaluate and digest: the notifier
// (Slack with SLACK_BOT_TOKEN, else readable text on stdout) and the
// monitor over the database.

// newMonitor returns the monitor of db, delivering with SLACK_BOT_TOKEN to
// Slack (SLACK_API_URL) or, without one, as text to stdout. onEvaluated,
// when set, is called after each evaluation (it must not block).
func newMonitor(e *env, db *store.DB, tmpl *templates.Set, command string, log *slog.Logger, onEvaluated func(monitor.Summary)) (*monitor.Monitor, error) {
	if tmpl == nil {
		var err error
		if tmpl, err = templates.Load(e.getenv("SHOPWATCH_TEMPLATES")); err != nil {
			return nil, err
		}
	}
	n, err := newNotifier(e, db.Config(), tmpl, or(command, or(e.getenv("SHOPWATCH_COMMAND"), bot.DefaultCommand)), log)
	if err != nil {
		return nil, err
	}
	var delivery monitor.DeliveryOptions
	if e.getenv("SLACK_BOT_TOKEN") == "" {
		delivery.PerChannel = time.Millisecond // stdout has no rate limit
	}
	opts := monitor.Options{DB: db, Notifier: n, Logger: log, Clock: e.clock, Delivery: delivery, OnEvaluated: onEvaluated}
	if db.Shared() {
		opts.Replicas = db.Replicas()
	}
	return monitor.New(opts)
}

// newNotifier returns the Slack notifier with SLACK_BOT_TOKEN, else the
// text notifier writing to stdout.
func newNotifier(e *env, cfg *rules.Config, tmpl *templates.Set, command string, log *slog.Logger) (monitor.Notifier, error) {
	if token := e.getenv("SLACK_BOT_TOKEN"); token != "" {
		return bot.NewNotifier(bot.NotifierOptions{Config: cfg, Templates: tmpl, Logger: log, Command: command,
			BotToken: token, APIURL: e.getenv("SLACK_API_URL")})
	}
	return bot.NewTextNotifier(bot.TextOptions{Config: cfg, Templates: tmpl, Logger: log, Command: command,
		Out: e.stdout, ChartDir: e.getenv("SHOPWATCH_CHART_DIR")})
}

// startMonitor starts the monitor of `shopwatch serve`: the scheduler
// (daily evaluations, digests, the hourly sweep, catching up on what was
// missed) and the delivery worker. It registers the monitor's figures with
// reg and mounts GET /healthz/monitor (database, scheduler, delivery
// worker) with handle.
// stop stops them, waiting for the runs and deliveries in progress.
// onEvaluated is called after each evaluation (the App Home's refresh).
func startMonitor(ctx context.Context, e *env, db *store.DB, tmpl *templates.Set, command string, handle func(pattern string, h http.Handler), reg *promtext.Registry, onEvaluated func()) (stop func(), err error) {
	m, err := newMonitor(e, db, tmpl, command, e.log, func(monitor.Summary) { onEvaluated() })
	if err != nil {
		return nil, err
	}
	reg.Register(m.Metrics())
	handle("GET /healthz/monitor", healthHandler(m, db))
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	if db.Shared() {
		go func() {
			defer close(done)
			campaign(ctx, db.Replicas(), e.log)
		}()
	} else {
		close(done)
	}
	if err := m.Start(ctx); err != nil {
		cancel()
		<-done
		return nil, err
	}
	if e.getenv("SLACK_BOT_TOKEN") == "" {
		e.log.Info("SLACK_BOT_TOKEN is not set: notifications are written to stdout")
	}
	return func() {
		if err := m.Stop(); err != nil {
			e.log.Warn("stop the monitor", "err", err)
		}
		cancel()
		<-done
	}, nil
}

// healthHandler answers 200 "ok" when the monitor is healthy, else 503 and
// what is wrong. With replicas (PostgreSQL) the answer says the replica's
// role: "ok: leader" or "ok: follower".
func healthHandler(m *monitor.Monitor, db *store.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := m.Health(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, err)
			return
		}
		if db.Shared() {
			fmt.Fprintln(w, "ok:", db.Replicas().Role())
			return
		}
		fmt.Fprintln(w, "ok")
	})
}

// lockRuns takes, on a database shared with replicas (PostgreSQL), the
// lock the replicas' ticks hold, so that `evaluate` and `digest` by hand
// never interleave with a scheduled run: each sees the alert states the
// other saved, and nothing is announced twice. On SQLite it does nothing
// (the daemon and the command line share the file's write lock, and the
// runs are keyed by shop and date).
func lockRuns(ctx context.Context, db *store.DB) (unlock func(), err error) {
	if !db.Shared() {
		return func() {}, nil
	}
	return db.Replicas().Lock(ctx, monitor.TickLock)
}

// deliverWait bounds how long evaluate and digest wait for delivery before
// leaving the rest to the daemon.
const deliverWait = 2 * time.Minute

// deliver delivers what the command wrote, within wait, and reports what is
// left and what failed.
// On a database shared with replicas and without SLACK_BOT_TOKEN, nothing
// is delivered: the text notifier would take the replicas' messages out of
// the outbox and print them instead of posting them. The replicas deliver.
func deliver(ctx context.Context, e *env, db *store.DB, m *monitor.Monitor, wait time.Duration) error {
	if db.Shared() && e.getenv("SLACK_BOT_TOKEN") == "" {
		fmt.Fprintln(e.stderr, "SLACK_BOT_TOKEN is not set: the messages stay in the outbox, for the `shopwatch serve` replicas to deliver")
		return nil
	}
	dctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	left, err := m.Deliver(dctx)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	c := m.Metrics().Counters()
	if left > 0 {
		fmt.Fprintf(e.stderr, "%d messages not delivered yet: `shopwatch serve` delivers them\n", left)
	}
	if c.Failures > 0 {
		return fmt.Errorf("%d messages could not be delivered (see the log; they stay failed in the outbox)", c.Failures)
	}
	return nil
}
