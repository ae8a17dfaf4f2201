package demo

import (
	"io"
	"math"
	"slices"
	"strconv"
	"time"
)

// output holds the data files and a reused row buffer.
type output struct {
	w   [4]io.Writer // orders, reviews, returns, chats
	buf []byte
	err error
}

const (
	fileOrders = iota
	fileReviews
	fileReturns
	fileChats
)

func newOutput(w [4]io.Writer) *output {
	return &output{w: w, buf: make([]byte, 0, 4096)}
}

func (o *output) header() {
	for i, h := range [4]string{OrdersHeader, ReviewsHeader, ReturnsHeader, ChatsHeader} {
		o.buf = append(append(o.buf[:0], h...), '\n')
		o.emit(i)
	}
}

// emit writes the row in buf to file i and empties buf.
func (o *output) emit(i int) {
	if o.err == nil {
		_, o.err = o.w[i].Write(o.buf)
	}
	o.buf = o.buf[:0]
}

// Id bases: every id is base + shop index * idShopStride + a per-shop
// counter, so ids are unique across shops and look like TikTok's.
const (
	idShopStride  = 10_000_000_000
	orderIDBase   = 576_460_752_303_423_488   // 18 digits
	reviewIDBase  = 7_300_000_000_000_000_000 // 19 digits
	returnIDBase  = 4_035_000_000_000_000_000
	convIDBase    = 7_494_000_000_000_000_000
	messageIDBase = 7_521_000_000_000_000_000
	productIDBase = 1_729_600_000_000_000_000 // + a mix of shop and index: see productID
)

// productID returns the id of a shop's product: "17296" and 14 digits that
// look random but are unique per (shop, index), from a bijection of
// shop*256+index modulo 10^14.
func productID(shop, index int) uint64 {
	const mod = 100_000_000_000_000
	x := uint64(shop)*256 + uint64(index)
	return productIDBase + (x*73_856_093_741+31_415_926_535_897)%mod
}

// product is one catalogue entry.
type product struct {
	id    string
	name  string // CSV-encoded
	cause cause  // the cause of its trouble when it is a bad product
	bad   bool
}

// hourWeights is the share of orders per local hour: quiet at night, busy
// at lunch and in the evening.
var hourWeights = [24]float64{
	2, 1.2, 0.7, 0.4, 0.3, 0.4, 0.8, 1.5, 2.5, 3.2, 3.6, 3.8,
	4.2, 4.0, 3.8, 3.8, 4.0, 4.3, 4.8, 5.8, 7.0, 7.5, 6.5, 4.2,
}

var hourDist = newDist(hourWeights[:])

// deliveryDist is the share of orders delivered 2..8 days after creation.
var deliveryDist = newDist([]float64{15, 30, 25, 15, 8, 4, 3})

// lineDist is the share of orders with 1, 2 and 3 lines.
var lineDist = newDist([]float64{78, 16, 6})

// causeWeights is the mix of causes of seller-related negative reviews
// outside trouble; index causeNone is "no recognisable cause".
var causeWeights = [numCauses]float64{
	causeNone: 8, causeProductQuality: 25, causeNotAsDescribed: 15, causeCounterfeit: 5,
	causeSafety: 3, causeCompliance: 2, causeWrongItem: 10, causeMissingItem: 8,
	causeDamaged: 15, causeOutOfStock: 2, causeSlowResponse: 6, causeRudeService: 3,
}

var (
	causeDist = newDist(causeWeights[:])
	// slowCauseDist is the mix of a shop with slow chat replies.
	slowCauseDist = func() *dist {
		w := causeWeights
		w[causeSlowResponse] = 25
		return newDist(w[:])
	}()
	reasonDist = func() *dist {
		w := make([]float64, len(reasonMix))
		for i, m := range reasonMix {
			w[i] = m.w
		}
		return newDist(w)
	}()
)

// shopGen generates one shop's rows.
type shopGen struct {
	p   *shopPlan
	r   *rng
	out *output
	sum *Summary
	clk *clock

	dayStart []int64 // local midnights of day indexes 0 .. Days+9 (day 0 is the first day)
	dayMul   []float64
	endEOD   int64 // the start of the day after End: nothing at or after it is written
	holFrom  int64 // chat holiday [holFrom, holTo), Unix seconds; empty when none
	holTo    int64

	products []product
	pop      *dist   // popularity of the products
	pBad     float64 // chance of a seller-related negative review of an order with a bad product, in trouble
	negDist  *dist   // causes of negative reviews

	shopField string
	// Next ids, counting up from base + shop index * idShopStride.
	orderID, reviewID, returnID, convID, messageID counter

	// The current order.
	createdStr   []byte
	deliveredStr []byte
	created      int64
	delivered    int64 // 0 when not delivered
	delDay       int   // day index of delivery
	lines        [3]int
	nlines       int
	times        []int64
}

