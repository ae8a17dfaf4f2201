package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Cause is a cause of negative feedback (SPEC 2.1).
type Cause uint8

// Causes of negative feedback, in the order of the SPEC table. CauseOther is
// the cause of a negative review for which no cause was found; it counts in
// nrr only.
const (
	CauseOther Cause = iota // no cause found; counts in nrr only

	// group product
	CauseProductQuality
	CauseNotAsDescribed
	CauseCounterfeit
	CauseSafety
	CauseCompliance

	// group service
	CauseWrongItem
	CauseMissingItem
	CauseDamaged
	CauseOutOfStock
	CauseSlowResponse
	CauseRudeService

	// group logistics
	CauseLateDelivery
	CauseCourier

	numCauses = iota
)

// Group is a performance area that causes belong to (SPEC 2.1).
type Group uint8

// Groups of causes. GroupOther is the group of CauseOther.
const (
	GroupOther Group = iota
	GroupProduct
	GroupService
	GroupLogistics
)

var groupNames = [...]string{"other", "product", "service", "logistics"}

// String returns the group's name: "other", "product", "service" or "logistics".
func (g Group) String() string {
	if int(g) < len(groupNames) {
		return groupNames[g]
	}
	return fmt.Sprintf("Group(%d)", g)
}

var causeInfo = [numCauses]struct {
	name  string
	group Group
	desc  string // short wording from the seed guides
}{
	CauseOther:          {"other", GroupOther, "no cause found in the review"},
	CauseProductQuality: {"product_quality", GroupProduct, "defective or low-quality items"},
	CauseNotAsDescribed: {"not_as_described", GroupProduct, "products that don't match the description, misleading images or claims"},
	CauseCounterfeit:    {"counterfeit", GroupProduct, "suspected counterfeit products"},
	CauseSafety:         {"safety", GroupProduct, "product safety issues"},
	CauseCompliance:     {"compliance", GroupProduct, "product compliance issues"},
	CauseWrongItem:      {"wrong_item", GroupService, "receiving the wrong item, size or colour"},
	CauseMissingItem:    {"missing_item", GroupService, "missing components, items or free gifts"},
	CauseDamaged:        {"damaged", GroupService, "damaged item or package"},
	CauseOutOfStock:     {"out_of_stock", GroupService, "out of stock"},
	CauseSlowResponse:   {"slow_response", GroupService, "slow or unhelpful chat replies"},
	CauseRudeService:    {"rude_service", GroupService, "rude or unprofessional responses, inappropriate review handling"},
	CauseLateDelivery:   {"late_delivery", GroupLogistics, "late delivery"},
	CauseCourier:        {"courier", GroupLogistics, "lost parcel, courier or carrier problems"},
}

func (c Cause) valid() bool { return c < numCauses }

// String returns the cause's SPEC name, such as "product_quality", or "other".
func (c Cause) String() string {
	if c.valid() {
		return causeInfo[c].name
	}
	return fmt.Sprintf("Cause(%d)", c)
}

// Group returns the group the cause belongs to; GroupOther for CauseOther and
// for values that are not causes.
func (c Cause) Group() Group {
	if c.valid() {
		return causeInfo[c].group
	}
	return GroupOther
}

// Description returns short human wording for the cause, taken from the seed
// guides, such as "defective or low-quality items".
func (c Cause) Description() string {
	if c.valid() {
		return causeInfo[c].desc
	}
	return c.String()
}

// Causes returns all real causes (without CauseOther) in the order of the
// SPEC table. The caller may modify the slice.
func Causes() []Cause {
	out := make([]Cause, 0, numCauses-1)
	for c := CauseProductQuality; c < numCauses; c++ {
		out = append(out, c)
	}
	return out
}

// causeNames lists the valid cause names for error messages.
var causeNames = func() string {
	names := make([]string, 0, numCauses-1)
	for _, c := range Causes() {
		names = append(names, c.String())
	}
	return strings.Join(names, ", ")
}()

// lookupCause finds a real cause by its SPEC name, ignoring case and
// surrounding spaces.
func lookupCause(s string) (Cause, bool) {
	s = strings.TrimSpace(s)
	for c := CauseProductQuality; c < numCauses; c++ {
		if strings.EqualFold(s, causeInfo[c].name) {
			return c, true
		}
	}
	return CauseOther, false
}

