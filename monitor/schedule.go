package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/go-co-op/gocron/v2"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// The schedule. Every shop is evaluated at the configured local time
// (default 07:00) in its own zone, for the date that just ended; its
// weekly digest goes out at the digest's local weekday and time; every
// hour the sweep looks for buyer chats close to their deadline. One gocron
// job per time zone and kind fires at the right local instant; each job,
// the hourly one and the start of the service run the same Tick, which
// does whatever is due and not yet done. Runs are keyed by shop and
// business date in the store, so a job that fires twice (a DST fall-back
// repeating the hour, a restart) does nothing the second time, and a run
// missed while the service was down is caught up at the next tick.

// at is the instant of local time hh:mm on date d in loc. Where a DST
// change skips the time, it is the instant the gap ends; where the time
// happens twice, the first.
func at(d rules.Day, hour, minute int, loc *time.Location) time.Time {
	y, m, dd := d.Date()
	t := time.Date(y, m, dd, hour, minute, 0, 0, loc)
	if t.Hour() != hour || t.Minute() != minute { // in a gap: time.Date picked a side
		start, end := t.ZoneBounds()
		if t.Hour()*60+t.Minute() < hour*60+minute {
			t = end
		} else {
			t = start
		}
	}
	return t
}

// DueDay is the latest date whose daily evaluation is due at now: the day
// before the shop's local today once the evaluation time has passed, else
// the day before that.
func DueDay(s *rules.Shop, when rules.DailySchedule, now time.Time) rules.Day {
	today := rules.DayOf(now, s.Location)
	if now.Before(at(today, when.Hour, when.Minute, s.Location)) {
		return today - 2
	}
	return today - 1
}

// DueDigest is the week-ending date of the latest weekly digest due at now
// (the day before the digest's weekday), and the instant it was due.
func DueDigest(s *rules.Shop, when rules.DigestSchedule, now time.Time) (rules.Day, time.Time) {
	today := rules.DayOf(now, s.Location)
	for d := today; ; d-- {
		if d.Weekday() != when.Weekday {
			continue
		}
		if t := at(d, when.Hour, when.Minute, s.Location); !now.Before(t) {
			return d - 1, t
		}
	}
}

// TickReport says what a tick did.
type TickReport struct {
	Evaluations []Summary
	Digests     int // shops whose digest was written
	Overview    bool
	Swept       bool
	Errors      []error
}

