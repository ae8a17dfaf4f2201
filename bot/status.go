package bot

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/templates"
)

// status: every metric with its level, thresholds, trend against 7 days
// before, headroom and recovery date.
func (h *Handler) status(ctx context.Context, req Request, args []string) (Reply, error) {
	sc, err := h.scope(req)
	if err != nil {
		return Reply{}, err
	}
	if len(args) == 0 && len(sc.list()) > 1 {
		return h.statusAll(ctx, req, sc.list())
	}
	// A shop's name may have several words: "status Acme Beauty".
	shop, err := h.shop(req, sc, strings.Join(args, " "), "status SHOP")
	if err != nil {
		return Reply{}, err
	}
	day := shopDay(shop, req.At)
	// One read after another: the mutes and the sync status take a fraction
	// of a millisecond on a warm connection. Read beside the reports, they
	// took two more connections, which a one-shot process (ask) opened:
	// 3 ms of CPU for no gain in its wall time, and none in the server's
	// latency under load (BenchmarkSlashCommands).
	reports, err := h.db.ReportDays(ctx, shop.ID, day, day-7)
	if err != nil {
		return Reply{}, err
	}
	mutes, err := h.db.Mutes(ctx, shop.ID, req.At)
	if err != nil {
		return Reply{}, err
	}
	syncs, err := h.db.SyncStatuses(ctx, shop.ID)
	if err != nil {
		return Reply{}, err
	}
	cur, prev := reports[0], reports[1]

	var m msg
	m.header(fmt.Sprintf("%s · status on %s", shop.Name, dateText(day)))
	m.context(fmt.Sprintf("Shop `%s` · %s profile · %d-day window %s to %s · trends against %s",
		shop.ID, cur.Profile, cur.Window.Days(), cur.Window.First, cur.Window.Last, day-7))
	m.section(levelSummary(cur))
	if text := gapText(shop, cur, h.cfg.Inbox); text != "" {
		m.section(text)
	}
	if text := syncText(shop, syncs); text != "" {
		m.section(text)
	}
	for _, metric := range rules.Metrics {
		m.section(metricStatus(shop, cur.Results[metric], prev.Results[metric], mutes, req.At))
	}
	if text := mutesText(shop, mutes); text != "" {
		m.context(text)
	}
	m.context(fmt.Sprintf("More: `%s breakdown %s %s` · `%s tips` · `%s appeal &lt;kind&gt;`",
		req.Command, worstBreakdown(cur), shop.ID, req.Command, req.Command))
	r := m.reply(KindAnswer)
	r.Share = shareValue{Text: "status " + shop.ID, At: req.At.Unix()}.encode()
	return r, nil
}

// maxStatusShops is how many shops the all-shops status lists by name.
const maxStatusShops = 40

// statusAll is the status of every shop a channel with several sees (the
// admin channel: all of them), one line each, worst first.
func (h *Handler) statusAll(ctx context.Context, req Request, shops []*rules.Shop) (Reply, error) {
	states, err := h.shopStates(ctx, req, shops)
	if err != nil {
		return Reply{}, err
	}
	failed := 0
	for _, st := range states {
		if st.err != nil {
			failed++
			h.log.Error("status: report failed", "shop", st.shop.ID, "err", st.err)
		}
	}
	if failed == len(states) {
		return Reply{}, fmt.Errorf("status: every report failed, e.g. %w", states[0].err)
	}
	slices.SortStableFunc(states, worstFirst)
	var lines []string
	for _, st := range states[:min(maxStatusShops, len(states))] {
		lines = append(lines, stateLine(st))
	}
	if len(states) > maxStatusShops {
		lines = append(lines, fmt.Sprintf("…and %d more, none worse than the last above.", len(states)-maxStatusShops))
	}
	var m msg
	m.header(fmt.Sprintf("Status · %s", templates.Plural(len(shops), "shop", "shops")))
	for chunk := range slices.Chunk(lines, 15) { // a section holds at most 3,000 characters
		m.section(strings.Join(chunk, "\n"))
	}
	m.context(fmt.Sprintf("Worst first · each shop's figures are for its own yesterday · one shop: `%s status SHOP` (an id or part of its name)", req.Command))
	r := m.reply(KindAnswer)
	r.Share = shareValue{Text: "status", At: req.At.Unix()}.encode()
	return r, nil
}

