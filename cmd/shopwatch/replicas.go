package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/shopwatch/shopwatch/store"
)

// Replicas of `shopwatch serve` on one PostgreSQL database (store.Replicas):
// every replica answers Slack and delivers the outbox; the leader alone
// runs the schedule (monitor), the TikTok sync's runs and the inbox. Each
// replica tries for leadership every leaderEvery, so that when the leader
// goes another takes over within about that long.
var leaderEvery = 10 * time.Second

// campaign keeps trying for leadership until ctx ends.
func campaign(ctx context.Context, r *store.Replicas, log *slog.Logger) {
	t := time.NewTicker(leaderEvery)
	defer t.Stop()
	for {
		if err := r.IsLeader(ctx); err != nil && !errors.Is(err, store.ErrNotLeader) && ctx.Err() == nil {
			log.Warn("leader election", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// whileLeader runs run whenever this replica is the leader: it starts when
// the replica becomes leader and its context is cancelled when it stops
// being one. It returns when ctx ends and run has returned.
func whileLeader(ctx context.Context, r *store.Replicas, name string, log *slog.Logger, run func(context.Context)) {
	t := time.NewTicker(leaderEvery)
	defer t.Stop()
	for {
		if r.IsLeader(ctx) == nil {
			log.Info("leader: starting", "worker", name)
			runAsLeader(ctx, r, t, run)
			if ctx.Err() == nil {
				log.Info("no longer the leader: stopped", "worker", name)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runAsLeader runs run until it returns, ctx ends or, at a tick of t, the
// replica is no longer the leader.
func runAsLeader(ctx context.Context, r *store.Replicas, t *time.Ticker, run func(context.Context)) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(lctx)
	}()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			<-done
			return
		case <-t.C:
			if r.IsLeader(ctx) != nil {
				cancel()
				<-done
				return
			}
		}
	}
}
