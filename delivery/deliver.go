package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/internal/backoff"
	"github.com/shopwatch/shopwatch/store"
)

// OutboxStore is the part of the store the delivery worker uses.
type OutboxStore interface {
	UndeliveredOutbox(ctx context.Context, limit int) ([]store.OutboxMessage, error)
	ClaimOutbox(ctx context.Context, id int64, now, leaseUntil time.Time) (store.OutboxMessage, bool, error)
	FinishAttempt(ctx context.Context, m store.OutboxMessage, a store.Attempt) error
	OutboxByKey(ctx context.Context, key string) (store.OutboxMessage, error)
}

var _ OutboxStore = (*store.DB)(nil)

// Options configure a Deliverer of messages of type M. Zero values take
// the defaults.
type Options[M any] struct {
	Store    OutboxStore // required
	Notifier Notifier[M] // required
	// Decode decodes an outbox payload (required).
	Decode  func(payload []byte) (M, error)
	Logger  *slog.Logger
	Clock   clockwork.Clock
	Metrics Metrics

	// PerChannel is the least time between two messages to one channel
	// (default 1s: Slack's chat.postMessage limit per channel).
	PerChannel time.Duration
	// Workers is how many deliveries run at once, to different channels
	// (default 32).
	Workers int
	// Lease is how long one attempt may take before the message is
	// considered abandoned (its worker died) and may be retried (default 2m).
	Lease time.Duration
	// MinBackoff and MaxBackoff bound the wait before retrying a message
	// after a server or network error: it doubles with each consecutive
	// error from MinBackoff (default 1s) up to MaxBackoff (default 10m).
	MinBackoff, MaxBackoff time.Duration
	// GiveUpAfter is how long after a message was written delivery keeps
	// trying (default 24h). Then it is marked failed: visible in the log,
	// in /metrics and in the outbox.
	GiveUpAfter time.Duration
	// Poll is how often the outbox is read again for messages written by
	// other processes (default 30s); Wake reads it at once.
	Poll time.Duration
	// Batch is how many undelivered messages are read at once (default 10000).
	Batch int
	// WriteLock, when set, is held around each write to the outbox, so that
	// the process's writers queue in memory rather than in SQLite's busy
	// handler, which sleeps for milliseconds at a time.
	WriteLock sync.Locker
}

func (o *Options[M]) validate() error {
	if o.Store == nil || o.Notifier == nil || o.Decode == nil {
		return errors.New("delivery: Options.Store, Notifier and Decode are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Metrics == nil {
		o.Metrics = nopMetrics{}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PerChannel, time.Second)
	def(&o.Lease, 2*time.Minute)
	def(&o.MinBackoff, time.Second)
	def(&o.MaxBackoff, 10*time.Minute)
	def(&o.GiveUpAfter, 24*time.Hour)
	def(&o.Poll, 30*time.Second)
	if o.Workers <= 0 {
		o.Workers = 32
	}
	if o.Batch <= 0 {
		o.Batch = 10000
	}
	if o.WriteLock == nil {
		o.WriteLock = &sync.Mutex{}
	}
	return nil
}

// Deliverer is the outbox's delivery worker. Each channel gets its
// messages in order, at most one per PerChannel; a rate-limited channel
// waits as long as Slack says; server and network errors are retried with
// exponential backoff until GiveUpAfter.
type Deliverer[M any] struct {
	o    Options[M]
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	lastLoop time.Time // the loop's last turn, for health checks
	running  bool
	// errors counts each message's consecutive server and network errors,
	// the exponent of its backoff (rate limits do not count).
	errors map[int64]int

	// idle, when set, is called each time the loop waits for its clock
	// (for wait) with no attempt in flight: tests advance their fake clock
	// there, so that time only moves while nothing else happens.
	idle func(wait time.Duration)
}

// NewDeliverer returns a delivery worker.
func New[M any](o Options[M]) (*Deliverer[M], error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Deliverer[M]{o: o, log: o.Logger.With("component", "delivery"), wake: make(chan struct{}, 1), errors: map[int64]int{}}, nil
}

// Wake makes the worker read the outbox now: new messages were written.
func (d *Deliverer[M]) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done.
func (d *Deliverer[M]) Run(ctx context.Context) error {
	_, err := d.run(ctx, false)
	return err
}

// Drain delivers until no message is left to deliver (each is sent or has
// failed for good) or ctx is done, and returns how many remain.
func (d *Deliverer[M]) Drain(ctx context.Context) (int, error) {
	return d.run(ctx, true)
}

// Poll is how often the worker reads the outbox again.
func (d *Deliverer[M]) Poll() time.Duration { return d.o.Poll }

// Alive reports whether Run's loop turned within the last maxQuiet.
func (d *Deliverer[M]) Alive(maxQuiet time.Duration) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running && d.o.Clock.Since(d.lastLoop) <= maxQuiet
}

// channelQueue is one channel's undelivered messages, oldest first.
type channelQueue struct {
	msgs []store.OutboxMessage
	next time.Time // no message before this instant
	busy bool      // an attempt is in flight
}

