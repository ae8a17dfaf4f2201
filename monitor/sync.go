package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// syncRecoveredSuffix ends the key of the message that a failure is over.
const syncRecoveredSuffix = "/working"

// syncMessages are the sweep's messages about the shops' TikTok sync. A
// shop some of whose kinds failed at their latest run, and have not synced
// for SyncAlertAfter (or never have), is announced once per failure: the
// key names the last successful sync. Once every kind of an announced shop
// has synced again, that is announced in the failure's thread. A mute of
// all alerts holds the failure back.
func (m *Monitor) syncMessages(ctx context.Context, now time.Time) ([]store.OutboxMessage, error) {
	statuses, err := m.db.SyncStatuses(ctx, "")
	if err != nil || len(statuses) == 0 {
		return nil, err
	}
	latest, err := m.db.LatestOutboxOfKind(ctx, KindSync)
	if err != nil {
		return nil, err
	}
	announced := map[string]string{} // shop -> key of its latest sync message
	for _, msg := range latest {
		announced[msg.ShopID] = msg.Key
	}
	byShop := map[string][]store.SyncStatus{}
	for _, st := range statuses {
		byShop[st.ShopID] = append(byShop[st.ShopID], st)
	}
	var out []store.OutboxMessage
	for _, s := range m.cfg.Shops() {
		list, channel := byShop[s.ID], m.channelOf(s)
		if len(list) == 0 || channel == "" {
			continue
		}
		news, key, thread := m.syncNews(s, list, announced[s.ID], now)
		if news == nil {
			continue
		}
		if !news.Working {
			muted, err := m.mutedAll(ctx, s, now)
			if err != nil {
				return nil, err
			}
			if muted {
				continue
			}
		}
		payload, err := json.Marshal(Message{Kind: KindSync, Key: key, Channel: channel, ShopID: s.ID, ShopName: s.Name, Sync: news})
		if err != nil {
			return nil, err
		}
		out = append(out, store.OutboxMessage{Key: key, ShopID: s.ID, Channel: channel, Kind: KindSync, ThreadKey: thread, Payload: payload})
	}
	return out, nil
}

// syncNews is what there is to say about a shop's sync given its statuses
// and the key of its latest sync message ("" for none): a failure, the end
// of the one announced, or nothing (nil).
func (m *Monitor) syncNews(s *rules.Shop, list []store.SyncStatus, last string, now time.Time) (news *SyncNews, key, thread string) {
	var failing []store.SyncStatus
	for _, st := range list {
		if st.Failing() {
			failing = append(failing, st)
		}
	}
	if len(failing) == 0 {
		if last == "" || strings.HasSuffix(last, syncRecoveredSuffix) {
			return nil, "", ""
		}
		var upTo time.Time
		for i, st := range list {
			if i == 0 || st.LastSuccess.Before(upTo) {
				upTo = st.LastSuccess
			}
		}
		return &SyncNews{Working: true, Since: upTo}, last + syncRecoveredSuffix, last
	}
	news = &SyncNews{Since: failing[0].LastSuccess}
	latest := failing[0]
	for _, st := range failing {
		news.Kinds = append(news.Kinds, string(st.Kind))
		if st.LastSuccess.IsZero() || (!news.Since.IsZero() && st.LastSuccess.Before(news.Since)) {
			news.Since = st.LastSuccess
		}
		if st.LastFailure.After(latest.LastFailure) {
			latest = st
		}
	}
	news.Error = latest.Error
	if !news.Since.IsZero() && now.Sub(news.Since) < m.o.SyncAlertAfter {
		return nil, "", "" // may pass: the next runs retry
	}
	since := int64(0) // never synced
	if !news.Since.IsZero() {
		since = news.Since.UnixMilli()
	}
	return news, fmt.Sprintf("%s/sync_failing/%d", s.ID, since), ""
}

// mutedAll reports whether a mute of all the shop's alerts holds at now.
func (m *Monitor) mutedAll(ctx context.Context, s *rules.Shop, now time.Time) (bool, error) {
	mutes, err := m.db.Mutes(ctx, s.ID, now)
	if err != nil {
		return false, err
	}
	for _, mu := range mutes {
		if mu.Metric == store.MuteAll && holds(mu, rules.MetricData, now) {
			return true, nil
		}
	}
	return false, nil
}
