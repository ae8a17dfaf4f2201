package bot

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/templates"
)

// alertData is the template data of an alert.
func (n *Notifier) alertData(m *monitor.Message, s *rules.Shop) templates.Alert {
	a := m.Alert
	res := a.Figure
	d := templates.Alert{Command: n.o.Command, Shop: templates.Shop{ID: s.ID, Name: s.Name}, Metric: strings.TrimPrefix(shortName(a.Metric), "the "), Title: title(a.Metric),
		Transition: string(a.Transition), Level: levelText(a.To), From: levelText(a.From), Value: value(res),
		Date: dateText(a.Day), Since: dateText(a.Since), Days: int(a.Day - a.Since), RepeatDays: a.RepeatDays, Group: enforcementGroup(a)}
	if a.Changed > a.Since {
		d.Changed = dateText(a.Changed)
	}
	if a.HasData {
		d.LastData = dateText(a.LastData)
	}
	if th := res.Thresholds; th != nil {
		d.Warn, d.ClearAt = thr(th.Warn), pct(a.ClearAt)
		if thr(a.ClearAt) == thr(th.Warn) || a.ClearAt == th.Warn {
			d.ClearAt = d.Warn
		}
		level := th.Warn
		word := "warn"
		if a.To == rules.LevelCritical {
			level, word = th.Critical, "critical"
		}
		side := "above"
		if a.Metric.LowerIsWorse() {
			side = "below"
		}
		d.Threshold = fmt.Sprintf("%s %s %s", word, side, thr(level))
		if a.To == rules.LevelOK {
			d.Threshold = fmt.Sprintf("warn %s %s", side, thr(th.Warn))
		}
	}
	if a.Transition == rules.TransitionResolved && a.From.Severity() > 0 {
		d.Level = levelText(a.From)
	}
	return d
}

// enforcementGroup is whose enforcement actions an alert quotes: product
// actions for product and return metrics, service actions for service and
// chat ones, and for NRR those of its top cause's group.
func enforcementGroup(a *monitor.Alert) string {
	switch a.Metric {
	case rules.NRRService, rules.ChatResponseRate:
		return "service"
	case rules.NRR:
		for _, c := range a.Tally {
			if c.Group == rules.GroupService.String() {
				return "service"
			}
			if c.Group == rules.GroupProduct.String() {
				return "product"
			}
		}
	}
	return "product"
}

// alertIcon is the header's sign for a transition.
func alertIcon(a *monitor.Alert) string {
	switch a.Transition {
	case rules.TransitionResolved:
		return "✅"
	case rules.TransitionReminder:
		return "🔁 " + levelIcon(a.To)
	case rules.TransitionImproving:
		return "↘ " + levelIcon(a.To)
	}
	return levelIcon(a.To)
}

// alertHeadline is the header of an alert.
func alertHeadline(a *monitor.Alert, shop string) string {
	name := abbrev(a.Metric)
	switch a.Transition {
	case rules.TransitionImproving:
		return fmt.Sprintf("%s %s improving: critical → warn · %s", alertIcon(a), name, shop)
	case rules.TransitionReminder:
		return fmt.Sprintf("%s %s still %s · %s", alertIcon(a), name, levelText(a.To), shop)
	case rules.TransitionResolved:
		return fmt.Sprintf("%s %s resolved · %s", alertIcon(a), name, shop)
	}
	return fmt.Sprintf("%s %s %s · %s", alertIcon(a), name, levelText(a.To), shop)
}

// alertButtons are an alert's buttons: each runs the slash command it
// carries for the user who presses it, answers as of the alert's run (one
// per actions block: Slack wants action ids unique within a block).
func (n *Notifier) alertButtons(a *monitor.Alert, s *rules.Shop) []slack.Block {
	ev := n.cfg.Evaluation
	y, mo, d := (a.Day + 1).Date()
	at := time.Date(y, mo, d, ev.Hour, ev.Minute, 0, 0, s.Location).Unix()
	buttons := []struct{ id, label, text string }{
		{"alert_breakdown", "Breakdown", "breakdown " + breakdownName(a.Metric) + " " + s.ID},
		{"alert_tips", "Tips", "tips " + s.ID},
		{"alert_mute", "Mute 7 days", "mute " + muteWord(a.Metric) + " 7d " + s.ID},
	}
	var out []slack.Block
	for _, b := range buttons {
		btn := slack.NewButtonBlockElement(commandAction, shareValue{Text: b.text, At: at}.encode(), plainText(b.label))
		out = append(out, slack.NewActionBlock(b.id, btn))
	}
	return out
}

// muteWord is how `mute` names a metric.
func muteWord(m rules.Metric) string {
	if m == rules.ChatResponseRate {
		return "chat"
	}
	return string(m)
}

