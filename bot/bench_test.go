package bot

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// BenchmarkSlashCommands is the load generator of the latency target: the
// real server on 127.0.0.1, signed slash commands over HTTP from
// concurrent clients (SHOPWATCH_BENCH_CLIENTS, default 20), each command
// for a random shop in its own channel. It reports p50, p90, p99 and max
// latency per request, end to end.
//
// Without SHOPWATCH_BENCH_DB it runs on the small test fixture. With it
// (and SHOPWATCH_BENCH_CONFIG), it runs on that database, such as the
// 1,000-shop, 10-million-line one of `make bench`, answering for the day
// after SHOPWATCH_BENCH_DATE (the data's last day). The database is opened
// for writing (migrations): point it at a copy you can spare.
//
//	SHOPWATCH_BENCH_DB=/tmp/sw-bench/bench.db SHOPWATCH_BENCH_CONFIG=/tmp/sw-bench/shopwatch.yaml \
//	SHOPWATCH_BENCH_DATE=2026-11-20 go test -run '^$' -bench SlashCommands -benchtime 4000x ./bot/
//
// SHOPWATCH_BENCH_WRITES=1 adds writes from another connection during the
// load (benchWrites); SHOPWATCH_BENCH_NOCACHE=1 turns the cache off.
func BenchmarkSlashCommands(b *testing.B) {
	db, now := benchDB(b)
	opts := Options{SigningSecret: testSecret, Clock: clockwork.NewFakeClockAt(now)}
	release, err := PrepareStore(context.Background(), db, &opts) // as shopwatch serve does
	if err != nil {
		b.Fatal(err)
	}
	defer release()
	if os.Getenv("SHOPWATCH_BENCH_NOCACHE") != "" {
		opts.Changes = nil
	}
	ts := MustServe(b, opts)
	warm := time.Now()
	<-ts.srv.Warmed() // steady state: the cache is filled as it is between imports
	b.Logf("cache warm-up took %v", time.Since(warm).Round(time.Millisecond))
	cfg := db.Config()
	clients := 20
	if v, err := strconv.Atoi(os.Getenv("SHOPWATCH_BENCH_CLIENTS")); err == nil && v > 0 {
		clients = v
	}
	// The mix a team produces: mostly status, then breakdowns, tips and the rest.
	mix := []struct {
		name   string
		weight int
		text   func(shop string) string
	}{
		{"status", 50, func(s string) string { return "status" }},
		{"breakdown nrr", 15, func(s string) string { return "breakdown nrr" }},
		{"breakdown sfrr", 5, func(s string) string { return "breakdown sfrr " + s + " 14" }},
		{"breakdown chat", 5, func(s string) string { return "breakdown chat" }},
		{"tips", 10, func(s string) string { return "tips " + s }},
		{"appeal", 5, func(s string) string { return "appeal warning" }},
		{"digest", 5, func(s string) string { return "digest " + s }},
		{"help", 5, func(s string) string { return "help" }},
	}
	var picks []int
	for i, m := range mix {
		for range m.weight {
			picks = append(picks, i)
		}
	}
	// Only shops alone in their channel, so that [shop] may be left out.
	perChannel := map[string]int{}
	for _, s := range cfg.Shops() {
		perChannel[s.Channel]++
	}
	var shops []*rules.Shop
	for _, s := range cfg.Shops() {
		if s.Channel != "" && perChannel[s.Channel] == 1 {
			shops = append(shops, s)
		}
	}
	if len(shops) == 0 {
		b.Fatal("no shop has a channel of its own")
	}
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 30 * time.Second}

	if path := os.Getenv("SHOPWATCH_BENCH_CPUPROFILE"); path != "" { // the steady state only
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	latencies := make([][]time.Duration, len(mix))
	var mu sync.Mutex
	var failed atomic.Int64
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	if os.Getenv("SHOPWATCH_BENCH_WRITES") != "" {
		stop := benchWrites(b, db, shops, now)
		defer stop()
	}
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			for next.Add(1) <= int64(b.N) {
				k := picks[rng.IntN(len(picks))]
				shop := shops[rng.IntN(len(shops))]
				body := commandForm(shop.Channel, mix[k].text(shop.ID), "")
				req := signedPost(b, ts.URL+"/slack/commands", testSecret, time.Now(), body)
				t0 := time.Now()
				resp, err := httpClient.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				mu.Lock()
				latencies[k] = append(latencies[k], d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Errorf("%d requests failed", n)
	}
	var all []time.Duration
	for k, l := range latencies {
		all = append(all, l...)
		if len(l) > 0 && testing.Verbose() {
			p := percentiles(l)
			b.Logf("%-15s n=%5d p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms", mix[k].name, len(l), ms(p[50]), ms(p[99]), ms(p[100]))
		}
	}
	p := percentiles(all)
	b.ReportMetric(ms(p[50]), "p50-ms")
	b.ReportMetric(ms(p[90]), "p90-ms")
	b.ReportMetric(ms(p[99]), "p99-ms")
	b.ReportMetric(ms(p[100]), "max-ms")
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(0, "ns/op") // per-request latency is what matters here
	b.Logf("%d requests from %d clients over %d shops in %v: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
		len(all), clients, len(shops), elapsed.Round(time.Millisecond), ms(p[50]), ms(p[90]), ms(p[99]), ms(p[100]))
}

// benchWrites writes to db from another connection while the load runs,
// as the TikTok sync and the monitor do: ten commits a second that no
// answer reads (a monitor run mark) and two that change a shop's answers
// (a mute and its unmute). It returns a function that stops it and logs
// how many it wrote.
func benchWrites(b *testing.B, db *store.DB, shops []*rules.Shop, now time.Time) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var marks, mutes int
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			s := shops[i%len(shops)]
			err := db.MarkRun(ctx, s.ID, "bench", rules.DayOf(now, time.UTC), now)
			if err == nil {
				marks++
			}
			if i%5 == 0 && err == nil {
				err = db.SetMute(ctx, store.Mute{ShopID: s.ID, Metric: "nrr", Until: now.Add(time.Hour), At: now, By: "bench", Channel: s.Channel})
				if err == nil {
					_, err = db.Unmute(ctx, s.ID, "nrr", now)
				}
				if err == nil {
					mutes++
				}
			}
			if err != nil && ctx.Err() == nil {
				b.Errorf("write during the load: %v", err)
				return
			}
		}
	}()
	return func() {
		cancel()
		<-done
		b.Logf("meanwhile another connection committed %d run marks and %d mutes with their unmutes", marks, mutes)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentiles returns the 0th..100th percentiles (nearest rank) of l.
func percentiles(l []time.Duration) [101]time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	var out [101]time.Duration
	for p := range out {
		i := (p*len(s) + 99) / 100
		out[p] = s[max(0, min(len(s)-1, i-1))]
	}
	return out
}

