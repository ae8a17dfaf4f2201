package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"golang.org/x/sync/errgroup"
)

// digest: the weekly digest of one shop, or an overview of every shop the
// channel sees (the admin channel's all-shops digest).
func (h *Handler) digest(ctx context.Context, req Request, args []string) (Reply, error) {
	sc, err := h.scope(req)
	if err != nil {
		return Reply{}, err
	}
	if len(args) == 0 && len(sc.list()) > 1 {
		return h.digestAll(ctx, req, sc.list())
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

// digestShop answers with the shop's weekly digest to its yesterday: the
// same builder and blocks as the weekly post (renderDigest), without the
// chart.
func (h *Handler) digestShop(ctx context.Context, req Request, shop *rules.Shop) (Reply, error) {
	d, err := monitor.BuildDigest(ctx, h.db, shop, shopDay(shop, req.At), req.At)
	if err != nil {
		return Reply{}, err
	}
	m, err := digestBlocks(h.tmpl, h.cfg.Inbox, req.Command, shop, d)
	if err != nil {
		return Reply{}, err
	}
	r := m.reply(KindAnswer)
	r.Share = shareValue{Text: "digest " + shop.ID, At: req.At.Unix()}.encode()
	return r, nil
}

// digestWorkers bounds the reports computed at once for an overview.
const digestWorkers = 4

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

// digestAll answers with the all-shops digest of the channel's shops for
// the first shop's yesterday: the same builder and blocks as the overview
// posted in the admin channel (renderOverview).
func (h *Handler) digestAll(ctx context.Context, req Request, shops []*rules.Shop) (Reply, error) {
	o, err := monitor.BuildOverview(ctx, h.db, h.cfg.Alerts, shops, shopDay(shops[0], req.At), h.log)
	if err != nil {
		return Reply{}, err
	}
	if i := slices.IndexFunc(o.Shops, func(l monitor.ShopLine) bool { return l.Err == "" }); i < 0 {
		return Reply{}, fmt.Errorf("digest: every report failed, e.g. %s", o.Shops[0].Err)
	}
	m, err := overviewBlocks(h.tmpl, req.Command, o)
	if err != nil {
		return Reply{}, err
	}
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
