package templates

import (
	"fmt"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
)

// The data the templates are executed with. These are message views, made
// by the bot from reports and breakdowns, not database rows.

// Shop is the shop a message is about.
type Shop struct {
	ID   string
	Name string
}

// Rate is one metric's figure as a sentence needs it.
type Rate struct {
	Name  string // "NRR"
	Valid bool   // false: no denominator, no value
	Value float64
	Count int    // numerator
	Of    int    // denominator
	Base  string // what the denominator counts: "delivered orders"
	Level string // ok, warn, critical, insufficient_data, none
}

// CauseCount is a tally entry's counts (rules.TallyEntry), each with its
// unit: "4 orders with a negative review, 2 counted returns, 9 late chat
// replies".
func CauseCount(c rules.TallyEntry) string {
	var parts []string
	if c.Reviews > 0 {
		p := Plural(c.Reviews, "order with a negative review", "orders with a negative review")
		if c.CoTagged() {
			p += " (counted in NRR only because the review also names another cause)"
		}
		parts = append(parts, p)
	}
	if c.Returns > 0 {
		p := Plural(c.Returns, "counted return", "counted returns")
		switch c.Logistics {
		case 0:
			p += " (seller fault)"
		case c.Returns:
			p += " (logistics fault)"
		default:
			p += fmt.Sprintf(" (%d seller fault, %d logistics fault)", c.Returns-c.Logistics, c.Logistics)
		}
		parts = append(parts, p)
	}
	if c.Late > 0 {
		parts = append(parts, Plural(c.Late, "late chat reply", "late chat replies"))
	}
	return strings.Join(parts, ", ")
}

// Product is one product behind a metric.
type Product struct {
	ID    string
	Name  string
	Count int     // counted orders with the product
	Base  int     // the product's own delivered (or created) orders
	Rate  float64 // Count / Base
}

// Usage is the data of the "usage" block.
type Usage struct {
	Command string // the slash command, such as "/shopwatch"
	Kinds   []AppealKind
	Causes  []string
	Topics  []string
}

// Refusal is the data of the "refusal.*" blocks.
type Refusal struct {
	Command string
	Channel string
	ShopArg string // refusal.shop: what the user asked for
}

// Tips is the data of the "tips.*" blocks.
type Tips struct {
	Command     string
	Shop        *Shop            // nil when the tips are not for one shop
	Cause       rules.TallyEntry // tips.<cause>: the cause; no counts without a shop
	WindowDays  int              // the window the shop's causes were counted in
	TargetHours float64
}

// TipTopics are the seed guides' tip sections, usable as `tips TOPIC`.
var TipTopics = []string{"listings", "packing", "service", "monitoring"}

// tipCauses are the causes that have tips: every rules cause and "other".
var tipCauses = func() []string {
	var out []string
	for _, c := range rules.Causes() {
		out = append(out, c.String())
	}
	return append(out, rules.CauseOther.String())
}()

// AppealKind is an enforcement action a seller can appeal (the seed guide's
// product and service actions).
type AppealKind struct {
	Name    string   // as typed: "order-limit"
	Group   string   // "product" or "service"
	Label   string   // "order volume limit"
	Aliases []string // other spellings; multi-word ones use "-"
}

// AppealKinds are the appealable actions, product ones first.
var AppealKinds = []AppealKind{
	{"warning", "product", "product warning", []string{"product-warning", "warn"}},
	{"deactivation", "product", "listing deactivation", []string{"deactivate", "deactivated", "product-deactivation", "listing-deactivation"}},
	{"removal", "product", "listing removal", []string{"remove", "removed", "product-removal", "listing-removal"}},
	{"visibility", "product", "reduced product visibility", []string{"product-visibility", "search-visibility"}},
	{"livestream", "product", "livestream restriction", []string{"livestream-restriction", "live", "live-restriction", "livestreams"}},
	{"freeze", "product", "product freeze", []string{"frozen", "product-freeze"}},
	{"order-limit", "product", "order volume limit", []string{"order-limits", "orderlimit", "order-volume-limit", "limit"}},
	{"shop-visibility", "service", "reduced shop visibility", []string{"service-visibility", "store-visibility"}},
	{"suspension", "service", "shop suspension", []string{"suspend", "suspended", "temporary-suspension", "permanent-suspension", "shop-suspension"}},
}

// LookupAppealKind finds a kind by name or alias, ignoring case; words may
// be joined by "-", "_" or nothing.
func LookupAppealKind(s string) (AppealKind, bool) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
	for _, k := range AppealKinds {
		if s == k.Name {
			return k, true
		}
		for _, a := range k.Aliases {
			if s == a {
				return k, true
			}
		}
	}
	return AppealKind{}, false
}

// Digest is the data of the "digest.intro" block.
type Digest struct {
	Shop     Shop
	From, To string // the week, YYYY-MM-DD
	Critical int    // metrics at critical
	Warn     int    // metrics at warn
	Better   int    // metrics better than a week before
	Worse    int    // metrics worse than a week before
}

// Count counts a metric with thresholds in the intro: its level now and
// whether it moved against its value a week before.
func (d *Digest) Count(now, weekAgo rules.Result) {
	switch now.Level {
	case rules.LevelCritical:
		d.Critical++
	case rules.LevelWarn:
		d.Warn++
	}
	if now.Valid && weekAgo.Valid && now.Value != weekAgo.Value {
		if now.Metric.Worse(now.Value, weekAgo.Value) {
			d.Worse++
		} else {
			d.Better++
		}
	}
}

// DigestAll is the data of the "digest.all.intro" block.
type DigestAll struct {
	Shops    int
	To       string
	Critical int // shops with a metric at critical
	Warn     int // shops whose worst metric is at warn
	OK       int
	Other    int // shops without enough data
	Failed   int // shops whose report failed
}