// genShop writes all rows of one shop.
func genShop(out *output, p *shopPlan, opts Options, sum *Summary) {
	g := &shopGen{
		p:         p,
		r:         newRand(opts.Seed, p.idx, streamData),
		out:       out,
		sum:       sum,
		clk:       newClock(p.loc),
		shopField: csvField(p.id),
	}
	off := uint64(p.idx) * idShopStride
	g.orderID = newCounter(orderIDBase + off)
	g.reviewID = newCounter(reviewIDBase + off)
	g.returnID = newCounter(returnIDBase + off)
	g.convID = newCounter(convIDBase + off)
	g.messageID = newCounter(messageIDBase + off)
	g.setupDays(opts)
	g.clk.cacheDates(g.dayStart[0], g.endEOD)
	g.setupCatalogue()
	g.negDist = causeDist
	if p.slowChat {
		g.negDist = slowCauseDist
	}
	for d := range opts.Days {
		lambda := float64(opts.OrdersPerDay) * p.volume * g.dayMul[d]
		n := int(math.Round(lambda + math.Sqrt(lambda)*g.r.NormFloat64()))
		if n <= 0 {
			continue
		}
		g.dayTimes(d, n)
		for _, t := range g.times {
			g.order(d, t)
		}
		if out.err != nil {
			return
		}
	}
}

// dayTimes sets g.times to the creation instants of n orders on day index
// d, in time order, following the hourly curve.
func (g *shopGen) dayTimes(d, n int) {
	var perHour [24]int
	for range n {
		perHour[hourDist.sample(g.r)]++
	}
	g.times = g.times[:0]
	start, length := g.dayStart[d], g.dayStart[d+1]-g.dayStart[d] // 23 to 25 hours
	for h, k := range perHour {
		from := len(g.times)
		for range k {
			sec := int64(h)*3600 + g.r.Int64N(3600) // local clock time
			t := start + sec*length/86400
			// Insertion sort within the hour: a dozen orders or so.
			i := len(g.times)
			g.times = append(g.times, t)
			for ; i > from && g.times[i-1] > t; i-- {
				g.times[i] = g.times[i-1]
			}
			g.times[i] = t
		}
	}
}

// setupDays computes local midnights and the daily volume multipliers.
func (g *shopGen) setupDays(opts Options) {
	end := dateOf(opts.End)
	first := end.AddDate(0, 0, -(opts.Days - 1))
	n := opts.Days + 10
	g.dayStart = make([]int64, n)
	g.dayMul = make([]float64, opts.Days)
	y, m, d := first.Date()
	for i := range n {
		t := time.Date(y, m, d+i, 0, 0, 0, 0, g.p.loc)
		g.dayStart[i] = t.Unix()
		if i >= opts.Days {
			continue
		}
		mul := 0.9 + 0.2*float64(i)/float64(opts.Days) // slow growth
		switch t.Weekday() {                           // busier weekends, averaging 1 over a week
		case time.Saturday, time.Sunday:
			mul *= 1.1
		case time.Friday:
			mul *= 1.0
		default:
			mul *= 0.96
		}
		if g.p.zone.profile == "sea" {
			switch {
			case int(t.Month()) == t.Day(): // 11.11, 12.12 and the other double-day sales
				mul *= 2.5
			case t.Day() == 25: // payday
				mul *= 1.3
			}
		}
		g.dayMul[i] = mul * math.Exp(0.08*g.r.NormFloat64())
	}
	g.endEOD = g.dayStart[opts.Days]
	if h := g.p.holiday; !h[0].IsZero() {
		y, m, d := h[0].Date()
		g.holFrom = time.Date(y, m, d, 0, 0, 0, 0, g.p.loc).Unix()
		y, m, d = h[1].Date()
		g.holTo = time.Date(y, m, d+1, 0, 0, 0, 0, g.p.loc).Unix()
	}
}

