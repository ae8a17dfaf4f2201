package rules

import (
	"slices"
	"strings"
	"testing"
)

// specCauses is the SPEC 2.1 table: cause names and groups, in table order.
var specCauses = []struct {
	cause Cause
	name  string
	group Group
}{
	{CauseProductQuality, "product_quality", GroupProduct},
	{CauseNotAsDescribed, "not_as_described", GroupProduct},
	{CauseCounterfeit, "counterfeit", GroupProduct},
	{CauseSafety, "safety", GroupProduct},
	{CauseCompliance, "compliance", GroupProduct},
	{CauseWrongItem, "wrong_item", GroupService},
	{CauseMissingItem, "missing_item", GroupService},
	{CauseDamaged, "damaged", GroupService},
	{CauseOutOfStock, "out_of_stock", GroupService},
	{CauseSlowResponse, "slow_response", GroupService},
	{CauseRudeService, "rude_service", GroupService},
	{CauseLateDelivery, "late_delivery", GroupLogistics},
	{CauseCourier, "courier", GroupLogistics},
}

func TestCauseTable(t *testing.T) {
	var want []Cause
	for _, tc := range specCauses {
		want = append(want, tc.cause)
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cause.String(); got != tc.name {
				t.Errorf("String() = %q, want %q", got, tc.name)
			}
			if got := tc.cause.Group(); got != tc.group {
				t.Errorf("Group() = %v, want %v", got, tc.group)
			}
			for _, in := range []string{tc.name, strings.ToUpper(tc.name), "  " + tc.name + "\t"} {
				c, err := ParseCause(in)
				if err != nil || c != tc.cause {
					t.Errorf("ParseCause(%q) = %v, %v; want %v", in, c, err, tc.cause)
				}
			}
			if d := tc.cause.Description(); d == "" || d == tc.name {
				t.Errorf("Description() = %q, want human wording", d)
			}
		})
	}
	if got := Causes(); !slices.Equal(got, want) {
		t.Errorf("Causes() = %v, want %v", got, want)
	}
	if got := CauseOther.String(); got != "other" {
		t.Errorf("CauseOther.String() = %q", got)
	}
	if got := CauseOther.Group(); got != GroupOther {
		t.Errorf("CauseOther.Group() = %v", got)
	}
	if got := CauseProductQuality.Description(); got != "defective or low-quality items" {
		t.Errorf("product_quality description = %q", got)
	}
	for g, name := range map[Group]string{GroupOther: "other", GroupProduct: "product", GroupService: "service", GroupLogistics: "logistics"} {
		if g.String() != name {
			t.Errorf("Group(%d).String() = %q, want %q", g, g.String(), name)
		}
	}
}

func TestParseCauseErrors(t *testing.T) {
	for _, in := range []string{"other", "Other", "", "quality", "product quality", "late-delivery", "damaged;courier"} {
		t.Run(in, func(t *testing.T) {
			c, err := ParseCause(in)
			if err == nil {
				t.Fatalf("ParseCause(%q) = %v, want error", in, c)
			}
			msg := err.Error()
			if !strings.Contains(msg, "product_quality") || !strings.Contains(msg, "courier") {
				t.Errorf("error %q does not list the valid names", msg)
			}
			if !strings.Contains(msg, `"`+strings.TrimSpace(in)+`"`) {
				t.Errorf("error %q does not name the input", msg)
			}
		})
	}
}