// benchDB opens the database of SHOPWATCH_BENCH_DB, or the fixture.
func benchDB(b *testing.B) (*store.DB, time.Time) {
	if os.Getenv("SHOPWATCH_BENCH_DB") == "" {
		db, _ := MustFixtureDB(b)
		return db, fixtureNow
	}
	return benchDBT(b)
}

func benchDBT(b testing.TB) (*store.DB, time.Time) {
	path := os.Getenv("SHOPWATCH_BENCH_DB")
	data, err := os.ReadFile(os.Getenv("SHOPWATCH_BENCH_CONFIG"))
	if err != nil {
		b.Fatalf("SHOPWATCH_BENCH_CONFIG: %v", err)
	}
	cfg, err := rules.ParseConfig(data)
	if err != nil {
		b.Fatal(err)
	}
	day, err := rules.ParseDay(os.Getenv("SHOPWATCH_BENCH_DATE"))
	if err != nil {
		b.Fatalf("SHOPWATCH_BENCH_DATE: %v", err)
	}
	db, err := store.Open(context.Background(), store.Options{DSN: path, Config: cfg})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	// Noon UTC on the day after: every shop's yesterday is the data's last day
	// (for zones from UTC-11 to UTC+11).
	y, m, d := (day + 1).Date()
	b.Logf("%d shops, answering for %s", len(cfg.Shops()), day)
	return db, time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
}
