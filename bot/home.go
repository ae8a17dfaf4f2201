package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/rules"
)

// The App Home tab: the shops a user may see, worst first, one line each
// with NRR, SFRR and the chat rate against their thresholds, then the
// headroom and recovery date, and buttons for Breakdown, Tips and Appeal.

// Action ids of the Home's buttons. Their value is a homeValue.
const (
	homeBreakdownAction = "home_breakdown"
	homeTipsAction      = "home_tips"
	homeAppealAction    = "home_appeal"
)

// homeAppealKind is the appeal the Home's Appeal button drafts: the
// feedback metrics are shop-level (service) scores, whose usual penalty is
// reduced shop visibility.
const homeAppealKind = "shop-visibility"

// maxHomeShops is how many shops the Home lists: a view holds at most 100
// blocks, and each shop takes three.
const maxHomeShops = 30

// homeValue is what a Home button carries: the command to run, the shop it
// is about (its visibility is checked again on the press) and the instant
// the Home was drawn, so that the answer matches what the user saw.
type homeValue struct {
	Text string `json:"t"`
	Shop string `json:"s"`
	At   int64  `json:"at"` // Unix seconds
}

func (v homeValue) encode() string {
	b, _ := json.Marshal(v)
	return string(b)
}

// homeView draws the Home of a user who sees shops (none: a polite note)
// at the instant at. all says the user sees every shop (the admin channel).
func (h *Handler) homeView(ctx context.Context, shops []*rules.Shop, all bool, at time.Time) (slack.HomeTabViewRequest, error) {
	var m msg
	m.header("shopwatch · your shops")
	if len(shops) == 0 {
		m.section("You're not in any shop's channel, so there is nothing to show you here yet.\n" +
			"Each shop is shown to the members of the Slack channel its alerts go to, and the admin channel sees every shop. " +
			"Ask whoever runs shopwatch which channel to join.")
		m.context(fmt.Sprintf("You can still ask `%s help` in any channel.", h.command))
		return homeRequest(m.blocks), nil
	}
	states, err := h.shopStates(ctx, Request{At: at}, shops)
	if err != nil {
		return slack.HomeTabViewRequest{}, err
	}
	failed := 0
	for _, st := range states {
		if st.err != nil {
			failed++
			h.log.Error("home: report failed", "shop", st.shop.ID, "err", st.err)
		}
	}
	if failed == len(states) {
		return slack.HomeTabViewRequest{}, fmt.Errorf("home: every report failed, e.g. %w", states[0].err)
	}
	slices.SortStableFunc(states, homeOrder)
	who := "the shops of your channels"
	if all {
		who = "every shop (you're in the admin channel)"
	}
	// Slack shows the date in each reader's own time zone.
	m.context(fmt.Sprintf("%s, worst first · each shop's figures are for its own yesterday · updated <!date^%d^{date_short_pretty} at {time}|%s UTC>",
		upperFirst(who), at.Unix(), at.UTC().Format("Mon 2 Jan 15:04")))
	for _, st := range states[:min(maxHomeShops, len(states))] {
		m.blocks = append(m.blocks, slack.NewDividerBlock())
		m.section(homeLine(st))
		if st.err == nil {
			m.context(homeDetails(st, h.cfg.Inbox))
			m.blocks = append(m.blocks, homeButtons(st, at))
		}
	}
	if len(states) > maxHomeShops {
		m.context(fmt.Sprintf("…and %d more, none worse than the last above: `%s status` in the admin channel lists them all.",
			len(states)-maxHomeShops, h.command))
	}
	return homeRequest(m.blocks), nil
}

func homeRequest(blocks []slack.Block) slack.HomeTabViewRequest {
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}, CallbackID: "shopwatch_home"}
}

// homeRank orders levels for the Home: critical, warn, then inputs too
// old or missing to judge (never shown as ok), ok, too little data.
func homeRank(l rules.Level) int {
	switch l {
	case rules.LevelCritical:
		return 4
	case rules.LevelWarn:
		return 3
	case rules.LevelStale, rules.LevelNoData:
		return 2
	case rules.LevelOK:
		return 1
	}
	return 0
}

// homeLevel is the level the Home shows for a result: its level, except
// that too little data because an input kind is missing or stale shows as
// no data or stale, which says what to fix.
func homeLevel(r rules.Result) rules.Level {
	if r.Level != rules.LevelInsufficient || len(r.Gaps) == 0 {
		return r.Level
	}
	for _, in := range r.Gaps {
		if in.State == rules.NoData {
			return rules.LevelNoData
		}
	}
	return rules.LevelStale
}

// homeMetrics are the metrics the Home shows for each shop.
var homeMetrics = []rules.Metric{rules.NRR, rules.SFRR, rules.ChatResponseRate}