// Tick runs, for the given shops (all when nil), every daily evaluation,
// digest, overview and sweep due at now and not done yet. Missed daily
// evaluations are caught up in date order, at most CatchUpDays back.
func (m *Monitor) Tick(ctx context.Context, shops []*rules.Shop, now time.Time) TickReport {
	m.runMu.Lock()
	defer m.runMu.Unlock()
	if shops == nil {
		shops = m.cfg.Shops()
	}
	var rep TickReport
	fail := func(err error) {
		if err != nil && len(rep.Errors) < maxSummaryErrors {
			rep.Errors = append(rep.Errors, err)
			m.log.Error("scheduled run failed", "err", err)
		}
	}
	unlock, err := m.lockTick(ctx)
	if err != nil {
		fail(err)
		return rep
	}
	defer unlock()

	// Daily evaluations, grouped by date, oldest first.
	lastDaily, err := m.db.LastRuns(ctx, RunDaily)
	if err != nil {
		fail(err)
		return rep
	}
	byDay := map[rules.Day][]*rules.Shop{}
	for _, s := range shops {
		due := DueDay(s, m.cfg.Evaluation, now)
		from := due
		if last, ok := lastDaily[s.ID]; ok {
			from = max(last+1, due-rules.Day(m.o.CatchUpDays-1))
		}
		for d := from; d <= due; d++ {
			byDay[d] = append(byDay[d], s)
		}
	}
	days := make([]rules.Day, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	slices.Sort(days)
	for _, d := range days {
		if ctx.Err() != nil {
			return rep
		}
		sum := m.evaluate(ctx, d, byDay[d], now)
		rep.Evaluations = append(rep.Evaluations, sum)
		for _, err := range sum.Errors {
			fail(fmt.Errorf("evaluate %s: %w", d, err))
		}
	}

	// Weekly digests, when due within DigestCatchUp.
	lastDigest, err := m.db.LastRuns(ctx, RunDigest)
	if err != nil {
		fail(err)
		return rep
	}
	for _, s := range shops {
		day, due := DueDigest(s, m.cfg.Digest, now)
		if last, ok := lastDigest[s.ID]; (ok && last >= day) || now.Sub(due) > m.o.DigestCatchUp || ctx.Err() != nil {
			continue
		}
		if _, err := m.digest(ctx, s, day, now); err != nil {
			fail(err)
			continue
		}
		rep.Digests++
	}

	// The overview, once every shop's digest of the week is due.
	if all := m.cfg.Shops(); m.cfg.AdminChannel != "" && len(all) > 0 {
		// The latest week every shop's digest is due for, and when the last
		// of them was due.
		var week rules.Day
		for i, s := range all {
			if day, _ := DueDigest(s, m.cfg.Digest, now); i == 0 || day < week {
				week = day
			}
		}
		var latest time.Time
		for _, s := range all {
			if due := at(week+1, m.cfg.Digest.Hour, m.cfg.Digest.Minute, s.Location); due.After(latest) {
				latest = due
			}
		}
		done, err := m.db.RunDone(ctx, store.AdminShopID, RunOverview, week)
		fail(err)
		if err == nil && !done && now.Sub(latest) <= m.o.DigestCatchUp && ctx.Err() == nil {
			if _, err := m.overview(ctx, week, now); err != nil {
				fail(err)
			} else {
				rep.Overview = true
			}
		}
	}

	// The hourly sweep.
	if ctx.Err() == nil {
		n, err := m.sweep(ctx, now)
		fail(err)
		rep.Swept = err == nil && n >= 0
	}
	// Once a day, the clean-up.
	if ctx.Err() == nil {
		fail(m.prune(ctx, now))
	}
	return rep
}

// prune removes old alert states and messages, once per UTC date.
func (m *Monitor) prune(ctx context.Context, now time.Time) error {
	today := rules.DayOf(now, time.UTC)
	if done, err := m.db.RunDone(ctx, store.AdminShopID, RunPrune, today); err != nil || done {
		return err
	}
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	n, err := m.db.Prune(ctx, today-rules.Day(m.o.KeepStates), now.Add(-m.o.KeepMessages))
	if err != nil {
		return err
	}
	if n > 0 {
		m.log.Info("removed old alert states and messages", "rows", n)
	}
	return m.db.MarkRun(ctx, store.AdminShopID, RunPrune, today, now)
}

// scheduler wraps the gocron scheduler of a started monitor.
type scheduler struct {
	s       gocron.Scheduler
	cancel  context.CancelFunc
	done    chan struct{} // closed when the delivery worker and catch-up have stopped
	mu      sync.Mutex
	stopped bool
}

func (s *scheduler) health() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("scheduler stopped")
	}
	return nil
}

