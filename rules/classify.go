package rules

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Classifier derives the causes of a review from its text with keyword rules:
// built-in English keywords per cause, extendable. Keywords match whole words
// and phrases, ignoring case and punctuation; where phrases overlap the
// longest one wins ("late reply" is slow_response, not late_delivery). A
// keyword directly preceded by a negation ("not damaged", "no delay") does not
// count. A Classifier is immutable and safe for concurrent use.
type Classifier struct {
	m           func() *matcher // built on first use: Open needs only the fingerprint
	fingerprint string
}

// NewClassifier returns a Classifier with the built-in keywords plus extra
// keywords per cause. A keyword that is empty (after removing punctuation) or
// given for CauseOther or an unknown cause is an error.
func NewClassifier(extra map[Cause][]string) (*Classifier, error) {
	if len(extra) == 0 {
		// The built-in keywords alone: their fingerprint is pinned, and the
		// tables are built on first use (every store.Open asks for the
		// fingerprint; a short command classifies nothing).
		return &Classifier{m: lazyBuiltin(func() (*matcherBuilder, error) { return causeBuilder(nil) }), fingerprint: builtinCausesFingerprint}, nil
	}
	b, err := causeBuilder(extra)
	if err != nil {
		return nil, err
	}
	return &Classifier{m: lazyMatcher(b), fingerprint: causeFingerprint(b)}, nil
}

// builtinCausesFingerprint is causeFingerprint of the built-in keywords
// alone. TestFingerprintsPinned computes it from the tables: a change to
// them (or to how keywords are normalised) must change it here too, which
// has every stored review classified again.
const builtinCausesFingerprint = "a09eb6af8365c170"

// causeBuilder returns the builder of the built-in keywords plus extra.
func causeBuilder(extra map[Cause][]string) (*matcherBuilder, error) {
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
	return b, nil
}

func causeFingerprint(b *matcherBuilder) string {
	return b.fingerprint("causes", func(v uint32) string { return CauseSet(v).String() })
}

// lazyMatcher builds b's matcher on first use. b is not changed after.
func lazyMatcher(b *matcherBuilder) func() *matcher {
	return sync.OnceValue(func() *matcher {
		m := b.build()
		return &m
	})
}

// lazyBuiltin builds the matcher of a built-in table on first use. The
// table's builder cannot fail but for a bug in the table, which the tests
// would catch first.
func lazyBuiltin(builder func() (*matcherBuilder, error)) func() *matcher {
	return sync.OnceValue(func() *matcher {
		b, err := builder()
		if err != nil {
			panic(err)
		}
		m := b.build()
		return &m
	})
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
	m := c.m()
	for i := 0; i < len(t); {
		val, end, ok := m.longestAt(t, i)
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
