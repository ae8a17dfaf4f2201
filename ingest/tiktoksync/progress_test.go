package tiktoksync_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
	"github.com/shopwatch/shopwatch/store"
)

// A run reports its records after each chunk, up to all of them.
func TestSyncProgress(t *testing.T) {
	var mu sync.Mutex
	got := map[store.Kind][]int{}
	f := MustFixture(t, fixtureOptions{sync: func(o *tiktoksync.Options) {
		o.ChunkSize = 300
		o.Progress = func(shop string, kind store.Kind, records int) {
			mu.Lock()
			defer mu.Unlock()
			if shop != shopID {
				t.Errorf("progress of shop %s", shop)
			}
			got[kind] = append(got[kind], records)
		}
	}})
	f.MustAuthorize(t, shopID)
	const n = 1000
	f.srv.AddGeneratedOrders(shopID, 0, n, f.now().Add(-5*24*time.Hour), time.Minute)
	f.MustSync(t)
	orders := got[store.Orders]
	if len(orders) < n/300 || !slices.IsSorted(orders) || orders[len(orders)-1] != n {
		t.Fatalf("orders progress %v, want one report a chunk, rising to %d", orders, n)
	}
}
