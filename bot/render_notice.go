package bot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/templates"
)

// renderData renders the stale-data alert and its end.
func (n *Notifier) renderData(m *monitor.Message) (Reply, error) {
	a, s := m.Alert, n.shopOf(m)
	data := n.alertData(m, s)
	name, header := "alert.stale", "⏸ No new data · "+s.Name
	if a.Transition == rules.TransitionResolved {
		name, header = "alert.fresh", "✅ Data arriving again · "+s.Name
	}
	return n.notice(name, header, data, fmt.Sprintf("Shop `%s` · evaluated %s", s.ID, a.Day))
}

// notice renders a data notice: a header, the named template's text and
// a context line, posted in the channel.
func (n *Notifier) notice(name, header string, data templates.Alert, context string) (Reply, error) {
	text, err := n.tmpl.Render(name, data)
	if err != nil {
		return Reply{}, err
	}
	var b msg
	b.header(header)
	b.section(text)
	b.context(context)
	r := b.reply(KindAnswer)
	r.InChannel = true
	return r, nil
}

// kindData completes the template data of a record kind's notice.
func (n *Notifier) kindData(d templates.Alert, a *monitor.Alert) templates.Alert {
	kind, _ := a.Metric.DataKind()
	d.Kind, d.KindOne = kind, strings.TrimSuffix(kind, "s")
	d.DaysSince = int(a.Day - a.LastData)
	d.Inbox = n.cfg.Inbox
	d.Synced = kind != rules.KindReviews
	var names []string
	for _, m := range []rules.Metric{rules.NRR, rules.SFRR, rules.ChatResponseRate} {
		if slices.Contains(m.InputKinds(), kind) {
			names = append(names, shortName(m))
		}
	}
	d.Affects = upperFirst(strings.Join(names, " and "))
	return d
}

// renderKind renders the notice that a record kind stopped arriving (or
// was never imported), and its end.
func (n *Notifier) renderKind(m *monitor.Message) (Reply, error) {
	a, s := m.Alert, n.shopOf(m)
	kind, _ := a.Metric.DataKind()
	data := n.kindData(n.alertData(m, s), a)
	name, header := "alert.kind.stale", fmt.Sprintf("📭 No new %s · %s", kind, s.Name)
	if !a.HasData {
		header = fmt.Sprintf("📭 No %s imported · %s", kind, s.Name)
	}
	if a.Transition == rules.TransitionResolved {
		name, header = "alert.kind.fresh", fmt.Sprintf("✅ %s arriving again · %s", upperFirst(kind), s.Name)
	}
	return n.notice(name, header, data, fmt.Sprintf("Shop `%s` · evaluated %s · `%s status %s`", s.ID, a.Day, n.o.Command, s.ID))
}
