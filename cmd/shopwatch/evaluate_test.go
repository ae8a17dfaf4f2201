package main

import (
	"context"
	"errors"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/store"
)

// yesterday is the last day of MustDemoEnv's data, in UTC.
func yesterday() string { return time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly) }

var posted = regexp.MustCompile(`(?m)^── #\S+(, in the thread of \S+)? · (\S+) ──$`)

func postedKeys(stdout string) []string {
	var keys []string
	for _, m := range posted.FindAllStringSubmatch(stdout, -1) {
		keys = append(keys, m[2])
	}
	return keys
}

func TestEvaluate(t *testing.T) {
	env, cfg := MustDemoEnv(t)
	day := time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly) // complete in every zone
	r := MustRunMain(t, env, "evaluate", "--date", day)
	if r.code != 0 {
		t.Fatalf("evaluate: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	keys := postedKeys(r.stdout)
	if len(keys) == 0 || !strings.Contains(r.stdout, "evaluated 3 shops for "+day) {
		t.Fatalf("evaluate printed:\n%s", r.stdout)
	}
	for _, k := range keys {
		if !strings.Contains(k, "/"+day+"/") {
			t.Errorf("posted %s for another date", k)
		}
	}
	if !strings.Contains(r.stdout, "[Breakdown] [Tips] [Mute 7 days]") || !strings.Contains(r.stdout, cfg.Shops()[0].Name) {
		t.Errorf("alerts without their buttons or shop:\n%s", r.stdout)
	}

	// The same date again posts nothing.
	again := MustRunMain(t, env, "evaluate", "--date", day)
	if again.code != 0 || len(postedKeys(again.stdout)) != 0 || !strings.Contains(again.stdout, "already posted before") {
		t.Fatalf("evaluate again: code %d\n%s%s", again.code, again.stdout, again.stderr)
	}

	// One shop, the next date: only its messages.
	next := MustRunMain(t, env, "evaluate", "--date", yesterday(), "--shop", cfg.Shops()[1].ID)
	if next.code != 0 || !strings.Contains(next.stdout, "evaluated 1 shops for "+yesterday()) {
		t.Fatalf("evaluate one shop: code %d\n%s%s", next.code, next.stdout, next.stderr)
	}
	for _, k := range postedKeys(next.stdout) {
		if !strings.HasPrefix(k, cfg.Shops()[1].ID+"/") {
			t.Errorf("posted %s for another shop", k)
		}
	}
}

func TestEvaluateReplay(t *testing.T) {
	env, _ := MustDemoEnv(t)
	to := time.Now().UTC().AddDate(0, 0, -2)
	from := to.AddDate(0, 0, -9)
	r := MustRunMain(t, env, "evaluate", "--from", from.Format(time.DateOnly), "--date", to.Format(time.DateOnly))
	if r.code != 0 {
		t.Fatalf("replay: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stdout, "evaluated 3 shops for "); n != 10 {
		t.Errorf("%d dates evaluated, want 10:\n%s", n, r.stdout)
	}
	// Posts come in date order.
	last := ""
	for _, k := range postedKeys(r.stdout) {
		parts := strings.Split(k, "/")
		if d := parts[len(parts)-2]; d < last {
			t.Errorf("%s posted after a post of %s", k, last)
		} else {
			last = d
		}
	}
}

func TestDigestCommand(t *testing.T) {
	env, cfg := MustDemoEnv(t)
	charts := t.TempDir()
	env["SHOPWATCH_CHART_DIR"] = charts
	shop := cfg.Shops()[0]
	r := MustRunMain(t, env, "digest", "--shop", shop.ID, "--date", yesterday())
	if r.code != 0 || !strings.Contains(r.stdout, shop.Name+" · weekly digest to") {
		t.Fatalf("digest: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	path := filepath.Join(charts, "shopwatch-"+shop.ID+"-"+yesterday()+".png")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no chart: %v\n%s", err, r.stdout)
	}
	if _, err := png.Decode(f); err != nil {
		t.Errorf("chart: %v", err)
	}
	f.Close()
	if again := MustRunMain(t, env, "digest", "--shop", shop.ID, "--date", yesterday()); again.code != 0 || strings.Contains(again.stdout, "weekly digest") ||
		!strings.Contains(again.stderr, "was sent before") {
		t.Errorf("digest again: code %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	// Every shop, and the all-shops digest for the admin channel.
	all := MustRunMain(t, env, "digest", "--date", yesterday())
	if all.code != 0 || !strings.Contains(all.stdout, "Weekly digest · all shops") || strings.Count(all.stdout, "weekly digest to") != len(cfg.Shops())-1 {
		t.Errorf("digest of every shop: code %d\n%s%s", all.code, all.stdout, all.stderr)
	}
}

func TestEvaluateErrors(t *testing.T) {
	env, _ := cliEnv(t)
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"evaluate", "--date", "2026-13-01"}, 2, "--date"},
		{[]string{"evaluate", "--from", "2026-11-01"}, 2, "--from needs --date"},
		{[]string{"evaluate", "--from", "2026-11-10", "--date", "2026-11-01"}, 2, "in order"},
		{[]string{"evaluate", "--date", "2026-11-01", "--shop", "nope"}, 1, `unknown shop "nope"`},
		{[]string{"evaluate", "extra"}, 2, "unexpected argument"},
		{[]string{"digest", "--shop", "nope"}, 1, `unknown shop "nope"`},
	} {
		r := MustRunMain(t, env, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: code %d, stderr %q; want %d and %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
}

func TestServeRunsTheMonitor(t *testing.T) {
	env, _ := MustDemoEnv(t)
	// A failing TikTok sync must show in /metrics.
	cfg, err := loadConfig(env["SHOPWATCH_CONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), store.Options{DSN: env["SHOPWATCH_DB"], Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	failing := store.SyncRun{ShopID: cfg.Shops()[0].ID, Kind: store.Orders, At: time.Now(), Err: errors.New("429 too many requests")}
	if err := db.RecordSyncRun(context.Background(), failing); err != nil {
		t.Fatal(err)
	}
	db.Close()
	d := MustRunDaemon(t, env)
	get := func(path string) (int, string) {
		resp, err := http.Get(d.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Catching up on start evaluates every shop and delivers (to stdout).
	// The figures settle one after another (a message is marked sent, then
	// counted as delivered): wait for all of them.
	wants := []string{`shopwatch_evaluations_total{result="ok"} 3`, "shopwatch_outbox_depth 0", "shopwatch_scheduler_up 1",
		`shopwatch_records{kind="orders"}`, `shopwatch_delivered_total{kind="alert"}`,
		`shopwatch_sync_failing{kind="orders",shop="` + cfg.Shops()[0].ID + `"} 1`}
	deadline := time.Now().Add(20 * time.Second)
	var metrics string
	var missing []string
	for {
		_, metrics = get("/metrics")
		missing = missing[:0]
		for _, want := range wants {
			if !strings.Contains(metrics, want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range missing {
		t.Errorf("/metrics lacks %q:\n%s\n%s", want, metrics, d.stderr.String())
	}
	if code, body := get("/healthz/monitor"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz/monitor: %d %q", code, body)
	}
	if code := d.stop(); code != 0 {
		t.Errorf("serve exited with %d:\n%s", code, d.stderr.String())
	}
}
