package tiktok_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
)

// TestPage100000Orders is issue 5's speed check: a first sync of a shop
// with 100,000 orders through the fake, page latency 0, in well under 60 s
// and with flat memory.
func TestPage100000Orders(t *testing.T) {
	if testing.Short() {
		t.Skip("pages 100,000 orders")
	}
	n := 100_000
	if raceEnabled {
		// The race detector makes timing meaningless and the run slow; a
		// fifth of the orders still shows whether memory stays flat.
		n = 20_000
		t.Logf("-race: paging %d orders; run without -race for the timing", n)
	}
	srv, c, shop := MustShop(t, tiktoktest.Options{}, nil)
	loadStart := time.Now()
	srv.AddGeneratedOrders(shop.ID, 0, n, t0, time.Second)
	t.Logf("loaded %d orders into the fake in %v", n, time.Since(loadStart).Round(time.Millisecond))

	// Heap after a GC at a few points: it must not grow with the number of
	// orders handed over.
	var heap []uint64
	sample := func() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = append(heap, ms.HeapAlloc)
	}
	count, lines := 0, 0
	start := time.Now()
	last, err := c.EachOrder(t.Context(), shop, time.Time{}, t0.Add(time.Duration(n)*time.Second), func(o tiktok.Order) error {
		count++
		lines += len(o.Products())
		if count%(n/4) == 0 {
			sample()
		}
		return nil
	})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if count != n || !last.Equal(t0.Add(time.Duration(n-1)*time.Second)) {
		t.Fatalf("paged %d orders, last %v", count, last)
	}
	pages := srv.Count("/order/202309/orders/search")
	t.Logf("paged %d orders (%d order lines) in %d requests in %v (%.0f orders/s)",
		count, lines, pages, took.Round(time.Millisecond), float64(count)/took.Seconds())
	t.Logf("heap after GC at 1/4, 2/4, 3/4 and all orders: %d/%d/%d/%d KiB", heap[0]>>10, heap[1]>>10, heap[2]>>10, heap[3]>>10)
	if took > 60*time.Second {
		t.Fatalf("took %v, want under 60s", took)
	}
	if growth := int64(heap[3]) - int64(heap[0]); growth > 8<<20 {
		t.Fatalf("heap grew by %d KiB between a quarter and all of the orders; memory is not flat", growth>>10)
	}
}

// BenchmarkEachOrder pages 10,000 orders per iteration through the fake.
func BenchmarkEachOrder(b *testing.B) {
	const n = 10_000
	srv, c, shop := MustShop(b, tiktoktest.Options{}, nil)
	srv.AddGeneratedOrders(shop.ID, 0, n, t0, time.Second)
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		if _, err := c.EachOrder(b.Context(), shop, time.Time{}, t0.Add(n*time.Second), func(tiktok.Order) error {
			count++
			return nil
		}); err != nil || count != n {
			b.Fatalf("paged %d orders: %v", count, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "orders/s")
}