// ParseCause parses a cause name as written in the SPEC table (surrounding
// spaces and case are ignored). "other" is not a valid name: it is what an
// empty cause set means.
func ParseCause(s string) (Cause, error) {
	if c, ok := lookupCause(s); ok {
		return c, nil
	}
	name := strings.TrimSpace(s)
	if strings.EqualFold(name, "other") {
		return CauseOther, fmt.Errorf("cause %q cannot be given: leave the causes empty instead (valid causes: %s)", name, causeNames)
	}
	return CauseOther, fmt.Errorf("unknown cause %q (valid causes: %s)", name, causeNames)
}

// CauseSet is a bit set of causes (bit i = Cause i). The empty set means
// "other". Bit 0 (CauseOther) is never set by this package and is ignored.
type CauseSet uint16

// allCauses has the bits of all real causes.
const allCauses CauseSet = (1<<numCauses - 1) &^ 1

// groupMasks has, per group, the bits of its causes.
var groupMasks = func() (m [len(groupNames)]CauseSet) {
	for _, c := range Causes() {
		m[c.Group()] |= c.bit()
	}
	return m
}()

// bit returns c's bit, or 0 for CauseOther and values that are not causes.
func (c Cause) bit() CauseSet {
	if c == CauseOther || !c.valid() {
		return 0
	}
	return 1 << c
}

// NewCauseSet returns the set of the given causes. CauseOther adds nothing:
// the empty set already means "other".
func NewCauseSet(cs ...Cause) CauseSet {
	var s CauseSet
	for _, c := range cs {
		s |= c.bit()
	}
	return s
}

func (s CauseSet) real() CauseSet { return s & allCauses }

// Has reports whether c is in the set. Has(CauseOther) is true only for the
// empty set.
func (s CauseSet) Has(c Cause) bool {
	if c == CauseOther {
		return s.real() == 0
	}
	return s&c.bit() != 0
}

// Causes returns the causes in the set in Cause order; the empty set returns
// []Cause{CauseOther}.
func (s CauseSet) Causes() []Cause {
	s = s.real()
	if s == 0 {
		return []Cause{CauseOther}
	}
	out := make([]Cause, 0, bits.OnesCount16(uint16(s)))
	for c := CauseProductQuality; c < numCauses; c++ {
		if s&c.bit() != 0 {
			out = append(out, c)
		}
	}
	return out
}

// HasGroup reports whether the set has a cause in group g. HasGroup(GroupOther)
// is true only for the empty set.
func (s CauseSet) HasGroup(g Group) bool {
	if g == GroupOther {
		return s.real() == 0
	}
	if int(g) >= len(groupMasks) {
		return false
	}
	return s&groupMasks[g] != 0
}

// SellerRelated reports whether a negative review with these causes counts in
// the seller-related nrr: its causes are not all in the logistics group. That
// is true for the empty set ("other") and for any set with a product or
// service cause.
func (s CauseSet) SellerRelated() bool {
	s = s.real()
	return s == 0 || s&^groupMasks[GroupLogistics] != 0
}

