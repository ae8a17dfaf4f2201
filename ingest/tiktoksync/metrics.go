package tiktoksync

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/store"
)

// StatusSource is where WriteMetrics reads the sync status; *store.DB is
// one.
type StatusSource interface {
	SyncStatuses(ctx context.Context, shopID string) ([]store.SyncStatus, error)
}

var _ StatusSource = (*store.DB)(nil)

// WriteMetrics writes the sync status of every shop that has synced, in the
// Prometheus text format, for /metrics:
//
//	shopwatch_sync_last_success_timestamp_seconds{shop,kind}  0 before the first success
//	shopwatch_sync_last_attempt_timestamp_seconds{shop,kind}
//	shopwatch_sync_failing{shop,kind}                         1 while the latest run failed
//	shopwatch_sync_rejected_records{shop,kind}                records the import rejected
//
// An alert on time() - shopwatch_sync_last_success_timestamp_seconds, or on
// shopwatch_sync_failing, catches a sync that stopped working.
func WriteMetrics(ctx context.Context, w io.Writer, src StatusSource) error {
	sts, err := src.SyncStatuses(ctx, "")
	if err != nil {
		return err
	}
	b := bufio.NewWriter(w)
	family := func(name, help string, value func(store.SyncStatus) float64) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		for _, s := range sts {
			fmt.Fprintf(b, "%s{shop=\"%s\",kind=\"%s\"} %s\n", name, label(s.ShopID), label(string(s.Kind)), strconv.FormatFloat(value(s), 'f', -1, 64))
		}
	}
	family("shopwatch_sync_last_success_timestamp_seconds", "When the latest successful TikTok sync of a shop's records of a kind started (0: never).",
		func(s store.SyncStatus) float64 { return seconds(s.LastSuccess) })
	family("shopwatch_sync_last_attempt_timestamp_seconds", "When the latest TikTok sync of a shop's records of a kind started.",
		func(s store.SyncStatus) float64 { return seconds(s.LastAttempt) })
	family("shopwatch_sync_failing", "1 while the latest TikTok sync of a shop's records of a kind failed.",
		func(s store.SyncStatus) float64 {
			if s.Failing() {
				return 1
			}
			return 0
		})
	family("shopwatch_sync_rejected_records", "Synced records the import rejected at their latest sync.",
		func(s store.SyncStatus) float64 { return float64(s.Rejected) })
	return b.Flush()
}

// seconds is t in Unix seconds; 0 for the zero time.
func seconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.Unix())
}

// label escapes a Prometheus label value.
func label(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
