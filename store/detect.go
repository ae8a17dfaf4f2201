package store

import (
	"fmt"
	"slices"
	"strings"
)

// KindOfHeader recognises the record kind of a CSV file from its header
// row: the kind whose required columns (SPEC section 2) are all there. When
// several are, the one needing the most columns wins, since its file also
// holds every column of the smaller kinds (a reviews file has all that an
// orders file needs); two kinds that match without one containing the
// other are ambiguous. A header with no SPEC layout is matched against
// Seller Center's export layouts (sellercenter.go) the same way.
func KindOfHeader(header []string) (Kind, error) {
	have := make(map[string]bool, len(header))
	for _, h := range header {
		have[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = true
	}
	var match []*kindSpec
	for _, k := range Kinds {
		spec := kindSpecs[k]
		all := true
		for _, c := range spec.required {
			if !have[c] {
				all = false
				break
			}
		}
		if all {
			match = append(match, spec)
		}
	}
	if len(match) > 0 {
		return widest(match, func(s *kindSpec) []string { return s.required }, "")
	}
	for _, k := range Kinds {
		if spec := kindSpecs[k]; spec.seller != nil {
			if _, _, missing := sellerCols(spec, header); len(missing) == 0 {
				match = append(match, spec)
			}
		}
	}
	if len(match) > 0 {
		return widest(match, func(s *kindSpec) []string { return s.sellerRequired }, "Seller Center ")
	}
	var want []string
	for _, k := range Kinds {
		want = append(want, fmt.Sprintf("%s: %s", k, strings.Join(kindSpecs[k].required, ", ")))
	}
	var seller []string
	for _, k := range Kinds {
		if spec := kindSpecs[k]; spec.seller != nil {
			seller = append(seller, fmt.Sprintf("%s export: %s", sellerNames[k], sellerWants(spec)))
		}
	}
	return "", fmt.Errorf("the header names no record kind: want the columns of one of %s (SPEC section 2), or those of a Seller Center %s", strings.Join(want, "; "), strings.Join(seller, "; "))
}

// widest picks among the kinds whose columns a header has the one needing
// the most, when its columns hold those of the others.
func widest(match []*kindSpec, cols func(*kindSpec) []string, layout string) (Kind, error) {
	best := match[0]
	for _, m := range match[1:] {
		switch {
		case contains(cols(m), cols(best)):
			best = m
		case contains(cols(best), cols(m)):
		default:
			return "", fmt.Errorf("the header has the columns of both a %s%s and a %s%s file: which is it?", layout, best.kind, layout, m.kind)
		}
	}
	return best.kind, nil
}

// contains reports whether every column of sub is in set.
func contains(set, sub []string) bool {
	for _, c := range sub {
		if !slices.Contains(set, c) {
			return false
		}
	}
	return true
}
