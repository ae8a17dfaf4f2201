package rules

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Fault is who a return/refund reason blames (SPEC 2.1).
type Fault uint8

// Fault classes of return reasons.
const (
	FaultSeller Fault = iota
	FaultLogistics
	FaultBuyer
)

var faultNames = [...]string{"seller", "logistics", "buyer"}

// String returns the fault class name: "seller", "logistics" or "buyer".
func (f Fault) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("Fault(%d)", f)
}

// ParseFault parses a fault class name (surrounding spaces and case are
// ignored).
func ParseFault(s string) (Fault, error) {
	name := strings.TrimSpace(s)
	for i, n := range faultNames {
		if strings.EqualFold(name, n) {
			return Fault(i), nil
		}
	}
	return FaultSeller, fmt.Errorf("unknown fault class %q (valid: seller, logistics, buyer)", name)
}

// Reason is the classification of one return reason.
type Reason struct {
	Fault Fault
	// Category is a short stable slug such as "damaged", "not_received" or
	// "no_longer_needed"; "seller_other" for an unknown reason under TikTok's
	// seller-fault return-and-refund code prefix, "custom" for a configured
	// keyword, "" when unclassified.
	Category string
	// Classified is false when the reason matched no rule; Fault is then
	// FaultSeller, so that nothing is silently dropped (SPEC 2.1).
	Classified bool
}

// Categories of reasons that no built-in keyword rule names.
const (
	categorySellerOther = "seller_other"
	categoryCustom      = "custom"
)

// reasonRule maps keywords to a fault class and category.
type reasonRule struct {
	fault    Fault
	category string
	keywords []string
}

