package rules

// HeadroomTo is how many more counted records (for the chat response
// rate: late turns) r can take, at today's denominator, before its value
// passes threshold; 0 when it is already past. rules.Result.Headroom is
// HeadroomTo the critical threshold; messages show it to the next
// threshold: warn while the level is ok, critical while it is warn.
func HeadroomTo(r Result, threshold float64) int {
	if !r.Valid || r.Denominator <= 0 {
		return 0
	}
	if r.Metric.LowerIsWorse() {
		if threshold <= 0 {
			return 0
		}
		return chatHeadroom(r.Numerator, r.Denominator, threshold)
	}
	return Headroom(r.Numerator, r.Denominator, threshold)
}
