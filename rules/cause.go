package rules

import (
	"fmt"
	"math/bits"
	"strings"
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