// reasonRules are the built-in rules. Where phrases overlap in a reason the
// longest phrase wins ("wrong size ordered" over "wrong size", "missing
// parcel" over "missing"); when a reason has several matches, the rule listed
// first wins. So the buyer's own sizing and ordering mistakes come before the
// seller's wrong item, and seller faults come before logistics and buyer ones.
var reasonRules = []reasonRule{
	{FaultBuyer, "wrong_size_ordered", []string{
		"ordered wrong size", "ordered the wrong size", "ordered a wrong size",
		"ordered incorrect size", "ordered an incorrect size", "ordered the incorrect size",
		"wrong size ordered", "incorrect size ordered", "bought wrong size",
		"bought the wrong size", "chose wrong size", "chose the wrong size",
		"selected wrong size", "selected the wrong size", "picked wrong size",
		"picked the wrong size", "too big", "too small", "too large", "too long", "too short",
		"too tight", "too loose", "too narrow", "too wide", "doesn't fit", "does not fit",
		"didn't fit", "did not fit", "not fit", "not fitting",
	}},
	{FaultBuyer, "multiple_sizes_ordered", []string{
		"multiple sizes ordered", "ordered multiple sizes", "ordered several sizes",
		"multiple sizes",
	}},
	{FaultBuyer, "ordered_by_mistake", []string{
		"ordered by mistake", "order by mistake", "bought by mistake", "purchased by mistake",
		"created by mistake", "created by mistakes", "ordered the wrong", "ordered wrong",
		"accidental order", "accidentally ordered", "ordered accidentally", "duplicate order",
	}},
	{FaultLogistics, "lost", []string{
		"lost", "package lost", "parcel lost", "lost package", "lost parcel", "lost in transit",
		"missing package", "missing parcel", "package missing", "parcel missing",
		"went missing", "stolen",
	}},
	{FaultSeller, "empty_package", []string{
		"empty", "empty package", "empty parcel", "empty box", "package was empty",
		"parcel was empty", "box was empty", "package is empty", "box is empty",
		"nothing inside", "nothing in the box", "nothing in the package",
	}},
	{FaultSeller, "counterfeit", []string{
		"counterfeit", "fake", "knockoff", "knock off", "replica", "imitation",
		"not authentic", "not genuine", "not original", "inauthentic",
	}},
	{FaultSeller, "expired", []string{
		"expired", "expiry", "expiration", "out of date", "past expiry", "past expiration",
	}},
	{FaultSeller, "spoiled", []string{
		"spoiled", "spoilt", "rotten", "mouldy", "moldy", "not frozen", "thawed", "melted",
	}},
	{FaultSeller, "missing_item", []string{
		"missing", "missing item", "missing items", "missing product", "missing products",
		"missing part", "missing parts", "missing accessories", "missing or broken parts",
		"missing broken parts", "items missing", "parts missing", "incomplete",
		"not complete", "not all items", "only received", "free gift", "no free gift",
		"wrong quantity", "short quantity", "less than ordered", "fewer items",
	}},
	{FaultSeller, "wrong_item", []string{
		"wrong item", "wrong items", "wrong product", "wrong products", "wrong size",
		"wrong colour", "wrong color", "wrong model", "wrong variant", "wrong variation",
		"wrong style", "wrong one", "different item", "different product", "incorrect item",
		"incorrect product", "item is incorrect", "not what i ordered", "sent wrong",
		"sent the wrong", "received wrong", "received the wrong",
	}},
	{FaultSeller, "not_as_described", []string{
		"not as described", "not as pictured", "not as shown", "not as advertised",
		"not match", "not matching", "doesn't match", "does not match", "didn't match",
		"did not match", "mismatch", "different from description",
		"different from the description", "different from picture",
		"different from the picture", "misleading", "false advertising",
	}},
	{FaultSeller, "damaged", []string{
		"damaged", "damage", "broken", "cracked", "dented", "crushed", "shattered",
		"smashed", "leaked", "leaking", "spilled", "torn", "scratched", "bent",
	}},
	{FaultSeller, "defective", []string{
		"defective", "defect", "faulty", "doesn't work", "does not work", "didn't work",
		"did not work", "not working", "stopped working", "malfunction", "malfunctioning",
		"dead on arrival", "won't turn on", "not functioning",
	}},
	{FaultSeller, "quality", []string{
		"quality", "poor quality", "low quality", "bad quality", "cheap", "flimsy",
		"poorly made",
	}},
	{FaultLogistics, "late", []string{
		"late", "delayed", "delay", "late delivery", "late shipment", "arrived late",
		"arrive on time", "not arrive on time", "didn't arrive on time",
		"did not arrive on time", "wouldn't arrive on time", "not on time",
		"missed delivery date", "missed estimated delivery date",
		"miss estimated delivery date", "estimated delivery date", "overdue",
		"took too long", "slow delivery", "slow shipping",
	}},
	{FaultLogistics, "not_received", []string{
		"not received", "wasn't received", "was not received", "never received",
		"didn't receive", "did not receive", "haven't received", "have not received",
		"not receive", "never arrived", "didn't arrive", "did not arrive", "not arrived",
		"never came", "didn't get", "did not get", "delivered to the wrong",
		"delivered to wrong", "delivered to someone else", "delivered to another",
		"wrong house", "marked as delivered",
	}},
	{FaultLogistics, "not_delivered", []string{
		"not delivered", "never delivered", "undelivered", "delivery failed",
		"failed delivery", "failed to deliver", "delivery unsuccessful", "returned to sender",
	}},
	{FaultBuyer, "no_longer_needed", []string{
		"no longer needed", "no longer need", "no longer want", "no longer required",
		"no need", "not needed", "don't need", "do not need", "didn't need", "don't want",
		"do not want", "unnecessary", "lost interest",
	}},
	{FaultBuyer, "changed_mind", []string{
		"changed my mind", "changed mind", "change of mind", "change my mind", "change mind",
		"mind changed", "decided not to",
	}},
	{FaultBuyer, "does_not_suit", []string{
		"does not suit", "doesn't suit", "didn't suit", "did not suit", "not suit",
		"not suitable", "unsuitable", "not for me", "not my style", "don't like",
		"do not like", "didn't like", "did not like",
	}},
	{FaultBuyer, "better_price", []string{
		"better price", "found a better price", "better price available", "better deal",
		"cheaper", "cheaper elsewhere", "found cheaper", "lower price", "price dropped",
		"price drop", "discount not as expected", "discount not expected",
		"high delivery costs", "high delivery cost", "high shipping cost",
	}},
	{FaultBuyer, "unauthorised_purchase", []string{
		"unauthorised purchase", "unauthorized purchase", "unauthorised", "unauthorized",
	}},
	{FaultBuyer, "wrong_address", []string{
		"wrong delivery information", "wrong delivery info", "wrong delivery address",
		"wrong address", "incorrect address", "address is wrong", "change address",
		"change of address", "changed address",
	}},
}

