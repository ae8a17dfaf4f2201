package tiktoksync

import (
	"context"
	"fmt"
	"time"

	"github.com/shopwatch/shopwatch/internal/promtext"
	"github.com/shopwatch/shopwatch/store"
)

// StatusSource is where the sync's Collector reads the sync status;
// *store.DB is one.
type StatusSource interface {
	SyncStatuses(ctx context.Context, shopID string) ([]store.SyncStatus, error)
}

var _ StatusSource = (*store.DB)(nil)

// statusTimeout bounds the store query of one scrape.
const statusTimeout = 5 * time.Second

// syncGauge is one of the gauges Collector reports for each shop and kind.
type syncGauge struct {
	name, help string
	value      func(store.SyncStatus) float64
}

// Collector reports the sync status of every shop that has synced, read
// from the store at each scrape, for /metrics:
//
//	shopwatch_sync_last_success_timestamp_seconds{shop,kind}  0 before the first success
//	shopwatch_sync_last_attempt_timestamp_seconds{shop,kind}
//	shopwatch_sync_failing{shop,kind}                         1 while the latest run failed
//	shopwatch_sync_rejected_records{shop,kind}                records the import rejected
//
// An alert on time() - shopwatch_sync_last_success_timestamp_seconds, or on
// shopwatch_sync_failing, catches a sync that stopped working. When the
// store fails, the scrape leaves these gauges out and logs the error; the
// other metrics are served.
type Collector struct {
	src StatusSource
}

var _ promtext.Collector = (*Collector)(nil)

// NewCollector returns the collector of the sync status in src.
func NewCollector(src StatusSource) *Collector { return &Collector{src: src} }

var syncGauges = []syncGauge{
	{"shopwatch_sync_last_success_timestamp_seconds", "When the latest successful TikTok sync of a shop's records of a kind started (0: never).",
		func(s store.SyncStatus) float64 { return seconds(s.LastSuccess) }},
	{"shopwatch_sync_last_attempt_timestamp_seconds", "When the latest TikTok sync of a shop's records of a kind started.",
		func(s store.SyncStatus) float64 { return seconds(s.LastAttempt) }},
	{"shopwatch_sync_failing", "1 while the latest TikTok sync of a shop's records of a kind failed.",
		func(s store.SyncStatus) float64 {
			if s.Failing() {
				return 1
			}
			return 0
		}},
	{"shopwatch_sync_rejected_records", "Synced records the import rejected at their latest sync.",
		func(s store.SyncStatus) float64 { return float64(s.Rejected) }},
}

// Collect implements promtext.Collector.
func (c *Collector) Collect() ([]promtext.Family, error) {
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	sts, err := c.src.SyncStatuses(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("sync status: %w", err)
	}
	fams := make([]promtext.Family, len(syncGauges))
	for i, g := range syncGauges {
		fams[i] = promtext.Family{Name: g.name, Help: g.help, Type: promtext.Gauge}
		for _, s := range sts {
			fams[i].Add(g.value(s), "shop", s.ShopID, "kind", string(s.Kind))
		}
	}
	return fams, nil
}

// seconds is t in Unix seconds; 0 for the zero time.
func seconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.Unix())
}
