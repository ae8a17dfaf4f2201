package bot

import (
	"fmt"
	"strings"

	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/templates"
)

// renderSync renders a shop's TikTok sync failing, or working again.
func (n *Notifier) renderSync(m *monitor.Message) (Reply, error) {
	news, s := m.Sync, n.shopOf(m)
	data := templates.Sync{Command: n.o.Command, Shop: templates.Shop{ID: s.ID, Name: s.Name}, Kinds: andList(news.Kinds)}
	if !news.Since.IsZero() {
		data.Since = timeText(news.Since, s.Location)
	}
	name := "sync.failing"
	if news.Working {
		name = "sync.working"
	}
	text, err := n.tmpl.Render(name, data)
	if err != nil {
		return Reply{}, err
	}
	var b msg
	b.section(text)
	if news.Error != "" {
		// A code block: the error is TikTok's or the network's text.
		b.section("*Latest error*\n```" + esc(truncateRunes(news.Error, 1500)) + "```")
	}
	b.context(fmt.Sprintf("Shop `%s` · TikTok Shop sync", s.ID))
	r := b.reply(KindAnswer)
	r.InChannel = true
	return r, nil
}

// andList is "orders", "orders and returns", "orders, returns and chats".
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
