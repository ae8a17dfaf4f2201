package rules

import (
	"testing"
	"time"
)

func TestTurns(t *testing.T) {
	loc := mustLoc(t, "Asia/Bangkok")
	base := mustTime(t, "2026-11-20T10:00:00+07:00").UnixMilli()
	min := func(n int) int64 { return base + int64(n)*60_000 }
	msg := func(s Sender, minute int) ChatMessage { return ChatMessage{Sender: s, SentAt: min(minute)} }
	tests := []struct {
		name string
		msgs []ChatMessage
		want []Turn // Day is checked separately
	}{
		{"buyer then shop", []ChatMessage{msg(SenderBuyer, 0), msg(SenderShop, 5)}, []Turn{{Start: min(0), Reply: min(5)}}},
		{"consecutive buyer messages are one turn", []ChatMessage{msg(SenderBuyer, 0), msg(SenderBuyer, 2), msg(SenderAgent, 9)}, []Turn{{Start: min(0), Reply: min(9)}}},
		{"robot reply counts", []ChatMessage{msg(SenderBuyer, 0), msg(SenderRobot, 0), msg(SenderShop, 30)}, []Turn{{Start: min(0), Reply: min(0)}}},
		{"second turn after a reply", []ChatMessage{msg(SenderBuyer, 0), msg(SenderShop, 5), msg(SenderBuyer, 10), msg(SenderShop, 70)},
			[]Turn{{Start: min(0), Reply: min(5)}, {Start: min(10), Reply: min(70)}}},
		{"no reply", []ChatMessage{msg(SenderBuyer, 0)}, []Turn{{Start: min(0)}}},
		{"leading system message is skipped", []ChatMessage{msg(SenderSystem, 0), msg(SenderBuyer, 1), msg(SenderShop, 2)}, []Turn{{Start: min(1), Reply: min(2)}}},
		{"system message between buyer messages does not split a turn", []ChatMessage{msg(SenderBuyer, 0), msg(SenderSystem, 1), msg(SenderBuyer, 2), msg(SenderShop, 3)}, []Turn{{Start: min(0), Reply: min(3)}}},
		{"seller-initiated conversation is excluded", []ChatMessage{msg(SenderShop, 0), msg(SenderBuyer, 1), msg(SenderShop, 2)}, nil},
		{"robot-initiated conversation is excluded", []ChatMessage{msg(SenderSystem, 0), msg(SenderRobot, 1), msg(SenderBuyer, 2)}, nil},
		{"only system messages", []ChatMessage{msg(SenderSystem, 0)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := append([]ChatMessage(nil), tt.msgs...)
			SortMessages(msgs)
			got := Turns(msgs, loc)
			if len(got) != len(tt.want) {
				t.Fatalf("Turns = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].Start != tt.want[i].Start || got[i].Reply != tt.want[i].Reply {
					t.Errorf("turn %d = %+v, want %+v", i, got[i], tt.want[i])
				}
				if got[i].Day != DayOfUnixMilli(got[i].Start, loc) {
					t.Errorf("turn %d day = %s", i, got[i].Day)
				}
			}
		})
	}
}

func TestCompareMessagesTie(t *testing.T) {
	// A shop message and a buyer message at the same instant: the buyer's is
	// first, so the shop's answers it in zero time.
	msgs := []ChatMessage{{ID: "a", Sender: SenderShop, SentAt: 1000}, {ID: "b", Sender: SenderBuyer, SentAt: 1000}}
	SortMessages(msgs)
	turns := Turns(msgs, time.UTC)
	if len(turns) != 1 || turns[0].Reply != 1000 {
		t.Fatalf("turns = %+v, want one turn answered at once", turns)
	}
}