func TestCauseSet(t *testing.T) {
	tests := []struct {
		name   string
		set    CauseSet
		causes []Cause
		str    string
	}{
		{"empty is other", NewCauseSet(), []Cause{CauseOther}, "other"},
		{"CauseOther adds nothing", NewCauseSet(CauseOther), []Cause{CauseOther}, "other"},
		{"one cause", NewCauseSet(CauseDamaged), []Cause{CauseDamaged}, "damaged"},
		{"cause order, duplicates once", NewCauseSet(CauseCourier, CauseProductQuality, CauseCourier),
			[]Cause{CauseProductQuality, CauseCourier}, "product_quality;courier"},
		{"invalid causes ignored", NewCauseSet(Cause(14), Cause(200), CauseSafety), []Cause{CauseSafety}, "safety"},
		{"bit 0 ignored", CauseSet(1), []Cause{CauseOther}, "other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.set.Causes(); !slices.Equal(got, tc.causes) {
				t.Errorf("Causes() = %v, want %v", got, tc.causes)
			}
			if got := tc.set.String(); got != tc.str {
				t.Errorf("String() = %q, want %q", got, tc.str)
			}
			for _, c := range append(Causes(), CauseOther) {
				if got, want := tc.set.Has(c), slices.Contains(tc.causes, c); got != want {
					t.Errorf("Has(%v) = %v, want %v", c, got, want)
				}
			}
		})
	}
	// The bit layout is stored in the database: bit i is Cause i.
	if got := NewCauseSet(CauseProductQuality, CauseCourier); got != 1<<1|1<<13 {
		t.Errorf("bit layout: got %b", got)
	}
}

func TestCauseSetGroups(t *testing.T) {
	tests := []struct {
		name                               string
		set                                CauseSet
		other, product, service, logistics bool
		sellerRelated                      bool
	}{
		{"other", NewCauseSet(), true, false, false, false, true},
		{"product only", NewCauseSet(CauseCounterfeit), false, true, false, false, true},
		{"service only", NewCauseSet(CauseSlowResponse), false, false, true, false, true},
		{"late delivery only", NewCauseSet(CauseLateDelivery), false, false, false, true, false},
		{"courier only", NewCauseSet(CauseCourier), false, false, false, true, false},
		{"all logistics", NewCauseSet(CauseLateDelivery, CauseCourier), false, false, false, true, false},
		{"product and logistics", NewCauseSet(CauseSafety, CauseCourier), false, true, false, true, true},
		{"service and logistics", NewCauseSet(CauseDamaged, CauseLateDelivery), false, false, true, true, true},
		{"product and service", NewCauseSet(CauseCompliance, CauseRudeService), false, true, true, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for g, want := range map[Group]bool{GroupOther: tc.other, GroupProduct: tc.product, GroupService: tc.service, GroupLogistics: tc.logistics} {
				if got := tc.set.HasGroup(g); got != want {
					t.Errorf("HasGroup(%v) = %v, want %v", g, got, want)
				}
			}
			if got := tc.set.SellerRelated(); got != tc.sellerRelated {
				t.Errorf("SellerRelated() = %v, want %v", got, tc.sellerRelated)
			}
		})
	}
}

func TestCauseParseTags(t *testing.T) {
	tests := []struct {
		in   string
		want CauseSet
	}{
		{"", 0},
		{" ; ;", 0},
		{"damaged", NewCauseSet(CauseDamaged)},
		{"damaged;courier", NewCauseSet(CauseDamaged, CauseCourier)},
		{" Damaged ; ;COURIER; damaged ;", NewCauseSet(CauseDamaged, CauseCourier)},
		{"late_delivery", NewCauseSet(CauseLateDelivery)},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTags(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("ParseTags(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestCauseParseTagsErrors(t *testing.T) {
	tests := []struct{ in, names string }{
		{"damaged;brokn", "brokn"},
		{"other", "other"},
		{"damaged,courier", "damaged,courier"},
		{"late delivery", "late delivery"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			set, err := ParseTags(tc.in)
			if err == nil {
				t.Fatalf("ParseTags(%q) = %v, want error", tc.in, set)
			}
			if !strings.Contains(err.Error(), `"`+tc.names+`"`) {
				t.Errorf("error %q does not name %q", err, tc.names)
			}
			if !strings.Contains(err.Error(), "missing_item") {
				t.Errorf("error %q does not list valid tags", err)
			}
		})
	}
}
