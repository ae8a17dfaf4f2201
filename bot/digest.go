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
	"golang.org/x/sync/errgroup"
)

// digest: the weekly digest of one shop, or an overview of every shop the
// channel sees (the admin channel's all-shops digest).
func (h *Handler) digest(ctx context.Context, req Request, args []string) (Reply, error) {
	sc, err := h.scope(req)
	if err != nil {
		return Reply{}, err
	}
	if len(args) == 0 && len(sc.shops) > 1 {
		return h.digestAll(ctx, req, sc.shops)
	}
	shop, err := h.shop(req, sc, strings.Join(args, " "), "digest SHOP")
	if err != nil {
		return Reply{}, err
	}
	return h.digestShop(ctx, req, shop)
}

// alerting are the metrics a digest reports on: those with thresholds.
func alerting(r rules.Report) []rules.Metric {
	var out []rules.Metric
	for _, m := range rules.Metrics {
		if r.Results[m].Thresholds != nil {
			out = append(out, m)
		}
	}
	return out
}

func (h *Handler) digestShop(ctx context.Context, req Request, shop *rules.Shop) (Reply, error) {
	day := shopDay(shop, req.At)
	var reports []rules.Report
	var f *feedback
	var mutes []store.Mute
	err := parallel(ctx,
		func(ctx context.Context) (err error) {
			reports, err = h.db.ReportDays(ctx, shop.ID, day, day-7)
			return
		},
		func(ctx context.Context) (err error) { f, err = h.feedback(ctx, shop, day, true); return },
		func(ctx context.Context) (err error) { mutes, err = h.db.Mutes(ctx, shop.ID, req.At); return },
	)
	if err != nil {
		return Reply{}, err
	}
	cur, prev := reports[0], reports[1]
	data := templates.Digest{Shop: templates.Shop{ID: shop.ID, Name: shop.Name}, From: (day - 6).String(), To: day.String()}
	var fields, moves []string
	for _, m := range alerting(cur) {
		c, p := cur.Results[m], prev.Results[m]
		data.Count(c, p)
		was := "n/a"
		if p.Valid {
			was = value(p)
		}
		fields = append(fields, fmt.Sprintf("*%s*\n%s %s %s (a week ago %s)", title(m), levelIcon(c.Level), value(c), levelText(c.Level), was))
		if c.Level != p.Level && c.Level.Severity() >= 0 && p.Level.Severity() >= 0 {
			verb := "improved"
			if c.Level.Severity() > p.Level.Severity() {
				verb = "worsened"
			}
			moves = append(moves, fmt.Sprintf("• %s %s from %s to %s", upperFirst(shortName(m)), verb, levelText(p.Level), levelText(c.Level)))
		}
	}
	intro, err := h.tmpl.Render("digest.intro", data)
	if err != nil {
		return Reply{}, err
	}
	var m msg
	m.header(fmt.Sprintf("%s · weekly digest to %s", shop.Name, dateText(day)))
	m.section(intro)
	if text := gapText(shop, cur, h.cfg.Inbox); text != "" {
		m.section(text)
	}
	if len(fields) > 0 {
		m.fields(fields...)
	}
	if len(moves) > 0 {
		m.section("*This week*\n" + strings.Join(moves, "\n"))
	}
	if len(f.causes) > 0 {
		lines := []string{fmt.Sprintf("*Top causes* (%d days)", cur.Window.Days())}
		for _, c := range f.causes[:min(topTipCauses, len(f.causes))] {
			lines = append(lines, "• "+tallyLine(c))
		}
		if len(f.products) > 0 {
			p := f.products[0]
			lines = append(lines, fmt.Sprintf("Product to watch: *%s* (`%s`), %s of %s delivered (%s)",
				esc(cmp.Or(p.Name, "(no name)")), esc(p.ProductID), counted(shop, rules.NRR, p.Count), num(p.Base), pct(p.Rate)))
		}
		m.section(strings.Join(lines, "\n"))
	}
	if text := mutesText(shop, mutes); text != "" {
		m.context(text)
	}
	if len(f.causes) > 0 {
		m.context(upperFirst(tallyNote(shop, day)))
	}
	m.context(fmt.Sprintf("Shop `%s` · details: `%s status %s` · `%s breakdown %s %s` · `%s tips %s`",
		shop.ID, req.Command, shop.ID, req.Command, worstBreakdown(cur), shop.ID, req.Command, shop.ID))
	r := m.reply(KindAnswer)
	r.Share = shareValue{Text: "digest " + shop.ID, At: req.At.Unix()}.encode()
	return r, nil
}