func TestChatMetrics(t *testing.T) {
	shop := testShop(t, "default") // 12 h target, warn 95%, critical 90%, min 10 turns
	D := DateDay(2026, 11, 20)
	w := shop.Window(D)
	end := w.End.UnixMilli()
	h := int64(time.Hour / time.Millisecond)
	turn := func(start, reply int64) Turn {
		return Turn{Start: start, Reply: reply, Day: DayOfUnixMilli(start, shop.Location)}
	}
	day10 := w.First.Start(shop.Location).UnixMilli() + 10*24*h // mid-window, noon-ish local
	tests := []struct {
		name         string
		turns        []Turn
		holidays     []Period
		onTime, late int
		pending      int
		replied      int
		avgHours     float64
	}{
		{"answered within target", []Turn{turn(day10, day10+2*h)}, nil, 1, 0, 0, 1, 2},
		{"answered exactly at the target is on time", []Turn{turn(day10, day10+12*h)}, nil, 1, 0, 0, 1, 12},
		{"answered one ms after the target is late", []Turn{turn(day10, day10+12*h+1)}, nil, 0, 1, 0, 1, 12 + 1.0/float64(h)},
		{"no reply, older than the target at T: late", []Turn{turn(end-13*h, 0)}, nil, 0, 1, 0, 0, 0},
		{"no reply, exactly the target before T: pending", []Turn{turn(end-12*h, 0)}, nil, 0, 0, 1, 0, 0},
		{"no reply, recent: pending", []Turn{turn(end-1*h, 0)}, nil, 0, 0, 1, 0, 0},
		{"reply after T is no reply yet (pending)", []Turn{turn(end-2*h, end+1*h)}, nil, 0, 0, 1, 0, 0},
		{"reply after T is no reply yet (late)", []Turn{turn(end-20*h, end+1*h)}, nil, 0, 1, 0, 0, 0},
		{"reply exactly at T is after T", []Turn{turn(end-1*h, end)}, nil, 0, 0, 1, 0, 0},
		{"turn starting at T is outside", []Turn{turn(end, end+1)}, nil, 0, 0, 0, 0, 0},
		{"turn before the window is outside", []Turn{turn(w.First.Start(shop.Location).UnixMilli()-1, day10)}, nil, 0, 0, 0, 0, 0},
		{"holiday turns are excluded", []Turn{turn(day10, 0), turn(day10+24*h, day10+25*h)}, []Period{{From: w.First + 10, To: w.First + 10}}, 1, 0, 0, 1, 1},
		{"average over replied turns, late ones included", []Turn{turn(day10, day10+1*h), turn(day10, day10+15*h), turn(day10, 0)}, nil, 1, 2, 0, 2, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := *shop
			s.Holidays = tt.holidays
			r := Evaluate(&s, w, Inputs{Delivered: make([]int, 30), Turns: tt.turns})
			rate, avg := r.Results[ChatResponseRate], r.Results[ChatAvgResponseHours]
			if rate.Numerator != tt.onTime || rate.Denominator != tt.onTime+tt.late || rate.Pending != tt.pending {
				t.Errorf("rate = %d/%d pending %d, want %d/%d pending %d", rate.Numerator, rate.Denominator, rate.Pending, tt.onTime, tt.onTime+tt.late, tt.pending)
			}
			if avg.Count != tt.replied || (tt.replied > 0 && !near(avg.Value, tt.avgHours)) || avg.Valid != (tt.replied > 0) {
				t.Errorf("avg = %v h over %d (valid %v), want %v h over %d", avg.Value, avg.Count, avg.Valid, tt.avgHours, tt.replied)
			}
		})
	}
}

func TestChatLevels(t *testing.T) {
	shop := testShop(t, "default")
	D := DateDay(2026, 11, 20)
	w := shop.Window(D)
	h := int64(time.Hour / time.Millisecond)
	start := w.First.Start(shop.Location).UnixMilli() + 5*24*h
	mk := func(onTime, late int) []Turn {
		var out []Turn
		for i := range onTime + late {
			reply := start + h
			if i >= onTime {
				reply = start + 13*h
			}
			out = append(out, Turn{Start: start, Reply: reply, Day: DayOfUnixMilli(start, shop.Location)})
		}
		return out
	}
	tests := []struct {
		name         string
		onTime, late int
		level        Level
		headroom     int
	}{
		{"9 turns: insufficient", 9, 0, LevelInsufficient, 1},
		{"all on time", 20, 0, LevelOK, 2},           // 20/22 = 90.9% >= 90%, 20/23 < 90%
		{"exactly at warn is ok", 19, 1, LevelOK, 1}, // 95%
		{"just below warn", 18, 1, LevelWarn, 1},     // 94.7%; 18/20 = 90%
		{"exactly at critical is warn", 18, 2, LevelWarn, 0},
		{"below critical", 17, 2, LevelCritical, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(shop, w, Inputs{Delivered: make([]int, 30), Turns: mk(tt.onTime, tt.late)}).Results[ChatResponseRate]
			if res.Level != tt.level {
				t.Errorf("level = %s, want %s (%d/%d)", res.Level, tt.level, res.Numerator, res.Denominator)
			}
			if res.Headroom == nil || *res.Headroom != tt.headroom {
				t.Errorf("headroom = %v, want %d", intp(res.Headroom), tt.headroom)
			}
			if (res.RecoversOn != nil) != (tt.level == LevelWarn || tt.level == LevelCritical) {
				t.Errorf("recovers_on = %v with level %s", res.RecoversOn, res.Level)
			}
		})
	}
}

func intp(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func near(a, b float64) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9
}
