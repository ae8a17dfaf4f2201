package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// result is what one run of the command line did.
type result struct {
	code           int
	stdout, stderr string
}

// MustRunMain runs the shopwatch command line in-process with the given
// environment and returns its exit code and output.
func MustRunMain(tb testing.TB, env map[string]string, args ...string) result {
	tb.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	return result{code, out.String(), errOut.String()}
}

func writeFile(tb testing.TB, dir, name, text string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

const cliConfig = `shops:
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
    profile: sea
    channel: C0123ABCD
`

// cliEnv writes a config with the shop above and returns the environment
// pointing the command line at it and at a fresh database.
func cliEnv(tb testing.TB) (map[string]string, string) {
	dir := tb.TempDir()
	return map[string]string{
		"SHOPWATCH_CONFIG": writeFile(tb, dir, "shopwatch.yaml", cliConfig),
		"SHOPWATCH_DB":     filepath.Join(dir, "shopwatch.db"),
	}, dir
}

func TestMetricsJSON(t *testing.T) {
	env, dir := cliEnv(t)
	var orders strings.Builder
	orders.WriteString("order_id,shop_id,product_id,created_at,delivered_at\n")
	for i := range 40 { // 40 orders delivered on 2026-11-10, Bangkok time, the last on 11-19 (orders are fresh on 11-20)
		delivered := "2026-11-10T10:00:00+07:00"
		if i == 39 {
			delivered = "2026-11-19T10:00:00+07:00"
		}
		orders.WriteString("o" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ",7495001,p1,2026-11-05T10:00:00+07:00," + delivered + "\n")
	}
	files := map[string]string{
		"orders":  orders.String(),
		"reviews": "review_id,order_id,shop_id,product_id,rating,created_at,tags\nr1,oaa,7495001,p1,1,2026-11-12T10:00:00+07:00,damaged\nr2,oba,7495001,p1,2,2026-11-12T10:00:00+07:00,late_delivery\n",
		"returns": "return_id,order_id,shop_id,product_id,created_at,reason,status\nx1,oca,7495001,p1,2026-11-12T10:00:00+07:00,Package or product is damaged,completed\n",
		"chats":   "message_id,conversation_id,shop_id,sender,sent_at\nm1,c1,7495001,buyer,2026-11-19T10:00:00+07:00\nm2,c1,7495001,shop,2026-11-19T11:30:00+07:00\n",
	}
	for _, kind := range []string{"orders", "reviews", "returns", "chats"} {
		path := writeFile(t, dir, kind+".csv", files[kind])
		if r := MustRunMain(t, env, "import", kind, path); r.code != 0 || !strings.Contains(r.stdout, "0 rejected") {
			t.Fatalf("import %s: code %d\n%s%s", kind, r.code, r.stdout, r.stderr)
		}
	}
	r := MustRunMain(t, env, "metrics", "--shop", "7495001", "--date", "2026-11-20", "--json")
	if r.code != 0 {
		t.Fatalf("metrics: code %d: %s", r.code, r.stderr)
	}
	var got struct {
		ShopID  string                     `json:"shop_id"`
		Date    string                     `json:"date"`
		Profile string                     `json:"profile"`
		Metrics map[string]json.RawMessage `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("metrics --json is not JSON: %v\n%s", err, r.stdout)
	}
	if got.ShopID != "7495001" || got.Date != "2026-11-20" || got.Profile != "sea" || len(got.Metrics) != 6 {
		t.Fatalf("header = %+v", got)
	}
	// Key order follows SPEC section 5.
	order := []string{`"nrr"`, `"nrr_product"`, `"nrr_service"`, `"sfrr"`, `"chat_response_rate"`, `"chat_avg_response_hours"`}
	last := -1
	for _, k := range order {
		i := strings.Index(r.stdout, k+":")
		if i < last {
			t.Errorf("metric %s out of order", k)
		}
		last = i
	}
	var nrr struct {
		Value       *float64 `json:"value"`
		Numerator   int      `json:"numerator"`
		Denominator int      `json:"denominator"`
		WindowDays  int      `json:"window_days"`
		Level       string   `json:"level"`
		Warn        *float64 `json:"warn"`
		Critical    *float64 `json:"critical"`
		Headroom    *int     `json:"headroom"`
		RecoversOn  *string  `json:"recovers_on"`
	}
	if err := json.Unmarshal(got.Metrics["nrr"], &nrr); err != nil {
		t.Fatal(err)
	}
	// r1 counts (damaged), r2 is logistics-only: 1 of 40 delivered.
	if nrr.Numerator != 1 || nrr.Denominator != 40 || nrr.Value == nil || *nrr.Value != 1.0/40 || nrr.WindowDays != 30 ||
		nrr.Level != "critical" || *nrr.Warn != 0.004 || *nrr.Critical != 0.005 || *nrr.Headroom != 0 || nrr.RecoversOn == nil {
		t.Errorf("nrr = %s", got.Metrics["nrr"])
	}
	var sfrr struct {
		Numerator, Denominator int
	}
	json.Unmarshal(got.Metrics["sfrr"], &sfrr)
	if sfrr.Numerator != 1 || sfrr.Denominator != 40 { // sea: over orders created in the window
		t.Errorf("sfrr = %s", got.Metrics["sfrr"])
	}
	var avg struct {
		Value float64 `json:"value"`
		Count int     `json:"count"`
	}
	json.Unmarshal(got.Metrics["chat_avg_response_hours"], &avg)
	if avg.Value != 1.5 || avg.Count != 1 {
		t.Errorf("chat_avg_response_hours = %s", got.Metrics["chat_avg_response_hours"])
	}

	// The table form shows the same figures.
	r = MustRunMain(t, env, "metrics", "--shop", "7495001", "--date", "2026-11-20")
	if r.code != 0 || !strings.Contains(r.stdout, "2.50%") || !strings.Contains(r.stdout, "1/40") {
		t.Errorf("metrics table:\n%s%s", r.stdout, r.stderr)
	}

	// Ten days later no order has arrived for 11 days: NRR and SFRR are
	// stale, never ok or critical, with the figures' level beside; the
	// chats, never more than one a day, are not overdue.
	r = MustRunMain(t, env, "metrics", "--shop", "7495001", "--date", "2026-11-30", "--json")
	var later struct {
		Metrics map[string]struct {
			Level         string   `json:"level"`
			ComputedLevel string   `json:"computed_level"`
			StaleInputs   []string `json:"stale_inputs"`
		} `json:"metrics"`
		Inputs map[string]struct {
			State      string  `json:"state"`
			LastRecord *string `json:"last_record"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &later); err != nil {
		t.Fatalf("metrics --json: %v\n%s", err, r.stdout)
	}
	for _, m := range []string{"nrr", "sfrr"} {
		if got := later.Metrics[m]; got.Level != "stale" || got.ComputedLevel == "" || !slices.Equal(got.StaleInputs, []string{"orders"}) {
			t.Errorf("%s on 2026-11-30 = %+v, want stale for orders", m, got)
		}
	}
	if got := later.Metrics["chat_response_rate"]; got.Level == "stale" || got.ComputedLevel != "" {
		t.Errorf("chat_response_rate on 2026-11-30 = %+v", got)
	}
	if in := later.Inputs["orders"]; in.State != "stale" || in.LastRecord == nil || *in.LastRecord != "2026-11-19" {
		t.Errorf("inputs.orders = %+v", in)
	}
	r = MustRunMain(t, env, "metrics", "--shop", "7495001", "--date", "2026-11-30")
	if !strings.Contains(r.stdout, "stale") || !strings.Contains(r.stdout, "no orders since Thu 19 Nov 2026") {
		t.Errorf("metrics table on 2026-11-30:\n%s%s", r.stdout, r.stderr)
	}

	r = MustRunMain(t, env, "breakdown", "--shop", "7495001", "--metric", "nrr", "--date", "2026-11-20", "--json")
	var bd struct {
		Products []struct {
			ProductID string  `json:"product_id"`
			Count     int     `json:"count"`
			Base      int     `json:"base"`
			Rate      float64 `json:"rate"`
		} `json:"products"`
		Causes []struct {
			Name  string `json:"name"`
			Count int    `json:"count"`
		} `json:"causes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &bd); err != nil || r.code != 0 {
		t.Fatalf("breakdown: %v %s %s", err, r.stdout, r.stderr)
	}
	if len(bd.Products) != 1 || bd.Products[0].ProductID != "p1" || bd.Products[0].Count != 1 || bd.Products[0].Base != 40 ||
		len(bd.Causes) != 1 || bd.Causes[0].Name != "damaged" {
		t.Errorf("breakdown = %+v", bd)
	}

	// A short command's answer goes out in one write: the table's
	// writer writes each cell and its padding apart.
	var out writeCounter
	args := []string{"breakdown", "--shop", "7495001", "--metric", "nrr", "--date", "2026-11-20"}
	if code := run(context.Background(), args, &out, &out, func(k string) string { return env[k] }); code != 0 || out.writes != 1 || !strings.Contains(out.String(), "Top products") {
		t.Errorf("breakdown: exit %d, %d writes of\n%s", code, out.writes, out.String())
	}
}

// writeCounter counts the writes it is given.
type writeCounter struct {
	bytes.Buffer
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestCommandErrors(t *testing.T) {
	env, dir := cliEnv(t)
	bad := writeFile(t, dir, "bad.csv", "order_id,shop_id,product_id,created_at\no1,7495001,p1,2026-11-05T10:00:00+07:00\no2,7495001,p1,not a time\n")
	badConfig := writeFile(t, dir, "bad.yaml", cliConfig+"    chanel: C1\n")
	malformed := writeFile(t, dir, "malformed.csv", "order_id,shop_id,product_id,created_at\no1,7495001,p1,2026-11-05T10:00:00+07:00\nO\"2,7495001,p1,2026-11-05T10:00:00+07:00\no3,7495001,p1,not a time\n")
	empty := writeFile(t, dir, "empty.csv", "")
	unknown := writeFile(t, dir, "unknown.csv", "Order Number,Item\n1,2\n")
	seller := filepath.Join("..", "..", "store", "testdata", "sellercenter", "orders-7495001.csv")
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
		stdout string
	}{
		{"no command", env, nil, 2, "usage: shopwatch", ""},
		{"unknown command", env, []string{"frobnicate"}, 2, `unknown command "frobnicate"`, ""},
		{"bad flag", env, []string{"metrics", "--shopp", "1"}, 2, "flag provided but not defined: -shopp", ""},
		{"unknown shop", env, []string{"metrics", "--shop", "999", "--date", "2026-11-20"}, 1, `unknown shop "999"`, ""},
		{"bad date", env, []string{"metrics", "--shop", "7495001", "--date", "20/11/2026"}, 2, "--date", ""},
		{"unknown kind", env, []string{"import", "refunds", bad}, 2, `unknown record kind "refunds"`, ""},
		{"unreadable file", env, []string{"import", "orders", filepath.Join(dir, "missing.csv")}, 1, "missing.csv", ""},
		{"invalid row names file and line", env, []string{"import", "orders", bad}, 1, "bad.csv:3: created_at", ""},
		{"skip invalid imports the rest", env, []string{"import", "orders", bad, "--skip-invalid"}, 0, "", "1 imported, 1 rejected"},
		{"skip invalid counts malformed rows", env, []string{"import", "orders", malformed, "--skip-invalid"}, 0, "", "malformed.csv: 3 rows, 1 imported, 2 rejected"},
		{"skip invalid refuses an empty file", env, []string{"import", "orders", empty, "--skip-invalid"}, 1, "empty.csv:1: empty file: want a header row", ""},
		{"skip invalid refuses a directory", env, []string{"import", "orders", dir, "--skip-invalid"}, 1, "is a directory, not a CSV file", ""},
		{"Seller Center export", env, []string{"import", "orders", seller, "--shop", "7495001"}, 0, "", "orders-7495001.csv: 7 rows, 7 imported, 0 rejected"},
		{"unknown --shop", env, []string{"import", "orders", seller, "--shop", "999"}, 1, `unknown shop "999" (not in the config)`, ""},
		{"unknown header lists both layouts", env, []string{"import", "orders", unknown}, 1, "unknown.csv:1: header: missing column(s) order_id, shop_id, product_id, created_at (a orders file needs order_id, shop_id, product_id, created_at; a Seller Center order export needs Order ID, SKU ID or Product ID,", ""},
		{"config unknown key", map[string]string{"SHOPWATCH_CONFIG": badConfig, "SHOPWATCH_DB": env["SHOPWATCH_DB"]}, []string{"metrics", "--shop", "7495001"}, 1, `line 7: unknown key "chanel"`, ""},
		{"missing config", map[string]string{"SHOPWATCH_CONFIG": filepath.Join(dir, "nope.yaml")}, []string{"metrics"}, 1, "nope.yaml", ""},
		{"breakdown needs a shop", env, []string{"breakdown", "--metric", "nrr"}, 2, "--shop is required", ""},
		{"breakdown unknown metric", env, []string{"breakdown", "--shop", "7495001", "--metric", "nps"}, 1, `unknown breakdown metric "nps"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustRunMain(t, tt.env, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) || !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("code %d (want %d)\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
		})
	}
}