// String returns the cause names joined by ";" (the format of the reviews.tags
// column), or "other" for the empty set.
func (s CauseSet) String() string {
	var b strings.Builder
	for i, c := range s.Causes() {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// ParseTags parses the reviews.tags column: cause names separated by ";".
// Blank entries are ignored and duplicates are allowed. An unknown tag is an
// error naming it.
func ParseTags(s string) (CauseSet, error) {
	var set CauseSet
	for tag := range strings.SplitSeq(s, ";") {
		tag = strings.TrimSpace(tag)
		if tag == "" {
			continue
		}
		c, ok := lookupCause(tag)
		if !ok {
			if strings.EqualFold(tag, "other") {
				return 0, fmt.Errorf("tag %q is not allowed: leave tags empty for a review without a cause (valid tags: %s)", tag, causeNames)
			}
			return 0, fmt.Errorf("unknown tag %q (valid tags: %s)", tag, causeNames)
		}
		set |= c.bit()
	}
	return set, nil
}

// Classifier derives the causes of a review from its text with keyword rules:
// built-in English keywords per cause, extendable. Keywords match whole words
// and phrases, ignoring case and punctuation; where phrases overlap the
// longest one wins ("late reply" is slow_response, not late_delivery). A
// keyword directly preceded by a negation ("not damaged", "no delay") does not
// count. A Classifier is immutable and safe for concurrent use.
type Classifier struct {
	m           matcher
	fingerprint string
}

// NewClassifier returns a Classifier with the built-in keywords plus extra
// keywords per cause. A keyword that is empty (after removing punctuation) or
// given for CauseOther or an unknown cause is an error.
func NewClassifier(extra map[Cause][]string) (*Classifier, error) {
	b := newMatcherBuilder(true)
	for _, c := range Causes() {
		for _, kw := range builtinCauseKeywords[c] {
			if err := b.add(kw, uint32(c.bit())); err != nil {
				return nil, fmt.Errorf("built-in keyword for %s: %w", c, err) // a bug in the table
			}
		}
	}
	for _, c := range slices.Sorted(maps.Keys(extra)) {
		if c == CauseOther || !c.valid() {
			return nil, fmt.Errorf("keywords for %s: not a cause (valid causes: %s)", c, causeNames)
		}
		for _, kw := range extra[c] {
			if err := b.add(kw, uint32(c.bit())); err != nil {
				return nil, fmt.Errorf("keyword for %s: %w", c, err)
			}
		}
	}
	cl := &Classifier{m: b.build()}
	cl.fingerprint = b.fingerprint("causes", func(v uint32) string { return CauseSet(v).String() })
	return cl, nil
}

// Classify returns the causes of a review: its tags when they are not empty,
// otherwise the causes whose keywords occur in text. The result may be empty,
// which means "other".
func (c *Classifier) Classify(tags CauseSet, text string) CauseSet {
	if tags.real() != 0 {
		return tags.real()
	}
	var buf [512]byte
	t := appendNormalized(buf[:0], text)
	var set CauseSet
	for i := 0; i < len(t); {
		val, end, ok := c.m.longestAt(t, i)
		if ok && !negated(t, i) {
			set |= CauseSet(val)
		}
		i = end + 1
	}
	return set
}

// Fingerprint returns a stable hash (16 hex digits) of the effective keyword
// rules and matching method. It changes when the rules change, so stored
// classifications can be recomputed.
func (c *Classifier) Fingerprint() string { return c.fingerprint }

// negators are the words that cancel a keyword after them, directly or
// across up to two filler words ("not damaged", "without any damage", "not
// a single scratch").
var negators = []string{"not", "no", "never", "without", "nothing", "isnt", "wasnt", "arent", "werent"}

// negationFillers may stand between a negator and the keyword it cancels.
var negationFillers = []string{"a", "an", "any", "the", "very", "even", "really", "too", "so", "single", "much"}

var isNegator, isNegationFiller = wordSet(negators), wordSet(negationFillers)

func wordSet(words []string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// negated reports whether the keyword at t[i:] is cancelled by a negator
// before it in the same clause.
func negated(t []byte, i int) bool {
	for range 3 {
		if i < 2 {
			return false
		}
		start := bytes.LastIndexByte(t[:i-1], ' ') + 1
		prev := t[start : i-1]
		if isNegator[string(prev)] {
			return true
		}
		if !isNegationFiller[string(prev)] {
			return false
		}
		i = start
	}
	return false
}

// normalizeVersion names the text normalisation and matching method; it is
// part of the fingerprints, so bump it when either changes behaviour.
const normalizeVersion = "v1"

// appendNormalized appends the normalised form of s to dst and returns it:
// letters lower-cased, apostrophes dropped ("don't" becomes "dont"), other
// punctuation and symbols turned into single spaces, and clause punctuation
// (. , ; : ! ? and line breaks) into a " . " token so that phrases and
// negations never match across it. There are no leading or trailing spaces.
func appendNormalized(dst []byte, s string) []byte {
	start := len(dst)
	var pending byte // 0, ' ' or '.': the separator owed before the next word
	for i := 0; i < len(s); {
		var r rune
		if c := s[i]; c < utf8.RuneSelf {
			i++
			switch k := asciiClass[c]; k {
			case classSpace:
				if pending == 0 {
					pending = ' '
				}
				continue
			case classBreak:
				pending = '.'
				continue
			case classDrop:
				continue
			default:
				if pending != 0 {
					dst = appendSeparator(dst, start, pending)
					pending = 0
				}
				dst = append(dst, k)
				continue
			}
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(s[i:])
			i += size
		}
		switch {
		case r == '\u2019' || r == '\u2018' || r == '\u02bc': // ’ ‘ ʼ
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if pending != 0 {
				dst = appendSeparator(dst, start, pending)
				pending = 0
			}
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		case r == '。' || r == '，' || r == '！' || r == '？' || r == '；' || r == '…' || r == '\u2028' || r == '\u2029':
			pending = '.'
		default:
			if pending == 0 {
				pending = ' '
			}
		}
	}
	return dst
}

// appendSeparator appends the separator sep before a word, unless the word
// is the first one since start.
func appendSeparator(dst []byte, start int, sep byte) []byte {
	switch {
	case len(dst) == start:
		return dst
	case sep == '.':
		return append(dst, " . "...)
	default:
		return append(dst, ' ')
	}
}

// ASCII character classes for appendNormalized; any other class value is the
// lower-case letter or digit itself.
const (
	classSpace = iota // a separator
	classBreak        // ends a clause
	classDrop         // apostrophes: dropped, joining the word
)

var asciiClass = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			t[c] = byte(c)
		case 'A' <= c && c <= 'Z':
			t[c] = byte(c) + 'a' - 'A'
		case c == '\'' || c == '`':
			t[c] = classDrop
		case strings.IndexByte(".,;:!?\n\r", byte(c)) >= 0:
			t[c] = classBreak
		default:
			t[c] = classSpace
		}
	}
	return t
}()

