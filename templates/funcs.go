package templates

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"
)

// funcs is the templates' function map. include runs a block chosen at run
// time, such as "appeal." + .Kind + ".action".
func (s *Set) funcs() template.FuncMap {
	return template.FuncMap{
		"pct":        Percent,
		"threshold":  Threshold,
		"num":        Number,
		"plural":     Plural,
		"causeCount": CauseCount,
		"md":         Escape,
		"hours":      Hours,
		"lower":      strings.ToLower,
		"join":       func(sep string, items []string) string { return strings.Join(items, sep) },
		"add":        func(a, b int) int { return a + b },
		"include": func(name string, data any) (string, error) {
			return s.Render(name, data)
		},
	}
}

// Percent formats a fraction as a percentage with two decimals: 0.02963 is
// "2.96%".
func Percent(v float64) string {
	return strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
}

// Threshold formats a threshold fraction with as few decimals as it needs,
// up to two: 0.005 is "0.5%", 0.01 is "1%", 0.0125 is "1.25%".
func Threshold(v float64) string {
	p := v * 100
	for dec := 0; dec < 2; dec++ {
		scale := math.Pow10(dec)
		if math.Abs(math.Round(p*scale)-p*scale) < 1e-6 {
			return strconv.FormatFloat(p, 'f', dec, 64) + "%"
		}
	}
	return strconv.FormatFloat(p, 'f', 2, 64) + "%"
}

// Number formats n with thousands separators: 1234567 is "1,234,567".
func Number(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Plural formats a count and a noun: Plural(1, "order", "orders") is
// "1 order", Plural(1200, ...) "1,200 orders".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Number(n) + " " + many
}

// Hours formats a duration in hours: 12 is "12 h", 3.75 is "3.8 h".
func Hours(h float64) string {
	if h == math.Trunc(h) {
		return fmt.Sprintf("%.0f h", h)
	}
	return fmt.Sprintf("%.1f h", h)
}

// Escape makes stored text safe to put in Slack mrkdwn (see escape.go).
func Escape(s string) string { return escapeMrkdwn(s) }