// attemptResult is what an attempt tells the loop.
type attemptResult struct {
	id      int64
	channel string
	next    time.Time            // the channel's next slot
	requeue *store.OutboxMessage // to try again (at its NextAt), at the head of its channel
	lost    bool                 // the claim failed: the outbox changed under us
}

func (d *Deliverer[M]) run(ctx context.Context, drain bool) (remaining int, err error) {
	o := d.o
	queues := map[string]*channelQueue{}
	inflight := map[int64]bool{}
	done := make(chan attemptResult, o.Workers)
	active := 0
	reload, lastLoad := true, time.Time{}
	d.mu.Lock()
	d.running = true
	d.mu.Unlock()
	defer func() {
		for active > 0 { // let attempts record their outcome
			<-done
			active--
		}
		d.mu.Lock()
		d.running = false
		d.mu.Unlock()
	}()
	for {
		now := o.Clock.Now()
		d.mu.Lock()
		d.lastLoop = now
		d.mu.Unlock()
		if reload || now.Sub(lastLoad) >= o.Poll {
			msgs, err := o.Store.UndeliveredOutbox(ctx, o.Batch)
			if err != nil {
				if ctx.Err() != nil {
					return pendingCount(queues, active), ctx.Err()
				}
				d.log.Error("read the outbox", "err", err)
			} else {
				for _, q := range queues {
					q.msgs = q.msgs[:0]
				}
				for _, m := range msgs {
					if inflight[m.ID] {
						continue
					}
					q := queues[m.Channel]
					if q == nil {
						q = &channelQueue{}
						queues[m.Channel] = q
					}
					q.msgs = append(q.msgs, m)
				}
				for ch, q := range queues {
					if len(q.msgs) == 0 && !q.busy && !q.next.After(now) {
						delete(queues, ch)
					}
				}
			}
			reload, lastLoad = false, now
		}

		wait := o.Poll - now.Sub(lastLoad)
		for ch, q := range queues {
			if q.busy || len(q.msgs) == 0 {
				continue
			}
			head := q.msgs[0]
			ready := head.NextAt
			if head.Status == store.OutboxSending {
				ready = head.LeaseUntil
			}
			if q.next.After(ready) {
				ready = q.next
			}
			if ready.After(now) {
				wait = min(wait, ready.Sub(now))
				continue
			}
			if active >= o.Workers {
				continue // a finishing attempt wakes the loop
			}
			q.busy, q.msgs = true, q.msgs[1:]
			inflight[head.ID] = true
			active++
			go func() { done <- d.attempt(ctx, ch, head) }()
		}
		if n := pendingCount(queues, active); drain && n == 0 {
			return 0, nil
		}

		wait = max(wait, time.Millisecond)
		timer := o.Clock.NewTimer(wait)
		if active == 0 && d.idle != nil {
			d.idle(wait)
		}
		select {
		case <-ctx.Done():
			timer.Stop()
			return pendingCount(queues, active), ctx.Err()
		case <-d.wake:
			reload = true
		case r := <-done:
			active--
			delete(inflight, r.id)
			if q := queues[r.channel]; q != nil {
				q.busy, q.next = false, r.next
				if r.requeue != nil {
					q.msgs = append([]store.OutboxMessage{*r.requeue}, q.msgs...)
				}
			}
			if r.lost {
				reload = true
			}
		case <-timer.Chan():
		}
		timer.Stop()
	}
}

func pendingCount(queues map[string]*channelQueue, active int) int {
	n := active
	for _, q := range queues {
		n += len(q.msgs)
	}
	return n
}

// finishTimeout bounds the recording of an attempt's outcome, which goes
// ahead even when the worker is stopping.
const finishTimeout = 10 * time.Second

