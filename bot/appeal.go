package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/templates"
)

// appealForm is the appeal command's usage.
const appealForm = "appeal <kind> [shop] [product]"

// appealProducts is how many products an appeal without one suggests.
const appealProducts = 3

// appeal: a draft appeal letter for an enforcement action, on the shop or
// one of its products, that states only what the shop's records show and
// leaves every other claim to the seller as a placeholder.
func (h *Handler) appeal(ctx context.Context, req Request, args []string) (Reply, error) {
	kinds := make([]string, len(templates.AppealKinds))
	for i, k := range templates.AppealKinds {
		kinds[i] = k.Name
	}
	if len(args) == 0 {
		return h.commandUsage(req, appealForm, "Which enforcement action? Kinds: "+codeList(kinds)+".")
	}
	kind, rest, ok := appealKind(args)
	if !ok {
		return h.commandUsage(req, appealForm, fmt.Sprintf("I have no appeal for `%s`. Kinds: %s.", esc(truncateRunes(args[0], 40)), codeList(kinds)))
	}
	sc, err := h.scope(req)
	if err != nil {
		return Reply{}, err
	}
	shop, product, err := h.appealTarget(ctx, req, sc, kind, rest)
	if err != nil {
		return Reply{}, err
	}
	day := shopDay(shop, req.At)
	var productID string
	if product != nil {
		productID = product.ID
	}
	ev, err := h.db.Evidence(ctx, shop.ID, productID, day)
	if err != nil {
		return Reply{}, err
	}
	data := appealData(kind, shop, ev)
	letter, cut, err := h.tmpl.Appeal(data, templates.AppealLimit)
	if err != nil {
		return Reply{}, err
	}

	var m msg
	m.header("Appeal draft · " + upperFirst(kind.Label))
	about := "*" + esc(shop.Name) + "*"
	if product != nil {
		about = "*" + esc(productLabel(*product)) + "* of " + about
	}
	cites := "It cites what shopwatch's records show for %s, %s to %s."
	if !data.Evidence.Any() {
		cites = "shopwatch's records for %s, %s to %s, hold no feedback it can cite in your favour."
	}
	m.section(fmt.Sprintf("*This is a draft to review, not a letter to send as it is.* "+cites+" "+
		"Each `[CONFIRM: …]` is a claim only you can make: replace it with what is true, or delete the line. Each `[ATTACH: …]` is proof to add. "+
		"Check the action and its date against TikTok's notice, then send it from Seller Center by raising a ticket.",
		about, ev.Window.First, ev.Window.Last))
	m.section("```\n" + esc(letter) + "\n```")
	if kind.Group == "product" && product == nil {
		m.context(h.suggestProducts(req, kind, shop, ev))
	}
	n := utf8.RuneCountInString(letter)
	if cut.Any() {
		m.context(fmt.Sprintf("✂️ Cut to stay within %s characters (now %s): left out %s.", num(templates.AppealLimit), num(n), cut))
	} else {
		m.context(fmt.Sprintf("%s of %s characters · shop `%s` · other kinds: `%s appeal &lt;kind&gt;`", num(n), num(templates.AppealLimit), shop.ID, req.Command))
	}
	r := m.reply(KindAnswer)
	share := "appeal " + kind.Name + " " + shop.ID
	if product != nil {
		share += " " + product.ID
	}
	r.Share = shareValue{Text: share, At: req.At.Unix()}.encode()
	return r, nil
}

