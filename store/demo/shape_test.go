package demo_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/store/demo"
)

func TestGenerateValid(t *testing.T) {
	tests := []struct {
		name string
		opts demo.Options
	}{
		// Ten shops cover every time zone; November has the US and UK DST ends.
		{"all zones over DST end", demo.Options{Shops: 10, Days: 30, OrdersPerDay: 30, End: end}},
		{"spring forward", demo.Options{Shops: 10, Days: 10, OrdersPerDay: 30, End: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), Seed: 7}},
		{"one day", demo.Options{Shops: 3, Days: 1, OrdersPerDay: 50, End: end}},
		{"end in a far zone", demo.Options{Shops: 4, Days: 5, OrdersPerDay: 20, End: time.Date(2026, 1, 2, 23, 0, 0, 0, time.FixedZone("", -11*3600))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, sum := MustGenerate(t, tt.opts)
			ds := MustReadDataSet(t, dir, tt.opts)
			if sum.Orders != len(ds.orders) || sum.OrderLines != ds.lines || sum.Reviews != len(ds.reviews) ||
				sum.Returns != len(ds.returns) || sum.ChatMessages != len(ds.chats) {
				t.Errorf("Summary %+v does not match the files: %d orders, %d lines, %d reviews, %d returns, %d messages",
					sum, len(ds.orders), ds.lines, len(ds.reviews), len(ds.returns), len(ds.chats))
			}
			if sum.Orders == 0 || sum.OrderLines <= sum.Orders {
				t.Errorf("%d orders with %d lines: want some orders with several lines", sum.Orders, sum.OrderLines)
			}
			// The first local day of data has orders in every shop.
			y, m, d := tt.opts.End.Date()
			for id, s := range ds.shops {
				first := time.Date(y, m, d-tt.opts.Days+1, 0, 0, 0, 0, s.loc)
				var n int
				for _, o := range ds.orders {
					if o.shop == id {
						n++
						if o.created.Before(first) {
							t.Errorf("shop %s: order created %s, before the first day", id, o.createdAt)
						}
					}
				}
				if n == 0 {
					t.Errorf("shop %s has no orders", id)
				}
			}
		})
	}
}

// TestGenerateShape checks that the default data set tells the stories the
// demo needs.
func TestGenerateShape(t *testing.T) {
	for _, opts := range []demo.Options{{End: end}} {
		t.Run("defaults", func(t *testing.T) {
			dir, _ := MustGenerate(t, opts)
			ds := MustReadDataSet(t, dir, opts)

			// 30-day share of delivered orders with a 1-2 star review, per shop.
			type counts struct{ delivered, negative map[string]bool }
			per := make(map[string]*counts)
			inWindow := func(s *shopInfo, at time.Time) bool {
				return !at.Before(s.end.AddDate(0, 0, -30)) && at.Before(s.end)
			}
			for id := range ds.shops {
				per[id] = &counts{map[string]bool{}, map[string]bool{}}
			}
			for oid, o := range ds.orders {
				if !o.delivered.IsZero() && inWindow(ds.shops[o.shop], o.delivered) {
					per[o.shop].delivered[oid] = true
				}
			}
			for _, r := range ds.reviews {
				if r.rating <= 2 && inWindow(ds.shops[r.shop], r.created) {
					per[r.shop].negative[r.order] = true
				}
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for id, c := range per {
				rate := float64(len(c.negative)) / float64(len(c.delivered))
				t.Logf("shop %s (%s): 30-day negative review share %.2f%% of %d delivered", id, ds.shops[id].timezone, 100*rate, len(c.delivered))
				lo, hi = min(lo, rate), max(hi, rate)
			}
			if hi <= 0.01 {
				t.Errorf("highest 30-day negative share %.2f%%, want a shop above 1%%", 100*hi)
			}
			if lo >= 0.005 {
				t.Errorf("lowest 30-day negative share %.2f%%, want a shop below 0.5%%", 100*lo)
			}

			// Reviews: tags, texts with CSV quoting and non-ASCII, the rating mix.
			var tagged, quoted, nonASCII, negEmptyTags, fives int
			for _, r := range ds.reviews {
				if r.tags != "" {
					tagged++
				} else if r.rating <= 2 {
					negEmptyTags++
				}
				if strings.ContainsAny(r.text, `,"`) {
					quoted++
				}
				if strings.ContainsFunc(r.text, func(c rune) bool { return c > 127 }) {
					nonASCII++
				}
				if r.rating == 5 {
					fives++
				}
			}
			if tagged == 0 || negEmptyTags <= tagged || quoted == 0 || nonASCII == 0 {
				t.Errorf("reviews: %d tagged, %d negative without tags, %d with commas or quotes, %d non-ASCII", tagged, negEmptyTags, quoted, nonASCII)
			}
			if fives*2 < len(ds.reviews) {
				t.Errorf("%d of %d reviews are 5 stars, want most", fives, len(ds.reviews))
			}
			if share := float64(len(ds.reviews)) / float64(ds.lines); share < 0.06 || share > 0.16 {
				t.Errorf("reviews are %.1f%% of order lines, want about 8-15%%", 100*share)
			}

			// Returns: statuses and unusual reasons.
			status := make(map[string]int)
			for _, r := range ds.returns {
				status[r.status]++
			}
			if share := float64(len(ds.returns)) / float64(len(ds.orders)); share < 0.01 || share > 0.04 {
				t.Errorf("returns are %.2f%% of orders, want 1-4%%", 100*share)
			}
			if status["cancelled"] == 0 || status["seller_won"] == 0 || status["completed"] == 0 {
				t.Errorf("return statuses %v: want cancelled, seller_won and completed", status)
			}

			// Chats: seller-initiated conversations, robots, unanswered turns.
			first := make(map[string]string)
			senders := make(map[string]int)
			for _, c := range ds.chats {
				senders[c.sender]++
				if _, ok := first[c.conv]; !ok && c.sender != "system" {
					first[c.conv] = c.sender
				}
			}
			var sellerFirst int
			for _, s := range first {
				if s == "shop" || s == "agent" {
					sellerFirst++
				}
			}
			if sellerFirst == 0 || sellerFirst*10 > len(first) {
				t.Errorf("%d of %d conversations are seller-initiated, want a few", sellerFirst, len(first))
			}
			for _, s := range []string{"buyer", "shop", "agent", "robot", "system"} {
				if senders[s] == 0 {
					t.Errorf("no chat message from %s (%v)", s, senders)
				}
			}
			if share := float64(len(first)) / float64(len(ds.orders)); share < 0.12 || share > 0.28 {
				t.Errorf("%.1f%% of orders have a conversation, want 15-25%%", 100*share)
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	opts := demo.Options{Shops: 50, Days: 60, OrdersPerDay: 300, End: end} // about a million lines
	dir := b.TempDir()
	var lines int
	for b.Loop() {
		sum, err := demo.Generate(dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		lines += sum.OrderLines
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}
