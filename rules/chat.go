package rules

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Sender is who wrote a chat message.
type Sender uint8

// Senders of chat messages. Robot is an automatic reply.
const (
	SenderBuyer Sender = iota
	SenderShop
	SenderAgent
	SenderRobot
	SenderSystem
)

var senderNames = [...]string{"buyer", "shop", "agent", "robot", "system"}

func (s Sender) String() string {
	if int(s) < len(senderNames) {
		return senderNames[s]
	}
	return fmt.Sprintf("Sender(%d)", s)
}

// ParseSender parses a chats.sender value.
func ParseSender(s string) (Sender, error) {
	for i, n := range senderNames {
		if n == s {
			return Sender(i), nil
		}
	}
	return 0, fmt.Errorf("unknown sender %q (want buyer, shop, agent, robot or system)", s)
}

// replies reports whether a message from s answers a buyer.
func (s Sender) replies() bool { return s == SenderShop || s == SenderAgent || s == SenderRobot }

// ChatMessage is one message of a conversation.
type ChatMessage struct {
	ID     string
	Sender Sender
	SentAt int64 // Unix milliseconds
}

// CompareMessages orders a conversation: by time; at the same instant a
// buyer's message comes first, so that an instant automatic reply answers it
// in zero time; then by message id.
func CompareMessages(a, b ChatMessage) int {
	if c := cmp.Compare(a.SentAt, b.SentAt); c != 0 {
		return c
	}
	if ab, bb := a.Sender == SenderBuyer, b.Sender == SenderBuyer; ab != bb {
		if ab {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.ID, b.ID)
}

// Turn is a buyer turn: it starts at a buyer message and is answered by the
// first later message from the shop, an agent or a robot.
type Turn struct {
	Start int64 // Unix milliseconds
	Reply int64 // Unix milliseconds; 0 when there is no reply
	Day   Day   // local date of Start
}

// Turns splits one conversation into buyer turns (SPEC section 3). msgs must
// be ordered by CompareMessages. System messages are ignored; a conversation
// whose first other message is not from the buyer has no turns.
func Turns(msgs []ChatMessage, loc *time.Location) []Turn {
	var turns []Turn
	first, open := true, -1 // open: index in turns of the turn awaiting a reply
	prev := SenderSystem
	for _, m := range msgs {
		if m.Sender == SenderSystem {
			continue
		}
		if first {
			first = false
			if m.Sender != SenderBuyer {
				return nil
			}
		}
		switch {
		case m.Sender == SenderBuyer && (prev == SenderSystem || prev.replies()):
			turns = append(turns, Turn{Start: m.SentAt, Day: DayOfUnixMilli(m.SentAt, loc)})
			open = len(turns) - 1
		case m.Sender.replies() && open >= 0:
			turns[open].Reply = m.SentAt
			open = -1
		}
		prev = m.Sender
	}
	return turns
}

// SortMessages orders msgs by CompareMessages.
func SortMessages(msgs []ChatMessage) { slices.SortFunc(msgs, CompareMessages) }

// TurnOutcome is how a buyer turn stands at an evaluation instant.
type TurnOutcome uint8

// Turn outcomes (SPEC section 3). Pending turns are not counted.
const (
	TurnOnTime TurnOutcome = iota
	TurnLate
	TurnPending
)

// ClassifyTurn classifies t at the instant end (Unix ms) against a target
// response time in milliseconds. replied reports a reply before end.
func ClassifyTurn(t Turn, end, target int64) (outcome TurnOutcome, replied bool) {
	if t.Reply != 0 && t.Reply < end {
		if t.Reply-t.Start <= target {
			return TurnOnTime, true
		}
		return TurnLate, true
	}
	if end-t.Start > target {
		return TurnLate, false
	}
	return TurnPending, false
}

// TargetMillis is the profile's chat response target in milliseconds.
func (p Profile) TargetMillis() int64 {
	return int64(p.ChatTargetHours * float64(time.Hour/time.Millisecond))
}

// evaluateChat computes chat_response_rate and chat_avg_response_hours.
func evaluateChat(w Window, turns []Turn, shop *Shop) (rate, avg Result) {
	p := shop.Profile
	n := w.Days()
	end := w.End.UnixMilli()
	target := p.TargetMillis()
	onTime, late := make([]int, n), make([]int, n)
	rate = Result{Metric: ChatResponseRate, WindowDays: n, TargetHours: p.ChatTargetHours}
	avg = Result{Metric: ChatAvgResponseHours, WindowDays: n, TargetHours: p.ChatTargetHours, Level: LevelNone}
	var replyMillis int64
	for _, t := range turns {
		if !shop.CountsTurn(t, w) {
			continue
		}
		outcome, replied := ClassifyTurn(t, end, target)
		switch outcome {
		case TurnOnTime:
			onTime[w.Index(t.Day)]++
		case TurnLate:
			late[w.Index(t.Day)]++
		case TurnPending:
			rate.Pending++
		}
		if replied {
			avg.Count++
			replyMillis += t.Reply - t.Start
		}
	}
	for i := range n {
		rate.Numerator += onTime[i]
		rate.Denominator += onTime[i] + late[i]
	}
	if rate.Denominator > 0 {
		rate.Valid, rate.Value = true, float64(rate.Numerator)/float64(rate.Denominator)
	}
	if avg.Count > 0 {
		avg.Valid, avg.Value = true, float64(replyMillis)/float64(avg.Count)/float64(time.Hour/time.Millisecond)
	}
	th, ok := p.Thresholds[ChatResponseRate]
	if !ok {
		rate.Level = LevelNone
		return rate, avg
	}
	rate.Thresholds = &th
	rate.Level = LevelOf(ChatResponseRate, rate.Value, rate.Valid, rate.Denominator, p.MinTurns, &th)
	if !rate.Valid {
		return rate, avg
	}
	if th.Critical > 0 {
		h := chatHeadroom(rate.Numerator, rate.Denominator, th.Critical)
		rate.Headroom = &h
	}
	if ChatResponseRate.Worse(rate.Value, th.Warn) {
		if d, ok := chatRecoveryDay(onTime, late, w, th.Warn); ok {
			rate.RecoversOn = &d
		}
	}
	return rate, avg
}

// chatHeadroom is how many more late turns the response rate can take before
// it falls below critical, which must be above 0.
func chatHeadroom(onTime, total int, critical float64) int {
	if float64(onTime)/float64(total) < critical {
		return 0
	}
	k := max(0, int(float64(onTime)/critical)-total)
	for k > 0 && float64(onTime)/float64(total+k) < critical {
		k--
	}
	for float64(onTime)/float64(total+k+1) >= critical {
		k++
	}
	return k
}

// chatRecoveryDay finds the first date after w.Last on which the response rate
// is back at warn or better, if no new late turn arrives, as old turns leave
// the window and new turns, answered on time, come at the window's daily average.
func chatRecoveryDay(onTime, late []int, w Window, warn float64) (Day, bool) {
	n := w.Days()
	total := 0
	for i := range n {
		total += onTime[i] + late[i]
	}
	avg := float64(total) / float64(n)
	for k := 1; k <= n; k++ {
		good, bad := avg*float64(k), 0.0
		for i := k; i < n; i++ {
			good += float64(onTime[i])
			bad += float64(late[i])
		}
		if good+bad > 0 && good/(good+bad) >= warn {
			return w.Last + Day(k), true
		}
	}
	return 0, false
}

// CountsTurn reports whether turn t belongs to window w: it starts in the
// window, before its end, and not in a holiday period.
func (s *Shop) CountsTurn(t Turn, w Window) bool {
	return w.Contains(t.Day) && t.Start < w.End.UnixMilli() && !s.OnHoliday(t.Day)
}
