package bot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/templates"
)

// scope is what a request's channel may see: the shops routed to it, or
// every shop in the admin channel. The admin channel's list is the
// config's, asked for only when a command needs it: a command that names
// its shop by id finds it without the config decoding every shop.
type scope struct {
	all     bool          // the admin channel, or a local request
	cfg     *rules.Config // the shops by id, and every shop when all
	channel string
	shops   []*rules.Shop // the visible shops, when not all
}

// scope returns what req may see, or a refusal when it may see nothing.
func (h *Handler) scope(req Request) (scope, error) {
	sc := scope{cfg: h.cfg, channel: req.ChannelID}
	if req.SeesAll || (h.cfg.AdminChannel != "" && req.ChannelID == h.cfg.AdminChannel) {
		sc.all = true
		return sc, nil
	}
	sc.shops = sc.own()
	if len(sc.shops) > 0 {
		return sc, nil
	}
	name := "refusal.channel"
	if isDM(req.ChannelID) {
		name = "refusal.dm"
	}
	text, err := h.tmpl.Render(name, templates.Refusal{Command: req.Command, Channel: req.ChannelID})
	if err != nil {
		return sc, err
	}
	return sc, refusal(text)
}

// list returns the visible shops, in config order.
func (sc scope) list() []*rules.Shop {
	if sc.all {
		return sc.cfg.Shops()
	}
	return sc.shops
}

// own returns the shops routed to the request's channel, in config order.
func (sc scope) own() []*rules.Shop {
	if !sc.all && sc.shops != nil {
		return sc.shops
	}
	var own []*rules.Shop
	for _, s := range sc.cfg.Shops() {
		if sc.channel != "" && s.Channel == sc.channel {
			own = append(own, s)
		}
	}
	return own
}

// isDM reports whether a Slack channel id is a direct message (D...) or a
// group DM; an empty id (no channel at all) counts as one too.
func isDM(channel string) bool {
	return channel == "" || strings.HasPrefix(channel, "D")
}

// find returns the visible shops that arg names: the shop with that id, or
// those whose name contains arg (ignoring case). known reports whether arg
// is the id of a configured shop, visible or not.
func (sc scope) find(arg string) (found []*rules.Shop, known bool) {
	if s, ok := sc.cfg.Shop(arg); ok {
		if sc.all || slices.Contains(sc.shops, s) { // a shop is one *Shop
			return []*rules.Shop{s}, true
		}
		return nil, true
	}
	q := strings.ToLower(arg)
	for _, s := range sc.list() {
		if strings.Contains(strings.ToLower(s.Name), q) {
			found = append(found, s)
		}
	}
	return found, false
}

// shop resolves a [shop] argument: a shop id or part of a name, or when
// arg is empty the channel's only shop. It asks which shop when that is
// not clear, and refuses shops the channel may not see.
func (h *Handler) shop(req Request, sc scope, arg, example string) (*rules.Shop, error) {
	if arg == "" {
		shops := sc.list()
		if len(shops) == 1 {
			return shops[0], nil
		}
		return nil, h.askWhich(req, shops, "This channel sees "+templates.Plural(len(shops), "shop", "shops")+".", example)
	}
	found, _ := sc.find(arg)
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		text, err := h.tmpl.Render("refusal.shop", templates.Refusal{Command: req.Command, Channel: req.ChannelID, ShopArg: truncateRunes(arg, 60)})
		if err != nil {
			return nil, err
		}
		if shops := sc.list(); len(shops) <= maxListed {
			text += "\n" + shopList(shops)
		}
		return nil, refusal(text)
	}
	return nil, h.askWhich(req, found, fmt.Sprintf("%s match \"%s\".", templates.Plural(len(found), "shop", "shops"), templates.Escape(arg)), example)
}

// maxListed is how many shops a question lists.
const maxListed = 25

func (h *Handler) askWhich(req Request, shops []*rules.Shop, lead, example string) error {
	md := "Which shop? " + lead + "\n" + shopList(shops)
	if len(shops) > 0 {
		md += fmt.Sprintf("\nFor example: `%s %s`", req.Command, strings.ReplaceAll(example, "SHOP", shops[0].ID))
	}
	return &userError{kind: KindUsage, md: md}
}

// shopList lists shops as "• `id` name", up to maxListed.
func shopList(shops []*rules.Shop) string {
	var b strings.Builder
	for i, s := range shops {
		if i == maxListed {
			fmt.Fprintf(&b, "…and %d more: part of a name works too.\n", len(shops)-i)
			break
		}
		fmt.Fprintf(&b, "• `%s` %s\n", s.ID, templates.Escape(s.Name))
	}
	return strings.TrimSuffix(b.String(), "\n")
}
