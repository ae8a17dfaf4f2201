package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/chart"
	"github.com/shopwatch/shopwatch/delivery"
	"github.com/shopwatch/shopwatch/monitor"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/templates"
)

// The monitor's text notifier: without a bot token, cmd writes the
// monitor's messages to stdout as readable text instead of posting them to
// Slack. It renders like the Slack notifier and talks to no one.

// TextOptions configure a TextNotifier.
type TextOptions struct {
	Config    *rules.Config // required
	Templates *templates.Set
	Logger    *slog.Logger
	Command   string    // the slash command the messages mention (default "/shopwatch")
	Out       io.Writer // default os.Stdout
	ChartDir  string    // where digest charts are saved (default the system's temporary directory)
}

// TextNotifier writes messages as text (monitor.Notifier).
type TextNotifier struct {
	render   *Notifier // renders only: it has no Slack client
	out      io.Writer
	chartDir string
	mu       sync.Mutex // one message at a time
}

var _ monitor.Notifier = (*TextNotifier)(nil)

// NewTextNotifier returns the monitor's text notifier.
func NewTextNotifier(o TextOptions) (*TextNotifier, error) {
	r, err := newRenderer(NotifierOptions{Config: o.Config, Templates: o.Templates, Logger: o.Logger, Command: o.Command})
	if err != nil {
		return nil, err
	}
	t := &TextNotifier{render: r, out: o.Out, chartDir: cmp.Or(o.ChartDir, os.TempDir())}
	if t.out == nil {
		t.out = os.Stdout
	}
	return t, nil
}

// Deliver writes out (monitor.Notifier).
func (t *TextNotifier) Deliver(_ context.Context, out monitor.Outgoing) (monitor.Receipt, error) {
	m := out.Message
	if m.Kind == monitor.KindDigestChart {
		return t.deliverChart(m)
	}
	p, err := t.render.prepare(out)
	if err != nil {
		return monitor.Receipt{}, err
	}
	t.print(m, out.Root, p.Reply, p.update)
	return monitor.Receipt{TS: textTS(), ThreadTS: p.thread}, nil
}

// Find finds nothing (monitor.Notifier): there is nothing to look in.
func (t *TextNotifier) Find(context.Context, monitor.Outgoing) (monitor.Receipt, bool, error) {
	return monitor.Receipt{}, false, nil
}

// deliverChart saves a digest's chart in the chart directory and says
// where.
func (t *TextNotifier) deliverChart(m *monitor.Message) (monitor.Receipt, error) {
	png, title, err := digestChartTitled(m)
	if errors.Is(err, chart.ErrNoSeries) {
		return monitor.Receipt{TS: "none"}, nil // nothing to draw: done
	}
	if err != nil {
		return monitor.Receipt{}, delivery.Permanent(err)
	}
	path := filepath.Join(t.chartDir, chartFilename(m))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return monitor.Receipt{}, fmt.Errorf("save the chart: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.out, "── #%s · %s (in the digest's thread) ──\n📈 %s: %s\n\n", m.Channel, m.Key, title, path)
	return monitor.Receipt{TS: textTS()}, nil
}

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
func (t *TextNotifier) print(m *monitor.Message, root *monitor.Posted, r Reply, update *Reply) {
	t.mu.Lock()
	defer t.mu.Unlock()
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
	io.WriteString(t.out, b.String())
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