// matcher finds keyword phrases in normalised text on word boundaries. It is
// a trie of words. The first words sit in a chained hash table indexed by a
// cheap hash (see wordHash), so that most words of a text cost one array
// lookup; later words use the trie nodes' maps.
type matcher struct {
	heads [1 << wordHashBits]uint32 // 1 + index into first of a chain's head; 0: empty
	first []firstWord
}

// firstWord is a phrase's first word, in a chain of the hash table.
type firstWord struct {
	word string
	node *trieNode
	next uint32 // 1 + index of the next entry of the chain; 0: end
}

// trieNode is a word sequence; end says that a phrase with value val ends here.
type trieNode struct {
	next map[string]*trieNode
	val  uint32
	end  bool
}

// wordEnd returns the end of the word that starts at t[i].
func wordEnd(t []byte, i int) int {
	for i < len(t) && t[i] != ' ' {
		i++
	}
	return i
}

const wordHashBits = 12

// wordHash is a cheap hash of a word's first and last bytes and its length.
func wordHash(w []byte) uint32 {
	return (uint32(w[0])*0x9e3779b1 ^ uint32(w[len(w)-1])*0x85ebca77 ^ uint32(len(w))*0xc2b2ae3d) >> (32 - wordHashBits)
}

// root returns the trie node of first word w, or nil.
func (m *matcher) root(w []byte) *trieNode {
	for e := m.heads[wordHash(w)]; e != 0; {
		f := &m.first[e-1]
		if f.word == string(w) {
			return f.node
		}
		e = f.next
	}
	return nil
}

// longestAt returns the value of the longest phrase that starts at the word
// beginning at t[i], and the index where the phrase (or, without a match, the
// word) ends.
func (m *matcher) longestAt(t []byte, i int) (val uint32, end int, ok bool) {
	j := wordEnd(t, i)
	end = j
	n := m.root(t[i:j])
	for n != nil {
		if n.end {
			val, end, ok = n.val, j, true
		}
		if n.next == nil || j == len(t) {
			break
		}
		k := wordEnd(t, j+1)
		n, j = n.next[string(t[j+1:k])], k
	}
	return val, end, ok
}

// matcherBuilder collects keywords for a matcher. With union set, a phrase
// given twice gets the union (bitwise or) of its values; otherwise it keeps
// the first value.
type matcherBuilder struct {
	union   bool
	phrases map[string]uint32
}

