package bot

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/templates"
)

// renderDigest renders a shop's weekly digest.
func (n *Notifier) renderDigest(m *monitor.Message) (Reply, error) {
	d, s := m.Digest, n.shopOf(m)
	before := map[rules.Metric]rules.Result{}
	for _, f := range d.Before {
		before[f.Metric] = f
	}
	data := templates.Digest{Shop: templates.Shop{ID: s.ID, Name: s.Name}, From: (d.Day - 6).String(), To: d.Day.String()}
	var fields []string
	var info []string
	for _, f := range d.Current {
		c, p := f, before[f.Metric]
		if c.Thresholds == nil {
			if c.Valid {
				info = append(info, fmt.Sprintf("%s %s (a week ago %s)", title(c.Metric), value(c), value(p)))
			}
			continue
		}
		data.Count(c, p)
		field := fmt.Sprintf("*%s*\n%s %s %s · a week ago %s", title(c.Metric), levelIcon(c.Level), value(c), levelText(c.Level), value(p))
		if days := d.LevelDays[c.Metric]; len(days) > 0 {
			var parts []string
			for _, l := range []rules.Level{rules.LevelCritical, rules.LevelWarn, rules.LevelOK, rules.LevelStale, rules.LevelNoData, rules.LevelInsufficient} {
				if days[l] > 0 {
					parts = append(parts, fmt.Sprintf("%s %d", levelIcon(l), days[l]))
				}
			}
			field += "\n30 days: " + strings.Join(parts, " · ")
		}
		fields = append(fields, field)
	}
	intro, err := n.tmpl.Render("digest.intro", data)
	if err != nil {
		return Reply{}, err
	}
	var b msg
	b.header(fmt.Sprintf("%s · weekly digest to %s", s.Name, dateText(d.Day)))
	b.section(intro)
	if text := gapText(s, rules.Report{Date: d.Day, Inputs: d.Inputs}, n.cfg.Inbox); text != "" {
		b.section(text)
	}
	if len(fields) > 0 {
		b.fields(fields...)
	}
	if len(info) > 0 {
		b.context(strings.Join(info, " · "))
	}
	var lines []string
	causes := make([]templates.Cause, len(d.Tally))
	for i, e := range d.Tally {
		causes[i] = causeOf(e)
	}
	if len(causes) > 0 {
		lines = append(lines, fmt.Sprintf("*Top causes* (%d days)", d.WindowDays))
		for _, c := range causes[:min(topTipCauses, len(causes))] {
			lines = append(lines, "• "+tallyLine(c))
		}
	}
	if products := mergeProducts(s, d.Products); len(products) > 0 {
		lines = append(lines, "*Top products*")
		for _, p := range products[:min(3, len(products))] {
			lines = append(lines, "• "+p)
		}
	}
	if len(lines) > 0 {
		b.section(strings.Join(lines, "\n"))
	}
	if i := slices.IndexFunc(causes, func(c templates.Cause) bool { return c.Name != "" }); i >= 0 {
		c := causes[i]
		text, err := n.tmpl.Render("tips."+c.Name, templates.Tips{Command: n.o.Command, Shop: &templates.Shop{ID: s.ID, Name: s.Name},
			Cause: c, WindowDays: d.WindowDays, TargetHours: s.Profile.ChatTargetHours})
		if err == nil {
			b.section(fmt.Sprintf("*Tips for the top cause: %s*\n%s", esc(c.Description), text))
		}
	}
	if len(causes) > 0 {
		b.context(upperFirst(tallyNote(s, d.Day)))
	}
	if text := mutesText(s, d.Muted); text != "" {
		b.context(text)
	}
	b.context(fmt.Sprintf("Shop `%s` · the chart of eight weeks of daily values is in the thread · `%s status %s` · `%s breakdown %s %s`",
		s.ID, n.o.Command, s.ID, n.o.Command, worstMetric(d), s.ID))
	r := b.reply(KindAnswer)
	r.InChannel = true
	return r, nil
}

// mergeProducts lists the products behind NRR and SFRR, one line per
// product with both counts, most counted orders first.
func mergeProducts(s *rules.Shop, products []store.ProductCount) []string {
	type merged struct {
		name, id string
		total    int
		parts    []string
	}
	idx := map[string]int{}
	var out []merged
	for _, p := range products {
		m := cmp.Or(p.Metric, rules.NRR)
		part := counted(s, m, p.Count)
		if p.Base > 0 {
			part = fmt.Sprintf("%s of %s %s (%s)", counted(s, m, p.Count), num(p.Base), base(s, m), pct(p.Rate))
		}
		if i, ok := idx[p.ProductID]; ok {
			out[i].total += p.Count
			out[i].parts = append(out[i].parts, part)
			continue
		}
		idx[p.ProductID] = len(out)
		out = append(out, merged{name: cmp.Or(p.Name, "(no name)"), id: p.ProductID, total: p.Count, parts: []string{part}})
	}
	slices.SortStableFunc(out, func(a, b merged) int { return cmp.Compare(b.total, a.total) })
	lines := make([]string, len(out))
	for i, p := range out {
		lines[i] = fmt.Sprintf("*%s* `%s`: %s", esc(p.name), esc(p.id), strings.Join(p.parts, "; "))
	}
	return lines
}

// worstMetric is the breakdown worth opening first in a digest.
func worstMetric(d *monitor.Digest) string {
	best, name := -1, "nrr"
	for _, f := range d.Current {
		if f.Metric != rules.NRR && f.Metric != rules.SFRR && f.Metric != rules.ChatResponseRate {
			continue
		}
		if sev := f.Level.Severity(); sev > best {
			best, name = sev, breakdownName(f.Metric)
		}
	}
	return name
}
