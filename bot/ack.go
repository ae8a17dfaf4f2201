package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/templates"
)

// The Acknowledge button of an alert: the press records who took charge of
// the alert's episode, and when, and the message shows it in place of the
// button. The first acknowledgement of an episode holds; acknowledging
// mutes nothing.

// ackAction is the action id of the Acknowledge button, ackBlock the id of
// the actions block that holds it (replaced by the acknowledgement).
const (
	ackAction = "acknowledge"
	ackBlock  = "alert_ack"
)

// ackValue is what the Acknowledge button carries: the episode.
type ackValue struct {
	Shop   string       `json:"s"`
	Metric rules.Metric `json:"m"`
	Root   string       `json:"r"` // the key of the episode's first message
}

// ackButton is the Acknowledge button of alert message m, in its own
// actions block.
func ackButton(m *monitor.Message) slack.Block {
	v, _ := json.Marshal(ackValue{Shop: m.ShopID, Metric: m.Alert.Metric, Root: cmp.Or(m.Alert.Root, m.Key)})
	btn := slack.NewButtonBlockElement(ackAction, string(v), plainText("Acknowledge"))
	btn.Style = slack.StylePrimary
	return slack.NewActionBlock(ackBlock, btn)
}

// ackText is how a message shows an acknowledgement: "✅ Acknowledged by
// @mai at 10:42 (+07), Sat 21 Nov", in the shop's time.
func ackText(a store.Ack, s *rules.Shop) string {
	t := a.At.In(s.Location)
	return fmt.Sprintf("✅ Acknowledged by %s at %s (%s), %s", userMention(a.By), t.Format("15:04"), t.Format("MST"), t.Format("Mon 2 Jan"))
}

// acknowledged returns blocks with the Acknowledge button's block replaced
// by the acknowledgement, the others kept as they are.
func acknowledged(blocks []slack.Block, text string) []slack.Block {
	note := slack.NewContextBlock(ackBlock, mrkdwn(text))
	out := make([]slack.Block, 0, len(blocks)+1)
	replaced := false
	for _, b := range blocks {
		if ab, ok := b.(*slack.ActionBlock); ok && ab.BlockID == ackBlock {
			out = append(out, note)
			replaced = true
			continue
		}
		if cb, ok := b.(*slack.ContextBlock); ok && cb.BlockID == ackBlock {
			continue // an earlier acknowledgement shown: replaced by the one that holds
		}
		out = append(out, b)
	}
	if !replaced {
		out = append(out, note)
	}
	return out
}

// acknowledge handles a press of the Acknowledge button, in the channel of
// the alert, whose authorization applies as for the other alert buttons.
func (s *Server) acknowledge(ctx context.Context, cb slack.InteractionCallback, value, transport string) {
	var v ackValue
	if err := json.Unmarshal([]byte(value), &v); err != nil || v.Shop == "" || v.Root == "" {
		s.log.Warn("acknowledge: bad button value", "err", err)
		return
	}
	channel := callbackChannel(cb)
	log := s.log.With("transport", transport, "channel", channel, "user", cb.User.ID, "shop", v.Shop, "metric", v.Metric)
	shop, r, ok := s.h.ackShop(Request{Command: s.opts.Command, ChannelID: channel, UserID: cb.User.ID}, v.Shop)
	if !ok {
		log.Info("acknowledge refused", "kind", r.Kind)
		s.ephemeral(ctx, cb, r)
		return
	}
	a, first, err := s.h.db.Acknowledge(ctx, store.Ack{ShopID: shop.ID, Metric: v.Metric, Root: v.Root, By: cb.User.ID, Channel: channel, At: s.h.now()})
	if err != nil {
		log.Error("acknowledge failed", "err", err)
		s.ephemeral(ctx, cb, s.h.failure())
		return
	}
	log.Info("acknowledge", "first", first, "by", a.By)
	if len(cb.Message.Blocks.BlockSet) == 0 {
		// Without the message's blocks an update would wipe the alert: say
		// it to the user instead.
		log.Warn("acknowledge: the payload carries no message to update")
		s.ephemeral(ctx, cb, textReply(KindAnswer, ackText(a, shop)))
		return
	}
	blocks := acknowledged(cb.Message.Blocks.BlockSet, ackText(a, shop))
	ts := cmp.Or(cb.Container.MessageTs, cb.Message.Timestamp)
	if s.opts.BotToken != "" && ts != "" {
		_, _, _, err := s.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(cb.Message.Text, false))
		if err == nil {
			return
		}
		log.Warn("chat.update failed, using the response_url", "err", err)
	}
	if cb.ResponseURL == "" {
		log.Error("acknowledge: no way to update the message")
		return
	}
	// The message's text comes escaped, and a reply escapes its text.
	text := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(cb.Message.Text)
	s.postResponse(ctx, cb.ResponseURL, Reply{Kind: KindAnswer, InChannel: true, Blocks: blocks, Text: text}, true)
}

// ephemeral answers a button press to the user alone.
func (s *Server) ephemeral(ctx context.Context, cb slack.InteractionCallback, r Reply) {
	if cb.ResponseURL == "" {
		return
	}
	s.postResponse(ctx, cb.ResponseURL, r, false)
}

// ackShop is the shop an Acknowledge press in req's channel is about, or
// the refusal (or apology) to answer with: the channel must see the shop.
func (h *Handler) ackShop(req Request, shopID string) (*rules.Shop, Reply, bool) {
	sc, err := h.scope(req)
	var s *rules.Shop
	if err == nil {
		s, err = h.shop(req, sc, shopID, "status SHOP")
	}
	if err == nil && s.ID != shopID {
		err = errors.New("acknowledge: the button names no configured shop")
	}
	if err != nil {
		if ue, ok := errors.AsType[*userError](err); ok {
			return nil, textReply(ue.kind, ue.md), false
		}
		h.log.Error("acknowledge", "err", err)
		return nil, h.failure(), false
	}
	return s, Reply{}, true
}

// renderAckReminder renders the reminder of a critical alert nobody
// acknowledged, with the Acknowledge button and the alert's others.
func (n *Notifier) renderAckReminder(m *monitor.Message) (Reply, error) {
	if m.Alert == nil {
		return Reply{}, errors.New("acknowledgement reminder without an alert")
	}
	a, s := m.Alert, n.shopOf(m)
	data := n.alertData(m, s)
	data.Transition, data.Waited = "unacknowledged", waitedText(a.Waited)
	text, err := n.tmpl.Render("alert.unacknowledged", data)
	if err != nil {
		return Reply{}, err
	}
	var b msg
	b.header(fmt.Sprintf("⏰ %s critical, not acknowledged · %s", abbrev(a.Metric), s.Name))
	b.section(text)
	b.context(fmt.Sprintf("Shop `%s` · %s · `%s status %s`", s.ID, openText(a), n.o.Command, s.ID))
	r := b.reply(KindAnswer)
	r.InChannel = true
	r.Blocks = append(r.Blocks, ackButton(m))
	r.Blocks = append(r.Blocks, n.alertButtons(a, s)...)
	return r, nil
}

// waitedText is how long an alert has waited: "25 hours", "3 days".
func waitedText(d time.Duration) string {
	h := int(d.Hours())
	if h < 48 {
		return templates.Plural(h, "hour", "hours")
	}
	return templates.Plural(h/24, "day", "days")
}
