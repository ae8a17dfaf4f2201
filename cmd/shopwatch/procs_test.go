package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/internal/slackfake"
	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/store/storetest"
)

// replicaProc is a `shopwatch serve` replica running as a process of its
// own (serveChild).
type replicaProc struct {
	i      int
	cmd    *exec.Cmd
	clock  io.WriteCloser // its fake clock: a duration per line
	stderr *lockedBuffer
	base   string
	dead   bool
}

// startReplica starts replica i at the simulated instant t0 and waits
// until it listens.
func startReplica(tb testing.TB, i int, t0 time.Time, env map[string]string) *replicaProc {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveChildEnv+"="+t0.Format(time.RFC3339), "SHOPWATCH_ADDR=127.0.0.1:0")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	r := &replicaProc{i: i, cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = r.stderr
	var err error
	if r.clock, err = cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		r.clock.Close() // the end of its input stops it
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
			tb.Errorf("replica %d did not stop", i)
		}
		if tb.Failed() {
			tb.Logf("replica %d's log:\n%s", i, r.stderr.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(r.stderr.String()); m != nil {
			r.base = "http://" + m[1]
			return r
		}
		select {
		case <-exited:
			tb.Fatalf("replica %d exited:\n%s", i, r.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	tb.Fatalf("replica %d did not start listening:\n%s", i, r.stderr.String())
	return nil
}

// role is the replica's answer to GET /healthz/monitor.
func (r *replicaProc) role() string {
	resp, err := http.Get(r.base + "/healthz/monitor")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

// simClock drives the replicas' fake clocks in step: time flows at flow
// per tick of real time, and jumps on demand.
type simClock struct {
	mu       sync.Mutex
	now      time.Time
	replicas []*replicaProc
}

func (c *simClock) advance(tb testing.TB, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.replicas {
		if !r.dead {
			if _, err := fmt.Fprintln(r.clock, d); err != nil {
				tb.Errorf("advance replica %d: %v", r.i, err)
			}
		}
	}
	c.now = c.now.Add(d)
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// kill kills replica r with SIGKILL.
func (c *simClock) kill(tb testing.TB, r *replicaProc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := r.cmd.Process.Kill(); err != nil {
		tb.Fatal(err)
	}
	r.dead = true
}

// procsConfig makes the demo's weekly digest fall on the simulated days.
func procsConfig(demo string) string {
	data, err := os.ReadFile(filepath.Join(demo, "shopwatch.yaml"))
	if err != nil {
		panic(err)
	}
	return strings.Replace(string(data), `digest: {weekday: monday, time: "09:00"}`, `digest: {weekday: friday, time: "09:00"}`, 1)
}

// TestThreeServeProcesses is issue 10's proof: three `shopwatch serve`
// processes on one PostgreSQL database and one fake Slack, their clocks
// driven by the test through three simulated days. In the middle of a
// delivery, once Slack has taken the post but before its answer, the
// poster (the leader when it posts first) is killed with SIGKILL. Then:
// every alert, digest and overview that an in-process run of the same data
// on SQLite writes is in the fake's log exactly once, and nothing else is
// posted twice; a survivor leads; every survivor answers slash commands
// alike. An `evaluate` by hand, against the replicas, adds nothing.
func TestThreeServeProcesses(t *testing.T) {
	dsn := storetest.Postgres(t)
	ctx := context.Background()
	dir := t.TempDir()
	demo := filepath.Join(dir, "demo")
	if r := MustRunMain(t, nil, "demo", demo, "--shops", "3", "--days", "40", "--orders-per-day", "40", "--end", "2026-11-20"); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	config := writeFile(t, dir, "shopwatch.yaml", procsConfig(demo))
	cfg, err := loadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	sqlite := filepath.Join(dir, "reference.db")
	for _, db := range []string{dsn, sqlite} {
		for _, kind := range []string{"orders", "reviews", "returns", "chats"} {
			env := map[string]string{"SHOPWATCH_CONFIG": config, "SHOPWATCH_DB": db}
			if r := MustRunMain(t, env, "import", kind, filepath.Join(demo, kind+".csv")); r.code != 0 {
				t.Fatalf("import %s: %s%s", kind, r.stdout, r.stderr)
			}
		}
	}

	// 19 November 12:30 UTC is 19:30 in Bangkok and Jakarta, 20:30 in
	// Manila: the dates up to the 18th are due; the 19th and the 20th
	// follow, and Friday 20 November's digests.
	t0 := time.Date(2026, 11, 19, 12, 30, 0, 0, time.UTC)
	days := 2 * 24 * time.Hour
	want := referenceKeys(t, sqlite, cfg, t0, t0.Add(days+time.Hour))

	fake := slackfake.New(t)
	fake.PerChannel = 0 // the replicas' clock runs faster than Slack's
	const secret = "procs-test-signing-secret"
	clock := &simClock{now: t0}
	for i := range 3 {
		env := map[string]string{"SHOPWATCH_DB": dsn, "SHOPWATCH_CONFIG": config, "SLACK_BOT_TOKEN": "xoxb-test",
			"SLACK_API_URL": fake.ReplicaURL(i), "SLACK_SIGNING_SECRET": secret}
		clock.replicas = append(clock.replicas, startReplica(t, i, t0, env))
	}
	db, err := store.Open(ctx, store.Options{DSN: dsn, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Time flows at 20 simulated seconds a real second: enough for the
	// delivery worker's pace (a message a second per channel) and for a
	// dead replica's lease (2 minutes, 6 s here) to run out, slow enough
	// that a live attempt (a chart drawn under -race on a busy machine)
	// ends within its lease.
	stopFlow := make(chan struct{})
	flowDone := make(chan struct{})
	go func() {
		defer close(flowDone)
		for {
			select {
			case <-stopFlow:
				return
			case <-time.After(50 * time.Millisecond):
				clock.advance(t, time.Second)
			}
		}
	}()
	var once sync.Once
	stopTime := func() { once.Do(func() { close(stopFlow); <-flowDone }) }
	defer stopTime()

	// settle waits until the runs due at the simulated now are done and the
	// outbox is empty, and stays so for a moment.
	settle := func(what string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		quietSince := time.Time{}
		for {
			now := clock.Now()
			done, why := settled(ctx, db, cfg, now.Add(-5*time.Minute))
			switch {
			case !done:
				quietSince = time.Time{}
			case quietSince.IsZero():
				quietSince = time.Now()
			case time.Since(quietSince) > 500*time.Millisecond:
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not settled at %s: %s", what, now, why)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	leader := func() *replicaProc {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			for _, r := range clock.replicas {
				if !r.dead && r.role() == "ok: leader" {
					return r
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("no replica leads")
		return nil
	}

	settle("day 1, the catch-up at start")
	// Day 2: the leader's first post is held and the leader killed there.
	first := leader()
	held := fake.HoldNext(func(m slackfake.Msg) bool { return m.Replica == first.i })
	var killed *replicaProc
	// killHeld kills the poster of the held post p, when, and lets the
	// next hourly tick finish the killed leader's.
	killHeld := func(p slackfake.Msg, when string) {
		killed = clock.replicas[p.Replica]
		clock.kill(t, killed)
		t.Logf("killed replica %d (the leader) %s, while Slack held its post of %s", p.Replica, when, p.Key)
		leader()
		nextHour(t, clock)
	}
	for range 4 {
		clock.advance(t, 6*time.Hour) // the jobs due in the 6 hours fire
		select {
		case p := <-held:
			killHeld(p, "on day 2")
		case <-time.After(2 * time.Second):
		}
		leader()
		settle("day 2")
	}
	if killed == nil { // a slow machine: the post came late
		select {
		case p := <-held:
			killHeld(p, "at the end of day 2")
			settle("day 2, after the kill")
		case <-time.After(10 * time.Second):
		}
	}
	if killed == nil {
		t.Fatalf("the leader posted nothing on day 2: nothing to kill it in the middle of (posts by replica: %v)", postsBy(fake))
	}
	// Day 3, with an operator's evaluate of the same date by hand.
	var wg sync.WaitGroup
	for i := range 4 {
		clock.advance(t, 6*time.Hour)
		if i == 0 {
			wg.Go(func() {
				env := map[string]string{"SHOPWATCH_DB": dsn, "SHOPWATCH_CONFIG": config, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.ReplicaURL(9)}
				if r := MustRunMain(t, env, "evaluate", "--date", "2026-11-20", "--wait", "20s"); r.code != 0 {
					t.Errorf("evaluate by hand: %d\n%s%s", r.code, r.stdout, r.stderr)
				}
			})
		}
		leader()
		settle("day 3")
	}
	wg.Wait()
	settle("the end")

	// Every message of the outbox is sent, posted once; the alerts, digests
	// and overviews are those the reference wrote.
	if left, err := db.UndeliveredOutbox(ctx, 10); err != nil || len(left) != 0 {
		t.Errorf("undelivered at the end: %d %v", len(left), err)
	}
	if failed, err := db.FailedOutbox(ctx, 10); err != nil || len(failed) != 0 {
		t.Errorf("failed: %+v %v", failed, err)
	}
	posted := fake.ByKey()
	got := map[string]bool{}
	for key, n := range posted {
		m, err := db.OutboxByKey(ctx, key)
		if err != nil || m.Status != store.OutboxSent || n != 1 {
			t.Errorf("%s posted %d times (outbox: %s %v)", key, n, m.Status, err)
		}
		if posts[m.Kind] {
			got[key] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if !got[k] {
			t.Errorf("%s: written by the reference, never posted", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if !want[k] {
			t.Errorf("%s: posted, but the reference did not write it", k)
		}
	}
	kinds := map[string]int{}
	for k := range want {
		kinds[strings.Split(k, "/")[1]]++
	}
	if kinds["digest"] < 3 || len(want) < 10 {
		t.Errorf("the days wrote too little to prove anything: %d messages, by kind %v", len(want), kinds)
	}
	t.Logf("%d messages posted, %d of them alerts, digests and overviews; posts by replica %v", len(posted), len(want), postsBy(fake))

	// Any survivor answers a slash command as the others do, at the same
	// simulated instant.
	stopTime()
	time.Sleep(200 * time.Millisecond) // the last clock lines are read
	for _, text := range []string{"status", "breakdown nrr", "status " + cfg.Shops()[1].ID} {
		var answers []string
		for _, r := range clock.replicas {
			if r.dead {
				continue
			}
			channel := cfg.Shops()[0].Channel
			if strings.Contains(text, cfg.Shops()[1].ID) {
				channel = cfg.AdminChannel
			}
			status, body := signedCommand(t, r.base, secret, channel, text)
			if status != http.StatusOK {
				t.Errorf("%q to replica %d: %d %s", text, r.i, status, body)
			}
			answers = append(answers, body)
		}
		if len(answers) != 2 || answers[0] == "" || answers[1] != answers[0] {
			t.Errorf("%q: the survivors disagree:\n%s", text, strings.Join(answers, "\n---\n"))
		}
	}
}

// nextHour advances the clock to ten minutes past the next full hour,
// when the hourly tick has run.
func nextHour(tb testing.TB, clock *simClock) {
	now := clock.Now()
	clock.advance(tb, now.Truncate(time.Hour).Add(time.Hour+10*time.Minute).Sub(now))
}

// postsBy counts the posts of each replica.
func postsBy(f *slackfake.Server) map[int]int {
	out := map[int]int{}
	for _, m := range f.Posted("") {
		out[m.Replica]++
	}
	return out
}

// posts are the kinds of messages whose every one the reference predicts.
var posts = map[string]bool{monitor.KindAlert: true, monitor.KindDigest: true, monitor.KindOverview: true}

// referenceKeys runs the monitor in-process on the SQLite copy of the data,
// ticking every half hour from t0 to end, and returns the keys of the
// alerts, digests and overviews it writes.
func referenceKeys(tb testing.TB, path string, cfg *rules.Config, t0, end time.Time) map[string]bool {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DSN: path, Config: cfg})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	m, err := monitor.New(monitor.Options{DB: db})
	if err != nil {
		tb.Fatal(err)
	}
	for now := t0; !now.After(end); now = now.Add(30 * time.Minute) {
		if rep := m.Tick(ctx, nil, now); len(rep.Errors) > 0 {
			tb.Fatalf("reference tick at %s: %v", now, rep.Errors)
		}
	}
	msgs, err := db.UndeliveredOutbox(ctx, 100000)
	if err != nil {
		tb.Fatal(err)
	}
	keys := map[string]bool{}
	for _, msg := range msgs {
		if posts[msg.Kind] {
			keys[msg.Key] = true
		}
	}
	return keys
}

// settled reports whether, at now, every shop's due evaluation and the
// hour's sweep are done and nothing is left to deliver; else why not.
func settled(ctx context.Context, db *store.DB, cfg *rules.Config, now time.Time) (bool, string) {
	last, err := db.LastRuns(ctx, monitor.RunDaily)
	if err != nil {
		return false, err.Error()
	}
	for _, s := range cfg.Shops() {
		if due := monitor.DueDay(s, cfg.Evaluation, now); last[s.ID] < due {
			return false, fmt.Sprintf("shop %s evaluated to %s, due %s", s.ID, last[s.ID], due)
		}
	}
	slot := rules.Day(now.Truncate(time.Hour).Unix() / 3600)
	if done, err := db.RunDone(ctx, store.AdminShopID, monitor.RunSweep, slot); err != nil || !done {
		return false, fmt.Sprintf("sweep of %s not done (%v)", now.Truncate(time.Hour), err)
	}
	left, err := db.UndeliveredOutbox(ctx, 10)
	if err != nil || len(left) > 0 {
		return false, fmt.Sprintf("%d messages undelivered (%v)", len(left), err)
	}
	return true, ""
}
