package bot

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// muteMetrics maps what users type to a store mute metric.
var muteMetrics = map[string]string{
	"all": store.MuteAll, "nrr": "nrr", "nrr_product": "nrr_product", "nrr_service": "nrr_service",
	"sfrr": "sfrr", "chat": "chat_response_rate", "chat_response_rate": "chat_response_rate",
}

// Bounds of a mute.
const (
	minMute = time.Minute
	maxMute = 90 * 24 * time.Hour
)

var reDurationPart = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d+)(minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|wk|w)`)
})

// parseDuration parses "90m", "2h", "3d", "1w" and sums like "1d12h".
func parseDuration(s string) (time.Duration, bool) {
	s = strings.ToLower(s)
	if s == "" {
		return 0, false
	}
	var total time.Duration
	for s != "" {
		g := reDurationPart().FindStringSubmatch(s)
		if g == nil {
			return 0, false
		}
		n, err := strconv.Atoi(g[1])
		if err != nil || n > 100000 {
			return 0, false
		}
		unit := time.Minute
		switch g[2][0] {
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		case 'w':
			unit = 7 * 24 * time.Hour
		}
		total += time.Duration(n) * unit
		s = s[len(g[0]):]
	}
	return total, true
}

// muteTargets are the shops a mute or unmute applies to: the one named, or
// the shops routed to this channel, or the channel's only visible shop.
func (h *Handler) muteTargets(req Request, sc scope, shopArg, example string) ([]*rules.Shop, error) {
	if shopArg == "" {
		if own := sc.own(); len(own) > 0 {
			return own, nil
		}
	}
	s, err := h.shop(req, sc, shopArg, example)
	if err != nil {
		return nil, err
	}
	return []*rules.Shop{s}, nil
}

// mute <metric|all> <duration> [shop]: alerts for the metric are evaluated
// but not posted until the mute ends. The answer is posted in the channel,
// so that the team knows.
func (h *Handler) mute(ctx context.Context, req Request, args []string) (Reply, error) {
	const form = "mute <metric|all> <duration> [shop]"
	sc, err := h.scope(req)
	if err != nil {
		return Reply{}, err
	}
	var metric, shopArg string
	var d time.Duration
	for _, a := range args {
		if m, ok := muteMetrics[strings.ToLower(a)]; ok && metric == "" {
			metric = m
			continue
		}
		if v, ok := parseDuration(a); ok && d == 0 {
			d = v
			continue
		}
		if shopArg != "" {
			return h.commandUsage(req, form, fmt.Sprintf("I don't understand `%s`.", esc(truncateRunes(a, 40))))
		}
		shopArg = a
	}
	switch {
	case metric == "":
		return h.commandUsage(req, form, "Which metric? One of `nrr`, `nrr_product`, `nrr_service`, `sfrr`, `chat` or `all`.")
	case d == 0:
		return h.commandUsage(req, form, "For how long? For example `30m`, `12h`, `3d` or `1w`.")
	case d < minMute || d > maxMute:
		return h.commandUsage(req, form, "A mute lasts from 1 minute to 90 days.")
	}
	shops, err := h.muteTargets(req, sc, shopArg, "mute "+metricWord(metric)+" "+compactDuration(d)+" SHOP")
	if err != nil {
		return Reply{}, err
	}
	until := req.At.Add(d)
	for _, s := range shops {
		if err := h.db.SetMute(ctx, store.Mute{ShopID: s.ID, Metric: metric, Until: until, At: req.At, By: req.UserID, Channel: req.ChannelID}); err != nil {
			return Reply{}, err
		}
	}
	md := fmt.Sprintf("🔕 %s %s alerts for %s until %s. They are still evaluated, and resume after that or with `%s unmute`.",
		who(req, "muted"), muteWhat(metric), shopNames(shops), timeText(until, shops[0].Location), req.Command)
	r := textReply(KindAnswer, md)
	r.InChannel = true
	return r, nil
}

// unmute [metric|all] [shop]: ends mutes now.
func (h *Handler) unmute(ctx context.Context, req Request, args []string) (Reply, error) {
	const form = "unmute [metric|all] [shop]"
	sc, err := h.scope(req)
	if err != nil {
		return Reply{}, err
	}
	var metric, shopArg string
	for _, a := range args {
		if m, ok := muteMetrics[strings.ToLower(a)]; ok && metric == "" {
			metric = m
			continue
		}
		if shopArg != "" {
			return h.commandUsage(req, form, fmt.Sprintf("I don't understand `%s`.", esc(truncateRunes(a, 40))))
		}
		shopArg = a
	}
	shops, err := h.muteTargets(req, sc, shopArg, "unmute SHOP")
	if err != nil {
		return Reply{}, err
	}
	filter := metric
	if metric == store.MuteAll {
		filter = "" // "unmute all" ends every mute
	}
	removed := 0
	var still []string
	for _, s := range shops {
		n, err := h.db.Unmute(ctx, s.ID, filter, req.At)
		if err != nil {
			return Reply{}, err
		}
		removed += n
		if filter != "" {
			mutes, err := h.db.Mutes(ctx, s.ID, req.At)
			if err != nil {
				return Reply{}, err
			}
			for _, mu := range mutes {
				if mu.Metric == store.MuteAll {
					still = append(still, fmt.Sprintf("%s stays muted for all alerts until %s", esc(s.Name), timeText(mu.Until, s.Location)))
				}
			}
		}
	}
	if removed == 0 {
		md := fmt.Sprintf("Nothing to unmute: %s alerts for %s were not muted.", muteWhat(metric), shopNames(shops))
		if len(still) > 0 {
			md += " " + strings.Join(still, "; ") + ": use `" + req.Command + " unmute all`."
		}
		return textReply(KindAnswer, md), nil
	}
	md := fmt.Sprintf("🔔 %s %s alerts for %s: they are posted again.", who(req, "unmuted"), muteWhat(metric), shopNames(shops))
	if len(still) > 0 {
		md += " Note: " + strings.Join(still, "; ") + "."
	}
	r := textReply(KindAnswer, md)
	r.InChannel = true
	return r, nil
}

func who(req Request, verb string) string {
	if req.UserID == "" {
		return upperFirst(verb)
	}
	return "<@" + req.UserID + "> " + verb
}

// muteWhat names a mute's metric in a sentence.
func muteWhat(metric string) string {
	switch metric {
	case "", store.MuteAll:
		return "all"
	case "chat_response_rate":
		return "chat response rate"
	}
	return shortName(rules.Metric(metric))
}

func metricWord(metric string) string {
	if metric == "chat_response_rate" {
		return "chat"
	}
	return metric
}

func compactDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/time.Minute)) + "m"
}

func shopNames(shops []*rules.Shop) string {
	names := make([]string, len(shops))
	for i, s := range shops {
		names[i] = "*" + esc(s.Name) + "*"
	}
	if len(names) > 5 {
		return strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more shops", len(names)-5)
	}
	return strings.Join(names, ", ")
}
