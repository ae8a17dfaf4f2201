package bot

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/templates"
)

// Words for metrics and levels, shared by the answers.

var (
	pct    = templates.Percent
	thr    = templates.Threshold
	num    = templates.Number
	plural = templates.Plural
	esc    = templates.Escape
)

// shortName is how a sentence names a metric.
func shortName(m rules.Metric) string { return m.Words().Short }

// abbrev is a metric's shortest name: "NRR", "chat rate".
func abbrev(m rules.Metric) string { return m.Words().Abbrev }

// title is a metric's name in a list: "Negative review rate (NRR)".
func title(m rules.Metric) string { return m.Words().Title }

// counted names what a rate's numerator counts, as "2 negative orders".
func counted(s *rules.Shop, m rules.Metric, n int) string {
	switch m {
	case rules.SFRR:
		if slices.Contains(s.Profile.SFRRFaults, rules.FaultLogistics) {
			// The profile counts logistics-fault returns too: "seller-fault" would be untrue.
			return plural(n, "counted return", "counted returns")
		}
		return plural(n, "seller-fault return", "seller-fault returns")
	case rules.ChatResponseRate:
		return plural(n, "late reply", "late replies")
	}
	return plural(n, "order with a negative review", "orders with a negative review")
}

// base names what a rate's denominator counts.
func base(s *rules.Shop, m rules.Metric) string {
	switch m {
	case rules.SFRR:
		if s.Profile.SFRRDenominator == rules.DenomOrders {
			return "orders"
		}
		return "delivered orders"
	case rules.ChatResponseRate:
		return "buyer chats"
	}
	return "delivered orders"
}

// levelIcon is a level's traffic light.
func levelIcon(l rules.Level) string {
	switch l {
	case rules.LevelCritical:
		return "🔴"
	case rules.LevelWarn:
		return "🟡"
	case rules.LevelOK:
		return "🟢"
	case rules.LevelInsufficient:
		return "⚪"
	case rules.LevelStale, rules.LevelNoData:
		return "⏸"
	}
	return "ℹ️"
}

// levelText is a level in words.
func levelText(l rules.Level) string {
	switch l {
	case rules.LevelCritical:
		return "critical"
	case rules.LevelWarn:
		return "warn"
	case rules.LevelOK:
		return "ok"
	case rules.LevelInsufficient:
		return "not enough data"
	case rules.LevelStale:
		return "stale"
	case rules.LevelNoData:
		return "no data"
	}
	return "informational"
}

// value formats a result's value, "n/a" when it is null.
func value(r rules.Result) string {
	if !r.Valid {
		return "n/a"
	}
	if r.Metric.Words().Unit == rules.UnitHours {
		return templates.Hours(r.Value)
	}
	return pct(r.Value)
}

// thresholdsText is "warn 0.4% · critical 0.5%" ("below" for chat).
func thresholdsText(r rules.Result) string {
	if r.Thresholds == nil {
		return ""
	}
	if r.Metric.LowerIsWorse() {
		return fmt.Sprintf("warn below %s · critical below %s", thr(r.Thresholds.Warn), thr(r.Thresholds.Critical))
	}
	return fmt.Sprintf("warn above %s · critical above %s", thr(r.Thresholds.Warn), thr(r.Thresholds.Critical))
}

// trend compares a result with the same metric a week before.
func trend(cur, prev rules.Result) string {
	if !cur.Valid || !prev.Valid {
		return "no figure to compare with a week ago"
	}
	if cur.Metric == rules.ChatAvgResponseHours {
		d := cur.Value - prev.Value
		switch {
		case math.Abs(d) < 0.05:
			return fmt.Sprintf("→ unchanged from %s a week ago", value(prev))
		case d > 0:
			return fmt.Sprintf("↗ %.1f h slower than a week ago (%s)", d, value(prev))
		}
		return fmt.Sprintf("↘ %.1f h faster than a week ago (%s)", -d, value(prev))
	}
	d := (cur.Value - prev.Value) * 100
	if math.Abs(d) < 0.005 {
		return fmt.Sprintf("→ unchanged from %s a week ago", value(prev))
	}
	arrow, dir := "↗", "up"
	if d < 0 {
		arrow, dir = "↘", "down"
	}
	worse := cur.Metric.Worse(cur.Value, prev.Value)
	verdict := "better"
	if worse {
		verdict = "worse"
	}
	return fmt.Sprintf("%s %s %.2f pp from %s a week ago (%s)", arrow, dir, math.Abs(d), value(prev), verdict)
}

// headroom says, for people, how far a rate is from its next threshold:
// warn while it is ok, critical while it is at warn; past critical, how
// many of its counted records are too many.
func headroom(s *rules.Shop, r rules.Result) string {
	if r.Headroom == nil || r.Thresholds == nil || !r.Valid || r.Level == rules.LevelInsufficient {
		return ""
	}
	name := shortName(r.Metric)
	if r.Level == rules.LevelCritical {
		crit := thr(r.Thresholds.Critical)
		if r.Metric.LowerIsWorse() {
			need := chatOnTimeNeeded(r.Numerator, r.Denominator, r.Thresholds.Critical)
			return fmt.Sprintf("Below critical (%s): %s on time, and no late ones, would bring it back.", crit, plural(need, "more reply", "more replies"))
		}
		allowed := rules.Headroom(0, r.Denominator, r.Thresholds.Critical)
		return fmt.Sprintf("Within critical (%s) allows at most %s among today's %s %s; there are %s, %s too many.",
			crit, counted(s, r.Metric, allowed), num(r.Denominator), base(s, r.Metric), num(r.Numerator), num(r.Numerator-allowed))
	}
	level, threshold := "warn", r.Thresholds.Warn
	if r.Level == rules.LevelWarn {
		level, threshold = "critical", r.Thresholds.Critical
	}
	past := "passes"
	if r.Metric.LowerIsWorse() {
		past = "falls below"
	}
	n := rules.HeadroomTo(r, threshold)
	more := strings.Replace(counted(s, r.Metric, n+1), " ", " more ", 1) // "4 more late replies"
	return fmt.Sprintf("%s %s %s (%s) after %s.", upperFirst(name), past, level, thr(threshold), more)
}

