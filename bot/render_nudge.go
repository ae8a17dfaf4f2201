package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/templates"
)

// maxNudgeChats is how many waiting chats a nudge lists.
const maxNudgeChats = 10

// renderNudge renders the buyer chats close to their response deadline.
func (n *Notifier) renderNudge(m *monitor.Message) (Reply, error) {
	nu, s := m.Nudge, n.shopOf(m)
	text, err := n.tmpl.Render("nudge", templates.Nudge{Command: n.o.Command, Shop: templates.Shop{ID: s.ID, Name: s.Name},
		Count: len(nu.Chats), TargetHours: nu.TargetHours, Within: durationText(time.Duration(nu.Within * float64(time.Hour)))})
	if err != nil {
		return Reply{}, err
	}
	var lines []string
	for _, c := range nu.Chats[:min(maxNudgeChats, len(nu.Chats))] {
		lines = append(lines, fmt.Sprintf("• Conversation `%s`: buyer waiting since %s, reply by %s",
			esc(c.ConversationID), timeText(c.Since, s.Location), timeText(c.Deadline, s.Location)))
	}
	if len(nu.Chats) > maxNudgeChats {
		lines = append(lines, fmt.Sprintf("…and %d more.", len(nu.Chats)-maxNudgeChats))
	}
	var b msg
	b.section(text)
	b.section(strings.Join(lines, "\n"))
	b.context(fmt.Sprintf("Shop `%s` · as far as the imported chats tell · `%s breakdown chat %s`", s.ID, n.o.Command, s.ID))
	r := b.reply(KindAnswer)
	r.InChannel = true
	return r, nil
}

// durationText is "2 h 10 min".
func durationText(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}