// digestWorkers bounds the reports computed at once for an overview.
const digestWorkers = 4

// maxDigestShops is how many shops an overview lists by name.
const maxDigestShops = 20

type shopState struct {
	shop   *rules.Shop
	report rules.Report
	err    error
	worst  int // most severe level, -1 when no metric has a level
	crit   int // metrics at critical
}

// shopStates computes every shop's report for its yesterday, a few at a
// time.
func (h *Handler) shopStates(ctx context.Context, req Request, shops []*rules.Shop) ([]shopState, error) {
	states := make([]shopState, len(shops))
	var g errgroup.Group
	g.SetLimit(digestWorkers)
	for i, s := range shops {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			r, err := h.db.Report(ctx, s.ID, shopDay(s, req.At))
			st := shopState{shop: s, report: r, err: err, worst: -1}
			for _, res := range r.Results {
				st.worst = max(st.worst, res.Level.Severity())
				if res.Level == rules.LevelCritical {
					st.crit++
				}
			}
			states[i] = st
			return nil // a shop's error is part of its state
		})
	}
	_ = g.Wait()
	return states, ctx.Err()
}

// stateLine is a shop's line in an overview: its metrics at warn or
// critical, or a word on why there are none.
func stateLine(st shopState) string {
	head := fmt.Sprintf("*%s* `%s`", esc(st.shop.Name), st.shop.ID)
	if st.err != nil {
		return fmt.Sprintf("⚠️ %s: figures not available right now", head)
	}
	var parts []string
	for _, metric := range alerting(st.report) {
		res := st.report.Results[metric]
		if res.Level == rules.LevelCritical || res.Level == rules.LevelWarn {
			parts = append(parts, fmt.Sprintf("%s %s %s", abbrev(metric), value(res), levelText(res.Level)))
		}
	}
	switch {
	case len(parts) > 0:
	case st.worst == 0:
		parts = append(parts, "all ok")
	default:
		parts = append(parts, "not enough data to judge")
	}
	return fmt.Sprintf("%s %s: %s", levelIcon(levelOfSeverity(st.worst)), head, strings.Join(parts, ", "))
}

// worstFirst orders shop states: most severe level, then most metrics at
// critical; shops without figures last.
func worstFirst(a, b shopState) int {
	return cmp.Or(cmp.Compare(b2i(a.err != nil), b2i(b.err != nil)), cmp.Compare(b.worst, a.worst), cmp.Compare(b.crit, a.crit))
}

func (h *Handler) digestAll(ctx context.Context, req Request, shops []*rules.Shop) (Reply, error) {
	states, err := h.shopStates(ctx, req, shops)
	if err != nil {
		return Reply{}, err
	}

	data := templates.DigestAll{Shops: len(shops), To: shopDay(shops[0], req.At).String()}
	var trouble []shopState
	for _, st := range states {
		switch {
		case st.err != nil:
			data.Failed++
			h.log.Error("digest: report failed", "shop", st.shop.ID, "err", st.err)
		case st.worst == 2:
			data.Critical++
			trouble = append(trouble, st)
		case st.worst == 1:
			data.Warn++
			trouble = append(trouble, st)
		case st.worst == 0:
			data.OK++
		default:
			data.Other++
		}
	}
	if data.Failed == len(shops) {
		return Reply{}, fmt.Errorf("digest: every report failed, e.g. %w", states[0].err)
	}
	slices.SortStableFunc(trouble, worstFirst)
	intro, err := h.tmpl.Render("digest.all.intro", data)
	if err != nil {
		return Reply{}, err
	}
	var m msg
	m.header("Weekly digest · all shops")
	m.section(intro)
	var lines []string
	for _, st := range trouble[:min(maxDigestShops, len(trouble))] {
		lines = append(lines, stateLine(st))
	}
	if len(trouble) > maxDigestShops {
		lines = append(lines, fmt.Sprintf("…and %d more.", len(trouble)-maxDigestShops))
	}
	if len(lines) > 0 {
		m.section("*Needs attention*\n" + strings.Join(lines, "\n"))
	}
	m.context(fmt.Sprintf("Each shop's figures are for its own yesterday · one shop: `%s digest SHOP`", req.Command))
	r := m.reply(KindAnswer)
	r.Share = shareValue{Text: "digest", At: req.At.Unix()}.encode()
	return r, nil
}

func levelOfSeverity(sev int) rules.Level {
	switch sev {
	case 2:
		return rules.LevelCritical
	case 1:
		return rules.LevelWarn
	case 0:
		return rules.LevelOK
	}
	return rules.LevelInsufficient
}