func newMatcherBuilder(union bool) *matcherBuilder {
	return &matcherBuilder{union: union, phrases: map[string]uint32{}}
}

// add normalises kw and records it with value val.
func (b *matcherBuilder) add(kw string, val uint32) error {
	text := string(appendNormalized(nil, kw))
	if text == "" || text == "." {
		return fmt.Errorf("empty keyword %q", kw)
	}
	old, dup := b.phrases[text]
	switch {
	case !dup:
		b.phrases[text] = val
	case b.union:
		b.phrases[text] = old | val
	}
	return nil
}

// build returns a matcher for the recorded phrases.
func (b *matcherBuilder) build() matcher {
	var root trieNode
	for text, val := range b.phrases {
		n := &root
		for w := range strings.SplitSeq(text, " ") {
			if n.next == nil {
				n.next = make(map[string]*trieNode)
			}
			c := n.next[w]
			if c == nil {
				c = &trieNode{}
				n.next[w] = c
			}
			n = c
		}
		n.val, n.end = val, true
	}
	var m matcher
	for _, w := range slices.Sorted(maps.Keys(root.next)) {
		h := wordHash([]byte(w))
		m.first = append(m.first, firstWord{word: w, node: root.next[w], next: m.heads[h]})
		m.heads[h] = uint32(len(m.first))
	}
	return m
}

// fingerprint hashes the recorded phrases with their values (named by
// label), the negation words and the normalisation version.
func (b *matcherBuilder) fingerprint(kind string, label func(uint32) string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s %s\nnegators %s\nfillers %s\n", kind, normalizeVersion,
		strings.Join(negators, ","), strings.Join(negationFillers, ","))
	for _, text := range slices.Sorted(maps.Keys(b.phrases)) {
		fmt.Fprintf(&s, "%s\t%s\n", text, label(b.phrases[text]))
	}
	return shortHash(s.String())
}