// Start starts the schedule and the delivery worker, and catches up on
// whatever is due. They run until Stop or until ctx is done.
func (m *Monitor) Start(ctx context.Context) error {
	if m.sched != nil {
		return errors.New("monitor: already started")
	}
	if m.deliver == nil {
		return errors.New("monitor: a notifier is required to start")
	}
	sopts := []gocron.SchedulerOption{gocron.WithClock(m.clock), gocron.WithLocation(time.UTC),
		gocron.WithLogger(gocronLogger{m.log}), gocron.WithStopTimeout(30 * time.Second)}
	if m.o.Replicas != nil {
		sopts = append(sopts, gocron.WithDistributedElector(m.o.Replicas))
	}
	s, err := gocron.NewScheduler(sopts...)
	if err != nil {
		return fmt.Errorf("monitor: scheduler: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	sched := &scheduler{s: s, cancel: cancel, done: make(chan struct{})}
	tick := func(shops []*rules.Shop) func() {
		return func() { m.Tick(ctx, shops, m.clock.Now()) }
	}
	opts := func(name string) []gocron.JobOption {
		return []gocron.JobOption{gocron.WithName(name), gocron.WithSingletonMode(gocron.LimitModeReschedule),
			gocron.WithDaylightSavingsTimePolicy(gocron.DaylightSavingsTimeRunAfterTransition)}
	}
	byZone := map[string][]*rules.Shop{}
	var zones []string
	for _, sh := range m.cfg.Shops() {
		if _, ok := byZone[sh.Timezone]; !ok {
			zones = append(zones, sh.Timezone)
		}
		byZone[sh.Timezone] = append(byZone[sh.Timezone], sh)
	}
	ev, dg := m.cfg.Evaluation, m.cfg.Digest
	for _, z := range zones {
		if _, err := s.NewJob(gocron.CronJob(fmt.Sprintf("CRON_TZ=%s %d %d * * *", z, ev.Minute, ev.Hour), false),
			gocron.NewTask(tick(byZone[z])), opts("daily "+z)...); err != nil {
			cancel()
			return fmt.Errorf("monitor: schedule the daily evaluation in %s: %w", z, err)
		}
		if _, err := s.NewJob(gocron.CronJob(fmt.Sprintf("CRON_TZ=%s %d %d * * %d", z, dg.Minute, dg.Hour, int(dg.Weekday)), false),
			gocron.NewTask(tick(byZone[z])), opts("digest "+z)...); err != nil {
			cancel()
			return fmt.Errorf("monitor: schedule the digest in %s: %w", z, err)
		}
	}
	// Every hour: the sweep, the overview when due, and any run missed.
	if _, err := s.NewJob(gocron.CronJob("0 * * * *", false), gocron.NewTask(tick(nil)), opts("hourly")...); err != nil {
		cancel()
		return fmt.Errorf("monitor: schedule the hourly sweep: %w", err)
	}
	m.sched = sched
	m.metrics.setScheduler(sched.health)
	s.Start()
	var g errgroup.Group
	g.Go(func() error {
		if err := m.deliver.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			m.log.Error("delivery worker stopped", "err", err)
		}
		return nil
	})
	g.Go(func() error {
		rep := m.Tick(ctx, nil, m.clock.Now()) // catch up on start
		m.log.Info("caught up", "evaluations", len(rep.Evaluations), "digests", rep.Digests, "overview", rep.Overview, "errors", len(rep.Errors))
		return nil
	})
	go func() {
		_ = g.Wait()
		close(sched.done)
	}()
	m.log.Info("scheduler started", "zones", len(zones), "jobs", len(s.Jobs()),
		"evaluation", fmt.Sprintf("%02d:%02d", ev.Hour, ev.Minute), "digest", fmt.Sprintf("%s %02d:%02d", dg.Weekday, dg.Hour, dg.Minute))
	return nil
}

// Stop stops the schedule and the delivery worker, waiting for the runs
// and deliveries in progress to record their outcome.
func (m *Monitor) Stop() error {
	sched := m.sched
	if sched == nil {
		return nil
	}
	sched.mu.Lock()
	if sched.stopped {
		sched.mu.Unlock()
		return nil
	}
	sched.stopped = true
	sched.mu.Unlock()
	sched.cancel()
	err := sched.s.Shutdown()
	<-sched.done
	return err
}

// NextRuns lists the scheduled jobs and their next run, for logs and tests.
func (m *Monitor) NextRuns() map[string]time.Time {
	out := map[string]time.Time{}
	if m.sched == nil {
		return out
	}
	for _, j := range m.sched.s.Jobs() {
		if t, err := j.NextRun(); err == nil {
			out[j.Name()] = t
		}
	}
	return out
}

// gocronLogger sends gocron's logs to slog, its chatter at debug level.
type gocronLogger struct{ log *slog.Logger }

func (l gocronLogger) Debug(msg string, args ...any) {
	l.log.Debug(msg, append(args, "source", "gocron")...)
}
func (l gocronLogger) Info(msg string, args ...any) {
	l.log.Debug(msg, append(args, "source", "gocron")...)
}
func (l gocronLogger) Warn(msg string, args ...any) {
	l.log.Warn(msg, append(args, "source", "gocron")...)
}
func (l gocronLogger) Error(msg string, args ...any) {
	l.log.Error(msg, append(args, "source", "gocron")...)
}
