package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/templates"
)

// How many causes and products an appeal names (before any cut).
const (
	appealCauses   = 3
	appealProducts = 3
)

// appeal: a ready-to-edit appeal letter for an enforcement action,
// pre-filled with the shop's figures, top causes and products.
func (h *Handler) appeal(ctx context.Context, req Request, args []string) (Reply, error) {
	const form = "appeal <kind> [shop]"
	kinds := make([]string, len(templates.AppealKinds))
	for i, k := range templates.AppealKinds {
		kinds[i] = k.Name
	}
	if len(args) == 0 {
		return h.commandUsage(req, form, "Which enforcement action? Kinds: "+codeList(kinds)+".")
	}
	kind, rest, ok := appealKind(args)
	if !ok {
		return h.commandUsage(req, form, fmt.Sprintf("I have no appeal for `%s`. Kinds: %s.", esc(truncateRunes(args[0], 40)), codeList(kinds)))
	}
	if len(rest) > 1 {
		return h.commandUsage(req, form, "Give at most one shop after the kind.")
	}
	sc, err := h.scope(req)
	if err != nil {
		return Reply{}, err
	}
	shop, err := h.shop(req, sc, first(rest), "appeal "+kind.Name+" SHOP")
	if err != nil {
		return Reply{}, err
	}
	day := shopDay(shop, req.At)
	f, err := h.feedback(ctx, shop, day, true)
	if err != nil {
		return Reply{}, err
	}
	data := appealData(kind, shop, f.report, f)
	letter, cut, err := h.tmpl.Appeal(data, templates.AppealLimit)
	if err != nil {
		return Reply{}, err
	}

	var m msg
	m.header("Appeal draft · " + upperFirst(kind.Label))
	m.section(fmt.Sprintf("Pre-filled for *%s* with its figures to %s. Fill in the [brackets], check that the product and dates match the notice, attach the proof, then send it from Seller Center by raising a ticket.",
		esc(shop.Name), day))
	m.section("```\n" + esc(letter) + "\n```")
	n := utf8.RuneCountInString(letter)
	if cut.Any() {
		m.context(fmt.Sprintf("✂️ Cut to stay within %s characters (now %s): left out %s.", num(templates.AppealLimit), num(n), cut))
	} else {
		m.context(fmt.Sprintf("%s of %s characters · shop `%s` · other kinds: `%s appeal &lt;kind&gt;`", num(n), num(templates.AppealLimit), shop.ID, req.Command))
	}
	r := m.reply(KindAnswer)
	r.Share = shareValue{Text: "appeal " + kind.Name + " " + shop.ID, At: req.At.Unix()}.encode()
	return r, nil
}

// appealKind reads the kind from the first one or two arguments ("order
// limit" and "order-limit" are the same kind).
func appealKind(args []string) (templates.AppealKind, []string, bool) {
	if len(args) >= 2 {
		if k, ok := templates.LookupAppealKind(args[0] + "-" + args[1]); ok {
			return k, args[2:], true
		}
	}
	k, ok := templates.LookupAppealKind(args[0])
	return k, args[1:], ok
}

// appealData builds the letter's data. Product actions cite the product
// metrics and products; service actions the service and chat metrics, with
// service causes first.
func appealData(kind templates.AppealKind, shop *rules.Shop, r rules.Report, f *feedback) templates.Appeal {
	a := templates.Appeal{Kind: kind, Shop: templates.Shop{ID: shop.ID, Name: shop.Name}, Date: r.Date.String(),
		WindowDays: r.Window.Days(), TargetHours: shop.Profile.ChatTargetHours}
	metrics := []rules.Metric{rules.NRR, rules.NRRProduct, rules.SFRR}
	if kind.Group == "service" {
		metrics = []rules.Metric{rules.NRR, rules.NRRService, rules.SFRR, rules.ChatResponseRate}
	}
	for _, m := range metrics {
		res := r.Results[m]
		if (m == rules.NRRProduct || m == rules.NRRService) && res.Thresholds == nil {
			continue // the profile does not judge this part on its own
		}
		a.Rates = append(a.Rates, templates.Rate{Name: rateName(m, shop), Valid: res.Valid, Value: res.Value,
			Count: res.Numerator, Of: res.Denominator, Base: base(shop, m), Level: string(res.Level)})
	}
	var causes []templates.Cause
	for _, c := range f.causes {
		if kind.Group == "product" && c.Unit != "" {
			continue // late chats are not what a product action is about
		}
		causes = append(causes, c)
	}
	if kind.Group == "service" {
		slices.SortStableFunc(causes, func(x, y templates.Cause) int {
			return cmp.Compare(b2i(x.Group != "service"), b2i(y.Group != "service"))
		})
	}
	a.Causes = causes[:min(appealCauses, len(causes))]
	products := f.products
	for _, p := range products[:min(appealProducts, len(products))] {
		a.Products = append(a.Products, templates.Product{ID: p.ProductID, Name: p.Name, Count: p.Count, Base: p.Base, Rate: p.Rate})
	}
	if kind.Group == "product" && len(a.Products) > 0 {
		t := a.Products[0]
		a.Target = &t
	}
	return a
}

// rateName names a rate in a letter.
func rateName(m rules.Metric, s *rules.Shop) string {
	switch m {
	case rules.ChatResponseRate:
		return "chats answered within " + templates.Hours(s.Profile.ChatTargetHours)
	case rules.NRRProduct:
		return "product-related NRR"
	case rules.NRRService:
		return "service-related NRR"
	}
	return strings.ToUpper(string(m))
}