// shortHash returns the first 16 hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// builtinCauseKeywords are the English keywords per cause, from the seed
// guides' wording and what buyers write. Overlaps are resolved by the longest
// phrase, so more specific phrases are listed under the cause they point to
// ("late reply" under slow_response, "missing parcel" under courier, "broken
// seal" under compliance).
var builtinCauseKeywords = map[Cause][]string{
	CauseProductQuality: {
		"poor quality", "bad quality", "low quality", "lousy quality", "terrible quality",
		"horrible quality", "awful quality", "cheap quality", "quality is bad", "quality is poor",
		"quality is terrible", "quality is very bad", "quality is very poor",
		"poorly made", "badly made", "cheaply made", "cheap", "flimsy", "not durable",
		"defective", "defect", "defects", "faulty", "malfunction", "malfunctions",
		"malfunctioned", "malfunctioning", "dead on arrival",
		"stopped working", "stop working", "stops working", "doesn't work", "does not work",
		"didn't work", "did not work", "don't work", "won't work", "not working",
		"won't turn on", "doesn't turn on", "does not turn on", "won't charge",
		"doesn't charge", "not charging", "battery died", "battery dies",
		"fell apart", "falls apart", "falling apart", "came apart", "broke", "broke down",
		"breaks", "breaking", "only lasted", "lasted a day", "lasted one day",
		"useless", "waste of money", "junk", "garbage", "rubbish", "trash",
		"peeling", "peeled", "faded", "fades", "fading", "pilling", "loose threads",
		"leaking", "leaks", "scratches easily", "scratched easily", "ripped after", "tore after",
		"bad smell", "smells bad", "smells awful", "smells terrible", "weird smell",
		"strange smell", "tastes bad", "tastes awful", "tastes terrible", "thin material",
		"too thin", "not worth the money", "not worth the price", "not worth it",
	},
	CauseNotAsDescribed: {
		"not as described", "not as pictured", "not as shown", "not as advertised",
		"wasn't as described", "wasn't as pictured", "wasn't as advertised",
		"isn't as described", "isn't as pictured", "isn't as advertised",
		"not like the picture", "not like the pictures", "not like the photo", "not like the photos",
		"nothing like the picture", "nothing like the pictures", "nothing like the photo",
		"nothing like the photos", "nothing like the description", "nothing like the video",
		"doesn't match", "does not match", "didn't match", "did not match", "not match",
		"not matching", "doesn't look like", "does not look like", "didn't look like",
		"looks different", "look different", "looked different",
		"different from the picture", "different from the pictures", "different from picture",
		"different from the photo", "different from the photos", "different from the description",
		"different from description", "different than pictured", "different than the picture",
		"misleading", "mislead", "misled", "false advertising", "false advertisement",
		"false description", "falsely advertised", "wrong description", "inaccurate description",
		"fake pictures", "fake photos", "fake pics", "fake description", "fake reviews",
		"smaller than expected", "smaller than pictured", "smaller than described",
		"not what was advertised", "used item", "used product", "already used",
		"second hand", "secondhand", "refurbished", "runs small", "runs big", "runs large",
		"run small", "run big", "run large", "size chart is wrong", "wrong size chart",
		"inaccurate size chart", "size chart is inaccurate", "sizing is off", "sizing is wrong",
	},
	CauseCounterfeit: {
		"fake", "fakes", "counterfeit", "counterfeits", "knockoff", "knockoffs", "knock off",
		"replica", "imitation", "bootleg", "not authentic", "not genuine", "not original",
		"not real", "not legit", "inauthentic", "unauthentic",
	},
	CauseSafety: {
		"burn", "burns", "burned", "burnt", "burning sensation", "rash", "rashes",
		"allergic", "allergic reaction", "allergy", "skin irritation", "irritation",
		"irritated my skin", "itchy", "itching", "swelling", "swollen", "hives", "blister",
		"blisters", "breakout", "breakouts", "broke out in", "broke me out", "broken out in",
		"caught fire", "catch fire", "on fire", "fire hazard", "overheat", "overheats",
		"overheated", "overheating", "exploded", "explode", "explosion", "sparks", "sparked",
		"sparking", "started smoking", "electric shock", "electrocuted", "shocked me",
		"sharp edge", "sharp edges", "cut my", "cut me", "cut myself", "injured", "injury",
		"injuries", "hurt me", "hurt my", "dangerous", "unsafe", "hazard", "hazardous",
		"toxic", "poisonous", "chemical smell", "choking hazard", "choking",
		"made me sick", "got sick", "food poisoning", "vomiting", "diarrhea", "diarrhoea",
	},
	CauseCompliance: {
		"expired", "expiry", "expiring", "out of date", "past expiry", "past expiration",
		"no expiry date", "no expiration date", "no exp date", "no label", "no labels",
		"no labelling", "no labeling", "unlabeled", "unlabelled", "without label",
		"without labels", "no ingredients", "no ingredient list", "no ingredients list",
		"no warning", "no warnings", "no warning label", "no safety warning",
		"not certified", "no certification", "no certificate", "uncertified",
		"not approved", "not fda approved", "not registered", "unregistered", "no bpom",
		"not halal", "no halal", "no batch number", "no manufacturing date", "banned",
		"illegal", "prohibited", "broken seal", "seal broken", "seal was broken", "no seal",
		"unsealed", "tampered", "already opened", "been opened",
	},
	CauseWrongItem: {
		"wrong item", "wrong items", "wrong product", "wrong products", "wrong size",
		"wrong sizes", "wrong colour", "wrong color", "wrong colours", "wrong colors",
		"wrong model", "wrong variant", "wrong variation", "wrong design", "wrong style",
		"wrong flavour", "wrong flavor", "wrong shade", "wrong scent", "wrong type",
		"wrong pattern", "wrong one", "wrong thing", "wrong order",
		"different item", "different product", "different colour", "different color",
		"different size", "different model", "different design",
		"incorrect item", "incorrect product", "incorrect size", "incorrect colour", "incorrect color",
		"not what i ordered", "not what i order", "not the one i ordered", "not what i bought",
		"not the item i ordered", "not the product i ordered",
		"sent the wrong", "sent me the wrong", "sent wrong", "received the wrong",
		"received wrong", "got the wrong", "got wrong", "mixed up",
	},
	CauseMissingItem: {
		"missing", "missing item", "missing items", "missing part", "missing parts",
		"missing piece", "missing pieces", "missing accessories", "parts missing",
		"items missing", "pieces missing", "incomplete", "not complete", "not all items",
		"only received one", "only received 1", "only got one", "only got 1",
		"only received half", "only got half", "received only one", "half the order",
		"no free gift", "no freebie", "no freebies", "no gift", "no free item",
		"free gift missing", "missing free gift", "gift missing", "without free gift",
		"without the free gift", "didn't get the free gift", "didn't receive the free gift",
		"did not receive the free gift", "never received the free gift",
		"not received the free gift", "didn't get the gift", "didn't receive the gift",
		"no charger", "no cable", "no manual", "no instructions", "no accessories",
		"wrong quantity", "short quantity", "less than ordered", "fewer than ordered",
		"empty box", "empty package", "empty parcel", "box was empty", "package was empty",
		"parcel was empty", "nothing inside", "nothing in the box", "nothing in the package",
	},
	CauseDamaged: {
		"damaged", "damage", "damages", "broken", "cracked", "crack", "cracks", "dented",
		"dent", "dents", "crushed", "shattered", "smashed", "squashed", "squished", "bent",
		"scratched", "scratches", "chipped", "torn", "ripped", "leaked", "spilled", "spilt",
		"melted", "arrived broken", "arrived damaged", "poorly packed", "badly packed",
		"poor packaging", "bad packaging", "not packed properly", "not well packed",
		"no bubble wrap",
	},
	CauseOutOfStock: {
		"out of stock", "no stock", "not in stock", "sold out", "stock out", "no more stock",
		"item unavailable", "item not available", "product unavailable", "product not available",
		"size not available", "colour not available", "color not available",
		"no longer available", "backorder", "backordered", "back order", "back ordered",
		"cancelled my order", "canceled my order", "cancelled the order", "canceled the order",
		"cancelled my orders", "order was cancelled", "order was canceled", "order cancelled",
		"order canceled", "order got cancelled", "seller cancelled", "seller canceled",
		"cancelled by seller", "canceled by seller", "cancelled by the seller",
		"canceled by the seller", "keeps cancelling",
	},
	CauseSlowResponse: {
		"slow response", "slow responses", "slow reply", "slow replies", "slow to respond",
		"slow to reply", "slow to answer", "slow seller", "late response", "late reply",
		"late replies", "replied late", "responded late", "response was late", "reply was late",
		"delayed reply", "delayed response", "delay in reply", "delay in response",
		"no reply", "no replies", "no response", "no answer", "never replied", "never reply",
		"never replies", "never responded", "never respond", "never responds",
		"never answered", "never answer", "never got back", "never got a reply",
		"never got a response", "never received a reply", "never received a response",
		"didn't reply", "didn't respond", "didn't answer", "did not reply", "did not respond",
		"did not answer", "doesn't reply", "doesn't respond", "does not reply",
		"does not respond", "don't reply", "don't respond", "not responding", "not replying",
		"not answering", "not responsive", "unresponsive", "not received a reply",
		"not received any reply", "not received a response", "didn't receive a reply",
		"didn't receive any reply", "ignored", "ignored me", "ignored my message",
		"ignored my messages", "ignoring me", "ignoring my messages", "ignore my messages",
		"took days to reply", "took days to respond", "took forever to reply",
		"took forever to respond", "took ages to reply", "took ages to respond",
		"took so long to reply", "took so long to respond", "no one replied",
		"no one responded", "no one answered", "nobody replied", "nobody responded",
		"nobody answered", "left on read", "unhelpful", "not helpful", "no help",
		"useless customer service", "useless seller", "no customer service", "no support",
		"couldn't reach", "could not reach", "can't reach", "cannot reach", "unreachable",
		"couldn't contact", "could not contact", "can't contact", "cannot contact",
		"auto reply", "automatic reply", "automated reply", "automated response", "bot reply",
	},
	CauseRudeService: {
		"rude", "rudely", "rudeness", "unprofessional", "impolite", "disrespectful",
		"disrespect", "arrogant", "insulted", "insulting", "insult", "condescending",
		"sarcastic", "bad attitude", "attitude problem", "terrible attitude",
		"horrible attitude", "bad service", "poor service", "terrible service",
		"horrible service", "worst service", "awful service", "bad customer service",
		"poor customer service", "terrible customer service", "horrible customer service",
		"worst customer service", "awful customer service",
		"asked me to change my review", "asked me to remove my review",
		"asked me to delete my review", "asked me to edit my review",
		"change my review", "remove my review", "delete my review", "edit my review",
		"remove the review", "delete the review", "change the review",
		"pressured me", "pressuring me", "harassed", "harassing", "harassment",
		"threatened", "threatening", "blamed me", "yelled", "shouted", "swore at me",
		"scolded", "refused to help", "refused to refund", "refused my refund",
		"refused to exchange", "refused to replace", "refused my return",
	},
	CauseLateDelivery: {
		"late", "very late", "so late", "arrived late", "delivered late", "came late",
		"shipped late", "late delivery", "late shipment", "late shipping", "late dispatch",
		"delayed", "delay", "delays", "delayed delivery", "delayed shipping",
		"took forever", "taking forever", "takes forever", "took so long", "took too long",
		"takes too long", "taking too long", "took ages", "took weeks", "took a week",
		"took over a week", "took a month", "weeks to arrive", "weeks to deliver",
		"weeks to ship", "weeks to come", "month to arrive", "months to arrive",
		"days to arrive", "days late", "weeks late", "slow delivery", "slow shipping",
		"slow shipment", "slow dispatch", "slow to ship", "slow to dispatch",
		"long delivery", "long shipping", "long wait", "long time to arrive",
		"long time to deliver", "still waiting", "had to wait", "waited weeks",
		"waited for weeks", "waited a month", "waited so long", "waited too long", "not shipped", "hasn't shipped",
		"haven't shipped", "never shipped", "not dispatched", "missed delivery date",
		"past delivery date", "not on time", "wasn't on time", "didn't arrive on time",
		"did not arrive on time", "not arrive on time", "overdue",
	},
	CauseCourier: courierKeywords(),
}

