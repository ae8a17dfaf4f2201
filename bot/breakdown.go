package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/templates"
)

// breakdownAliases maps what users type to store.BreakdownMetrics.
var breakdownAliases = map[string]string{
	"nrr": "nrr", "nrr_product": "nrr_product", "nrr-product": "nrr_product", "product": "nrr_product",
	"nrr_service": "nrr_service", "nrr-service": "nrr_service", "service": "nrr_service",
	"reviews": "nrr", "sfrr": "sfrr", "returns": "sfrr", "refunds": "sfrr",
	"chat": "chat", "chats": "chat", "chat_response_rate": "chat",
}

// How many entries each list of a breakdown shows.
const (
	topProducts = 5
	topCauses   = 5
	topHours    = 6
	topWaiting  = 10
)

// breakdown: top products and causes (return reasons) behind a metric, or
// for chat the slowest hours and the chats still waiting.
func (h *Handler) breakdown(ctx context.Context, req Request, args []string) (Reply, error) {
	const form = "breakdown nrr|sfrr|chat [shop] [days]"
	if len(args) == 0 {
		return h.commandUsage(req, form, "Which metric?")
	}
	metric, ok := breakdownAliases[strings.ToLower(args[0])]
	if !ok {
		return h.commandUsage(req, form, fmt.Sprintf("I can break down nrr, nrr_product, nrr_service, sfrr and chat, not `%s`.", esc(truncateRunes(args[0], 40))))
	}
	sc, err := h.scope(req)
	if err != nil {
		return Reply{}, err
	}
	shopArg, days := "", 0
	for _, a := range args[1:] {
		_, known := sc.find(a)
		if n, ok := parseDays(a); ok && !known {
			if days != 0 {
				return h.commandUsage(req, form, "Give the number of days once.")
			}
			if n < 1 || n > store.MaxWindowDays {
				return h.commandUsage(req, form, fmt.Sprintf("The window can be 1 to %d days.", store.MaxWindowDays))
			}
			days = n
			continue
		}
		if shopArg != "" {
			return h.commandUsage(req, form, "Give at most one shop, then the number of days.")
		}
		shopArg = a
	}
	shop, err := h.shop(req, sc, shopArg, "breakdown "+metric+" SHOP")
	if err != nil {
		return Reply{}, err
	}
	day := shopDay(shop, req.At)
	// All entries (top 0): the same read as feedback and the cache warmer.
	b, err := h.db.BreakdownWindow(ctx, shop.ID, metric, day, days, 0)
	if err != nil {
		return Reply{}, err
	}
	var m msg
	m.header(fmt.Sprintf("%s · %s breakdown", shop.Name, breakdownTitle(metric)))
	window := fmt.Sprintf("%d days, %s to %s", b.Window.Days(), b.Window.First, b.Window.Last)
	if days != 0 && days != shop.Profile.WindowDays {
		window += fmt.Sprintf(" (the profile's window is %d days)", shop.Profile.WindowDays)
	}
	m.context(fmt.Sprintf("Shop `%s` · %s", shop.ID, window))
	res := b.Result
	head := fmt.Sprintf("%s *%s* · %s\n%s", levelIcon(res.Level), title(res.Metric), levelText(res.Level), figures(shop, res))
	if t := thresholdsText(res); t != "" {
		head += " · " + t
	}
	m.section(head)
	if metric == "chat" {
		chatBreakdown(&m, shop, b)
	} else {
		countBreakdown(&m, shop, b)
	}
	if hint := breakdownHint(req, b); hint != "" {
		m.context(hint)
	}
	r := m.reply(KindAnswer)
	share := "breakdown " + metric + " " + shop.ID
	if days != 0 {
		share += " " + strconv.Itoa(days)
	}
	r.Share = shareValue{Text: share, At: req.At.Unix()}.encode()
	return r, nil
}

