package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/internal/slackfake"
	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/store/storetest"
)

// On PostgreSQL, `evaluate` and `digest` by hand wait for the tick a
// replica is running (they take its lock) and post nothing twice when run
// at once; without SLACK_BOT_TOKEN they leave the outbox to the replicas
// instead of printing its messages.
func TestEvaluateBesideReplicas(t *testing.T) {
	dsn := storetest.Postgres(t)
	env, cfg := MustDemoEnv(t)
	demo := filepath.Dir(env["SHOPWATCH_CONFIG"])
	env["SHOPWATCH_DB"] = dsn
	for _, kind := range []string{"orders", "reviews", "returns", "chats"} {
		if r := MustRunMain(t, env, "import", kind, filepath.Join(demo, kind+".csv")); r.code != 0 {
			t.Fatalf("import %s: %s%s", kind, r.stdout, r.stderr)
		}
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DSN: dsn, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fake := slackfake.New(t)
	fake.PerChannel = 0 // three processes post at once, each pacing only itself
	slack := map[string]string{}
	for k, v := range env {
		slack[k] = v
	}
	slack["SLACK_BOT_TOKEN"], slack["SLACK_API_URL"] = "xoxb-test", fake.URL()
	day := time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly) // complete in every zone
	d, _ := rules.ParseDay(day)

	// A replica's tick holds the lock: evaluate and digest wait for it.
	unlock, err := db.Replicas().Lock(ctx, monitor.TickLock)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 3)
	for _, args := range [][]string{{"evaluate", "--date", day}, {"evaluate", "--date", day}, {"digest", "--date", day}} {
		go func() { done <- MustRunMain(t, slack, args...) }()
	}
	time.Sleep(time.Second)
	if ran, err := db.RunDone(ctx, cfg.Shops()[0].ID, monitor.RunDaily, d); err != nil || ran || len(fake.ByKey()) > 0 {
		t.Fatalf("while a tick holds the lock: evaluated %v (%v), %d posts", ran, err, len(fake.ByKey()))
	}
	unlock()
	for range 3 {
		if r := <-done; r.code != 0 {
			t.Errorf("code %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	posted := fake.ByKey()
	kinds := map[string]int{}
	for key, n := range posted {
		m, err := db.OutboxByKey(ctx, key)
		if n != 1 || err != nil || m.Status != store.OutboxSent {
			t.Errorf("%s posted %d times (outbox: %s %v)", key, n, m.Status, err)
		}
		kinds[m.Kind]++
	}
	if kinds[monitor.KindAlert] == 0 || kinds[monitor.KindDigest] != len(cfg.Shops()) || kinds[monitor.KindOverview] != 1 {
		t.Errorf("posted by kind %v: want alerts, a digest per shop and the overview", kinds)
	}

	// Without a bot token, the messages of a replay of earlier dates (new:
	// no state before them) stay for the replicas.
	from, to := time.Now().UTC().AddDate(0, 0, -14).Format(time.DateOnly), time.Now().UTC().AddDate(0, 0, -12).Format(time.DateOnly)
	r := MustRunMain(t, env, "evaluate", "--from", from, "--date", to)
	if r.code != 0 || !strings.Contains(r.stderr, "stay in the outbox") || len(postedKeys(r.stdout)) > 0 {
		t.Errorf("evaluate without a token: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if left, err := db.UndeliveredOutbox(ctx, 1000); err != nil || len(left) == 0 {
		t.Errorf("undelivered after evaluate without a token: %d %v", len(left), err)
	}
}
