package demo

// returns writes the order's return, if it has one.
func (g *shopGen) returns(badLine int, status string) {
	r := g.r
	if g.delivered == 0 {
		// Still on its way: now and then a buyer asks for a refund because
		// it is late.
		if status == "in_transit" && r.Float64() < g.p.returnRate*0.15 {
			at := g.created + 6*86400 + r.Int64N(3*86400)
			if at < g.endEOD {
				g.writeReturn(r.IntN(g.nlines), at, reasonLate)
			}
		}
		return
	}
	p := g.p.returnRate
	if badLine >= 0 {
		p += g.p.badReturn
	}
	if r.Float64() >= p {
		return
	}
	line := r.IntN(g.nlines)
	var reason returnReason
	if badLine >= 0 && r.Float64() < 0.75 {
		line = badLine
		reason = pickReason(r, causeReasons[g.products[g.lines[line]].cause])
	} else {
		reason = reasonMix[reasonDist.sample(r)].r
	}
	var at int64
	switch reason.when {
	case 'l': // requested before a late delivery
		if span := g.delivered - g.created; span > 5*86400 {
			at = g.created + 4*86400 + r.Int64N(span-4*86400-3600)
			break
		}
		reason = reasonNotReceived
		fallthrough
	case 'n': // marked delivered, but the buyer says it never came
		at = g.delivered + 3600 + r.Int64N(3*86400)
	default:
		u := r.Float64()
		at = g.delivered + 3600 + int64(u*u*10*86400)
	}
	if at >= g.endEOD {
		return
	}
	g.writeReturn(line, at, reason)
}

func pickReason(r *rng, rs []returnReason) returnReason {
	if len(rs) == 0 {
		return reasonMix[reasonDist.sample(r)].r
	}
	return rs[r.IntN(len(rs))]
}

func (g *shopGen) writeReturn(line int, at int64, reason returnReason) {
	r := g.r
	var typ string
	switch u := r.Float64(); reason.fault {
	case faultLogistics:
		typ = "refund"
		if u < 0.1 {
			typ = "replacement"
		}
	case faultBuyer:
		typ = "return_and_refund"
		if u < 0.15 {
			typ = "refund"
		}
	default:
		switch {
		case u < 0.45:
			typ = "refund"
		case u < 0.85:
			typ = "return_and_refund"
		default:
			typ = "replacement"
		}
	}
	var status string
	u := r.Float64()
	if g.endEOD-at < 2*86400 {
		switch {
		case u < 0.6:
			status = "requested"
		case u < 0.85:
			status = "approved"
		case u < 0.95:
			status = "cancelled"
		default:
			status = "completed"
		}
	} else {
		switch {
		case u < 0.12:
			status = "cancelled"
		case u < 0.19 && reason.fault != faultBuyer:
			status = "seller_won"
		case u < 0.22:
			status = "requested"
		case u < 0.36:
			status = "approved"
		default:
			status = "completed"
		}
	}
	g.returnID.next()
	g.sum.Returns++
	p := &g.products[g.lines[line]]
	out := g.out
	b := g.appendLine(append(append(out.buf, g.returnID...), ','), p)
	b = g.clk.appendRFC3339(b, at)
	b = append(b, ',')
	b = append(b, reason.text...)
	b = append(b, ',')
	b = append(b, typ...)
	b = append(b, ',')
	b = append(b, status...)
	out.buf = append(b, '\n')
	out.emit(fileReturns)
}