// renderAlert renders an alert about a metric.
func (n *Notifier) renderAlert(m *monitor.Message) (Reply, error) {
	a, s := m.Alert, n.shopOf(m)
	data := n.alertData(m, s)
	intro, err := n.tmpl.Render("alert."+string(a.Transition), data)
	if err != nil {
		return Reply{}, err
	}
	res := a.Figure
	var b msg
	b.header(alertHeadline(a, s.Name))
	b.section(intro)
	if a.Transition == rules.TransitionResolved {
		b.context(fmt.Sprintf("Shop `%s` · %s · %s", s.ID, title(a.Metric), openText(&monitor.Alert{Day: a.Day, Since: a.Since, To: a.From})))
		return b.reply(KindAnswer), nil
	}
	fields := []string{"*Now*\n" + figures(s, res), "*Thresholds*\n" + thresholdsText(res)}
	if a.WeekAgo != nil {
		fields = append(fields, "*Trend*\n"+trend(res, *a.WeekAgo))
	}
	if h := headroom(s, res); h != "" {
		fields = append(fields, "*Headroom*\n"+h)
	}
	if r := recovery(res, s); r != "" {
		fields = append(fields, "*Roll-off*\n"+r)
	}
	b.fields(fields...)
	if text := behind(s, a); text != "" {
		b.section(text)
	}
	if text, err := n.tmpl.Render("alert.enforcement."+data.Group, data); err == nil && text != "" {
		b.section(text)
	}
	b.context(fmt.Sprintf("Shop `%s` · %d-day window to %s · %s · `%s status %s`",
		s.ID, a.Figure.WindowDays, a.Day, openText(a), n.o.Command, s.ID))
	r := b.reply(KindAnswer)
	r.InChannel = true
	r.Blocks = append(r.Blocks, ackButton(m))
	r.Blocks = append(r.Blocks, n.alertButtons(a, s)...)
	return r, nil
}

// openText says since when an alert is open and, if it changed level
// since, since when it is at its level: "at critical since Mon 30 Nov 2026,
// alert open since Fri 20 Nov 2026 (12 days)".
func openText(a *monitor.Alert) string {
	open := fmt.Sprintf("alert open since %s", dateText(a.Since))
	if days := int(a.Day - a.Since); days > 0 {
		open += " (" + templates.Plural(days, "day", "days") + ")"
	}
	if a.Changed > a.Since {
		return fmt.Sprintf("at %s since %s, %s", levelText(a.To), dateText(a.Changed), open)
	}
	return open
}

// behind lists the top causes and products, or for chat the slowest hours.
func behind(s *rules.Shop, a *monitor.Alert) string {
	var lines []string
	if len(a.Tally) > 0 {
		lines = append(lines, fmt.Sprintf("*Top causes behind %s* (%d days)", abbrev(a.Metric), a.Figure.WindowDays))
		for _, e := range a.Tally {
			lines = append(lines, "• "+tallyLine(causeOf(e)))
		}
	}
	if len(a.Products) > 0 {
		lines = append(lines, "*Top products*")
		for _, p := range a.Products {
			lines = append(lines, "• "+productLine(s, a.Metric, p))
		}
	}
	if len(a.Hours) > 0 && a.Metric == rules.ChatResponseRate {
		lines = append(lines, "*Slowest hours* (buyer's local time)")
		for _, h := range a.Hours {
			lines = append(lines, fmt.Sprintf("• %02d:00–%02d:00: %s of %s, average reply %s",
				h.Hour, (h.Hour+1)%24, plural(h.Late, "late reply", "late replies"), plural(h.Turns, "chat", "chats"), templates.Hours(round1(h.AvgHours))))
		}
	}
	return strings.Join(lines, "\n")
}

func round1(h float64) float64 {
	return float64(int(h*10+0.5)) / 10
}

func productLine(s *rules.Shop, m rules.Metric, p store.ProductCount) string {
	name := cmp.Or(p.Name, "(no name)")
	if p.Base == 0 { // none of its orders in the window (reviews and returns may come later)
		return fmt.Sprintf("*%s* `%s`: %s", esc(name), esc(p.ProductID), counted(s, m, p.Count))
	}
	return fmt.Sprintf("*%s* `%s`: %s of %s %s (%s)", esc(name), esc(p.ProductID), counted(s, m, p.Count), num(p.Base), base(s, m), pct(p.Rate))
}

// renderResolvedRoot is what an episode's first message becomes once it is
// resolved: a short, closed version.
func (n *Notifier) renderResolvedRoot(root *monitor.Message, resolved *monitor.Message) (Reply, error) {
	s := n.shopOf(resolved)
	a := resolved.Alert
	data := n.alertData(resolved, s)
	var b msg
	if kind, ok := a.Metric.DataKind(); ok {
		b.header(fmt.Sprintf("✅ %s arriving again · %s", upperFirst(kind), s.Name))
		text, err := n.tmpl.Render("alert.kind.fresh", n.kindData(data, a))
		if err != nil {
			return Reply{}, err
		}
		b.section(text)
		return b.reply(KindAnswer), nil
	}
	if a.Metric == rules.MetricData {
		b.header("✅ Data arriving again · " + s.Name)
		text, err := n.tmpl.Render("alert.fresh", data)
		if err != nil {
			return Reply{}, err
		}
		b.section(text)
		return b.reply(KindAnswer), nil
	}
	text, err := n.tmpl.Render("alert.resolved.title", data)
	if err != nil {
		return Reply{}, err
	}
	b.header(fmt.Sprintf("✅ %s resolved · %s", abbrev(a.Metric), s.Name))
	b.section(text)
	if root != nil && root.Alert != nil {
		ra := root.Alert
		b.context(fmt.Sprintf("Alerted on %s: %s %s (%s) · details in the thread", dateText(ra.Day), shortName(ra.Metric), levelText(ra.To), value(ra.Figure)))
	}
	return b.reply(KindAnswer), nil
}
