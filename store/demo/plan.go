package demo

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// scenario is the story a shop's data tells.
type scenario uint8

const (
	healthy    scenario = iota
	trouble             // negative reviews and returns on one or two bad products, all along
	recent              // trouble that started two to three weeks before End
	recovering          // trouble that ended about three weeks before End
)

// zone is a shop time zone with the profile and market that go with it.
type zone struct {
	name, profile, market string
}

// zones rotate over the shops, so that every profile shows up in a
// default-sized demo.
var zones = []zone{
	{"Asia/Bangkok", "sea", "TH"},
	{"Asia/Jakarta", "sea", "ID"},
	{"Asia/Manila", "sea", "PH"},
	{"America/Los_Angeles", "us", "US"},
	{"America/New_York", "us", "US"},
	{"Asia/Kuala_Lumpur", "sea", "MY"},
	{"Europe/London", "default", "UK"},
	{"Asia/Ho_Chi_Minh", "sea", "VN"},
	{"Asia/Singapore", "sea", "SG"},
	{"America/Chicago", "us", "US"},
}

// shopPlan is everything about a shop that is decided before its data is
// generated: its config entry and the parameters of its behaviour.
type shopPlan struct {
	idx      int
	id       string
	name     string
	zone     zone
	loc      *time.Location
	channel  string
	scenario scenario
	category int

	thresholds string       // YAML flow mapping lines for thresholds:, or ""
	holiday    [2]time.Time // chat holiday, local dates (UTC midnights); zero when none

	volume      float64 // order volume factor, about 0.3..2, mean 1
	reviewRate  float64 // share of delivered lines with a (non-negative) review
	negBase     float64 // seller-related 1-2 star reviews per delivered order, outside trouble
	negTrouble  float64 // the same while in trouble
	troubleFrom int     // trouble spans day indexes [troubleFrom, troubleTo) of deliveries
	troubleTo   int
	returnRate  float64 // returns per order, outside trouble
	badReturn   float64 // extra return chance of an order with a bad product, in trouble
	chatRate    float64 // share of orders with a conversation
	chatLate    float64 // share of buyer turns answered after the target
	chatNever   float64 // share of buyer turns never answered
	replyMedian float64 // median reply delay, seconds
	agentShare  float64 // share of replies sent by an agent rather than the shop account
	robotShare  float64 // share of conversations with an automatic first reply
	slowChat    bool    // replies are slow: chatLate and chatNever are high
	targetHours int     // the profile's chat target
}

