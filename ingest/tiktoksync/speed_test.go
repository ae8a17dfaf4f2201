package tiktoksync_test

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
	"github.com/shopwatch/shopwatch/store"
)

// TestFirstSync100000Orders is issue 5's speed target: a first sync of a
// shop with 100,000 orders through the fake, page latency 0, in under 60 s
// and with flat memory.
func TestFirstSync100000Orders(t *testing.T) {
	if testing.Short() {
		t.Skip("syncs 100,000 orders")
	}
	n := 100_000
	if raceEnabled {
		// The race detector makes the timing meaningless; a fifth of the
		// orders still shows whether memory stays flat.
		n = 20_000
		t.Logf("-race: syncing %d orders; run without -race for the timing", n)
	}
	f := MustFixture(t, fixtureOptions{})
	f.MustAuthorize(t, shopID)
	f.srv.AddGeneratedOrders(shopID, 0, n, f.now().Add(-80*24*time.Hour), 60*time.Second)

	// The heap after a GC at the end of every chunk: it must not grow with
	// the number of orders synced.
	var heap []uint64
	tiktoksync.SetAfterFlush(f.s, func() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = append(heap, ms.HeapAlloc)
	})
	start := time.Now()
	res := f.MustSync(t)
	took := time.Since(start)
	if got := records(res); got[store.Orders] != n {
		t.Fatalf("records = %v, want %d orders", got, n)
	}
	if c := f.count(t, `SELECT COUNT(*) FROM orders`); c != n {
		t.Fatalf("%d orders stored", c)
	}
	lines := f.orderLines(t)
	f.rollupExact(t)
	var size int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(f.path + suffix); err == nil {
			size += fi.Size()
		}
	}
	q := len(heap) / 4
	t.Logf("first sync of %d orders (%d order lines, %d pages, %d chunks) in %v: %.0f orders/s; database %d MiB",
		n, lines, f.srv.Count(routeOrders), len(heap), took.Round(time.Millisecond), float64(n)/took.Seconds(), size>>20)
	t.Logf("heap after GC at the end of chunk 1, 1/4, 1/2, 3/4, last: %d/%d/%d/%d/%d KiB (the fake's own data included)",
		heap[0]>>10, heap[q]>>10, heap[2*q]>>10, heap[3*q]>>10, heap[len(heap)-1]>>10)
	if took > 60*time.Second {
		t.Fatalf("took %v, want under 60 s", took)
	}
	if growth := int64(heap[len(heap)-1]) - int64(heap[0]); growth > 8<<20 {
		t.Fatalf("heap grew by %d KiB from the first chunk to the last: memory is not flat", growth>>10)
	}
}
