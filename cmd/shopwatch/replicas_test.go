package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/store/storetest"
)

// Two serve replicas on one PostgreSQL database: one leads, the other
// follows, as GET /healthz/monitor says; when the leader stops, the
// follower takes over.
func TestServeReplicasElectALeader(t *testing.T) {
	dsn := storetest.Postgres(t)
	saved := leaderEvery
	t.Cleanup(func() { leaderEvery = saved }) // after the daemons have stopped
	leaderEvery = 50 * time.Millisecond
	env, _ := cliEnv(t)
	env["SHOPWATCH_DB"] = dsn
	health := func(d *daemon) string {
		resp, err := http.Get(d.base + "/healthz/monitor")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	// waitFor polls d's readiness until it is want.
	waitFor := func(d *daemon, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for got := health(d); got != want; got = health(d) {
			if time.Now().After(deadline) {
				t.Fatalf("GET /healthz/monitor = %q, want %q", got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	a := MustRunDaemon(t, env)
	waitFor(a, "ok: leader")
	b := MustRunDaemon(t, env)
	waitFor(b, "ok: follower")
	if got := health(a); got != "ok: leader" {
		t.Errorf("the first replica says %q after the second started", got)
	}
	if code := a.stop(); code != 0 {
		t.Fatalf("the leader exited %d:\n%s", code, a.stderr.String())
	}
	waitFor(b, "ok: leader")
}

// The leader-only workers (TikTok sync, inbox) run on one replica at a
// time, and move to another when the leader stops.
func TestWhileLeaderRunsOnOneReplica(t *testing.T) {
	dsn := storetest.Postgres(t)
	saved := leaderEvery
	t.Cleanup(func() { leaderEvery = saved })
	leaderEvery = 20 * time.Millisecond
	cfg, err := rules.ParseConfig([]byte(cliConfig))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	running, most, starts := 0, 0, map[int]int{}
	type replica struct {
		db   *store.DB
		stop func()
	}
	var replicas []replica
	for i := range 3 {
		db, err := store.Open(context.Background(), store.Options{DSN: dsn, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			whileLeader(ctx, db.Replicas(), "worker", slog.New(slog.DiscardHandler), func(ctx context.Context) {
				mu.Lock()
				running++
				most = max(most, running)
				starts[i]++
				mu.Unlock()
				<-ctx.Done()
				mu.Lock()
				running--
				mu.Unlock()
			})
		}()
		stop := func() { cancel(); <-done; db.Close() }
		t.Cleanup(stop)
		replicas = append(replicas, replica{db, stop})
	}
	count := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range starts {
			n += s
		}
		return n, running
	}
	wait := func(starts int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for n, r := count(); n < starts || r != 1; n, r = count() {
			if time.Now().After(deadline) {
				t.Fatalf("%d starts, %d running; want %d starts and one running", n, r, starts)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wait(1)
	time.Sleep(200 * time.Millisecond) // ten more elections: nobody else starts
	if n, _ := count(); n != 1 {
		t.Fatalf("%d starts with one leader", n)
	}
	var leader int
	for i, r := range replicas {
		if r.db.Replicas().Role() == "leader" {
			leader = i
		}
	}
	replicas[leader].stop()
	wait(2)
	mu.Lock()
	defer mu.Unlock()
	if most != 1 || starts[leader] != 1 {
		t.Errorf("at most %d workers at once (want 1); starts per replica %v", most, starts)
	}
}
