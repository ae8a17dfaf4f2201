package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
)

const syncSecretKey = "0123456789abcdef0123456789abcdef"

// tiktokEnv starts a fake TikTok with the CLI's shop, 300 orders over the
// last 30 days (two in three delivered) and a conversation, and returns the
// environment pointing the command line at it, its config's directory and
// the fake.
func tiktokEnv(tb testing.TB) (map[string]string, string, *tiktoktest.Server) {
	tb.Helper()
	env, dir := cliEnv(tb)
	srv := tiktoktest.New(tb, tiktoktest.Options{})
	srv.AddShop(tiktoktest.Shop{ID: "7495001", Name: "Acme Beauty TH"})
	now := time.Now()
	srv.AddGeneratedOrders("7495001", 0, 300, now.Add(-30*24*time.Hour), 2*time.Hour)
	srv.AddMessages("7495001", "conv-1",
		tiktoktest.Message{ID: "m1", Role: "BUYER", Text: "hi", CreateTime: now.Add(-48 * time.Hour)},
		tiktoktest.Message{ID: "m2", Role: "SHOP", Text: "hello", CreateTime: now.Add(-47 * time.Hour)})
	env["TIKTOK_APP_KEY"] = srv.AppKey()
	env["TIKTOK_APP_SECRET"] = srv.AppSecret()
	env["TIKTOK_API_URL"] = srv.APIURL()
	env["TIKTOK_AUTH_URL"] = srv.AuthURL()
	return env, dir, srv
}

