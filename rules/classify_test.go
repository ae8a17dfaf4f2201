package rules

import (
	"regexp"
	"testing"
)

func mustClassifier(tb testing.TB, extra map[Cause][]string) *Classifier {
	tb.Helper()
	c, err := NewClassifier(extra)
	if err != nil {
		tb.Fatalf("NewClassifier: %v", err)
	}
	return c
}

// classifyTests are review texts and the causes their text gives.
var classifyTests = []struct {
	name string
	text string
	want CauseSet
}{
	// One or more per cause, in buyers' words.
	{"quality poor", "Very poor quality, not worth it", NewCauseSet(CauseProductQuality)},
	{"quality stopped working", "Stopped working after 2 days", NewCauseSet(CauseProductQuality)},
	{"quality doesn't work", "It doesn’t work at all", NewCauseSet(CauseProductQuality)},
	{"quality flimsy", "flimsy and fell apart", NewCauseSet(CauseProductQuality)},
	{"quality defective", "DEFECTIVE unit", NewCauseSet(CauseProductQuality)},
	{"not as described", "Not as described!!", NewCauseSet(CauseNotAsDescribed)},
	{"not as pictured", "looks different, not as pictured", NewCauseSet(CauseNotAsDescribed)},
	{"doesn't match", "colour doesn't match the listing", NewCauseSet(CauseNotAsDescribed)},
	{"misleading", "misleading photos", NewCauseSet(CauseNotAsDescribed)},
	{"fake", "This is fake", NewCauseSet(CauseCounterfeit)},
	{"knock-off", "obvious knock-off, not original", NewCauseSet(CauseCounterfeit)},
	{"not authentic", "NOT AUTHENTIC", NewCauseSet(CauseCounterfeit)},
	{"rash", "gave my baby a rash", NewCauseSet(CauseSafety)},
	{"allergic reaction", "I had an allergic reaction", NewCauseSet(CauseSafety)},
	{"caught fire", "the charger caught fire", NewCauseSet(CauseSafety)},
	{"sharp edge", "sharp edge cut my finger", NewCauseSet(CauseSafety)},
	{"expired", "The cream was expired", NewCauseSet(CauseCompliance)},
	{"no label", "no label and no ingredients list", NewCauseSet(CauseCompliance)},
	{"wrong item", "Wrong item sent", NewCauseSet(CauseWrongItem)},
	{"wrong colour", "wrong colour", NewCauseSet(CauseWrongItem)},
	{"wrong color", "Wrong color!", NewCauseSet(CauseWrongItem)},
	{"wrong size", "they sent the wrong size", NewCauseSet(CauseWrongItem)},
	{"not what i ordered", "not what I ordered", NewCauseSet(CauseWrongItem)},
	{"missing", "one piece is missing", NewCauseSet(CauseMissingItem)},
	{"incomplete", "incomplete set", NewCauseSet(CauseMissingItem)},
	{"no free gift", "No free gift even though it was promised", NewCauseSet(CauseMissingItem)},
	{"damaged", "damaged", NewCauseSet(CauseDamaged)},
	{"cracked", "screen cracked", NewCauseSet(CauseDamaged)},
	{"dented crushed", "box dented and crushed", NewCauseSet(CauseDamaged)},
	{"shattered", "glass shattered", NewCauseSet(CauseDamaged)},
	{"smashed", "Smashed.", NewCauseSet(CauseDamaged)},
	{"out of stock", "out of stock after I paid", NewCauseSet(CauseOutOfStock)},
	{"cancelled my order", "seller cancelled my order", NewCauseSet(CauseOutOfStock)},
	{"slow response", "slow response from the shop", NewCauseSet(CauseSlowResponse)},
	{"no reply", "no reply to my messages", NewCauseSet(CauseSlowResponse)},
	{"never replied", "Seller never replied", NewCauseSet(CauseSlowResponse)},
	{"didn't respond", "they didn't respond", NewCauseSet(CauseSlowResponse)},
	{"ignored my messages", "ignored my messages for a week", NewCauseSet(CauseSlowResponse)},
	{"rude", "Seller was RUDE", NewCauseSet(CauseRudeService)},
	{"unprofessional", "very unprofessional", NewCauseSet(CauseRudeService)},
	{"asked to change review", "they asked me to change my review", NewCauseSet(CauseRudeService)},
	{"late", "arrived late", NewCauseSet(CauseLateDelivery)},
	{"took forever", "took forever", NewCauseSet(CauseLateDelivery)},
	{"delayed", "Delayed again", NewCauseSet(CauseLateDelivery)},
	{"weeks to arrive", "3 weeks to arrive", NewCauseSet(CauseLateDelivery)},
	{"courier", "courier threw it over the fence", NewCauseSet(CauseCourier)},
	{"lost parcel", "lost parcel", NewCauseSet(CauseCourier)},
	{"delivery guy", "the delivery guy left it in the rain", NewCauseSet(CauseCourier)},

	// Whole words only.
	{"late in chocolate", "chocolate", 0},
	{"late in translate", "translate", 0},
	{"late in latest", "the latest model", 0},
	{"fake in fakery prefix", "fakery", 0},
	{"burn in sunburn", "good for sunburn", 0},
	{"driver in screwdriver", "the screwdriver set", 0},
	{"rash in rashly", "I bought it rashly", 0},
	{"broken with punctuation", "Broken!", NewCauseSet(CauseDamaged)},
	{"broken at sentence end", "it's broken.", NewCauseSet(CauseDamaged)},
	{"broken in quotes", `"broken"`, NewCauseSet(CauseDamaged)},
	{"late at start", "Late.", NewCauseSet(CauseLateDelivery)},
	{"phrase across punctuation", "wrong. item arrived fine", 0},

	// Overlaps: the longest phrase wins.
	{"late reply is slow response", "late reply from the seller", NewCauseSet(CauseSlowResponse)},
	{"took forever to reply", "took forever to reply", NewCauseSet(CauseSlowResponse)},
	{"missing parcel is courier", "missing parcel", NewCauseSet(CauseCourier)},
	{"wrong address is courier", "delivered to the wrong address", NewCauseSet(CauseCourier)},
	{"broken seal is compliance", "broken seal", NewCauseSet(CauseCompliance)},
	{"rude driver is courier", "The driver was very rude", NewCauseSet(CauseCourier)},
	{"rude courier is courier", "rude courier", NewCauseSet(CauseCourier)},
	{"fake tracking is courier", "fake tracking", NewCauseSet(CauseCourier)},
	{"free gift not received", "never received the free gift", NewCauseSet(CauseMissingItem)},
	{"useless service is slow response", "useless customer service", NewCauseSet(CauseSlowResponse)},
	{"tracking alone is not courier", "the fitness tracking doesn't work", NewCauseSet(CauseProductQuality)},
	{"tracking number is courier", "tracking number is invalid", NewCauseSet(CauseCourier)},
	{"size chart is not as described", "Sizes run small", NewCauseSet(CauseNotAsDescribed)},
	{"ripped after is quality", "ripped after one wash", NewCauseSet(CauseProductQuality)},

	// Negations cancel the keyword after them.
	{"not damaged", "not damaged but it doesn't work", NewCauseSet(CauseProductQuality)},
	{"no delay", "no delay, but it's fake", NewCauseSet(CauseCounterfeit)},
	{"without any damage", "arrived without any damage, colour doesn't match", NewCauseSet(CauseNotAsDescribed)},
	{"wasn't late", "wasn't late", 0},
	{"negation stops at punctuation", "No. Broken.", NewCauseSet(CauseDamaged)},
	{"negation is one clause", "not cheap, and late", NewCauseSet(CauseLateDelivery)},

	// Several causes.
	{"three causes", "Fake and broken, and the seller never replied", NewCauseSet(CauseCounterfeit, CauseDamaged, CauseSlowResponse)},
	{"product and logistics", "poor quality and it arrived late", NewCauseSet(CauseProductQuality, CauseLateDelivery)},
	{"logistics only", "Took weeks, the courier lost it twice", NewCauseSet(CauseLateDelivery, CauseCourier)},

	// Nothing found.
	{"empty", "", 0},
	{"spaces", "   \n\t ", 0},
	{"emoji only", "😡😡😡", 0},
	{"no cause words", "I just don't like it", 0},
}