// Reason codes are TikTok reason names like
// ecom_order_delivered_refund_reason_damaged. Their known prefixes are
// stripped before keyword matching; reasonPrefixSeller marks TikTok's
// seller-fault return-and-refund reasons.
const reasonPrefixSeller = "ecom_order_delivered_refund_and_return_reason_"

var reasonPrefixes = []string{ // longest first where one is a prefix of another
	reasonPrefixSeller,
	"ecom_seller_order_delivered_refund_reason_",
	"ecom_order_delivered_refund_reason_",
	"ecom_order_shipped_refund_reason_",
	"ecom_order_shipped_refund_",
	"ecom_order_to_ship_canceled_reason_",
	"ecom_order_unpaid_canceled_reason_",
	"ecom_order_cancel_reason_",
	"buyer_return_and_refund_",
	"buyer_refund_",
	"buyer_cancel_",
	"seller_shipped_refund_",
	"seller_",
}

// reasonVersion names the way codes are stripped and rules are applied; it is
// part of the fingerprint, so bump it when either changes behaviour.
const reasonVersion = "r1"

// ReasonClassifier assigns a fault class and category to return reasons,
// given as TikTok reason codes or buyer-facing texts. A ReasonClassifier is
// immutable and safe for concurrent use.
type ReasonClassifier struct {
	builtin     func() *matcher // values index reasonRules; built on first use
	extra       func() *matcher // values index extraFaults; built on first use
	extraFaults []Fault
	fingerprint string
}

// NewReasonClassifier returns a ReasonClassifier with the built-in rules and
// extra keywords per fault class, which are checked before the built-ins and
// classify with Category "custom". Among extra keywords found in one reason,
// the longest wins (then seller, logistics, buyer). An empty keyword or an
// unknown fault class is an error.
func NewReasonClassifier(extra map[Fault][]string) (*ReasonClassifier, error) {
	type kw struct {
		text  string
		fault Fault
	}
	var kws []kw
	for _, f := range slices.Sorted(maps.Keys(extra)) {
		if int(f) >= len(faultNames) {
			return nil, fmt.Errorf("keywords for %s: not a fault class (valid: seller, logistics, buyer)", f)
		}
		for _, k := range extra[f] {
			text := string(appendReason(nil, k))
			if text == "" || text == "." {
				return nil, fmt.Errorf("keyword for %s: empty keyword %q", f, k)
			}
			kws = append(kws, kw{text, f})
		}
	}
	// Priority among extra keywords: longest first, then by fault class.
	slices.SortStableFunc(kws, func(a, b kw) int { return len(b.text) - len(a.text) })
	eb := newMatcherBuilder(false)
	r := &ReasonClassifier{extraFaults: make([]Fault, len(kws))}
	for i, k := range kws {
		r.extraFaults[i] = k.fault
		if err := eb.add(k.text, uint32(i)); err != nil {
			return nil, err
		}
	}
	// The built-in rules are built on first use: their fingerprint is
	// pinned, and a short command classifies nothing.
	r.builtin, r.extra = lazyBuiltin(reasonBuilder), lazyMatcher(eb)

	// The fingerprint covers the prefixes, the rules in order and the extras.
	var fp strings.Builder
	fmt.Fprintf(&fp, "%s|%s|%s|", reasonVersion, builtinReasonsFingerprint, strings.Join(reasonPrefixes, ","))
	fmt.Fprint(&fp, eb.fingerprint("extra reasons", func(v uint32) string { return r.extraFaults[v].String() }))
	r.fingerprint = shortHash(fp.String())
	return r, nil
}