// suggestProducts tells how to name the product of a product action, with
// the products that drew the most negative feedback.
func (h *Handler) suggestProducts(req Request, kind templates.AppealKind, shop *rules.Shop, ev *store.Evidence) string {
	s := fmt.Sprintf("Name the product for a letter on its own reviews and returns: `%s appeal %s %s PRODUCT` (its ID or part of its name).", req.Command, kind.Name, shop.ID)
	var items []string
	for _, p := range ev.TopProducts[:min(appealProducts, len(ev.TopProducts))] {
		var counts []string
		if p.NegativeReviews > 0 {
			counts = append(counts, templates.Plural(p.NegativeReviews, "negative review", "negative reviews"))
		}
		if p.Returns > 0 {
			counts = append(counts, templates.Plural(p.Returns, "return", "returns"))
		}
		items = append(items, fmt.Sprintf("`%s` %s (%s)", p.ID, esc(cmp.Or(p.Name, "unnamed")), strings.Join(counts, ", ")))
	}
	if len(items) > 0 {
		s += " Most feedback: " + strings.Join(items, "; ") + "."
	}
	return s
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

// appealTarget resolves the `[shop] [product]` words after the kind. A
// shop is a shop id, or the longest run of leading words that names one
// visible shop; the words after it name a product. When the words name no
// shop and the channel sees one, they all name a product of that shop.
func (h *Handler) appealTarget(ctx context.Context, req Request, sc scope, kind templates.AppealKind, rest []string) (*rules.Shop, *store.ProductRef, error) {
	example := "appeal " + kind.Name + " SHOP"
	if len(rest) == 0 {
		shop, err := h.shop(req, sc, "", example)
		return shop, nil, err
	}
	var shop *rules.Shop
	var words []string
	if _, ok := h.cfg.Shop(rest[0]); ok {
		s, err := h.shop(req, sc, rest[0], example) // refuses a shop the channel may not see
		if err != nil {
			return nil, nil, err
		}
		shop, words = s, rest[1:]
	} else {
		ambiguous := ""
		for i := len(rest); i > 0 && shop == nil; i-- {
			arg := strings.Join(rest[:i], " ")
			switch found, _ := sc.find(arg); {
			case len(found) == 1:
				shop, words = found[0], rest[i:]
			case len(found) > 1 && ambiguous == "":
				ambiguous = arg
			}
		}
		switch {
		case shop != nil:
		case len(sc.list()) == 1:
			shop, words = sc.list()[0], rest
		default:
			s, err := h.shop(req, sc, cmp.Or(ambiguous, rest[0]), example) // asks which, or refuses
			if err != nil {
				return nil, nil, err
			}
			shop, words = s, rest[1:]
		}
	}
	if len(words) == 0 {
		return shop, nil, nil
	}
	p, err := h.appealProduct(ctx, req, kind, shop, strings.Join(words, " "))
	return shop, p, err
}

// appealProduct finds the product q names among the shop's products, or
// says why it cannot.
func (h *Handler) appealProduct(ctx context.Context, req Request, kind templates.AppealKind, shop *rules.Shop, q string) (*store.ProductRef, error) {
	found, err := h.db.FindProducts(ctx, shop.ID, q)
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 1:
		return &found[0], nil
	case 0:
		return nil, usageErr("I can't find a product matching \"%s\" in the orders of %s. Give its product ID or part of its name as in its orders; `%s breakdown nrr %s` lists the products with negative reviews. Usage: `%s %s`.",
			esc(truncateRunes(q, 60)), esc(shop.Name), req.Command, shop.ID, req.Command, esc(appealForm))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Which product? %s of %s match \"%s\":\n", templates.Plural(len(found), "product", "products"), esc(shop.Name), esc(truncateRunes(q, 60)))
	for i, p := range found {
		if i == maxListed {
			fmt.Fprintf(&b, "…and %d more: give more of the name, or the product ID.\n", len(found)-i)
			break
		}
		fmt.Fprintf(&b, "• `%s` %s\n", p.ID, esc(cmp.Or(p.Name, "unnamed")))
	}
	fmt.Fprintf(&b, "For example: `%s appeal %s %s %s`", req.Command, kind.Name, shop.ID, found[0].ID)
	return nil, &userError{kind: KindUsage, md: b.String()}
}

// productLabel names a product: "Name (ID 123)", or "product ID 123".
func productLabel(p store.ProductRef) string {
	if p.Name == "" {
		return "product ID " + p.ID
	}
	return p.Name + " (ID " + p.ID + ")"
}

