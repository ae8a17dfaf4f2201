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
// other are ambiguous.
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
	if len(match) == 0 {
		var want []string
		for _, k := range Kinds {
			want = append(want, fmt.Sprintf("%s: %s", k, strings.Join(kindSpecs[k].required, ", ")))
		}
		return "", fmt.Errorf("the header names no record kind: want the columns of one of %s", strings.Join(want, "; "))
	}
	best := match[0]
	for _, m := range match[1:] {
		switch {
		case contains(m.required, best.required):
			best = m
		case contains(best.required, m.required):
		default:
			return "", fmt.Errorf("the header has the columns of both %s and %s: which is it?", best.kind, m.kind)
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
