package demo

import (
	"math"
	"time"
)

// clock formats Unix seconds as RFC 3339 in one shop's zone. It gives the
// same text as time.Unix(sec, 0).In(loc).Format(time.RFC3339) but caches the
// zone offset for the span in which it holds, so that formatting costs no
// zone lookup and no allocation in the hot loop.
type clock struct {
	loc *time.Location
	zoneSpan
	prev zoneSpan // the span used before, kept for timestamps that alternate across a DST change

	firstDay int64  // local days since 1970-01-01 of dates[0:11]
	dates    []byte // "2006-01-02T" per local day from firstDay on
}

// zoneSpan is a span of time with one UTC offset.
type zoneSpan struct {
	lo, hi int64 // [lo, hi) is the span in which off holds
	off    int64 // seconds east of UTC
	offStr string
}

func newClock(loc *time.Location) *clock {
	empty := zoneSpan{lo: 1, hi: 0} // the first use loads the zone
	return &clock{loc: loc, zoneSpan: empty, prev: empty}
}

// cacheDates makes the clock keep the date text of the local days of the
// instants from .. to, the range most of its timestamps fall in.
func (c *clock) cacheDates(from, to int64) {
	c.firstDay = floorDiv(from+c.offset(from), 86400)
	last := floorDiv(to+c.offset(to), 86400)
	c.dates = c.dates[:0]
	for d := c.firstDay; d <= last; d++ {
		c.dates = appendDate(c.dates, d)
	}
}

func appendDate(b []byte, days int64) []byte {
	y, m, d := civil(days)
	b = append4(b, int(y))
	b = append(b, '-')
	b = append2(b, int(m))
	b = append(b, '-')
	b = append2(b, int(d))
	return append(b, 'T')
}

// offset returns the zone's UTC offset in seconds at the instant sec.
func (c *clock) offset(sec int64) int64 {
	if sec < c.lo || sec >= c.hi {
		c.load(sec)
	}
	return c.off
}

func (c *clock) load(sec int64) {
	if sec >= c.prev.lo && sec < c.prev.hi {
		c.zoneSpan, c.prev = c.prev, c.zoneSpan
		return
	}
	t := time.Unix(sec, 0).In(c.loc)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	s := zoneSpan{lo: math.MinInt64, hi: math.MaxInt64, off: int64(off), offStr: formatOffset(off)}
	if !start.IsZero() {
		s.lo = start.Unix()
	}
	if !end.IsZero() {
		s.hi = end.Unix()
	}
	c.zoneSpan, c.prev = s, c.zoneSpan
}

// formatOffset writes a UTC offset as RFC 3339 does: "Z" for zero, else ±hh:mm.
func formatOffset(off int) string {
	if off == 0 {
		return "Z"
	}
	b := make([]byte, 0, 6)
	if off < 0 {
		b = append(b, '-')
		off = -off
	} else {
		b = append(b, '+')
	}
	off /= 60
	b = append2(b, off/60)
	b = append(b, ':')
	b = append2(b, off%60)
	return string(b)
}

// secOfDay returns the local seconds since midnight at the instant sec.
func (c *clock) secOfDay(sec int64) int64 {
	local := sec + c.offset(sec)
	return local - floorDiv(local, 86400)*86400
}

// appendRFC3339 appends the instant sec in the shop's zone, like
// 2026-11-20T14:03:00+07:00.
func (c *clock) appendRFC3339(b []byte, sec int64) []byte {
	local := sec + c.offset(sec)
	days := floorDiv(local, 86400)
	rem := local - days*86400
	if i := (days - c.firstDay) * 11; i >= 0 && i < int64(len(c.dates)) {
		b = append(b, c.dates[i:i+11]...)
	} else {
		b = appendDate(b, days)
	}
	b = append2(b, int(rem/3600))
	b = append(b, ':')
	b = append2(b, int(rem/60%60))
	b = append(b, ':')
	b = append2(b, int(rem%60))
	return append(b, c.offStr...)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's civil_from_days).
func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// digits2 holds "00" to "99".
const digits2 = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// append2 appends v (0..99) as two digits.
func append2(b []byte, v int) []byte {
	return append(b, digits2[2*v], digits2[2*v+1])
}

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000%10), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}
