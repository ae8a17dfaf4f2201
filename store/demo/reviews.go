package demo

// reviews writes the reviews of a delivered order.
func (g *shopGen) reviews(badLine int) {
	r := g.r
	negLine, negCause := -1, causeNone
	pNeg := g.p.negBase
	if badLine >= 0 {
		pNeg = g.pBad
	}
	pLogistics := g.p.negBase * 0.2
	if g.delivered-g.created > 6*86400 {
		pLogistics *= 4
	}
	switch u := r.Float64(); {
	case u < pNeg:
		negLine = r.IntN(g.nlines)
		negCause = cause(g.negDist.sample(r))
		if badLine >= 0 {
			negLine = badLine
			if r.Float64() < 0.7 {
				negCause = g.products[g.lines[badLine]].cause
			}
		}
	case u < pNeg+pLogistics:
		negLine = r.IntN(g.nlines)
		negCause = causeLateDelivery
		if r.IntN(3) == 0 {
			negCause = causeCourier
		}
	}
	for i := 0; i < g.nlines; i++ {
		if i == negLine {
			g.negativeReview(i, negCause)
		} else if r.Float64() < g.p.reviewRate {
			g.positiveReview(i)
		}
	}
}

func (g *shopGen) negativeReview(line int, c cause) {
	r := g.r
	delay := int64(r.ExpFloat64() * 1.5 * 86400)
	at := g.delivered + 1200 + min(delay, 14*86400-1200)
	if at >= g.endEOD {
		return
	}
	rating := byte('1')
	if r.IntN(5) < 2 {
		rating = '2'
	}
	var text, tags string
	tags2 := causeNone
	local := localNegative[g.p.zone.market]
	switch u := r.Float64(); {
	case u < 0.25 && c != causeNone: // tagged by the buyer's chosen issue
		tags = causeNames[c]
		if x := extraTag[c]; x != causeNone && r.IntN(3) == 0 {
			tags2 = x
		}
		if r.IntN(5) < 3 {
			text = r.pick(negativeTexts[c])
		}
	case u < 0.33 && len(local) > 0: // a text the English rules do not understand
		text = r.pick(local)
	default:
		text = r.pick(negativeTexts[c])
	}
	g.review(line, at, rating, text, tags, tags2)
}

func (g *shopGen) positiveReview(line int) {
	r := g.r
	u := r.Float64()
	at := g.delivered + 1800 + int64(u*u*(14*86400-1800))
	if at >= g.endEOD {
		return
	}
	var rating byte
	var text string
	switch v := r.Float64(); {
	case v < 0.07:
		rating = '3'
		if r.IntN(5) < 3 {
			text = r.pick(neutralTexts)
		}
	case v < 0.26:
		rating = '4'
	default:
		rating = '5'
	}
	if rating != '3' {
		local := localPositive[g.p.zone.market]
		switch w := r.Float64(); {
		case w < 0.45:
		case w < 0.57 && len(local) > 0:
			text = r.pick(local)
		default:
			text = r.pick(positiveTexts)
		}
	}
	g.review(line, at, rating, text, "", causeNone)
}

func (g *shopGen) review(line int, at int64, rating byte, text, tags string, tags2 cause) {
	g.reviewID.next()
	g.sum.Reviews++
	p := &g.products[g.lines[line]]
	out := g.out
	b := g.appendLine(append(append(out.buf, g.reviewID...), ','), p)
	b = append(b, rating, ',')
	b = g.clk.appendRFC3339(b, at)
	b = append(b, ',')
	b = append(b, text...)
	b = append(b, ',')
	b = append(b, tags...)
	if tags2 != causeNone {
		b = append(b, ';')
		b = append(b, causeNames[tags2]...)
	}
	out.buf = append(b, '\n')
	out.emit(fileReviews)
}