// demoEnv writes a demo of three shops over 40 days up to 2026-11-20 and
// returns the environment pointing at its config and a fresh database, and
// the demo's folder.
func demoEnv(tb testing.TB) (map[string]string, string) {
	tb.Helper()
	env, dir := cliEnv(tb)
	demo := filepath.Join(dir, "demo")
	if r := MustRunMain(tb, env, "demo", demo, "--shops", "3", "--days", "40", "--orders-per-day", "20", "--end", "2026-11-20"); r.code != 0 {
		tb.Fatalf("demo: %s", r.stderr)
	}
	env["SHOPWATCH_CONFIG"] = filepath.Join(demo, "shopwatch.yaml")
	return env, demo
}

func TestDemoRoundTrip(t *testing.T) {
	env, demo := demoEnv(t)
	for _, kind := range []string{"orders", "reviews", "returns", "chats"} {
		r := MustRunMain(t, env, "import", kind, filepath.Join(demo, kind+".csv"))
		if r.code != 0 || !strings.Contains(r.stdout, " 0 rejected") {
			t.Fatalf("import %s: %s%s", kind, r.stdout, r.stderr)
		}
	}
	r := MustRunMain(t, env, "metrics", "--date", "2026-11-20")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 4 { // header and three shops
		t.Fatalf("metrics for all shops:\n%s%s", r.stdout, r.stderr)
	}
	// Re-importing the same files changes nothing.
	before := MustRunMain(t, env, "metrics", "--date", "2026-11-20", "--json").stdout
	for _, kind := range []string{"orders", "reviews", "returns", "chats"} {
		MustRunMain(t, env, "import", kind, filepath.Join(demo, kind+".csv"))
	}
	if after := MustRunMain(t, env, "metrics", "--date", "2026-11-20", "--json").stdout; after != before {
		t.Errorf("re-import changed the metrics:\n%s\n%s", before, after)
	}
}

