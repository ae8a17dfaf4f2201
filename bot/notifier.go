package bot

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
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

// The monitor's notifier: it renders the monitor's messages (alerts,
// digests and their charts, the all-shops overview, chats close to the
// response target) as Block Kit and posts them with the Slack Web API, or,
// without a bot token, writes them as readable text.

// NotifierOptions configure a Notifier.
type NotifierOptions struct {
	Config    *rules.Config // required
	Templates *templates.Set
	Logger    *slog.Logger
	Command   string // the slash command the messages mention (default "/shopwatch")

	// BotToken (xoxb-) posts to Slack; without it messages are written to
	// Out as text. It needs chat:write, files:write, and channels:history
	// (groups:history for private channels) to recognise a message already
	// posted by an interrupted attempt.
	BotToken   string
	APIURL     string // Slack Web API base URL; default Slack's
	HTTPClient *http.Client
	Out        io.Writer // text mode: default os.Stdout
	ChartDir   string    // text mode: where digest charts are saved (default the system's temporary directory)
}

// Notifier implements monitor.Notifier.
type Notifier struct {
	o    NotifierOptions
	cfg  *rules.Config
	tmpl *templates.Set
	log  *slog.Logger
	api  *slack.Client // nil in text mode
	mu   sync.Mutex    // text mode: one message at a time
}

var _ monitor.Notifier = (*Notifier)(nil)

// NewNotifier returns the monitor's notifier.
func NewNotifier(o NotifierOptions) (*Notifier, error) {
	if o.Config == nil {
		return nil, errors.New("bot: NotifierOptions.Config is required")
	}
	if o.Templates == nil {
		o.Templates = templates.Default()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Command == "" {
		o.Command = DefaultCommand
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.ChartDir == "" {
		o.ChartDir = os.TempDir()
	}
	n := &Notifier{o: o, cfg: o.Config, tmpl: o.Templates, log: o.Logger.With("component", "notifier")}
	if o.BotToken != "" {
		if o.HTTPClient == nil {
			o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
		}
		opts := []slack.Option{slack.OptionHTTPClient(o.HTTPClient)}
		if o.APIURL != "" {
			if !strings.HasSuffix(o.APIURL, "/") {
				o.APIURL += "/"
			}
			opts = append(opts, slack.OptionAPIURL(o.APIURL))
		}
		n.api = slack.New(o.BotToken, opts...)
	}
	return n, nil
}

// Deliver posts out (monitor.Notifier).
func (n *Notifier) Deliver(ctx context.Context, out monitor.Outgoing) (_ monitor.Receipt, err error) {
	defer func() { err = classifySlack(err) }()
	m := out.Message
	if m.Kind == monitor.KindDigestChart {
		return n.deliverChart(ctx, out)
	}
	r, err := n.Render(out)
	if err != nil {
		return monitor.Receipt{}, delivery.Permanent(err)
	}
	thread, broadcast := "", false
	if out.Root != nil && out.Root.TS != "" {
		thread = cmp.Or(out.Root.ThreadTS, out.Root.TS)
		// An escalation, or a critical alert nobody acknowledged, is seen
		// in the channel.
		broadcast = m.Alert != nil && m.Alert.Transition == rules.TransitionCritical || m.Kind == monitor.KindAckReminder
	}
	var update *Reply
	if a := m.Alert; a != nil && a.Transition == rules.TransitionResolved && out.Root != nil && out.Root.TS != "" {
		u, err := n.renderResolvedRoot(out.Root.Message, m)
		if err != nil {
			return monitor.Receipt{}, delivery.Permanent(err)
		}
		update = &u
	}
	if n.api == nil {
		n.print(m, out.Root, r, update)
		return monitor.Receipt{TS: textTS(), ThreadTS: thread}, nil
	}
	if update != nil {
		// The original alert says it is over; updating it twice is harmless.
		_, _, _, err := n.api.UpdateMessageContext(ctx, out.Root.Channel, out.Root.TS,
			slack.MsgOptionBlocks(update.Blocks...), slack.MsgOptionText(escapeText(update.Text), false))
		if err != nil && !isGone(err) {
			return monitor.Receipt{}, fmt.Errorf("chat.update %s: %w", out.Root.TS, err)
		}
	}
	opts := []slack.MsgOption{slack.MsgOptionBlocks(r.Blocks...), slack.MsgOptionText(escapeText(r.Text), false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: monitor.EventType, EventPayload: map[string]any{"key": m.Key}})}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
		if broadcast {
			opts = append(opts, slack.MsgOptionBroadcast())
		}
	}
	_, ts, err := n.api.PostMessageContext(ctx, m.Channel, opts...)
	if err != nil {
		return monitor.Receipt{}, fmt.Errorf("chat.postMessage: %w", err)
	}
	return monitor.Receipt{TS: ts, ThreadTS: thread}, nil
}

