package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
)

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
	// Written straight into the hash, each value's label made once: a
	// formatted copy of the tables was a third of the two classifiers'
	// 0.66 ms (0.44 ms now, warm; TestFingerprintsPinned keeps the values).
	// Without extra keywords, store.Open takes the pinned fingerprints of
	// the built-in tables and builds nothing.
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\nnegators %s\nfillers %s\n", kind, normalizeVersion,
		strings.Join(negators, ","), strings.Join(negationFillers, ","))
	labels := map[uint32]string{}
	var line []byte
	for _, text := range slices.Sorted(maps.Keys(b.phrases)) {
		v := b.phrases[text]
		l, ok := labels[v]
		if !ok {
			l = label(v)
			labels[v] = l
		}
		line = append(append(append(append(line[:0], text...), '\t'), l...), '\n')
		h.Write(line)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// shortHash returns the first 16 hex digits of the SHA-256 of s (as
// fingerprint does of what it hashes).
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