// parseDays parses "14", "14d" or "14days".
func parseDays(s string) (int, bool) {
	s = strings.ToLower(s)
	for _, suffix := range []string{"days", "day", "d"} {
		if t, ok := strings.CutSuffix(s, suffix); ok {
			s = t
			break
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func breakdownTitle(metric string) string {
	switch m := rules.Metric(metric); m {
	case rules.NRR, rules.NRRProduct, rules.NRRService, rules.SFRR:
		return shortName(m)
	}
	return "chat"
}

// countBreakdown lists the products and causes (or reasons) of a rate.
func countBreakdown(m *msg, s *rules.Shop, b *store.Breakdown) {
	if len(b.Products) == 0 {
		m.section("Nothing counted in this window: no products or causes to show.")
		return
	}
	lines := []string{"*Top products*"}
	for i, p := range b.Products[:min(topProducts, len(b.Products))] {
		name := p.Name
		if name == "" {
			name = "(no name)"
		}
		lines = append(lines, fmt.Sprintf("%d. *%s* (`%s`): %s of %s %s, %s own rate",
			i+1, esc(name), esc(p.ProductID), counted(s, b.Metric, p.Count), num(p.Base), base(s, b.Metric), pct(p.Rate)))
	}
	m.section(strings.Join(lines, "\n"))
	if len(b.Causes) == 0 {
		return
	}
	lines = []string{"*Top causes*"}
	if b.Metric == rules.SFRR {
		lines = []string{fmt.Sprintf("*Top return reasons* (the SFRR counts %s returns)", faultWords(s.Profile))}
	}
	for _, c := range b.Causes[:min(topCauses, len(b.Causes))] {
		lines = append(lines, "• "+causeLine(s, b.Metric, c))
	}
	m.section(strings.Join(lines, "\n"))
}

// faultWords names the return faults a profile's SFRR counts:
// "seller-fault", "seller- and logistics-fault".
func faultWords(p rules.Profile) string {
	var names []string
	for _, f := range p.SFRRFaults {
		names = append(names, f.String()+"-")
	}
	return strings.TrimSuffix(strings.Join(names, " and "), "-") + "-fault"
}

func causeLine(s *rules.Shop, metric rules.Metric, c store.CauseCount) string {
	share := fmt.Sprintf("%s, %s", counted(s, metric, c.Count), pct(c.Share))
	if metric == rules.SFRR {
		name := strings.ReplaceAll(c.Name, "_", " ")
		note := c.Group + " fault"
		if c.Unclassified {
			note = "unclassified, counted as seller fault"
		}
		return fmt.Sprintf("%s (%s): %s", esc(truncateRunes(name, 120)), note, share)
	}
	desc := c.Name
	if cause, err := rules.ParseCause(c.Name); err == nil {
		desc = cause.Description()
	} else if c.Name == rules.CauseOther.String() {
		desc = rules.CauseOther.Description()
	}
	if c.Name == rules.CauseOther.String() {
		return fmt.Sprintf("%s (`other`): %s", upperFirst(desc), share)
	}
	if c.Group == rules.GroupLogistics.String() {
		// A logistics cause alone does not count in NRR: say why it is here.
		share += "; counted only because each of these reviews also names a seller-related cause"
	}
	return fmt.Sprintf("%s (`%s`, %s): %s", upperFirst(desc), c.Name, c.Group, share)
}

// chatBreakdown lists the slowest hours and the chats still waiting.
func chatBreakdown(m *msg, s *rules.Shop, b *store.Breakdown) {
	lines := []string{"*Slowest hours* (local time of the buyer's message)"}
	for _, hs := range b.Hours[:min(topHours, len(b.Hours))] {
		lines = append(lines, fmt.Sprintf("• %02d:00–%02d:59: %s late of %s, average reply %s",
			hs.Hour, hs.Hour, num(hs.Late), plural(hs.Turns, "chat", "chats"), templates.Hours(roundTenth(hs.AvgHours))))
	}
	if len(b.Hours) == 0 {
		lines = append(lines, "No buyer chats in this window.")
	}
	m.section(strings.Join(lines, "\n"))
	// The window ends at the end of yesterday: these chats were waiting then, not necessarily now.
	lines = []string{fmt.Sprintf("*Chats still waiting for a reply at the end of %s* (within the %s target then)", dateText(b.Window.Last), templates.Hours(s.Profile.ChatTargetHours))}
	for _, w := range b.Waiting[:min(topWaiting, len(b.Waiting))] {
		lines = append(lines, fmt.Sprintf("• `%s` since %s, reply by %s", esc(w.ConversationID), timeText(w.Since, s.Location), timeText(w.Deadline, s.Location)))
	}
	if len(b.Waiting) == 0 {
		lines = append(lines, fmt.Sprintf("None: at the end of %s every buyer chat of the window had a reply or was already late.", dateText(b.Window.Last)))
	}
	m.section(strings.Join(lines, "\n"))
}

func roundTenth(v float64) float64 { return float64(int(v*10+0.5)) / 10 }

// breakdownHint points at the tips for what the breakdown found.
func breakdownHint(req Request, b *store.Breakdown) string {
	if b.Metric == rules.ChatResponseRate {
		return fmt.Sprintf("Tips: `%s tips slow_response`", req.Command)
	}
	for _, c := range b.Causes {
		cause, ok := tipCause(b.Metric, c)
		if ok {
			return fmt.Sprintf("Tips for the top cause: `%s tips %s`", req.Command, cause)
		}
	}
	return ""
}