func TestTikTokCommands(t *testing.T) {
	env, _, srv := tiktokEnv(t)
	srv.AddAuthCode("code-1", "7495001")

	t.Run("authorize refuses to store tokens without a key", func(t *testing.T) {
		r := MustRunMain(t, env, "tiktok", "authorize", "--shop", "7495001", "--code", "code-1")
		if r.code != 1 || !strings.Contains(r.stderr, "SHOPWATCH_SECRET_KEY is not set") {
			t.Fatalf("code %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if c := srv.Count("/api/v2/token/get"); c != 0 {
			t.Fatalf("the code was sent to TikTok %d times: it is single use", c)
		}
	})
	env["SHOPWATCH_SECRET_KEY"] = syncSecretKey
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"tiktok"}, {"tiktok", "authorize", "--shop", "7495001"}, {"tiktok", "frobnicate"}, {"sync", "extra"}} {
			if r := MustRunMain(t, env, args...); r.code != 2 {
				t.Fatalf("%q: code %d, want 2\n%s", args, r.code, r.stderr)
			}
		}
	})
	t.Run("sync before authorize", func(t *testing.T) {
		r := MustRunMain(t, env, "sync")
		if r.code != 1 || !strings.Contains(r.stderr, "no shop is authorized") {
			t.Fatalf("code %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("authorize", func(t *testing.T) {
		r := MustRunMain(t, env, "tiktok", "authorize", "--shop", "7495001", "--code", "code-1")
		if r.code != 0 || !strings.Contains(r.stdout, "authorized shop 7495001 (Acme Beauty TH, TH)") {
			t.Fatalf("code %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("sync", func(t *testing.T) {
		r := MustRunMain(t, env, "sync")
		if r.code != 0 || !strings.Contains(r.stdout, "7495001 orders: 300 records, 0 rejected") || !strings.Contains(r.stdout, "7495001 chats: 2 records") {
			t.Fatalf("code %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("the synced records are in the metrics", func(t *testing.T) {
		r := MustRunMain(t, env, "metrics", "--shop", "7495001", "--json")
		if r.code != 0 {
			t.Fatalf("code %d: %s", r.code, r.stderr)
		}
		var got struct {
			Metrics map[string]struct {
				Denominator int `json:"denominator"`
			} `json:"metrics"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatal(err)
		}
		// The sea profile's NRR counts delivered orders; a few hundred were
		// created in the window, two in three delivered a day later.
		if d := got.Metrics["nrr"].Denominator; d < 150 || d > 250 {
			t.Fatalf("nrr denominator (delivered orders) = %d\n%s", d, r.stdout)
		}
	})
	t.Run("status", func(t *testing.T) {
		r := MustRunMain(t, env, "tiktok", "status")
		if r.code != 0 || !strings.Contains(r.stdout, "SYNCED UP TO") || strings.Count(r.stdout, "  ok") != 3 {
			t.Fatalf("code %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("a failed sync is visible", func(t *testing.T) {
		// (Not a rate limit: the client's real backoff would make this slow.)
		srv.Inject(1000, tiktoktest.Fault{Status: http.StatusForbidden, Code: tiktok.CodeScopeNotAuthorized, Message: "The seller did not grant this scope."})
		defer srv.ClearFaults()
		r := MustRunMain(t, env, "sync", "--shop", "7495001")
		if r.code != 1 || !strings.Contains(r.stdout, "7495001 orders: FAILED") || !strings.Contains(r.stdout, "did not grant this scope") {
			t.Fatalf("code %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		srv.ClearFaults()
		r = MustRunMain(t, env, "tiktok", "status", "--shop", "7495001")
		if r.code != 0 || !strings.Contains(r.stdout, "FAILING since") {
			t.Fatalf("code %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("full", func(t *testing.T) {
		r := MustRunMain(t, env, "sync", "--full")
		if r.code != 0 || !strings.Contains(r.stdout, "7495001 orders: 300 records") {
			t.Fatalf("code %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

func TestInboxCommand(t *testing.T) {
	env, dir := cliEnv(t)
	in := filepath.Join(dir, "inbox")
	writeFile(t, dir, "shopwatch.yaml", cliConfig+"inbox: "+in+"\n")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	good := writeFile(t, in, "reviews.csv", "review_id,order_id,shop_id,product_id,rating,created_at\nr1,o1,7495001,p1,1,2026-11-19T10:00:00+07:00\n")
	bad := writeFile(t, in, "returns.csv", "return_id,order_id,shop_id,product_id,created_at,reason\nx1,o1,7495001,p1,yesterday,damaged\n")
	for _, p := range []string{good, bad} {
		os.Chtimes(p, old, old)
	}
	r := MustRunMain(t, env, "inbox", "--settle", "0")
	if r.code != 1 || !strings.Contains(r.stdout, "reviews.csv: reviews, 1 rows imported") || !strings.Contains(r.stdout, "returns.csv: FAILED") {
		t.Fatalf("code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	report, err := os.ReadFile(filepath.Join(in, "failed", "returns.csv.error.txt"))
	if err != nil || !strings.Contains(string(report), `returns.csv:2: created_at: "yesterday"`) {
		t.Fatalf("report: %s %v", report, err)
	}
	if r := MustRunMain(t, env, "inbox", "--settle", "0"); r.code != 0 || !strings.Contains(r.stdout, "nothing to import") {
		t.Fatalf("second run: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestStartSync runs what serve starts: the webhook route and the
// scheduled sync, and the inbox watcher.
func TestStartSync(t *testing.T) {
	vars, dir, srv := tiktokEnv(t)
	vars["SHOPWATCH_SECRET_KEY"] = syncSecretKey
	in := filepath.Join(dir, "inbox")
	writeFile(t, dir, "shopwatch.yaml", cliConfig+"inbox: "+in+"\n")
	srv.AddAuthCode("code-1", "7495001")
	if r := MustRunMain(t, vars, "tiktok", "authorize", "--shop", "7495001", "--code", "code-1"); r.code != 0 {
		t.Fatalf("authorize: %s", r.stderr)
	}

	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return vars[k] }, clock: clockwork.NewRealClock(),
		log: slog.New(slog.DiscardHandler)}
	db, err := openDB(t.Context(), e, globals{db: vars["SHOPWATCH_DB"], config: vars["SHOPWATCH_CONFIG"]})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, in, "chats.csv", "message_id,conversation_id,shop_id,sender,sent_at\nx1,c9,7495001,buyer,2026-11-19T10:00:00+07:00\n")
	old := time.Now().Add(-time.Minute)
	os.Chtimes(filepath.Join(in, "chats.csv"), old, old)
	mux := http.NewServeMux()
	ctx := t.Context()
	stop, err := startSync(ctx, e, db, mux.Handle)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	web := httptest.NewServer(mux)
	defer web.Close()

	waitUntil(t, "the first sync", func() bool {
		sts, _ := db.SyncStatuses(ctx, "7495001")
		return len(sts) == 3
	})
	now := time.Now()
	srv.PutOrders("7495001", tiktoktest.Order{ID: "o-hook", Status: "DELIVERED", CreateTime: now.Add(-time.Hour), UpdateTime: now.Add(-time.Minute),
		DeliveryTime: now.Add(-time.Minute), LineItems: []tiktoktest.LineItem{{ID: "l1", ProductID: "p1"}}})
	body, auth := srv.Webhook(tiktok.OrderStatusChange, "7495001", map[string]any{"order_id": "o-hook"})
	req, _ := http.NewRequest(http.MethodPost, web.URL+"/tiktok/webhook", strings.NewReader(string(body)))
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: HTTP %d", resp.StatusCode)
	}
	waitUntil(t, "the webhook's order", func() bool {
		p, err := db.OrderProducts(ctx, "o-hook")
		return err == nil && len(p) == 1
	})

	waitUntil(t, "the inbox file", func() bool {
		_, err := os.Stat(filepath.Join(in, "done", "chats.csv"))
		return err == nil
	})
}

func waitUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeTikTokWebhook runs `shopwatch serve` with the TikTok sync on: it
// syncs at start, and a signed webhook imports what changed while a badly
// signed one gets 401.
func TestServeTikTokWebhook(t *testing.T) {
	vars, _, srv := tiktokEnv(t)
	vars["SHOPWATCH_SECRET_KEY"] = syncSecretKey
	srv.AddAuthCode("code-1", "7495001")
	if r := MustRunMain(t, vars, "tiktok", "authorize", "--shop", "7495001", "--code", "code-1"); r.code != 0 {
		t.Fatalf("authorize: %s", r.stderr)
	}
	d := MustRunDaemon(t, vars)
	waitUntil(t, "the first sync", func() bool { return strings.Contains(d.stderr.String(), "TikTok sync done") })

	now := time.Now()
	srv.PutOrders("7495001", tiktoktest.Order{ID: "o-live", Status: "DELIVERED", CreateTime: now.Add(-time.Hour), UpdateTime: now.Add(-time.Minute),
		DeliveryTime: now.Add(-time.Minute), LineItems: []tiktoktest.LineItem{{ID: "l1", ProductID: "p-live"}}})
	body, auth := srv.Webhook(tiktok.OrderStatusChange, "7495001", map[string]any{"order_id": "o-live"})
	post := func(auth string) int {
		req, _ := http.NewRequest(http.MethodPost, d.base+"/tiktok/webhook", strings.NewReader(string(body)))
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("deadbeef"); code != http.StatusUnauthorized {
		t.Fatalf("bad signature: HTTP %d, want 401", code)
	}
	if code := post(auth); code != http.StatusOK {
		t.Fatalf("webhook: HTTP %d, want 200", code)
	}
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return vars[k] }, clock: clockwork.NewRealClock(), log: slog.New(slog.DiscardHandler)}
	db, err := openDB(t.Context(), e, globals{db: vars["SHOPWATCH_DB"], config: vars["SHOPWATCH_CONFIG"]})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitUntil(t, "the webhook's order", func() bool {
		p, err := db.OrderProducts(t.Context(), "o-live")
		return err == nil && len(p) == 1 && p[0] == "p-live"
	})
	if code := d.stop(); code != 0 {
		t.Fatalf("serve exited %d\n%s", code, d.stderr.String())
	}
	r := MustRunMain(t, vars, "tiktok", "status", "--shop", "7495001")
	if r.code != 0 || strings.Count(r.stdout, "  ok") != 3 {
		t.Fatalf("status after serve: %s%s", r.stdout, r.stderr)
	}
}