// builtinReasonsFingerprint is reasonRulesFingerprint of the built-in
// rules. TestFingerprintsPinned computes it from the table: a change to it
// must change it here too, which has every stored return classified again.
const builtinReasonsFingerprint = "f775cef5aee3e1f4"

// reasonBuilder returns the builder of the built-in rules.
func reasonBuilder() (*matcherBuilder, error) {
	b := newMatcherBuilder(false)
	for i, rule := range reasonRules {
		for _, kw := range rule.keywords {
			if err := b.add(kw, uint32(i)); err != nil {
				return nil, fmt.Errorf("built-in reason keyword for %s: %w", rule.category, err) // a bug in the table
			}
		}
	}
	return b, nil
}

func reasonRulesFingerprint(b *matcherBuilder) string {
	return b.fingerprint("reasons", func(v uint32) string {
		return strconv.Itoa(int(v)) + " " + reasonRules[v].fault.String() + " " + reasonRules[v].category
	})
}

// Classify classifies one return reason: a TikTok reason code or a
// buyer-facing text. A code (one word with underscores) loses its known
// prefix, or everything up to "_reason_", and has underscores turned into
// spaces before keyword matching. A reason that matches no rule is
// FaultSeller with Classified false. Codes under TikTok's seller-fault prefix
// ecom_order_delivered_refund_and_return_reason_ are FaultSeller, with the
// category their suffix names or "seller_other"; only a suffix that names a
// logistics or buyer reason outright (such as not_received) takes that fault.
func (r *ReasonClassifier) Classify(reason string) Reason {
	var buf [256]byte
	t := appendReason(buf[:0], reason)
	if i, ok := bestMatch(r.extra(), t); ok {
		return Reason{Fault: r.extraFaults[i], Category: categoryCustom, Classified: true}
	}
	if i, ok := bestMatch(r.builtin(), t); ok {
		rule := &reasonRules[i]
		return Reason{Fault: rule.fault, Category: rule.category, Classified: true}
	}
	if code, ok := reasonCode(reason); ok && hasPrefixFold(code, reasonPrefixSeller) {
		return Reason{Fault: FaultSeller, Category: categorySellerOther, Classified: true}
	}
	return Reason{Fault: FaultSeller}
}

// Fingerprint returns a stable hash (16 hex digits) of the effective rules. It
// changes when the rules change, so stored classifications can be recomputed.
func (r *ReasonClassifier) Fingerprint() string { return r.fingerprint }

// bestMatch returns the smallest value of the phrases found in t, taking the
// longest phrase at each position.
func bestMatch(m *matcher, t []byte) (uint32, bool) {
	best, found := uint32(0), false
	if len(m.first) == 0 {
		return best, found
	}
	for i := 0; i < len(t); {
		val, end, ok := m.longestAt(t, i)
		if ok && (!found || val < best) {
			best, found = val, true
		}
		i = end + 1
	}
	return best, found
}

// reasonCode returns the trimmed reason if it looks like a reason code: one
// word with an underscore.
func reasonCode(s string) (string, bool) {
	s = strings.TrimSpace(s)
	return s, strings.IndexByte(s, '_') >= 0 && !strings.ContainsFunc(s, unicode.IsSpace)
}

// appendReason appends the normalised form of a reason to dst: a code loses
// its known prefix (or everything up to "_reason_"), then the text is
// normalised like review text.
func appendReason(dst []byte, s string) []byte {
	if code, ok := reasonCode(s); ok {
		s = code
		stripped := false
		for _, p := range reasonPrefixes {
			if hasPrefixFold(s, p) {
				s, stripped = s[len(p):], true
				break
			}
		}
		if !stripped {
			if i := indexFold(s, "_reason_"); i >= 0 {
				s = s[i+len("_reason_"):]
			}
		}
	}
	return appendNormalized(dst, s)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// indexFold is strings.Index ignoring ASCII case, for short codes.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
