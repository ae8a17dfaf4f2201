package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// Three replicas claim the same outbox messages at once: each message is
// claimed by exactly one of them.
func TestOutboxClaimedOnceAcrossReplicas(t *testing.T) {
	dsn := storetest.Postgres(t)
	ctx := context.Background()
	replicas := []*DB{MustOpenAt(t, dsn, testConfig), MustOpenAt(t, dsn, testConfig), MustOpenAt(t, dsn, testConfig)}
	t0 := time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)
	const n = 40
	var msgs []OutboxMessage
	for i := range n {
		msgs = append(msgs, OutboxMessage{Key: fmt.Sprint("m", i), ShopID: "7495001", Channel: "C1", Kind: "alert", Payload: []byte(`{}`)})
	}
	if _, err := replicas[0].Enqueue(ctx, t0, msgs...); err != nil {
		t.Fatal(err)
	}
	pending, err := replicas[0].UndeliveredOutbox(ctx, n)
	if err != nil || len(pending) != n {
		t.Fatalf("undelivered: %d %v", len(pending), err)
	}
	claims := make([][]int64, len(replicas))
	var wg sync.WaitGroup
	for r, db := range replicas {
		wg.Go(func() {
			for round := range 3 { // every replica tries every message, three times over
				for i := range pending {
					m := pending[(i+r*7+round)%n]
					if _, ok, err := db.ClaimOutbox(ctx, m.ID, t0, t0.Add(time.Minute)); err != nil {
						t.Error(err)
					} else if ok {
						claims[r] = append(claims[r], m.ID)
					}
				}
			}
		})
	}
	wg.Wait()
	seen := map[int64]int{}
	for _, c := range claims {
		for _, id := range c {
			seen[id]++
		}
	}
	for _, m := range pending {
		if seen[m.ID] != 1 {
			t.Errorf("message %s claimed %d times", m.Key, seen[m.ID])
		}
	}
	// A replica that dies mid-delivery leaves its lease: once it expires,
	// another replica takes the message, marked uncertain.
	m, ok, err := replicas[1].ClaimOutbox(ctx, pending[0].ID, t0.Add(2*time.Minute), t0.Add(3*time.Minute))
	if err != nil || !ok || !m.Uncertain || m.Attempts != 2 {
		t.Errorf("after the lease: claimed %v, %+v, %v", ok, m, err)
	}
}

// One replica leads at a time; when it goes, another takes over.
func TestLeaderElection(t *testing.T) {
	dsn := storetest.Postgres(t)
	ctx := context.Background()
	a, b := MustOpenAt(t, dsn, testConfig), MustOpenAt(t, dsn, testConfig)
	ra, rb := a.Replicas(), b.Replicas()
	if err := ra.IsLeader(ctx); err != nil {
		t.Fatalf("the first replica: %v", err)
	}
	if err := rb.IsLeader(ctx); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("the second replica: %v, want ErrNotLeader", err)
	}
	if err := ra.IsLeader(ctx); err != nil || ra.Role() != "leader" || rb.Role() != "follower" {
		t.Fatalf("roles %s and %s (%v)", ra.Role(), rb.Role(), err)
	}
	// The leader dies: the server sees its connection end, and its lock
	// goes. (Its process is this test's, so its connection is ended from
	// the server's side.)
	if _, err := b.sql.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for rb.IsLeader(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the second replica never took over")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rb.Role() != "leader" {
		t.Errorf("role %s", rb.Role())
	}
	if err := ra.IsLeader(ctx); !errors.Is(err, ErrNotLeader) || ra.Role() != "follower" {
		t.Errorf("the old leader: %v, %s", err, ra.Role())
	}
	// A named lock is held by one replica at a time.
	unlock, err := rb.Lock(ctx, "tick")
	if err != nil {
		t.Fatal(err)
	}
	c := MustOpenAt(t, dsn, testConfig)
	got := make(chan struct{})
	go func() {
		u, err := c.Replicas().Lock(ctx, "tick")
		if err == nil {
			u()
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("a second replica took a held lock")
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	<-got
}