// seedFor derives a PCG seed pair from the options' seed, a shop index and
// a stream number, so that every shop has its own independent streams.
func seedFor(seed int64, shop int, stream uint64) (uint64, uint64) {
	a := splitmix(uint64(seed) ^ splitmix(uint64(shop)+1))
	b := splitmix(a ^ (stream+1)*0x9e3779b97f4a7c15)
	return a, b
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Streams per shop.
const (
	streamPlan = iota
	streamData
)

// adminShop is the pseudo shop index of the config-wide stream.
const adminShop = -1

// newRand returns the PCG stream of a shop (adminShop for the config's own).
func newRand(seed int64, shop int, stream uint64) *rng {
	return newRNG(seedFor(seed, shop, stream))
}

// planShops decides every shop's config and behaviour.
func planShops(opts Options) ([]*shopPlan, error) {
	endDate := dateOf(opts.End)
	locs := make(map[string]*time.Location)
	used := make(map[string]bool)
	plans := make([]*shopPlan, opts.Shops)
	for i := range plans {
		r := newRand(opts.Seed, i, streamPlan)
		z := zones[i%len(zones)]
		loc, ok := locs[z.name]
		if !ok {
			var err error
			if loc, err = time.LoadLocation(z.name); err != nil {
				return nil, fmt.Errorf("demo: time zone %s: %w", z.name, err)
			}
			locs[z.name] = loc
		}
		p := &shopPlan{
			idx:      i,
			id:       strconv.Itoa(7495001 + i),
			zone:     z,
			loc:      loc,
			scenario: scenarioOf(i, opts.Shops),
			category: r.IntN(len(categories)),
		}
		cat := categories[p.category]
		p.name = shopName(r, cat, z.market, used)
		p.channel = channelID(r)

		// Behaviour.
		// Log-uniform over 0.3x..2x, scaled so that the mean is 1.
		p.volume = math.Exp(r.uniform(math.Log(0.3), math.Log(2))) * math.Log(2/0.3) / (2 - 0.3)
		p.reviewRate = r.uniform(0.08, 0.15)
		p.negBase = r.uniform(0.002, 0.0045)
		p.negTrouble = r.uniform(0.018, 0.03)
		p.returnRate = r.uniform(0.01, 0.02)
		p.badReturn = r.uniform(0.06, 0.12)
		p.chatRate = r.uniform(0.15, 0.25)
		p.targetHours = 12
		if z.profile == "us" {
			p.targetHours = 24
		}
		p.slowChat = p.scenario == trouble || i%12 == 5 // all trouble shops and one more
		if p.slowChat {
			p.chatLate = r.uniform(0.08, 0.14)
			p.chatNever = r.uniform(0.02, 0.04)
			p.replyMedian = r.uniform(60, 150) * 60
		} else {
			p.chatLate = r.uniform(0.005, 0.025)
			p.chatNever = r.uniform(0.002, 0.008)
			p.replyMedian = r.uniform(8, 45) * 60
		}
		if r.IntN(2) == 0 {
			p.agentShare = r.uniform(0.3, 1)
		}
		if r.IntN(2) == 0 {
			p.robotShare = 0.2
		}
		// Trouble spans, as day indexes of delivery (day 0 is the first day).
		last := opts.Days - 1
		switch p.scenario {
		case trouble:
			p.troubleFrom, p.troubleTo = math.MinInt32, math.MaxInt32
		case recent:
			p.troubleFrom, p.troubleTo = last-14-r.IntN(7), math.MaxInt32
		case recovering:
			p.troubleTo = last - 20 - r.IntN(4)
			p.troubleFrom = p.troubleTo - 30 - r.IntN(10)
		}
		// Occasional config extras.
		switch i % 8 {
		case 3:
			p.thresholds = `nrr: {warn: "0.6%", critical: 0.008}`
		case 6:
			p.thresholds = `sfrr: {warn: "1.2%", critical: 0.015}`
		}
		if (i%8 == 2 || i%8 == 7) && opts.Days >= 3 {
			k := min(opts.Days-1, 20+r.IntN(30)) // days before End of the first holiday day
			from := endDate.AddDate(0, 0, -k)
			p.holiday = [2]time.Time{from, from.AddDate(0, 0, 2)}
			if k < 2 {
				p.holiday = [2]time.Time{}
			}
		}
		plans[i] = p
	}
	return plans, nil
}

// scenarioOf assigns scenarios by shop index: about one shop in four is in
// trouble, the second has trouble that started recently and the third one
// that ended a few weeks ago; the rest are healthy.
func scenarioOf(i, n int) scenario {
	switch {
	case i%4 == 0:
		return trouble
	case i == 1 && n >= 3:
		return recent
	case i == 2 && n >= 4:
		return recovering
	}
	return healthy
}

// dateOf returns t's calendar date as a UTC midnight.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// shopName returns a plausible shop name not in used, such as "Acme Beauty
// TH", and adds it to used.
func shopName(r *rng, cat category, market string, used map[string]bool) string {
	var name string
	for range 5 {
		name = brands[r.IntN(len(brands))] + " " + cat.labels[r.IntN(len(cat.labels))] + " " + market
		if !used[name] {
			used[name] = true
			return name
		}
	}
	for n := 2; ; n++ {
		if s := name + " " + strconv.Itoa(n); !used[s] {
			used[s] = true
			return s
		}
	}
}

const channelChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// channelID returns a Slack-like channel id: "C0" and 8 uppercase
// alphanumerics.
func channelID(r *rng) string {
	b := []byte("C0")
	for range 8 {
		b = append(b, channelChars[r.IntN(len(channelChars))])
	}
	return string(b)
}

var scenarioNotes = [...]string{
	healthy:    "healthy",
	trouble:    "in trouble: negative reviews and returns pile up on one or two products",
	recent:     "trouble started two to three weeks ago: a metric crossed its threshold recently",
	recovering: "trouble ended about three weeks ago: recovering",
}

// writeConfig writes the shops config (SPEC section 1) as YAML text.
func writeConfig(w io.Writer, opts Options, plans []*shopPlan) error {
	var b strings.Builder
	end := dateOf(opts.End)
	fmt.Fprintf(&b, "# shopwatch demo configuration, generated by `shopwatch demo`\n")
	fmt.Fprintf(&b, "# (seed %d, %d shops, %d days ending %s). Regenerate rather than edit:\n",
		opts.Seed, opts.Shops, opts.Days, end.Format(time.DateOnly))
	fmt.Fprintf(&b, "# orders.csv, reviews.csv, returns.csv and chats.csv beside it match it.\n")
	b.WriteString("shops:\n")
	for _, p := range plans {
		note := scenarioNotes[p.scenario]
		if p.slowChat {
			note += "; slow chat replies"
		}
		fmt.Fprintf(&b, "  # %s\n", note)
		fmt.Fprintf(&b, "  - id: %s\n", yamlQuote(p.id))
		fmt.Fprintf(&b, "    name: %s\n", yamlQuote(p.name))
		fmt.Fprintf(&b, "    timezone: %s\n", p.zone.name)
		fmt.Fprintf(&b, "    profile: %s\n", p.zone.profile)
		fmt.Fprintf(&b, "    channel: %s\n", p.channel)
		if p.thresholds != "" {
			fmt.Fprintf(&b, "    thresholds:\n      %s\n", p.thresholds)
		}
		if !p.holiday[0].IsZero() {
			fmt.Fprintf(&b, "    holidays:\n      - {from: %s, to: %s}\n",
				p.holiday[0].Format(time.DateOnly), p.holiday[1].Format(time.DateOnly))
		}
	}
	fmt.Fprintf(&b, "admin_channel: %s\n", channelID(newRand(opts.Seed, adminShop, streamPlan)))
	b.WriteString("digest: {weekday: monday, time: \"09:00\"}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// yamlQuote returns s as a double-quoted YAML scalar.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
