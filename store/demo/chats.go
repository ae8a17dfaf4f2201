package demo

import (
	"math"
)

// Chat senders.
const (
	senderBuyer  = "buyer"
	senderShop   = "shop"
	senderAgent  = "agent"
	senderRobot  = "robot"
	senderSystem = "system"
)

// chat writes the messages of one conversation, stopping at End's end of day.
type chat struct {
	g    *shopGen
	done bool
}

// msg writes one message at instant t; it reports false (and writes
// nothing more for the conversation) once t is past the data's end.
func (c *chat) msg(sender string, t int64, text string) bool {
	g := c.g
	if c.done || t >= g.endEOD {
		c.done = true
		return false
	}
	g.messageID.next()
	g.sum.ChatMessages++
	out := g.out
	b := append(out.buf, g.messageID...)
	b = append(b, ',')
	b = append(b, g.convID...)
	b = append(b, ',')
	b = append(b, g.shopField...)
	b = append(b, ',')
	b = append(b, sender...)
	b = append(b, ',')
	b = g.clk.appendRFC3339(b, t)
	b = append(b, ',')
	b = append(b, text...)
	out.buf = append(b, '\n')
	out.emit(fileChats)
	return true
}

// replier is who answers for the shop: the shop account or an agent.
func (g *shopGen) replier() string {
	if g.r.Float64() < g.p.agentShare {
		return senderAgent
	}
	return senderShop
}

// conversation writes a conversation about the current order.
func (g *shopGen) conversation() {
	r := g.r
	g.convID.next()
	c := chat{g: g}

	if r.Float64() < 0.03 { // seller-initiated
		t := g.created + 1800 + r.Int64N(20*3600)
		if !c.msg(g.replier(), t, r.pick(sellerOpeners)) || r.Float64() < 0.4 {
			return
		}
		t += 600 + r.Int64N(6*3600)
		if !c.msg(senderBuyer, t, r.pick(buyerAnswers)) {
			return
		}
		if rt, ok := g.reply(t); ok {
			c.msg(g.replier(), max(rt, t+30), r.pick(shopFollowUps))
		}
		return
	}

	// Buyer-initiated: before delivery (shipping questions) or after it.
	var t int64
	after := g.delivered != 0 && r.Float64() < 0.55
	if after {
		u := r.Float64()
		t = g.delivered + 600 + int64(u*u*4*86400)
	} else {
		span := g.endEOD - g.created
		if g.delivered != 0 {
			span = g.delivered - g.created
		}
		t = g.created + 120 + r.Int64N(max(1, min(span, 3*86400)-120))
	}
	local := buyerLocal[g.p.zone.market]
	opening := func() string {
		switch {
		case len(local) > 0 && r.Float64() < 0.15:
			return r.pick(local)
		case after:
			return r.pick(buyerAfter)
		}
		return r.pick(buyerBefore)
	}
	if r.Float64() < 0.35 {
		if !c.msg(senderSystem, t, r.pick(systemTexts)) {
			return
		}
		t += 2 + r.Int64N(5)
	}
	turns := 1
	if r.Float64() < 0.3 {
		turns++
		if r.Float64() < 0.3 {
			turns++
		}
	}
	robot := r.Float64() < g.p.robotShare
	for turn := range turns {
		text := r.pick(buyerFollowUp)
		if turn == 0 {
			text = opening()
		}
		if !c.msg(senderBuyer, t, text) {
			return
		}
		if turn == 0 && robot {
			t += 2 + r.Int64N(7)
			if !c.msg(senderRobot, t, r.pick(robotTexts)) {
				return
			}
			t += 60 + r.Int64N(540)
			if !c.msg(senderBuyer, t, "I need a real person please") {
				return
			}
		}
		start, last := t, t
		if r.Float64() < 0.25 { // a second message in the same turn
			last += 15 + r.Int64N(120)
			if !c.msg(senderBuyer, last, r.pick(buyerFollowUp)) {
				return
			}
		}
		rt, ok := g.reply(start)
		if !ok {
			if r.Float64() < 0.5 { // a nudge that goes unanswered too
				c.msg(senderBuyer, last+12*3600+r.Int64N(18*3600), r.pick(buyerFollowUp))
			}
			return
		}
		t = max(rt, last+20)
		who := g.replier()
		if !c.msg(who, t, r.pick(shopReplies)) {
			return
		}
		if r.Float64() < 0.4 {
			t += 30 + r.Int64N(270)
			if !c.msg(who, t, r.pick(shopFollowUps)) {
				return
			}
		}
		t += 180 + r.Int64N(8*3600)
	}
}

// reply returns when the shop answers a buyer turn that started at t, or
// false when it never does. Healthy shops answer in minutes during the day
// and first thing in the morning at night; slow shops keep a share of
// buyers waiting past the target or forever. During a chat holiday the
// answer comes the morning after it.
func (g *shopGen) reply(t int64) (int64, bool) {
	r, p := g.r, g.p
	if t >= g.holFrom && t < g.holTo {
		return g.holTo + 8*3600 + r.Int64N(2*3600), true
	}
	u := r.Float64()
	if u < p.chatNever {
		return 0, false
	}
	if u < p.chatNever+p.chatLate {
		return t + int64(p.targetHours)*3600 + 1800 + r.Int64N(30*3600), true
	}
	delay := p.replyMedian * math.Exp(0.9*r.NormFloat64())
	at := t + int64(min(max(delay, 20), 10*3600))
	// Nobody answers at night: the reply waits for the morning.
	open, closeAt := int64(7*3600), int64(24*3600)
	if p.slowChat {
		open, closeAt = 8*3600, 23*3600
	}
	switch sod := g.clk.secOfDay(at); {
	case sod < open:
		at += open - sod + r.Int64N(5400)
	case sod >= closeAt:
		at += 24*3600 - sod + open + r.Int64N(5400)
	}
	return at, true
}
