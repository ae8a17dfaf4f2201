package bot

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Kind says what a reply is, for callers that treat answers and errors
// differently (`shopwatch ask` exits non-zero on anything but an answer).
type Kind int

// Kinds of replies.
const (
	KindAnswer  Kind = iota // the answer to a command
	KindUsage               // the input was not understood: usage help
	KindRefusal             // the channel may not see what was asked
	KindFailure             // an internal error: a short apology
	KindWorking             // an acknowledgement; the answer follows via response_url
)

// Reply is a command's answer as Block Kit blocks, with a plain-text
// version that carries the same content (Slack's notification fallback,
// and what `shopwatch ask` prints).
type Reply struct {
	Kind      Kind
	InChannel bool   // visible to the channel; otherwise ephemeral
	Share     string // when set, a "Share in channel" button carries this value
	Blocks    []slack.Block
	Text      string
}

// Slack's limits on blocks (https://docs.slack.dev/reference/block-kit/blocks).
const (
	maxSectionText = 3000
	maxHeaderText  = 150
	maxBlocks      = 50
	maxButtonValue = 2000
)

// msg builds a reply's blocks and plain text side by side from Slack mrkdwn.
type msg struct {
	blocks []slack.Block
	plain  []string
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// header adds a header block (plain text, cut to Slack's limit).
func (m *msg) header(s string) {
	if utf8.RuneCountInString(s) > maxHeaderText {
		s = string([]rune(s)[:maxHeaderText-1]) + "…"
	}
	m.blocks = append(m.blocks, slack.NewHeaderBlock(plainText(s)))
	m.plain = append(m.plain, s)
}

// section adds mrkdwn text, split over several sections at line ends when
// it is longer than a section may be.
func (m *msg) section(md string) {
	if strings.TrimSpace(md) == "" {
		return
	}
	for _, part := range splitLines(md, maxSectionText) {
		m.blocks = append(m.blocks, slack.NewSectionBlock(mrkdwn(part), nil, nil))
	}
	m.plain = append(m.plain, Plain(md))
}

// fields adds a section of two-column fields (at most 10).
func (m *msg) fields(mds ...string) {
	var objs []*slack.TextBlockObject
	var plain []string
	for _, f := range mds[:min(len(mds), 10)] {
		objs = append(objs, mrkdwn(f))
		plain = append(plain, Plain(strings.ReplaceAll(f, "\n", " ")))
	}
	m.blocks = append(m.blocks, slack.NewSectionBlock(nil, objs, nil))
	m.plain = append(m.plain, strings.Join(plain, "\n"))
}

// context adds small print.
func (m *msg) context(md string) {
	if strings.TrimSpace(md) == "" {
		return
	}
	m.blocks = append(m.blocks, slack.NewContextBlock("", mrkdwn(truncateRunes(md, maxSectionText))))
	m.plain = append(m.plain, Plain(md))
}

// reply finishes the message.
func (m *msg) reply(kind Kind) Reply {
	blocks := m.blocks
	if len(blocks) > maxBlocks-1 { // keep room for the share button
		blocks = blocks[:maxBlocks-2]
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn("_Cut to fit a Slack message: run `shopwatch ask` for the full answer._")))
	}
	return Reply{Kind: kind, Blocks: blocks, Text: strings.Join(m.plain, "\n\n")}
}

// textReply is a reply of one mrkdwn section.
func textReply(kind Kind, md string) Reply {
	var m msg
	m.section(md)
	return m.reply(kind)
}

// shareAction is the action id of the "Share in channel" button.
const shareAction = "share"

// commandAction is the action id of an alert's buttons (Breakdown, Tips,
// Mute 7 days): the press runs the command the button carries, for the
// user who pressed it. Its value is a shareValue too.
const commandAction = "command"

// shareValue is what the share button carries: enough to answer the same
// command again, for the same instant, in the channel it is shared to.
type shareValue struct {
	Text string `json:"t"`
	At   int64  `json:"at"` // Unix seconds
}

func (v shareValue) encode() string {
	b, _ := json.Marshal(v)
	return string(b)
}

// withShareButton returns the blocks with the share button appended.
func (r Reply) withShareButton() []slack.Block {
	if r.Share == "" || len(r.Share) > maxButtonValue {
		return r.Blocks
	}
	btn := slack.NewButtonBlockElement(shareAction, r.Share, plainText("Share in channel"))
	out := append([]slack.Block(nil), r.Blocks...)
	return append(out, slack.NewActionBlock("shopwatch_actions", btn))
}