// isGone reports whether err says the message to update is no longer there:
// the resolved note still goes out.
func isGone(err error) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && (se.Err == "message_not_found" || se.Err == "cant_update_message" || se.Err == "edit_window_closed")
}

// findWindow is how far before a message's creation Find looks.
const findWindow = time.Minute

// Find looks for a message with out's key posted since out.Since
// (monitor.Notifier): in the thread it belongs to, or in the channel.
func (n *Notifier) Find(ctx context.Context, out monitor.Outgoing) (_ monitor.Receipt, _ bool, err error) {
	defer func() { err = classifySlack(err) }()
	if n.api == nil {
		return monitor.Receipt{}, false, nil // text mode: nothing to look in
	}
	m := out.Message
	oldest := strconv.FormatInt(out.Since.Add(-findWindow).Unix(), 10) + ".000000"
	thread := ""
	if out.Root != nil && out.Root.TS != "" {
		thread = cmp.Or(out.Root.ThreadTS, out.Root.TS)
	}
	match := func(msg slack.Message) bool {
		if m.Kind == monitor.KindDigestChart {
			for _, f := range msg.Files {
				if f.Name == chartFilename(m) {
					return true
				}
			}
			return false
		}
		key, _ := msg.Metadata.EventPayload["key"].(string)
		return msg.Metadata.EventType == monitor.EventType && key == m.Key
	}
	if thread != "" {
		cursor := ""
		for range 10 {
			msgs, more, next, err := n.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: m.Channel, Timestamp: thread, Oldest: oldest, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
			if err != nil {
				return monitor.Receipt{}, false, fmt.Errorf("conversations.replies: %w", err)
			}
			for _, msg := range msgs {
				if match(msg) {
					return monitor.Receipt{TS: msg.Timestamp, ThreadTS: thread}, true, nil
				}
			}
			if !more || next == "" {
				break
			}
			cursor = next
		}
		return monitor.Receipt{}, false, nil
	}
	cursor := ""
	for range 10 {
		resp, err := n.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: m.Channel, Oldest: oldest, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
		if err != nil {
			return monitor.Receipt{}, false, fmt.Errorf("conversations.history: %w", err)
		}
		for _, msg := range resp.Messages {
			if match(msg) {
				return monitor.Receipt{TS: msg.Timestamp}, true, nil
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			break
		}
		cursor = resp.ResponseMetaData.NextCursor
	}
	return monitor.Receipt{}, false, nil
}

// deliverChart uploads a digest's chart into the digest's thread.
func (n *Notifier) deliverChart(ctx context.Context, out monitor.Outgoing) (monitor.Receipt, error) {
	m := out.Message
	png, err := digestChart(m.ShopName, m.Digest)
	if errors.Is(err, chart.ErrNoSeries) {
		return monitor.Receipt{TS: "none"}, nil // nothing to draw: done
	}
	if err != nil {
		return monitor.Receipt{}, delivery.Permanent(err)
	}
	title := fmt.Sprintf("%s · daily values, %s to %s", m.ShopName, m.Digest.First, m.Digest.Day)
	if n.api == nil {
		path := filepath.Join(n.o.ChartDir, chartFilename(m))
		if err := os.WriteFile(path, png, 0o644); err != nil {
			return monitor.Receipt{}, err
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		fmt.Fprintf(n.o.Out, "── #%s · %s (in the digest's thread) ──\n📈 %s: %s\n\n", m.Channel, m.Key, title, path)
		return monitor.Receipt{TS: textTS()}, nil
	}
	params := slack.UploadFileParameters{Reader: bytes.NewReader(png), FileSize: len(png), Filename: chartFilename(m), Title: title,
		Channel: m.Channel, AltTxt: "Daily values of " + m.ShopName + "'s metrics over eight weeks, with their warn and critical thresholds"}
	if out.Root != nil && out.Root.TS != "" {
		params.ThreadTimestamp = out.Root.TS
	}
	f, err := n.api.UploadFileContext(ctx, params)
	if err != nil {
		return monitor.Receipt{}, fmt.Errorf("files upload: %w", err)
	}
	return monitor.Receipt{TS: f.ID, ThreadTS: params.ThreadTimestamp}, nil
}

// chartFilename is the file name of a digest's chart: unique per shop and
// week, so that Find can recognise it.
func chartFilename(m *monitor.Message) string {
	return fmt.Sprintf("shopwatch-%s-%s.png", safeName(m.ShopID), m.Digest.Day)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
}