// chatOnTimeNeeded is how many more on-time replies bring onTime/total back
// to at least critical.
func chatOnTimeNeeded(onTime, total int, critical float64) int {
	k := 0
	for critical < 1 && float64(onTime+k)/float64(total+k) < critical {
		k++
	}
	return k
}

// recovery says when a rate past warn comes back within it.
func recovery(r rules.Result, s *rules.Shop) string {
	if r.Thresholds == nil || (r.Level != rules.LevelWarn && r.Level != rules.LevelCritical) {
		return ""
	}
	warn := thr(r.Thresholds.Warn)
	what := "new negative reviews arrive"
	switch r.Metric {
	case rules.SFRR:
		what = "new " + strings.TrimPrefix(counted(s, rules.SFRR, 2), "2 ") + " arrive"
	case rules.ChatResponseRate:
		what = "new late replies happen"
	}
	if r.RecoversOn == nil {
		return fmt.Sprintf("Not back within warn (%s) in the next %d days even if no %s.", warn, r.WindowDays, what)
	}
	return fmt.Sprintf("Back within warn (%s) on %s if no %s.", warn, dateText(*r.RecoversOn), what)
}

// dateText is "Thu 3 Dec 2026".
func dateText(d rules.Day) string {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Format("Mon 2 Jan 2006")
}

// timeText is an instant in the shop's zone: "Mon 24 Nov 17:00 (+07)".
func timeText(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return t.Format("Mon 2 Jan 15:04") + " (" + t.Format("MST") + ")"
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// figures is a result's value with its counts: "2.96% (29 of 981 delivered orders)".
func figures(s *rules.Shop, r rules.Result) string {
	switch r.Metric {
	case rules.ChatAvgResponseHours:
		if !r.Valid {
			return "n/a (no replies in the window)"
		}
		return fmt.Sprintf("*%s* over %s", value(r), plural(r.Count, "reply", "replies"))
	case rules.ChatResponseRate:
		out := fmt.Sprintf("*%s* (%s of %s answered within %s", value(r), num(r.Numerator), plural(r.Denominator, "buyer chat", "buyer chats"), templates.Hours(r.TargetHours))
		if r.Pending > 0 {
			out += fmt.Sprintf("; %s still within the target", num(r.Pending))
		}
		return out + ")"
	}
	if !r.Valid {
		return fmt.Sprintf("n/a (no %s in the window)", base(s, r.Metric))
	}
	return fmt.Sprintf("*%s* (%s of %s %s)", value(r), num(r.Numerator), num(r.Denominator), base(s, r.Metric))
}

// insufficient explains a level of insufficient data.
func insufficient(s *rules.Shop, r rules.Result) string {
	if r.Level != rules.LevelInsufficient {
		return ""
	}
	min, what := s.Profile.MinDelivered, base(s, r.Metric)
	if r.Metric == rules.ChatResponseRate {
		min = s.Profile.MinTurns
	}
	return fmt.Sprintf("Not enough data to judge: %s in the window, %s needed.", plural(r.Denominator, strings.TrimSuffix(what, "s"), what), num(min))
}

// gapText says which record kinds keep a report's metrics from being
// judged, with the fix, one line each: "⏸ No reviews imported since Sat 7
// Nov 2026 (25 days; last import Sun 8 Nov 09:12 (+07)): NRR is not judged
// until they are. To fix: run `shopwatch import reviews FILE`."; "" when
// every kind is fresh.
func gapText(s *rules.Shop, r rules.Report, inbox string) string {
	var lines []string
	for _, in := range r.Inputs {
		if in.State == rules.Fresh {
			continue
		}
		var names []string
		for _, m := range []rules.Metric{rules.NRR, rules.SFRR, rules.ChatResponseRate} {
			if slices.Contains(m.InputKinds(), in.Kind) {
				names = append(names, shortName(m))
			}
		}
		var what string
		switch {
		case !in.Has:
			what = fmt.Sprintf("⏸ No %s have been imported", in.Kind)
		case in.Imported.IsZero():
			what = fmt.Sprintf("⏸ No %s imported since %s (%s)", in.Kind, dateText(in.Last), templates.Plural(in.DaysSince(r.Date), "day", "days"))
		default:
			what = fmt.Sprintf("⏸ No %s imported since %s (%s; last import %s)", in.Kind, dateText(in.Last), templates.Plural(in.DaysSince(r.Date), "day", "days"), timeText(in.Imported, s.Location))
		}
		fix := fmt.Sprintf("run `shopwatch import %s FILE`", in.Kind)
		if inbox != "" {
			fix = fmt.Sprintf("drop the export into `%s` or %s", esc(inbox), fix)
		}
		verb := "is"
		if len(names) > 1 {
			verb = "are"
		}
		lines = append(lines, fmt.Sprintf("%s: %s %s not judged until they are. To fix: %s.", what, strings.Join(names, " and "), verb, fix))
	}
	return strings.Join(lines, "\n")
}
