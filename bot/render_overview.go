package bot

import (
	"fmt"
	"strings"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/templates"
)

// Overview limits: Slack takes 50 blocks of 3,000 characters.
const maxOverviewLines = 150

// renderOverview renders the all-shops digest.
func (n *Notifier) renderOverview(m *monitor.Message) (Reply, error) {
	o := m.Overview
	data := templates.DigestAll{Shops: len(o.Shops), To: o.Day.String()}
	var lines []string
	quiet := 0
	for _, l := range o.Shops {
		switch {
		case l.Err != "":
			data.Failed++
		case l.Worst == rules.LevelCritical:
			data.Critical++
		case l.Worst == rules.LevelWarn:
			data.Warn++
		case l.Worst == rules.LevelOK:
			data.OK++
		default:
			data.Other++
		}
		if len(lines) >= maxOverviewLines {
			quiet++
			continue
		}
		lines = append(lines, overviewLine(l))
	}
	intro, err := n.tmpl.Render("digest.all.intro", data)
	if err != nil {
		return Reply{}, err
	}
	var b msg
	b.header(fmt.Sprintf("Weekly digest · all shops · week to %s", dateText(o.Day)))
	b.section(intro)
	if len(lines) > 0 {
		b.section("*Shops, worst first*\n" + strings.Join(lines, "\n"))
	}
	if quiet > 0 {
		b.context(fmt.Sprintf("…and %s more, at or better than the last listed.", plural(quiet, "shop", "shops")))
	}
	b.context(fmt.Sprintf("Each shop's week to %s in its own time zone · one shop: `%s digest SHOP`", o.Day, n.o.Command))
	r := b.reply(KindAnswer)
	r.InChannel = true
	return r, nil
}

func overviewLine(l monitor.ShopLine) string {
	head := fmt.Sprintf("%s *%s* `%s`", levelIcon(l.Worst), esc(l.Name), l.ShopID)
	var parts []string
	for _, f := range l.Figures {
		if f.Level.Severity() < 0 { // stale, no data: its value is not to be trusted
			parts = append(parts, fmt.Sprintf("%s %s", abbrev(f.Metric), levelText(f.Level)))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", abbrev(f.Metric), value(f), levelText(f.Level)))
	}
	switch {
	case l.Err != "":
		parts = append(parts, "could not be computed")
	case len(parts) == 0 && l.Worst == rules.LevelOK:
		parts = append(parts, "all within thresholds")
	case len(parts) == 0:
		parts = append(parts, "not enough data")
	}
	if l.Stale {
		parts = append(parts, "⏸ no new data")
	}
	return head + ": " + strings.Join(parts, ", ")
}