// appealData builds the letter's data from the evidence. Product actions
// address product and service causes of reviews and returns; service
// actions also address late chats when the chat rate is past warn. Chat
// replies are cited as evidence only when the rate is within its target
// level: a letter never quotes a rate that tells against the shop.
func appealData(kind templates.AppealKind, shop *rules.Shop, ev *store.Evidence) templates.Appeal {
	a := templates.Appeal{Kind: kind, Shop: templates.Shop{ID: shop.ID, Name: shop.Name},
		From: ev.Window.First.String(), Date: ev.Window.Last.String(), WindowDays: ev.Window.Days(),
		TargetHours: shop.Profile.ChatTargetHours, SizeChart: ev.SizeComplaints > 0}
	if ev.Product != nil {
		a.Target = &templates.Product{ID: ev.Product.ID, Name: ev.Product.Name}
	}
	a.Evidence = templates.AppealEvidence{
		NegativeReviews: ev.NegativeReviews, LogisticsReviews: ev.LogisticsReviews.Count,
		LogisticsOrders: ev.LogisticsReviews.Orders, MoreLogistics: ev.LogisticsReviews.More,
		Returns: ev.Returns, BuyerReturns: ev.BuyerReturns.Count, Withdrawn: ev.Withdrawn.Count, SellerWon: ev.SellerWon.Count,
	}
	var returnOrders []string
	for _, rc := range []store.RecordCount{ev.BuyerReturns, ev.Withdrawn, ev.SellerWon} {
		returnOrders = append(returnOrders, rc.Orders...)
		a.Evidence.MoreReturns = a.Evidence.MoreReturns || rc.More
	}
	slices.Sort(returnOrders)
	returnOrders = slices.Compact(returnOrders)
	if len(returnOrders) > store.MaxEvidenceOrders {
		returnOrders, a.Evidence.MoreReturns = returnOrders[:store.MaxEvidenceOrders], true
	}
	a.Evidence.ReturnOrders = returnOrders
	chat := ev.Report.Results[rules.ChatResponseRate]
	if chat.Valid && chat.Level == rules.LevelOK {
		a.Evidence.ChatOnTime, a.Evidence.ChatTurns, a.Evidence.ChatShare = chat.Numerator, chat.Denominator, chat.Value
	}

	// The rectifications follow the shop's tally (rules.Tally), as tips and
	// digests do, in the same units. Delivery causes are evidence above, not
	// something the seller fixes; return reasons that stand for no cause are
	// "other"; late chats are addressed by service actions while the chat
	// rate is past warn.
	lateChats := kind.Group == "service" && chat.Level.Severity() > 0
	var other *rules.TallyEntry
	for _, e := range ev.Tally.Entries {
		c := causeOf(e)
		if !lateChats {
			c.Late = 0
		}
		switch {
		case c.Group == rules.GroupLogistics.String() || c.Reviews+c.Returns+c.Late == 0:
			continue
		case c.Cause == "" || c.Cause == rules.CauseOther.String():
			if other == nil {
				a.Causes = append(a.Causes, rules.TallyEntry{Cause: rules.CauseOther.String(), Group: rules.GroupOther.String()})
				other = &a.Causes[len(a.Causes)-1]
			}
			other.Reviews, other.Returns, other.Logistics = other.Reviews+c.Reviews, other.Returns+c.Returns, other.Logistics+c.Logistics
			continue
		}
		a.Causes = append(a.Causes, c)
	}
	// Service actions address service causes first; the tally's order holds
	// within each part.
	rank := func(c rules.TallyEntry) int {
		return b2i(kind.Group == "service" && c.Group != rules.GroupService.String())
	}
	slices.SortStableFunc(a.Causes, func(x, y rules.TallyEntry) int { return cmp.Compare(rank(x), rank(y)) })
	return a
}