// courierKeywords lists the courier keywords, including phrases that keep a
// complaint about the courier's manners out of rude_service.
func courierKeywords() []string {
	kws := []string{
		"courier", "couriers", "shipping carrier", "delivery carrier", "carrier lost",
		"shipping company", "delivery company", "delivery service", "bad delivery",
		"logistics", "lost parcel", "lost package", "lost item", "lost my parcel",
		"lost my package", "lost my order", "lost in transit", "parcel lost", "package lost",
		"parcel was lost", "package was lost", "got lost", "went missing", "missing parcel",
		"missing package", "parcel missing", "package missing", "never arrived", "never came",
		"never received", "never delivered", "not received", "not delivered", "didn't arrive",
		"did not arrive", "didn't receive", "did not receive", "haven't received",
		"have not received", "still haven't received", "still not received",
		"not yet received", "wrong address", "wrong house", "delivered to the wrong",
		"delivered to wrong", "delivered to someone else", "left outside",
		"left at the door", "left in the rain", "threw the parcel", "threw the package",
		"threw my parcel", "threw my package", "thrown over", "parcel was thrown",
		"package was thrown", "stolen", "marked as delivered", "marked delivered",
		"says delivered", "shows delivered", "tracking number", "tracking info",
		"tracking information", "tracking says", "tracking said", "tracking shows",
		"tracking showed", "tracking not updated", "tracking never updated", "no tracking",
		"fake tracking",
		"fake delivery", "failed delivery", "delivery failed", "delivery attempt",
		"returned to sender", "j&t express", "ninja van", "flash express", "kerry express",
		"best express", "spx express", "lbc", "usps", "fedex", "dhl", "royal mail", "evri",
		"yodel", "lalamove",
	}
	kws = append(kws, "driver", "rider", "postman", "mailman", "delivery driver",
		"delivery guy", "delivery man", "delivery person", "delivery boy", "delivery rider")
	for _, who := range []string{"driver", "rider", "courier", "postman", "delivery guy",
		"delivery man", "delivery driver", "delivery person"} {
		kws = append(kws, "rude "+who, who+" was rude", who+" was very rude", who+" was so rude",
			who+" is rude")
	}
	return kws
}