// syncText warns when the TikTok sync of the shop is failing or rejected
// records, so that a quiet status is never mistaken for good news; "" when
// the sync is fine or not in use.
func syncText(s *rules.Shop, syncs []store.SyncStatus) string {
	var lines []string
	for _, st := range syncs {
		switch {
		case st.Failing():
			since := "never synced"
			if !st.LastSuccess.IsZero() {
				since = "last good sync " + timeText(st.LastSuccess, s.Location)
			}
			lines = append(lines, fmt.Sprintf("⚠️ TikTok sync of %s is failing (%s): %s. Figures may be out of date.", st.Kind, since, st.Error))
		case st.Rejected > 0:
			lines = append(lines, fmt.Sprintf("⚠️ TikTok sync of %s: %d records rejected (see `shopwatch tiktok status`).", st.Kind, st.Rejected))
		}
	}
	return strings.Join(lines, "\n")
}

// levelSummary counts a report's metrics by level.
func levelSummary(r rules.Report) string {
	counts := map[rules.Level]int{}
	for _, res := range r.Results {
		counts[res.Level]++
	}
	var parts []string
	for _, l := range []rules.Level{rules.LevelCritical, rules.LevelWarn, rules.LevelOK, rules.LevelStale, rules.LevelNoData, rules.LevelInsufficient} {
		if counts[l] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d %s", levelIcon(l), counts[l], levelText(l)))
		}
	}
	if len(parts) == 0 {
		return "No metric has thresholds in this profile."
	}
	return strings.Join(parts, " · ")
}

// metricStatus is one metric's paragraph.
func metricStatus(s *rules.Shop, cur, prev rules.Result, mutes []store.Mute, at time.Time) string {
	lines := []string{fmt.Sprintf("%s *%s* · %s", levelIcon(cur.Level), title(cur.Metric), levelText(cur.Level))}
	line := figures(s, cur)
	if t := thresholdsText(cur); t != "" {
		line += " · " + t
	}
	lines = append(lines, line, trend(cur, prev))
	for _, extra := range []string{insufficient(s, cur), headroom(s, cur), recovery(cur, s)} {
		if extra != "" {
			lines = append(lines, extra)
		}
	}
	if cur.Thresholds != nil {
		for _, mu := range mutes {
			if mu.Covers(cur.Metric, at) {
				lines = append(lines, "🔕 Alerts muted until "+timeText(mu.Until, s.Location))
				break
			}
		}
	}
	return strings.Join(lines, "\n")
}

// mutesText lists a shop's active mutes.
func mutesText(s *rules.Shop, mutes []store.Mute) string {
	if len(mutes) == 0 {
		return ""
	}
	var parts []string
	for _, mu := range mutes {
		what := mu.Metric
		if what == store.MuteAll {
			what = "all alerts"
		}
		p := fmt.Sprintf("%s until %s", what, timeText(mu.Until, s.Location))
		if mu.By != "" {
			p += " (by " + userMention(mu.By) + ")"
		}
		parts = append(parts, p)
	}
	return "🔕 Muted: " + strings.Join(parts, "; ")
}

// worstBreakdown is the breakdown metric worth looking at first.
func worstBreakdown(r rules.Report) string {
	best, name := -1, "nrr"
	for _, m := range []rules.Metric{rules.NRR, rules.SFRR, rules.ChatResponseRate} {
		if sev := r.Results[m].Level.Severity(); sev > best {
			best, name = sev, breakdownName(m)
		}
	}
	return name
}

func breakdownName(m rules.Metric) string {
	if m == rules.ChatResponseRate || m == rules.ChatAvgResponseHours {
		return "chat"
	}
	return string(m)
}

// commandUsage answers a command used the wrong way with its own usage.
func (h *Handler) commandUsage(req Request, form, problem string) (Reply, error) {
	return Reply{}, usageErr("%s Usage: `%s %s`. Type `%s help` for everything I can do.", problem, req.Command, esc(form), req.Command)
}

// reUserID is the shape of a Slack user id.
var reUserID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`) })

// userMention mentions a stored user id; anything else (a mute set by a
// script) is shown as escaped text.
func userMention(id string) string {
	if reUserID().MatchString(id) {
		return "<@" + id + ">"
	}
	return esc(id)
}