// setupCatalogue picks the shop's products, their popularity (a few best
// sellers) and, for shops with trouble, one or two bad products among the
// best sellers.
func (g *shopGen) setupCatalogue() {
	r := g.r
	cat := categories[g.p.category]
	type combo struct{ item, variant int }
	var combos []combo
	for i, it := range cat.items {
		for v := range it.variants {
			combos = append(combos, combo{i, v})
		}
	}
	r.Shuffle(len(combos), func(i, j int) { combos[i], combos[j] = combos[j], combos[i] })
	n := min(len(combos), int(math.Exp(r.uniform(math.Log(20), math.Log(201)))))
	g.products = make([]product, n)
	weights := make([]float64, n)
	s := r.uniform(0.9, 1.3)
	for i := range n {
		it := cat.items[combos[i].item]
		name := it.base
		if v := it.variants[combos[i].variant]; v != "" {
			name += " " + v
		}
		g.products[i] = product{id: strconv.FormatUint(productID(g.p.idx, i), 10), name: csvField(name)}
		weights[i] = 1 / math.Pow(float64(i+1), s)
	}
	g.pop = newDist(weights)
	if g.p.scenario == healthy {
		return
	}
	// One or two bad products among the best sellers.
	var share float64
	nbad := 1 + r.IntN(2)
	for k := 0; k < nbad; k++ {
		i := r.IntN(min(n, 3+3*k))
		if g.products[i].bad {
			continue
		}
		g.products[i].bad = true
		g.products[i].cause = badCauses[r.IntN(len(badCauses))]
		share += weights[i] / sumOf(weights)
	}
	// Orders with a bad product (about share * 1.28 lines per order) carry
	// the excess negative rate of the trouble.
	orderShare := min(1, share*1.28)
	g.pBad = min(0.5, g.p.negBase+(g.p.negTrouble-g.p.negBase)/orderShare)
}

func sumOf(w []float64) float64 {
	var s float64
	for _, x := range w {
		s += x
	}
	return s
}

// order writes one order created at instant t on day index d, and its
// reviews, return and conversation.
func (g *shopGen) order(d int, t int64) {
	r := g.r
	g.orderID.next()
	g.sum.Orders++
	g.created = t
	g.createdStr = g.clk.appendRFC3339(g.createdStr[:0], t)

	// Lines: distinct products.
	g.nlines = 1 + lineDist.sample(r)
	g.nlines = min(g.nlines, len(g.products))
	for i := 0; i < g.nlines; {
		p := g.pop.sample(r)
		if !slices.Contains(g.lines[:i], p) {
			g.lines[i] = p
			i++
		}
	}

	// Delivery.
	var status string
	g.delivered, g.delDay = 0, -1
	g.deliveredStr = g.deliveredStr[:0]
	switch u := r.Float64(); {
	case u < 0.03:
		status = "cancelled"
	default:
		k := 2 + deliveryDist.sample(r)
		del := g.dayStart[d+k] + 8*3600 + r.Int64N(12*3600)
		if del < g.endEOD {
			g.delivered, g.delDay = del, d+k
			g.deliveredStr = g.clk.appendRFC3339(g.deliveredStr, del)
			status = "delivered"
		} else if t+4*3600+r.Int64N(32*3600) < g.endEOD {
			status = "in_transit"
		} else {
			status = "awaiting_shipment"
		}
	}

	out := g.out
	for i := 0; i < g.nlines; i++ {
		p := &g.products[g.lines[i]]
		b := g.appendLine(out.buf, p)
		b = append(b, g.createdStr...)
		b = append(b, ',')
		b = append(b, p.name...)
		b = append(b, ',')
		b = append(b, g.deliveredStr...)
		b = append(b, ',')
		b = append(b, status...)
		out.buf = append(b, '\n')
		out.emit(fileOrders)
	}
	g.sum.OrderLines += g.nlines

	if status == "cancelled" {
		return
	}
	badLine := -1
	if g.delDay >= g.p.troubleFrom && g.delDay < g.p.troubleTo && g.delivered != 0 {
		for i := 0; i < g.nlines; i++ {
			if g.products[g.lines[i]].bad {
				badLine = i
				break
			}
		}
	}
	if g.delivered != 0 {
		g.reviews(badLine)
	}
	g.returns(badLine, status)
	if r.Float64() < g.p.chatRate {
		g.conversation()
	}
}

// appendLine appends the fields that the rows of an order line start with
// in every file that names one: the order, the shop and p, each followed by
// a comma.
func (g *shopGen) appendLine(b []byte, p *product) []byte {
	b = append(b, g.orderID...)
	b = append(b, ',')
	b = append(b, g.shopField...)
	b = append(b, ',')
	b = append(b, p.id...)
	return append(b, ',')
}