// shared returns the reply as posted to the channel by user.
func (r Reply) shared(user string) Reply {
	out := r
	out.InChannel = true
	out.Share = ""
	out.Blocks = append(append([]slack.Block(nil), r.Blocks...), slack.NewContextBlock("", mrkdwn("Shared by <@"+user+">")))
	out.Text = r.Text + "\n\nShared by @" + user
	return out
}

// message is a reply in the wire form of a slash-command response.
type message struct {
	ResponseType    string        `json:"response_type"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool          `json:"replace_original,omitempty"`
}

func (r Reply) message() message {
	// The text is a notification fallback: escaped, as Slack parses it.
	m := message{ResponseType: slack.ResponseTypeEphemeral, Text: escapeText(r.Text), Blocks: r.withShareButton()}
	if r.InChannel {
		m.ResponseType = slack.ResponseTypeInChannel
	}
	return m
}

// escapeText escapes plain text for a Slack text field.
func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func (r Reply) webhook(replace bool) *slack.WebhookMessage {
	m := r.message()
	return &slack.WebhookMessage{Text: m.Text, Blocks: &slack.Blocks{BlockSet: m.Blocks}, ResponseType: m.ResponseType, ReplaceOriginal: replace}
}

// splitLines splits s into parts of at most n characters at line ends.
func splitLines(s string, n int) []string {
	if utf8.RuneCountInString(s) <= n {
		return []string{s}
	}
	var parts []string
	var cur strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		line = truncateRunes(line, n)
		if cur.Len() > 0 && utf8.RuneCountInString(cur.String())+1+utf8.RuneCountInString(line) > n {
			parts = append(parts, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		parts = append(parts, cur.String())
	}
	return parts
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// Plain turns Slack mrkdwn into plain text: it drops code, bold, italic
// and strike markers, spells out links and mentions, and unescapes
// entities. It is a small scanner, not a set of regular expressions: it
// runs on every answer.
func Plain(md string) string {
	var b strings.Builder
	b.Grow(len(md))
	for i := 0; i < len(md); {
		c := md[i]
		switch {
		case strings.HasPrefix(md[i:], "```"):
			end := strings.Index(md[i+3:], "```")
			if end < 0 {
				b.WriteString(md[i:])
				return entities.Replace(b.String())
			}
			body := md[i+3 : i+3+end]
			body = strings.TrimPrefix(body, "\n")
			body = strings.TrimSuffix(body, "\n")
			b.WriteString(body)
			i += 6 + end
			continue
		case c == '`':
			if end := strings.IndexAny(md[i+1:], "`\n"); end > 0 && md[i+1+end] == '`' {
				b.WriteString(md[i+1 : i+1+end])
				i += end + 2
				continue
			}
		case c == '*' || c == '_' || c == '~':
			if end, ok := emphasisEnd(md, i); ok {
				b.WriteString(Plain(md[i+1 : end]))
				i = end + 1
				continue
			}
		case c == '<':
			if end := strings.IndexByte(md[i:], '>'); end > 0 {
				if text, ok := plainAngle(md[i+1 : i+end]); ok {
					b.WriteString(text)
					i += end + 1
					continue
				}
			}
		}
		b.WriteByte(c)
		i++
	}
	return entities.Replace(b.String())
}

var entities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// emphasisEnd finds the closing marker of an emphasis that opens at i:
// the opening marker follows the start, a space or punctuation and comes
// before a non-space; the closing one, on the same line, follows a
// non-space and comes before the end, a space or punctuation.
func emphasisEnd(md string, i int) (int, bool) {
	mark := md[i]
	if i > 0 && !boundary(md[i-1]) || i+1 >= len(md) || md[i+1] == ' ' || md[i+1] == '\n' || md[i+1] == mark {
		return 0, false
	}
	for j := i + 2; j < len(md); j++ {
		switch md[j] {
		case '\n':
			return 0, false
		case mark:
			if md[j-1] != ' ' && (j+1 == len(md) || boundary(md[j+1])) {
				return j, true
			}
		}
	}
	return 0, false
}

func boundary(c byte) bool {
	return strings.IndexByte(" \n\t()[]:;,.!?'\"/-", c) >= 0
}

// plainAngle spells out what Slack writes in angle brackets: links
// <url|label>, mentions <@U1>, channels <#C1|name> and <!here>.
func plainAngle(inner string) (string, bool) {
	target, label, hasLabel := strings.Cut(inner, "|")
	switch {
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "mailto:"):
		if hasLabel {
			return label + " (" + target + ")", true
		}
		return target, true
	case strings.HasPrefix(target, "@") || strings.HasPrefix(target, "#"):
		if hasLabel {
			return target[:1] + label, true
		}
		return target, true
	case strings.HasPrefix(target, "!"):
		if hasLabel {
			return label, true
		}
		return "@" + target[1:], true
	}
	return "", false
}
