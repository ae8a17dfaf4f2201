package bot

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
)

// Render renders a message (not a chart) as Block Kit with its plain-text
// version.
func (n *Notifier) Render(out monitor.Outgoing) (Reply, error) {
	m := out.Message
	switch m.Kind {
	case monitor.KindAlert:
		if m.Alert == nil {
			return Reply{}, errors.New("alert message without an alert")
		}
		if m.Alert.Metric == rules.MetricData {
			return n.renderData(m)
		}
		if _, ok := m.Alert.Metric.DataKind(); ok {
			return n.renderKind(m)
		}
		return n.renderAlert(m)
	case monitor.KindAckReminder:
		return n.renderAckReminder(m)
	case monitor.KindDigest:
		if m.Digest == nil {
			return Reply{}, errors.New("digest message without a digest")
		}
		return n.renderDigest(m)
	case monitor.KindOverview:
		if m.Overview == nil {
			return Reply{}, errors.New("overview message without an overview")
		}
		return n.renderOverview(m)
	case monitor.KindNudge:
		if m.Nudge == nil {
			return Reply{}, errors.New("nudge message without chats")
		}
		return n.renderNudge(m)
	case monitor.KindSync:
		if m.Sync == nil {
			return Reply{}, errors.New("sync message without news")
		}
		return n.renderSync(m)
	}
	return Reply{}, fmt.Errorf("unknown message kind %q", m.Kind)
}

// shopOf is the message's shop from the config; a shop removed since the
// message was written gets a stand-in with the default profile.
func (n *Notifier) shopOf(m *monitor.Message) *rules.Shop {
	if s, ok := n.cfg.Shop(m.ShopID); ok {
		return s
	}
	p, _ := rules.LookupProfile("default")
	return &rules.Shop{ID: m.ShopID, Name: cmp.Or(m.ShopName, m.ShopID), Location: time.UTC, Profile: p}
}
