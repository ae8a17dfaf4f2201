package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/templates"
)

// reasonCauses maps return-reason categories (rules.Reason.Category) to the
// cause whose tips apply. Buyer-fault categories have no tips.
var reasonCauses = map[string]rules.Cause{
	"empty_package":    rules.CauseMissingItem,
	"missing_item":     rules.CauseMissingItem,
	"counterfeit":      rules.CauseCounterfeit,
	"expired":          rules.CauseProductQuality,
	"spoiled":          rules.CauseProductQuality,
	"defective":        rules.CauseProductQuality,
	"quality":          rules.CauseProductQuality,
	"wrong_item":       rules.CauseWrongItem,
	"not_as_described": rules.CauseNotAsDescribed,
	"damaged":          rules.CauseDamaged,
	"late":             rules.CauseLateDelivery,
	"lost":             rules.CauseCourier,
	"not_received":     rules.CauseCourier,
	"not_delivered":    rules.CauseCourier,
}

// tipCause is the cause name whose tips apply to a breakdown entry.
func tipCause(metric rules.Metric, c store.CauseCount) (string, bool) {
	if metric == rules.SFRR {
		if c.Unclassified {
			return "", false
		}
		cause, ok := reasonCauses[c.Name]
		return cause.String(), ok
	}
	if c.Name == rules.CauseOther.String() {
		return c.Name, true
	}
	_, err := rules.ParseCause(c.Name)
	return c.Name, err == nil
}

// causeView is a rules cause as the templates show it.
func causeView(name string, orders int, share float64) templates.Cause {
	c := templates.Cause{Name: name, Orders: orders, Share: share, Group: "other", Description: rules.CauseOther.Description()}
	if cause, err := rules.ParseCause(name); err == nil {
		c.Group, c.Description = cause.Group().String(), cause.Description()
	}
	return c
}

// feedback is what lies behind a shop's negative feedback in its window:
// the report, the NRR causes and SFRR reasons merged into causes (most
// first), and, when asked for, the products behind NRR (or, when it has
// none, SFRR). Late chat replies count as the cause slow_response when the
// chat response rate is past warn.
type feedback struct {
	report   rules.Report
	causes   []templates.Cause
	products []store.ProductCount
}

func (h *Handler) feedback(ctx context.Context, shop *rules.Shop, day rules.Day, withProducts bool) (*feedback, error) {
	var fb *store.Feedback
	var nrr *store.Breakdown
	fns := []func(context.Context) error{
		func(ctx context.Context) (err error) { fb, err = h.db.Feedback(ctx, shop.ID, day); return },
	}
	if withProducts {
		fns = append(fns, func(ctx context.Context) (err error) {
			nrr, err = h.db.BreakdownWindow(ctx, shop.ID, "nrr", day, 0, 0)
			return
		})
	}
	if err := parallel(ctx, fns...); err != nil {
		return nil, err
	}
	f := &feedback{report: fb.Report}
	if withProducts {
		f.products = nrr.Products
		if len(f.products) == 0 && len(fb.Reasons) > 0 {
			sfrr, err := h.db.BreakdownWindow(ctx, shop.ID, "sfrr", day, 0, 0)
			if err != nil {
				return nil, err
			}
			f.products = sfrr.Products
		}
	}
	orders := map[string]int{}
	total := 0
	for _, list := range []struct {
		metric rules.Metric
		causes []store.CauseCount
	}{{rules.NRR, fb.Causes}, {rules.SFRR, fb.Reasons}} {
		for _, c := range list.causes {
			if name, ok := tipCause(list.metric, c); ok {
				orders[name] += c.Count
				total += c.Count
			}
		}
	}
	for name, n := range orders {
		f.causes = append(f.causes, causeView(name, n, float64(n)/float64(total)))
	}
	slow := rules.CauseSlowResponse.String()
	if chat := f.report.Results[rules.ChatResponseRate]; chat.Level.Severity() > 0 && orders[slow] == 0 {
		late := chat.Denominator - chat.Numerator
		c := causeView(slow, late, float64(late)/float64(chat.Denominator))
		c.Unit = "late chat replies"
		f.causes = append(f.causes, c)
	}
	slices.SortFunc(f.causes, func(a, b templates.Cause) int {
		// "other" last among equals: a known cause has tips that say more.
		return cmp.Or(cmp.Compare(b.Orders, a.Orders), cmp.Compare(b2i(a.Name == "other"), b2i(b.Name == "other")), cmp.Compare(a.Name, b.Name))
	})
	return f, nil
}

// topTipCauses is how many causes `tips` covers for a shop.
const topTipCauses = 3

