package templates

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Stored text (shop and product names, product ids, return reasons,
// review texts, conversation ids, error texts: anything from a CSV file,
// the TikTok API or the config) goes into Slack mrkdwn only through
// Escape, the `md` function of the templates and `esc` in package bot.
//
//   - &, < and > become entities, as Slack requires: a bare < would start
//     a link, a mention (<@U1>, <#C1>) or a broadcast (<!channel>).
//   - Formatting characters that could open or close bold (*), italic (_),
//     strike (~) or code (`) become look-alikes that Slack does not read as
//     markup: "*50% off*" in a product name must not end the bold name
//     around it, nor turn the next sentence bold. A marker between two
//     letters or digits (ecom_order_damaged, SKU*2) cannot, and stays.
//     Backticks always become look-alikes: one would end the code span an
//     id is shown in.
//
// Slack has no escape for formatting characters; look-alikes keep the text
// readable.

// Look-alikes of the formatting characters.
const (
	asterisk   = '∗' // U+2217 ASTERISK OPERATOR
	underscore = 'ˍ' // U+02CD MODIFIER LETTER LOW MACRON
	tilde      = '∼' // U+223C TILDE OPERATOR
	backtick   = 'ˋ' // U+02CB MODIFIER LETTER GRAVE ACCENT
)

func escapeMrkdwn(s string) string {
	if !strings.ContainsAny(s, "&<>*_~`") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '`':
			b.WriteRune(backtick)
		case '*', '_', '~':
			if inWord(s, i) {
				b.WriteRune(r)
				break
			}
			b.WriteRune(map[rune]rune{'*': asterisk, '_': underscore, '~': tilde}[r])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// inWord reports whether the byte at i has a letter or digit on both sides.
func inWord(s string, i int) bool {
	before, _ := utf8.DecodeLastRuneInString(s[:i])
	after, _ := utf8.DecodeRuneInString(s[i+1:])
	return i > 0 && i+1 < len(s) && wordRune(before) && wordRune(after)
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