func shopRank(st shopState) int {
	rank := 0
	for _, metric := range homeMetrics {
		rank = max(rank, homeRank(homeLevel(st.report.Results[metric])))
	}
	return rank
}

// homeOrder puts the worst shop first: highest rank, most metrics at
// critical; shops without figures last.
func homeOrder(a, b shopState) int {
	return cmp.Or(cmp.Compare(b2i(a.err != nil), b2i(b.err != nil)), cmp.Compare(shopRank(b), shopRank(a)), cmp.Compare(b.crit, a.crit))
}

// homeLine is a shop's line: its worst level, name, and each metric
// against its thresholds.
func homeLine(st shopState) string {
	head := fmt.Sprintf("*%s* `%s`", esc(st.shop.Name), st.shop.ID)
	if st.err != nil {
		return "⚠️ " + head + ": figures not available right now"
	}
	icon := "⚪"
	switch shopRank(st) {
	case 4:
		icon = levelIcon(rules.LevelCritical)
	case 3:
		icon = levelIcon(rules.LevelWarn)
	case 2:
		icon = levelIcon(rules.LevelStale)
	case 1:
		icon = levelIcon(rules.LevelOK)
	}
	var parts []string
	for _, metric := range homeMetrics {
		parts = append(parts, homeMetric(st.report.Results[metric]))
	}
	return icon + " " + head + "\n" + strings.Join(parts, "  ·  ")
}

// homeMetric is one metric against its thresholds: "NRR 🔴 *0.62%*
// critical (warn above 0.40%, critical above 0.50%)". A metric whose inputs
// are stale or missing says so, never ok.
func homeMetric(r rules.Result) string {
	name := abbrev(r.Metric)
	if r.Metric == "" {
		return name + " n/a"
	}
	switch level := homeLevel(r); level {
	case rules.LevelStale:
		return fmt.Sprintf("%s %s stale, not judged (%s on old data)", levelIcon(level), name, value(r))
	case rules.LevelNoData:
		return fmt.Sprintf("%s %s no data", levelIcon(level), name)
	case rules.LevelInsufficient:
		return fmt.Sprintf("%s %s %s, not enough data to judge", levelIcon(level), name, value(r))
	}
	out := fmt.Sprintf("%s %s *%s* %s", levelIcon(r.Level), name, value(r), levelText(r.Level))
	if r.Thresholds != nil {
		side := "above"
		if r.Metric.LowerIsWorse() {
			side = "below"
		}
		out += fmt.Sprintf(" (warn %s %s, critical %s %s)", side, thr(r.Thresholds.Warn), side, thr(r.Thresholds.Critical))
	}
	return out
}

// homeDetails is a shop's small print: each metric's headroom and
// recovery date, and which inputs keep metrics from being judged.
func homeDetails(st shopState, inbox string) string {
	var lines []string
	for _, metric := range homeMetrics {
		r := st.report.Results[metric]
		if l := homeLevel(r); l == rules.LevelStale || l == rules.LevelNoData {
			continue // their figures are not judged: gapText says why
		}
		for _, extra := range []string{headroom(st.shop, r), recovery(r, st.shop)} {
			if extra != "" {
				lines = append(lines, extra)
			}
		}
	}
	if gaps := gapText(st.shop, st.report, inbox); gaps != "" {
		lines = append(lines, gaps)
	}
	if len(lines) == 0 {
		return "No headroom to report: nothing is judged yet."
	}
	return strings.Join(lines, "\n")
}

// homeButtons are a shop's Breakdown, Tips and Appeal buttons (one actions
// block per shop, whose block id names it: Slack wants block ids unique in
// a view and action ids unique in a block).
func homeButtons(st shopState, at time.Time) slack.Block {
	id := st.shop.ID
	breakdown := "breakdown " + worstBreakdown(st.report) + " " + id
	btn := func(action, label, text string) slack.BlockElement {
		return slack.NewButtonBlockElement(action, homeValue{Text: text, Shop: id, At: at.Unix()}.encode(), plainText(label))
	}
	return slack.NewActionBlock("home_shop_"+id,
		btn(homeBreakdownAction, "Breakdown", breakdown),
		btn(homeTipsAction, "Tips", "tips "+id),
		btn(homeAppealAction, "Appeal", "appeal "+homeAppealKind+" "+id),
	)
}

// homeFailure is the Home shown when it could not be drawn.
func homeFailure(command string) slack.HomeTabViewRequest {
	var m msg
	m.header("shopwatch · your shops")
	m.section("Sorry, I couldn't load your shops just now. Open this tab again in a minute; " +
		"`" + command + " status` in a shop's channel works meanwhile.")
	return homeRequest(m.blocks)
}
