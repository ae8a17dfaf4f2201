package store

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// ordersReader streams n synthetic order lines (about 1.6 lines an order)
// across 100 shops of benchConfig, without holding them in memory.
type ordersReader struct {
	n, i int
	buf  []byte
	head bool
}

func (r *ordersReader) Read(p []byte) (int, error) {
	if !r.head {
		r.buf = append(r.buf, ordersHeader...)
		r.head = true
	}
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.FixedZone("", 7*3600))
	for len(r.buf) < len(p) && r.i < r.n {
		order := r.i * 5 / 8
		created := base.Add(time.Duration(order) * 7 * time.Second)
		r.buf = strconv.AppendInt(r.buf, 580000000000000000+int64(order), 10) // fixed width, like TikTok's ids
		r.buf = append(r.buf, ",74950"...)
		r.buf = strconv.AppendInt(r.buf, int64(10+order%90), 10)
		r.buf = strconv.AppendInt(append(r.buf, ','), 1729000000000000000+int64(r.i%173), 10)
		r.buf = append(r.buf, ',')
		r.buf = created.AppendFormat(r.buf, time.RFC3339)
		r.buf = append(r.buf, ",Vitamin C Serum 30ml,"...)
		r.buf = created.Add(3*24*time.Hour).AppendFormat(r.buf, time.RFC3339)
		r.buf = append(r.buf, ",delivered\n"...)
		r.i++
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	return n, nil
}

func benchConfig() string {
	c := "shops:\n"
	for i := 10; i < 100; i++ {
		c += "  - id: \"74950" + strconv.Itoa(i) + "\"\n    timezone: Asia/Bangkok\n    profile: sea\n"
	}
	return c
}

func BenchmarkImportOrders(b *testing.B) {
	const lines = 200_000
	cfg := benchConfig()
	for b.Loop() {
		b.StopTimer()
		db := MustOpenAt(b, filepath.Join(b.TempDir(), "bench.db"), cfg)
		b.StartTimer()
		if _, err := db.Import(context.Background(), Orders, []Source{{Name: "orders.csv", R: &ordersReader{n: lines}}}, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkCheckOrders reads and checks order lines as every import's
// first pass does (rowParser, decodeOrder, sink), writing nothing.
func BenchmarkCheckOrders(b *testing.B) {
	const lines = 200_000
	db := MustOpenAt(b, filepath.Join(b.TempDir(), "bench.db"), benchConfig())
	spec, err := db.importSpec(context.Background(), Orders, ImportOptions{})
	if err != nil {
		b.Fatal(err)
	}
	data, err := io.ReadAll(&ordersReader{n: lines}) // made once: the benchmark is the reading
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		f := db.csvFeed(spec, []Source{{Name: "orders.csv", R: bytes.NewReader(data)}}, "")
		if err := db.check(context.Background(), spec, f, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// benchDB opens the database named by SHOPWATCH_BENCH_DB with the config in
// SHOPWATCH_BENCH_CONFIG (make bench prepares both: 1,000 shops, ~10 million
// order lines); the benchmark is skipped without them.
func benchDB(b *testing.B) *DB {
	path, cfgPath := os.Getenv("SHOPWATCH_BENCH_DB"), os.Getenv("SHOPWATCH_BENCH_CONFIG")
	if path == "" || cfgPath == "" {
		b.Skip("SHOPWATCH_BENCH_DB and SHOPWATCH_BENCH_CONFIG are not set (make bench sets them)")
	}
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	return MustOpenAt(b, path, string(data))
}

func benchDay(b *testing.B) rules.Day {
	d, err := rules.ParseDay(os.Getenv("SHOPWATCH_BENCH_DATE"))
	if err != nil {
		b.Fatalf("SHOPWATCH_BENCH_DATE: %v", err)
	}
	return d
}

// BenchmarkReport computes one shop's metrics, cycling through the shops.
func BenchmarkReport(b *testing.B) {
	db := benchDB(b)
	day := benchDay(b)
	eachShop(b, db, func(shop string) error {
		_, err := db.Report(context.Background(), shop, day)
		return err
	})
}

// eachShop runs fn for one shop per iteration, cycling through the
// config's shops, and reports the median and p99 latency.
func eachShop(b *testing.B, db *DB, fn func(shop string) error) {
	shops := db.Config().Shops()
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := fn(shops[i%len(shops)].ID); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkReports computes every shop's metrics for one date: the daily
// job's work.
func BenchmarkReports(b *testing.B) {
	db := benchDB(b)
	day := benchDay(b)
	for b.Loop() {
		for _, r := range db.Reports(context.Background(), day, runtime.GOMAXPROCS(0)) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	b.ReportMetric(float64(len(db.Config().Shops())), "shops")
}

// BenchmarkBreakdown explains each metric of one shop over a custom
// window, cycling through the shops: the uncached answer of
// `/shopwatch breakdown METRIC SHOP DAYS`.
func BenchmarkBreakdown(b *testing.B) {
	db := benchDB(b)
	day := benchDay(b)
	for _, metric := range BreakdownMetrics {
		b.Run(metric, func(b *testing.B) {
			eachShop(b, db, func(shop string) error {
				_, err := db.BreakdownWindow(context.Background(), shop, metric, day, 14, 5)
				return err
			})
		})
	}
}