// tips: actions for a cause or topic, or for a shop's top causes.
func (h *Handler) tips(ctx context.Context, req Request, args []string) (Reply, error) {
	sc, err := h.scope(req)
	if err != nil {
		return Reply{}, err
	}
	if len(args) > 1 {
		return h.commandUsage(req, "tips [cause|topic|shop]", "`tips` takes one cause, topic or shop.")
	}
	arg := strings.ToLower(first(args))
	switch {
	case arg == "":
		if len(sc.shops) == 1 {
			return h.shopTips(ctx, req, sc.shops[0])
		}
		return h.guideTips(req, sc)
	case slices.Contains(templates.TipTopics, arg):
		return h.causeTips(req, arg, "")
	case arg == rules.CauseOther.String():
		return h.causeTips(req, arg, rules.CauseOther.Description())
	}
	if cause, err := rules.ParseCause(arg); err == nil {
		return h.causeTips(req, cause.String(), cause.Description())
	}
	if found, known := sc.find(h.cfg, first(args)); known || len(found) > 0 {
		shop, err := h.shop(req, sc, first(args), "tips SHOP")
		if err != nil {
			return Reply{}, err
		}
		return h.shopTips(ctx, req, shop)
	}
	return h.commandUsage(req, "tips [cause|topic|shop]", fmt.Sprintf("I have no tips for `%s`. Causes: %s. Topics: %s.",
		esc(truncateRunes(first(args), 40)), codeList(causeNames()), codeList(templates.TipTopics)))
}

func codeList(items []string) string {
	return "`" + strings.Join(items, "`, `") + "`"
}

// causeTips answers `tips CAUSE` and `tips TOPIC` (desc is "" for topics).
func (h *Handler) causeTips(req Request, name, desc string) (Reply, error) {
	text, err := h.tmpl.Render("tips."+name, templates.Tips{Command: req.Command, Cause: causeView(name, 0, 0), TargetHours: h.targetHours()})
	if err != nil {
		return Reply{}, err
	}
	var m msg
	if desc != "" {
		m.header("Tips · " + upperFirst(desc))
	} else {
		m.header("Tips · " + upperFirst(name))
	}
	m.section(text)
	if desc != "" {
		c := causeView(name, 0, 0)
		m.context(fmt.Sprintf("Cause `%s` (%s) · see where it comes from: `%s breakdown nrr` · from TikTok Shop's guides on negative customer feedback", name, c.Group, req.Command))
	} else {
		m.context("From TikTok Shop's guides on negative customer feedback")
	}
	r := m.reply(KindAnswer)
	r.Share = shareValue{Text: "tips " + name, At: req.At.Unix()}.encode()
	return r, nil
}

// targetHours is the chat target the tips quote: the configured shops'
// shortest, as the strictest applies to a team with several shops.
func (h *Handler) targetHours() float64 {
	t := 0.0
	for _, s := range h.cfg.Shops {
		if t == 0 || s.Profile.ChatTargetHours < t {
			t = s.Profile.ChatTargetHours
		}
	}
	return t
}

// shopTips gives the tips for a shop's top causes.
func (h *Handler) shopTips(ctx context.Context, req Request, shop *rules.Shop) (Reply, error) {
	day := shopDay(shop, req.At)
	f, err := h.feedback(ctx, shop, day, false)
	if err != nil {
		return Reply{}, err
	}
	view := &templates.Shop{ID: shop.ID, Name: shop.Name}
	data := templates.Tips{Command: req.Command, Shop: view, WindowDays: shop.Profile.WindowDays, TargetHours: shop.Profile.ChatTargetHours}
	var m msg
	m.header(shop.Name + " · tips")
	if len(f.causes) == 0 {
		text, err := h.tmpl.Render("tips.none", data)
		if err != nil {
			return Reply{}, err
		}
		m.section(text)
		for _, topic := range templates.TipTopics {
			text, err := h.tmpl.Render("tips."+topic, data)
			if err != nil {
				return Reply{}, err
			}
			m.section(text)
		}
	} else {
		intro, err := h.tmpl.Render("tips.intro", data)
		if err != nil {
			return Reply{}, err
		}
		m.section(intro)
		for _, c := range f.causes[:min(topTipCauses, len(f.causes))] {
			d := data
			d.Cause = c
			text, err := h.tmpl.Render("tips."+c.Name, d)
			if err != nil {
				return Reply{}, err
			}
			share := fmt.Sprintf("%s of the feedback", pct(c.Share))
			if c.Unit != "" {
				share = fmt.Sprintf("%s of buyer chats", pct(c.Share))
			}
			m.section(fmt.Sprintf("*%s* · %s (%s, %s)\n%s", upperFirst(c.Description), c.Count(), c.Group, share, text))
		}
	}
	m.context(fmt.Sprintf("Shop `%s` · negative reviews, seller-fault returns and late chats, %d days to %s · from TikTok Shop's guides on negative customer feedback", shop.ID, shop.Profile.WindowDays, day))
	r := m.reply(KindAnswer)
	r.Share = shareValue{Text: "tips " + shop.ID, At: req.At.Unix()}.encode()
	return r, nil
}

// guideTips gives the guides' four tip sections, in a channel with several
// shops when no shop was named.
func (h *Handler) guideTips(req Request, sc scope) (Reply, error) {
	data := templates.Tips{Command: req.Command, TargetHours: h.targetHours()}
	var m msg
	m.header("Tips to prevent negative feedback")
	for _, topic := range templates.TipTopics {
		text, err := h.tmpl.Render("tips."+topic, data)
		if err != nil {
			return Reply{}, err
		}
		m.section(text)
	}
	m.context(fmt.Sprintf("For one shop's top causes: `%s tips %s` · for one cause: `%s tips damaged`", req.Command, sc.shops[0].ID, req.Command))
	r := m.reply(KindAnswer)
	r.Share = shareValue{Text: "tips", At: req.At.Unix()}.encode()
	return r, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
