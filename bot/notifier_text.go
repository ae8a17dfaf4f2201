package bot

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/monitor"
)

// Text mode: without a bot token the notifier writes its messages to
// NotifierOptions.Out as readable text instead of posting them to Slack.

var textSeq struct {
	sync.Mutex
	n int
}

// textTS is a message timestamp in text mode.
func textTS() string {
	textSeq.Lock()
	defer textSeq.Unlock()
	textSeq.n++
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), textSeq.n%1000000)
}

// print writes a message as text.
func (n *Notifier) print(m *monitor.Message, root *monitor.Posted, r Reply, update *Reply) {
	n.mu.Lock()
	defer n.mu.Unlock()
	where := "#" + m.Channel
	if root != nil {
		where += ", in the thread of " + root.Message.Key
	}
	var b strings.Builder
	fmt.Fprintf(&b, "── %s · %s ──\n", where, m.Key)
	if update != nil {
		fmt.Fprintf(&b, "(the original alert is updated to: %s)\n", firstLine(update.Text))
	}
	b.WriteString(r.Text)
	if buttons := buttonLabels(r.Blocks); buttons != "" {
		b.WriteString("\n" + buttons)
	}
	b.WriteString("\n\n")
	io.WriteString(n.o.Out, b.String())
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// buttonLabels lists a message's buttons: "[Breakdown] [Tips] [Mute 7 days]".
func buttonLabels(blocks []slack.Block) string {
	var out []string
	for _, b := range blocks {
		ab, ok := b.(*slack.ActionBlock)
		if !ok || ab.Elements == nil {
			continue
		}
		for _, e := range ab.Elements.ElementSet {
			if btn, ok := e.(*slack.ButtonBlockElement); ok && btn.Text != nil {
				out = append(out, "["+btn.Text.Text+"]")
			}
		}
	}
	return strings.Join(out, " ")
}