// TestHelp: -h and --help print the usage to stdout and exit 0, for the
// program and for each command.
func TestHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"--help", []string{"--help"}, []string{"import KIND FILE...", "global flags"}},
		{"-h", []string{"-h"}, []string{"import KIND FILE...", "global flags"}},
		{"command --help", []string{"metrics", "--help"}, []string{"usage: shopwatch metrics [flags]", "-shop", "-json"}},
		{"subcommand --help", []string{"tiktok", "status", "--help"}, []string{"usage: shopwatch tiktok status [flags]", "-shop"}},
		{"tiktok --help", []string{"tiktok", "--help"}, []string{"usage: shopwatch tiktok authorize"}},
		{"command -h after an argument", []string{"import", "orders", "-h"}, []string{"usage: shopwatch import [flags]", "-skip-invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustRunMain(t, nil, tt.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if strings.Contains(r.stdout, "help requested") {
				t.Errorf("stdout says the flag package's error:\n%s", r.stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

// TestProcessFor: in its own process, a short command gets a context that
// cannot be cancelled and runs without the collector; the other commands
// are cancelled by SIGINT. The tests' run (not its own process) changes
// nothing.
func TestProcessFor(t *testing.T) {
	defer func(was bool) { ownProcess = was }(ownProcess)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	debug.SetGCPercent(100)

	ownProcess = false
	ctx, done := processFor(t.Context(), "metrics")
	done()
	if ctx != t.Context() || debug.SetGCPercent(100) != 100 {
		t.Error("run in the tests' process changed the context or the collector")
	}

	ownProcess = true
	for name := range shortCommands {
		ctx, done := processFor(context.Background(), name)
		if ctx.Done() != nil {
			t.Errorf("%s: the context can be cancelled: each query would start goroutines to watch it", name)
		}
		if gc := debug.SetGCPercent(100); gc != -1 {
			t.Errorf("%s: the collector is on (GOGC %d)", name, gc)
		}
		done()
	}

	_, done = processFor(context.Background(), "import")
	if gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); gc != importGCPercent || limit != importHeapLimit {
		t.Errorf("import runs with GOGC %d and a limit of %d bytes, want %d and %d", gc, limit, importGCPercent, importHeapLimit)
	}
	done()
	debug.SetMemoryLimit(math.MaxInt64)

	ctx, done = processFor(context.Background(), "serve")
	defer done()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("serve's context was not cancelled by SIGINT")
	}
	if gc := debug.SetGCPercent(100); gc != 100 {
		t.Errorf("serve runs with GOGC %d", gc)
	}
}
