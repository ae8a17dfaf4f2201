package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/templates"
)

// tipCause is the cause name whose tips apply to a breakdown entry.
func tipCause(metric rules.Metric, c store.CauseCount) (string, bool) {
	if metric == rules.SFRR {
		if c.Unclassified {
			return "", false
		}
		cause, ok := rules.ReasonCause(c.Name)
		return cause.String(), ok
	}
	if c.Name == rules.CauseOther.String() {
		return c.Name, true
	}
	_, err := rules.ParseCause(c.Name)
	return c.Name, err == nil
}

// causeView is a rules cause without counts.
func causeView(name string) rules.TallyEntry {
	return causeOf(rules.TallyEntry{Cause: name})
}

// causeOf is a tally entry with its group: the cause's, or "other".
func causeOf(e rules.TallyEntry) rules.TallyEntry {
	if e.Group == "" {
		e.Group = rules.GroupOther.String()
		if cause, err := rules.ParseCause(e.Cause); err == nil {
			e.Group = cause.Group().String()
		}
	}
	return e
}

// causesOf is a tally's entries, each with its group.
func causesOf(t rules.Tally) []rules.TallyEntry {
	out := make([]rules.TallyEntry, len(t.Entries))
	for i, e := range t.Entries {
		out[i] = causeOf(e)
	}
	return out
}

// feedback is what lies behind a shop's negative feedback in its window:
// the report and its tally (rules.Tally: negative reviews, counted returns
// and late chat replies by cause, ranked together).
type feedback struct {
	report rules.Report
	tally  rules.Tally
	causes []rules.TallyEntry // the tally's entries, each with its group
}

func (h *Handler) feedback(ctx context.Context, shop *rules.Shop, day rules.Day) (*feedback, error) {
	fb, err := h.db.Feedback(ctx, shop.ID, day)
	if err != nil {
		return nil, err
	}
	f := &feedback{report: fb.Report, tally: fb.Tally()}
	f.causes = causesOf(f.tally)
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
	raw := strings.Join(args, " ") // a shop's name may have several words
	arg := strings.ToLower(raw)
	switch {
	case arg == "":
		if shops := sc.list(); len(shops) == 1 {
			return h.shopTips(ctx, req, shops[0])
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
	if found, known := sc.find(raw); known || len(found) > 0 {
		shop, err := h.shop(req, sc, raw, "tips SHOP")
		if err != nil {
			return Reply{}, err
		}
		return h.shopTips(ctx, req, shop)
	}
	return h.commandUsage(req, "tips [cause|topic|shop]", fmt.Sprintf("I have no tips for `%s`. Causes: %s. Topics: %s.",
		esc(truncateRunes(raw, 40)), codeList(causeNames()), codeList(templates.TipTopics)))
}

func codeList(items []string) string {
	return "`" + strings.Join(items, "`, `") + "`"
}

// causeTips answers `tips CAUSE` and `tips TOPIC` (desc is "" for topics).
func (h *Handler) causeTips(req Request, name, desc string) (Reply, error) {
	text, err := h.tmpl.Render("tips."+name, templates.Tips{Command: req.Command, Cause: causeView(name), TargetHours: h.targetHours()})
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
		c := causeView(name)
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
	for _, s := range h.cfg.Shops() {
		if t == 0 || s.Profile.ChatTargetHours < t {
			t = s.Profile.ChatTargetHours
		}
	}
	return t
}

// shopTips gives the tips for a shop's top causes.
func (h *Handler) shopTips(ctx context.Context, req Request, shop *rules.Shop) (Reply, error) {
	day := shopDay(shop, req.At)
	f, err := h.feedback(ctx, shop, day)
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
			line := tallyLine(c)
			if c.Cause == "" {
				m.section(line + "\nNo tips for this return reason: see the returns in `" + req.Command + " breakdown sfrr`.")
				continue
			}
			d := data
			d.Cause = c
			text, err := h.tmpl.Render("tips."+c.Cause, d)
			if err != nil {
				return Reply{}, err
			}
			m.section(line + "\n" + text)
		}
	}
	m.context(fmt.Sprintf("Shop `%s` · %s · from TikTok Shop's guides on negative customer feedback", shop.ID, tallyNote(shop, day)))
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
	m.context(fmt.Sprintf("For one shop's top causes: `%s tips %s` · for one cause: `%s tips damaged`", req.Command, sc.list()[0].ID, req.Command))
	r := m.reply(KindAnswer)
	r.Share = shareValue{Text: "tips", At: req.At.Unix()}.encode()
	return r, nil
}

// tallyLine is a cause with its counts, as every message lists it:
// "*Damaged item or package*: 3 orders with a negative review, 2 counted
// returns (seller fault)".
func tallyLine(c rules.TallyEntry) string {
	return fmt.Sprintf("*%s*: %s", esc(truncateRunes(upperFirst(c.Label()), 160)), templates.CauseCount(c))
}

// tallyNote says what a shop's cause list counts and how it is ranked.
func tallyNote(shop *rules.Shop, day rules.Day) string {
	return fmt.Sprintf("causes count negative reviews, counted returns (%s) and late chat replies (over %s), each in its own unit, %d days to %s; ranked by how much of each metric's warn threshold they use up",
		countedFaults(shop.Profile), templates.Hours(shop.Profile.ChatTargetHours), shop.Profile.WindowDays, day)
}

// countedFaults names the return fault classes a profile's SFRR counts.
func countedFaults(p rules.Profile) string {
	var names []string
	for _, f := range p.SFRRFaults {
		names = append(names, f.String())
	}
	return strings.Join(names, " and ") + " fault"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