// attempt makes one delivery attempt of head, the first message of its
// channel.
func (d *Deliverer[M]) attempt(ctx context.Context, channel string, head store.OutboxMessage) attemptResult {
	o := d.o
	now := o.Clock.Now()
	res := attemptResult{id: head.ID, channel: channel, next: now}
	o.WriteLock.Lock()
	m, ok, err := o.Store.ClaimOutbox(ctx, head.ID, now, now.Add(o.Lease))
	o.WriteLock.Unlock()
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			d.log.Error("claim an outbox message", "key", head.Key, "err", err)
		}
		res.lost = true
		return res
	}
	log := d.log.With("key", m.Key, "channel", m.Channel, "attempt", m.Attempts)
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	defer func() {
		if res.requeue == nil { // done with the message, one way or the other
			d.mu.Lock()
			delete(d.errors, m.ID)
			d.mu.Unlock()
		}
	}()
	finish := func(a store.Attempt) {
		a.At = o.Clock.Now()
		if a.Duration == 0 {
			a.Duration = a.At.Sub(now)
		}
		o.WriteLock.Lock()
		err := o.Store.FinishAttempt(fctx, m, a)
		o.WriteLock.Unlock()
		if err != nil {
			log.Error("record a delivery attempt", "err", err)
			res.lost = true
		}
		o.Metrics.Attempt(a.Outcome)
	}

	// Nothing is sent once the lease has run out: another worker may then
	// claim the message, look for it in Slack before this attempt's post
	// lands, and post it again (a chart drawn on a loaded machine, a slow
	// upload). A tenth of the lease is left for a request in flight to
	// land; an attempt cut short is retried as uncertain, and the retry
	// looks in Slack first. The bound is in real time: the attempt's own
	// work takes real time, whatever the worker's clock says (tests move a
	// fake one by minutes at a time).
	ctx, cancelAttempt := context.WithTimeout(ctx, o.Lease-o.Lease/10)
	defer cancelAttempt()

	msg, err := o.Decode(m.Payload)
	if err != nil {
		log.Error("delivery failed for good: unreadable message", "err", err)
		finish(store.Attempt{Status: store.OutboxFailed, Outcome: "rejected", Err: err.Error()})
		o.Metrics.Failed()
		return res
	}
	out := Outgoing[M]{Message: msg, Since: m.CreatedAt}
	if m.ThreadKey != "" {
		root, err := o.Store.OutboxByKey(ctx, m.ThreadKey)
		switch {
		case err == nil && root.Status == store.OutboxSent:
			rm, derr := o.Decode(root.Payload)
			if derr == nil {
				out.Root = &Posted[M]{Message: rm, Channel: root.Channel, TS: root.TS, ThreadTS: root.ThreadTS}
			}
		case err == nil && (root.Status == store.OutboxPending || root.Status == store.OutboxSending):
			// The thread's first message is not out yet (it is in another
			// channel's queue): wait for it.
			next := now.Add(max(o.PerChannel, o.MinBackoff))
			finish(store.Attempt{Status: store.OutboxPending, Outcome: "waiting_root", NextAt: next})
			m.Status, m.NextAt = store.OutboxPending, next
			res.requeue = &m
			return res
		case err != nil && !errors.Is(err, store.ErrNotFound):
			finish(store.Attempt{Status: store.OutboxPending, Outcome: "store_error", NextAt: now.Add(o.MinBackoff), Err: err.Error()})
			m.Status, m.NextAt = store.OutboxPending, now.Add(o.MinBackoff)
			res.requeue = &m
			return res
		}
		// The root failed or is gone: post on its own.
	}

	start := o.Clock.Now()
	var rec Receipt
	found := false
	if m.Uncertain {
		rec, found, err = o.Notifier.Find(ctx, out)
		if err != nil {
			if c, _, _ := Classify(err); c == ClassPermanent || c == ClassConfig {
				// Slack cannot tell: post again, at most once more.
				log.Warn("cannot look for an earlier attempt: posting again", "err", err)
				err = nil
			}
		}
	}
	if err == nil && !found {
		rec, err = o.Notifier.Deliver(ctx, out)
	}
	dur := o.Clock.Since(start)
	res.next = start.Add(o.PerChannel)
	if err == nil {
		outcome := "sent"
		if found {
			outcome = "found"
			log.Info("found an earlier attempt in Slack: not posting again")
		}
		finish(store.Attempt{Status: store.OutboxSent, Outcome: outcome, Duration: dur, TS: rec.TS, ThreadTS: rec.ThreadTS})
		o.Metrics.Delivered(m.Kind)
		return res
	}

	class, retryAfter, uncertain := Classify(err)
	end := o.Clock.Now()
	next := end
	outcome := class.String()
	switch class {
	case ClassRateLimited:
		next = end.Add(max(retryAfter, o.PerChannel))
		res.next = next // the whole channel waits
	case ClassPermanent:
		log.Error("delivery failed for good: Slack refused the message", "err", err)
		finish(store.Attempt{Status: store.OutboxFailed, Outcome: outcome, Duration: dur, Err: err.Error()})
		o.Metrics.Failed()
		return res
	case ClassConfig:
		next = end.Add(o.MaxBackoff) // needs a person: a bot to invite, a token to fix
	default:
		next = end.Add(backoff.Spread(backoff.Exponential(d.consecutiveError(m.ID), o.MinBackoff, o.MaxBackoff), 0.2))
	}
	if next.Sub(m.CreatedAt) > o.GiveUpAfter {
		log.Error("delivery failed for good: gave up", "after", end.Sub(m.CreatedAt).Round(time.Second), "attempts", m.Attempts, "err", err)
		finish(store.Attempt{Status: store.OutboxFailed, Outcome: outcome, Duration: dur, Err: err.Error()})
		o.Metrics.Failed()
		return res
	}
	lvl := slog.LevelWarn
	if class == ClassRateLimited {
		lvl = slog.LevelDebug
	}
	log.Log(ctx, lvl, "delivery failed: will retry", "class", class, "retry_at", next, "err", err)
	finish(store.Attempt{Status: store.OutboxPending, Outcome: outcome, Duration: dur, NextAt: next, Uncertain: uncertain, Err: err.Error()})
	m.Status, m.NextAt, m.Uncertain = store.OutboxPending, next, m.Uncertain || uncertain
	res.requeue = &m
	return res
}

// consecutiveError counts one more server or network error of message id
// and returns how many in a row it has had.
func (d *Deliverer[M]) consecutiveError(id int64) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errors[id]++
	return d.errors[id]
}
