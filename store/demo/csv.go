package demo

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvField returns s encoded as one CSV field (RFC 4180, as encoding/csv
// writes it): quoted, with quotes doubled, only when it contains a comma, a
// quote, a line break or leading space.
func csvField(s string) string {
	if !needsQuotes(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` || strings.ContainsAny(s, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// csvTexts returns csvField of each string. The text pools are kept
// CSV-encoded so that rows are written without a quoting check.
func csvTexts(ss ...string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = csvField(s)
	}
	return out
}