func TestClassify(t *testing.T) {
	c := mustClassifier(t, nil)
	for _, tc := range classifyTests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Classify(0, tc.text); got != tc.want {
				t.Errorf("Classify(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

func TestClassifyEveryCauseHasKeywords(t *testing.T) {
	c := mustClassifier(t, nil)
	for _, cause := range Causes() {
		t.Run(cause.String(), func(t *testing.T) {
			kws := builtinCauseKeywords[cause]
			if len(kws) < 5 {
				t.Fatalf("only %d built-in keywords", len(kws))
			}
			// Every keyword alone classifies as its cause (possibly with
			// others, where a phrase is shared).
			for _, kw := range kws {
				if got := c.Classify(0, kw); !got.Has(cause) {
					t.Errorf("keyword %q gives %v", kw, got)
				}
			}
		})
	}
}

func TestClassifyTagsWin(t *testing.T) {
	c := mustClassifier(t, nil)
	tests := []struct {
		name string
		tags CauseSet
		text string
		want CauseSet
	}{
		{"tags override text", NewCauseSet(CauseCourier), "broken and fake", NewCauseSet(CauseCourier)},
		{"tags with empty text", NewCauseSet(CauseSafety, CauseDamaged), "", NewCauseSet(CauseSafety, CauseDamaged)},
		{"empty tags use text", 0, "broken", NewCauseSet(CauseDamaged)},
		{"bit 0 alone is empty", CauseSet(1), "broken", NewCauseSet(CauseDamaged)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Classify(tc.tags, tc.text); got != tc.want {
				t.Errorf("Classify(%v, %q) = %v, want %v", tc.tags, tc.text, got, tc.want)
			}
		})
	}
}

func TestClassifierExtraKeywords(t *testing.T) {
	c := mustClassifier(t, map[Cause][]string{
		CauseDamaged:      {"kaput", "Arrived in PIECES"},
		CauseSlowResponse: {"late"}, // shared with late_delivery: both
		CauseCompliance:   {"no SNI mark"},
	})
	tests := []struct {
		text string
		want CauseSet
	}{
		{"totally kaput", NewCauseSet(CauseDamaged)},
		{"it arrived in pieces!", NewCauseSet(CauseDamaged)},
		{"arrived pieces", 0},
		{"there is no SNI-mark", NewCauseSet(CauseCompliance)},
		{"late", NewCauseSet(CauseLateDelivery, CauseSlowResponse)},
		{"broken", NewCauseSet(CauseDamaged)}, // built-ins still apply
		{"kaputt", 0},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			if got := c.Classify(0, tc.text); got != tc.want {
				t.Errorf("Classify(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
	if got := mustClassifier(t, nil).Classify(0, "totally kaput"); got != 0 {
		t.Errorf("built-in rules know kaput: %v", got)
	}
}

func TestNewClassifierErrors(t *testing.T) {
	tests := []struct {
		name  string
		extra map[Cause][]string
	}{
		{"empty keyword", map[Cause][]string{CauseDamaged: {"broken", ""}}},
		{"blank keyword", map[Cause][]string{CauseDamaged: {"  "}}},
		{"punctuation only", map[Cause][]string{CauseDamaged: {"?!"}}},
		{"cause other", map[Cause][]string{CauseOther: {"meh"}}},
		{"unknown cause", map[Cause][]string{Cause(42): {"meh"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := NewClassifier(tc.extra); err == nil {
				t.Errorf("NewClassifier(%v) = %v, want error", tc.extra, c)
			}
		})
	}
}

func TestClassifierFingerprint(t *testing.T) {
	base := mustClassifier(t, nil).Fingerprint()
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(base) {
		t.Fatalf("Fingerprint() = %q, want 16 hex digits", base)
	}
	same := []struct {
		name  string
		extra map[Cause][]string
	}{
		{"nil again", nil},
		{"empty map", map[Cause][]string{}},
		{"built-in keyword again", map[Cause][]string{CauseDamaged: {"Broken"}}},
	}
	for _, tc := range same {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustClassifier(t, tc.extra).Fingerprint(); got != base {
				t.Errorf("Fingerprint() = %q, want %q", got, base)
			}
		})
	}
	seen := map[string]string{base: "built-in"}
	differ := []struct {
		name  string
		extra map[Cause][]string
	}{
		{"extra keyword", map[Cause][]string{CauseDamaged: {"kaput"}}},
		{"same keyword other cause", map[Cause][]string{CauseCourier: {"kaput"}}},
		{"built-in keyword for another cause", map[Cause][]string{CauseCourier: {"broken"}}},
		{"two keywords", map[Cause][]string{CauseDamaged: {"kaput", "wrecked"}}},
	}
	for _, tc := range differ {
		t.Run(tc.name, func(t *testing.T) {
			got := mustClassifier(t, tc.extra).Fingerprint()
			if prev, dup := seen[got]; dup {
				t.Errorf("Fingerprint() = %q, same as %s", got, prev)
			}
			seen[got] = tc.name
		})
	}
	a := mustClassifier(t, map[Cause][]string{CauseDamaged: {"kaput", "wrecked"}, CauseCourier: {"van"}}).Fingerprint()
	b := mustClassifier(t, map[Cause][]string{CauseCourier: {"van"}, CauseDamaged: {"wrecked", "KAPUT"}}).Fingerprint()
	if a != b {
		t.Errorf("fingerprint depends on keyword order or case: %q != %q", a, b)
	}
}

func TestClassifyNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Broken!", "broken"},
		{"  it's   BROKEN.  ", "its broken"},
		{"didn’t respond", "didnt respond"},
		{"knock-off / fake", "knock off fake"},
		{"late, very late; why?", "late . very late . why"},
		{"Ça ne marche pas", "ça ne marche pas"},
		{"line\nbreak", "line . break"},
		{"...", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := string(appendNormalized(nil, tc.in)); got != tc.want {
				t.Errorf("normalized %q = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// benchReview is a typical 200-character negative review.
const benchReview = "Ordered this for my daughter and it took forever to arrive. When it came the box was crushed, " +
	"one of the pieces was cracked and the colour looks nothing like the photos. Messaged the shop twice, no reply!"

func TestClassifyAllocations(t *testing.T) {
	c := mustClassifier(t, nil)
	want := NewCauseSet(CauseLateDelivery, CauseDamaged, CauseNotAsDescribed, CauseSlowResponse)
	if got := c.Classify(0, benchReview); got != want {
		t.Fatalf("Classify(benchReview) = %v, want %v", got, want)
	}
	if n := testing.AllocsPerRun(100, func() { c.Classify(0, benchReview) }); n != 0 {
		t.Errorf("Classify allocates %v times per call, want 0", n)
	}
}

func BenchmarkClassify(b *testing.B) {
	c := mustClassifier(b, nil)
	b.SetBytes(int64(len(benchReview)))
	b.ReportAllocs()
	for b.Loop() {
		c.Classify(0, benchReview)
	}
}

// TestFingerprintsPinned pins the fingerprints of the built-in tables and
// of a config's extra keywords. store.Open compares them with the stored
// ones and reclassifies every stored review or return when one differs: a
// change in how they are computed must not move them. Update a value only
// with the keyword tables, the rules or the normalisation, knowing that
// databases then reclassify on their next open.
func mustBuild(t *testing.T, builder func() (*matcherBuilder, error)) *matcherBuilder {
	t.Helper()
	b, err := builder()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFingerprintsPinned(t *testing.T) {
	extraCauses := map[Cause][]string{CauseDamaged: {"kaput", "wrecked"}, CauseCourier: {"van"}}
	extraFaults := map[Fault][]string{FaultLogistics: {"box crushed"}, FaultBuyer: {"found cheaper"}}
	tests := []struct {
		name, got, want string
	}{
		{"causes, built-in", mustClassifier(t, nil).Fingerprint(), "a09eb6af8365c170"},
		{"causes, extra keywords", mustClassifier(t, extraCauses).Fingerprint(), "880afd7831ee4038"},
		{"reasons, built-in", mustReasonClassifier(t, nil).Fingerprint(), "e21d03e406be1c3b"},
		{"reasons, extra keywords", mustReasonClassifier(t, extraFaults).Fingerprint(), "948c5e43651c3a21"},
		// The built-in tables, computed: the classifiers without extra
		// keywords take the pinned constants instead.
		{"causes, built-in tables", causeFingerprint(mustBuild(t, func() (*matcherBuilder, error) { return causeBuilder(nil) })), builtinCausesFingerprint},
		{"reasons, built-in tables", reasonRulesFingerprint(mustBuild(t, reasonBuilder)), builtinReasonsFingerprint},
		{"causes, extra keywords of no words", mustClassifier(t, map[Cause][]string{CauseDamaged: {}}).Fingerprint(), "a09eb6af8365c170"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: fingerprint %s, pinned %s", tc.name, tc.got, tc.want)
		}
	}
}
