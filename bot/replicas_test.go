package bot

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/shopwatch/shopwatch/internal/slackfake"
	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/store/storetest"
)

// replicaConfig is the fixture's, with the weekly digest on Fridays, so
// that the simulated days hold one for each time zone.
const replicaConfig = fixtureConfig + "digest: {weekday: friday, time: \"09:00\"}\n"

// replicaDelivery delivers quickly: the fake Slack has no rate limit, and
// the simulated days are weeks before the test's real clock.
func replicaDelivery(lease time.Duration) monitor.DeliveryOptions {
	return monitor.DeliveryOptions{PerChannel: time.Millisecond, Lease: lease, GiveUpAfter: 10 * 365 * 24 * time.Hour}
}

// TestReplicasEveryMessageOnce runs three replicas (database handle,
// monitor, Slack server on a real listener) on one PostgreSQL database and
// one fake Slack, through three simulated days. Every replica ticks at
// every moment, as if each one's scheduler fired (the leader-only
// schedule would spare them that), and every replica delivers. On the
// first day a fourth replica, a process of its own, posts a message and is
// killed with SIGKILL before it records the post. Then every alert and
// digest is in the fake's log exactly once, and a slash command gets the
// same answer from every replica.
func TestReplicasEveryMessageOnce(t *testing.T) {
	dsn := storetest.Postgres(t)
	fake := slackfake.New(t)
	ctx := context.Background()
	cfg, err := rules.ParseConfig([]byte(replicaConfig))
	if err != nil {
		t.Fatal(err)
	}
	type replica struct {
		db  *store.DB
		mon *monitor.Monitor
		srv *testServer
	}
	var replicas []replica
	for i := range 3 {
		db, err := store.Open(ctx, store.Options{DSN: dsn, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if i == 0 {
			files, err := fixtureCSV()
			if err != nil {
				t.Fatal(err)
			}
			for _, kind := range store.Kinds {
				if _, err := db.Import(ctx, kind, []store.Source{{Name: string(kind) + ".csv", R: strings.NewReader(files[kind])}}, store.ImportOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		n, err := NewNotifier(NotifierOptions{Config: cfg, BotToken: "xoxb-test", APIURL: fake.URL()})
		if err != nil {
			t.Fatal(err)
		}
		mon, err := monitor.New(monitor.Options{DB: db, Notifier: n, Replicas: db.Replicas(), Delivery: replicaDelivery(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		srv := MustServe(t, Options{DB: db, SigningSecret: testSecret, APIURL: fake.URL(), Clock: clockwork.NewFakeClockAt(fixtureNow)})
		replicas = append(replicas, replica{db, mon, srv})
	}

	// Noon in Bangkok's evening and New York's morning, after 07:00 in both:
	// the business dates 11-18, 11-19 and 11-20 are due in turn.
	for day, now := range []time.Time{
		time.Date(2026, 11, 19, 12, 30, 0, 0, time.UTC),
		time.Date(2026, 11, 20, 12, 30, 0, 0, time.UTC),
		time.Date(2026, 11, 21, 12, 30, 0, 0, time.UTC),
	} {
		var wg sync.WaitGroup
		for _, r := range replicas {
			wg.Go(func() {
				if rep := r.mon.Tick(ctx, nil, now); len(rep.Errors) > 0 {
					t.Errorf("tick at %s: %v", now, rep.Errors)
				}
			})
		}
		wg.Wait()
		if day == 0 {
			killMidDelivery(t, dsn, fake)
		}
		for _, r := range replicas {
			wg.Go(func() {
				dctx, cancel := context.WithTimeout(ctx, time.Minute)
				defer cancel()
				if left, err := r.mon.Deliver(dctx); err != nil || left != 0 {
					t.Errorf("deliver at %s: %d left, %v", now, left, err)
				}
			})
		}
		wg.Wait()
	}

	// Every message written is delivered (none left, none failed), each
	// posted once, and nothing else is posted.
	db := replicas[0].db
	if left, err := db.UndeliveredOutbox(ctx, 10); err != nil || len(left) != 0 {
		t.Errorf("undelivered after the last day: %d %v", len(left), err)
	}
	if failed, err := db.FailedOutbox(ctx, 10); err != nil || len(failed) != 0 {
		t.Errorf("failed: %+v %v", failed, err)
	}
	posted := fake.ByKey()
	keys := slices.Collect(maps.Keys(posted))
	has, err := db.OutboxHas(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for k, n := range posted {
		if n != 1 || !has[k] {
			t.Errorf("message %s posted %d times (in the outbox: %v)", k, n, has[k])
		}
	}
	kinds := map[string]int{}
	for _, kind := range []string{monitor.KindAlert, monitor.KindDigest} {
		msgs, err := db.LatestOutboxOfKind(ctx, kind)
		if err != nil {
			t.Fatal(err)
		}
		kinds[kind] = len(msgs)
	}
	if kinds[monitor.KindAlert] == 0 || kinds[monitor.KindDigest] < 2 {
		t.Errorf("the days wrote too little to prove anything: shops with alerts and digests %v", kinds)
	}
	t.Logf("%d messages posted; shops with alerts and digests: %v", len(posted), kinds)

	// Any replica answers a slash command as the others do.
	for _, text := range []string{"status", "breakdown nrr"} {
		var answers []string
		for _, r := range replicas {
			_, body := do(t, signedPost(t, r.srv.URL+"/slack/commands", testSecret, time.Now(), commandForm("C0BEAUTY01", text, "")))
			answers = append(answers, body)
		}
		if answers[0] == "" || answers[1] != answers[0] || answers[2] != answers[0] {
			t.Errorf("%q: the replicas disagree:\n%s", text, strings.Join(answers, "\n---\n"))
		}
	}
}

// killMidDelivery starts a replica process that posts one message and
// stops before recording it, and kills it (SIGKILL) there.
func killMidDelivery(t *testing.T, dsn string, fake *slackfake.Server) {
	t.Helper()
	before := len(fake.ByKey())
	cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaKilledHelper$")
	cmd.Env = append(os.Environ(), "SHOPWATCH_REPLICA_DSN="+dsn, "SHOPWATCH_REPLICA_API="+fake.URL())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "posted" {
	}
	cmd.Process.Kill()
	cmd.Wait()
	if after := len(fake.ByKey()); after != before+1 {
		t.Fatalf("the killed replica posted %d messages, want 1", after-before)
	}
	time.Sleep(1100 * time.Millisecond) // its lease (1s) runs out
}

// hangNotifier posts, says so on stdout, and hangs before the outbox
// records the post: the process is killed there.
type hangNotifier struct{ *Notifier }

func (h hangNotifier) Deliver(ctx context.Context, out monitor.Outgoing) (monitor.Receipt, error) {
	rec, err := h.Notifier.Deliver(ctx, out)
	if err == nil {
		fmt.Println("posted")
		select {}
	}
	return rec, err
}

// TestReplicaKilledHelper is the replica TestReplicasEveryMessageOnce kills.
func TestReplicaKilledHelper(t *testing.T) {
	dsn := os.Getenv("SHOPWATCH_REPLICA_DSN")
	if dsn == "" {
		t.Skip("run by TestReplicasEveryMessageOnce")
	}
	cfg, err := rules.ParseConfig([]byte(replicaConfig))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), store.Options{DSN: dsn, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNotifier(NotifierOptions{Config: cfg, BotToken: "xoxb-test", APIURL: os.Getenv("SHOPWATCH_REPLICA_API")})
	if err != nil {
		t.Fatal(err)
	}
	opts := replicaDelivery(time.Second)
	opts.Store, opts.Notifier = db, hangNotifier{n}
	d, err := monitor.NewDeliverer(opts)
	if err != nil {
		t.Fatal(err)
	}
	d.Drain(context.Background())
	t.Fatal("the helper should have been killed")
}
