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
	"slices"
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

// Render renders a message (not a chart) as Block Kit with its plain-text
// version.
func (n *Notifier) Render(out monitor.Outgoing) (Reply, error) {
	m := out.Message
	switch m.Kind {
	case monitor.KindAlert:
		if m.Alert == nil {
			return Reply{}, errors.New("alert message without an alert")
		}
		if m.Alert.Metric == rules.MetricData {
			return n.renderData(m)
		}
		if _, ok := m.Alert.Metric.DataKind(); ok {
			return n.renderKind(m)
		}
		return n.renderAlert(m)
	case monitor.KindAckReminder:
		return n.renderAckReminder(m)
	case monitor.KindDigest:
		if m.Digest == nil {
			return Reply{}, errors.New("digest message without a digest")
		}
		return n.renderDigest(m)
	case monitor.KindOverview:
		if m.Overview == nil {
			return Reply{}, errors.New("overview message without an overview")
		}
		return n.renderOverview(m)
	case monitor.KindNudge:
		if m.Nudge == nil {
			return Reply{}, errors.New("nudge message without chats")
		}
		return n.renderNudge(m)
	case monitor.KindSync:
		if m.Sync == nil {
			return Reply{}, errors.New("sync message without news")
		}
		return n.renderSync(m)
	}
	return Reply{}, fmt.Errorf("unknown message kind %q", m.Kind)
}

// shopOf is the message's shop from the config; a shop removed since the
// message was written gets a stand-in with the default profile.
func (n *Notifier) shopOf(m *monitor.Message) *rules.Shop {
	if s, ok := n.cfg.Shop(m.ShopID); ok {
		return s
	}
	p, _ := rules.LookupProfile("default")
	return &rules.Shop{ID: m.ShopID, Name: cmp.Or(m.ShopName, m.ShopID), Location: time.UTC, Profile: p}
}

// alertData is the template data of an alert.
func (n *Notifier) alertData(m *monitor.Message, s *rules.Shop) templates.Alert {
	a := m.Alert
	res := a.Figure.Result()
	d := templates.Alert{Command: n.o.Command, Shop: templates.Shop{ID: s.ID, Name: s.Name}, Metric: strings.TrimPrefix(shortName(a.Metric), "the "), Title: title(a.Metric),
		Transition: string(a.Transition), Level: levelText(a.To), From: levelText(a.From), Value: value(res),
		Date: dateText(a.Day), Since: dateText(a.Since), Days: int(a.Day - a.Since), RepeatDays: a.RepeatDays, Group: enforcementGroup(a)}
	if a.Changed > a.Since {
		d.Changed = dateText(a.Changed)
	}
	if a.HasData {
		d.LastData = dateText(a.LastData)
	}
	if th := res.Thresholds; th != nil {
		d.Warn, d.ClearAt = thr(th.Warn), pct(a.ClearAt)
		if thr(a.ClearAt) == thr(th.Warn) || a.ClearAt == th.Warn {
			d.ClearAt = d.Warn
		}
		level := th.Warn
		word := "warn"
		if a.To == rules.LevelCritical {
			level, word = th.Critical, "critical"
		}
		side := "above"
		if a.Metric.LowerIsWorse() {
			side = "below"
		}
		d.Threshold = fmt.Sprintf("%s %s %s", word, side, thr(level))
		if a.To == rules.LevelOK {
			d.Threshold = fmt.Sprintf("warn %s %s", side, thr(th.Warn))
		}
	}
	if a.Transition == rules.TransitionResolved && a.From.Severity() > 0 {
		d.Level = levelText(a.From)
	}
	return d
}

// enforcementGroup is whose enforcement actions an alert quotes: product
// actions for product and return metrics, service actions for service and
// chat ones, and for NRR those of its top cause's group.
func enforcementGroup(a *monitor.Alert) string {
	switch a.Metric {
	case rules.NRRService, rules.ChatResponseRate:
		return "service"
	case rules.NRR:
		for _, c := range a.Tally {
			if c.Group == rules.GroupService.String() {
				return "service"
			}
			if c.Group == rules.GroupProduct.String() {
				return "product"
			}
		}
	}
	return "product"
}

// alertIcon is the header's sign for a transition.
func alertIcon(a *monitor.Alert) string {
	switch a.Transition {
	case rules.TransitionResolved:
		return "✅"
	case rules.TransitionReminder:
		return "🔁 " + levelIcon(a.To)
	case rules.TransitionImproving:
		return "↘ " + levelIcon(a.To)
	}
	return levelIcon(a.To)
}

// alertHeadline is the header of an alert.
func alertHeadline(a *monitor.Alert, shop string) string {
	name := abbrev(a.Metric)
	switch a.Transition {
	case rules.TransitionImproving:
		return fmt.Sprintf("%s %s improving: critical → warn · %s", alertIcon(a), name, shop)
	case rules.TransitionReminder:
		return fmt.Sprintf("%s %s still %s · %s", alertIcon(a), name, levelText(a.To), shop)
	case rules.TransitionResolved:
		return fmt.Sprintf("%s %s resolved · %s", alertIcon(a), name, shop)
	}
	return fmt.Sprintf("%s %s %s · %s", alertIcon(a), name, levelText(a.To), shop)
}

// alertButtons are an alert's buttons: each runs the slash command it
// carries for the user who presses it, answers as of the alert's run (one
// per actions block: Slack wants action ids unique within a block).
func (n *Notifier) alertButtons(a *monitor.Alert, s *rules.Shop) []slack.Block {
	ev := n.cfg.Evaluation
	y, mo, d := (a.Day + 1).Date()
	at := time.Date(y, mo, d, ev.Hour, ev.Minute, 0, 0, s.Location).Unix()
	buttons := []struct{ id, label, text string }{
		{"alert_breakdown", "Breakdown", "breakdown " + breakdownName(a.Metric) + " " + s.ID},
		{"alert_tips", "Tips", "tips " + s.ID},
		{"alert_mute", "Mute 7 days", "mute " + muteWord(a.Metric) + " 7d " + s.ID},
	}
	var out []slack.Block
	for _, b := range buttons {
		btn := slack.NewButtonBlockElement(commandAction, shareValue{Text: b.text, At: at}.encode(), plainText(b.label))
		out = append(out, slack.NewActionBlock(b.id, btn))
	}
	return out
}

// muteWord is how `mute` names a metric.
func muteWord(m rules.Metric) string {
	if m == rules.ChatResponseRate {
		return "chat"
	}
	return string(m)
}

// renderAlert renders an alert about a metric.
func (n *Notifier) renderAlert(m *monitor.Message) (Reply, error) {
	a, s := m.Alert, n.shopOf(m)
	data := n.alertData(m, s)
	intro, err := n.tmpl.Render("alert."+string(a.Transition), data)
	if err != nil {
		return Reply{}, err
	}
	res := a.Figure.Result()
	var b msg
	b.header(alertHeadline(a, s.Name))
	b.section(intro)
	if a.Transition == rules.TransitionResolved {
		b.context(fmt.Sprintf("Shop `%s` · %s · %s", s.ID, title(a.Metric), openText(&monitor.Alert{Day: a.Day, Since: a.Since, To: a.From})))
		return b.reply(KindAnswer), nil
	}
	fields := []string{"*Now*\n" + figures(s, res), "*Thresholds*\n" + thresholdsText(res)}
	if a.WeekAgo != nil {
		fields = append(fields, "*Trend*\n"+trend(res, a.WeekAgo.Result()))
	}
	if h := headroom(s, res); h != "" {
		fields = append(fields, "*Headroom*\n"+h)
	}
	if r := recovery(res, s); r != "" {
		fields = append(fields, "*Roll-off*\n"+r)
	}
	b.fields(fields...)
	if text := behind(s, a); text != "" {
		b.section(text)
	}
	if text, err := n.tmpl.Render("alert.enforcement."+data.Group, data); err == nil && text != "" {
		b.section(text)
	}
	b.context(fmt.Sprintf("Shop `%s` · %d-day window to %s · %s · `%s status %s`",
		s.ID, a.Figure.WindowDays, a.Day, openText(a), n.o.Command, s.ID))
	r := b.reply(KindAnswer)
	r.InChannel = true
	r.Blocks = append(r.Blocks, ackButton(m))
	r.Blocks = append(r.Blocks, n.alertButtons(a, s)...)
	return r, nil
}

// openText says since when an alert is open and, if it changed level
// since, since when it is at its level: "at critical since Mon 30 Nov 2026,
// alert open since Fri 20 Nov 2026 (12 days)".
func openText(a *monitor.Alert) string {
	open := fmt.Sprintf("alert open since %s", dateText(a.Since))
	if days := int(a.Day - a.Since); days > 0 {
		open += " (" + templates.Plural(days, "day", "days") + ")"
	}
	if a.Changed > a.Since {
		return fmt.Sprintf("at %s since %s, %s", levelText(a.To), dateText(a.Changed), open)
	}
	return open
}

// behind lists the top causes and products, or for chat the slowest hours.
func behind(s *rules.Shop, a *monitor.Alert) string {
	var lines []string
	if len(a.Tally) > 0 {
		lines = append(lines, fmt.Sprintf("*Top causes behind %s* (%d days)", abbrev(a.Metric), a.Figure.WindowDays))
		for _, e := range a.Tally {
			lines = append(lines, "• "+tallyLine(causeOf(e)))
		}
	}
	if len(a.Products) > 0 {
		lines = append(lines, "*Top products*")
		for _, p := range a.Products {
			lines = append(lines, "• "+productLine(s, a.Metric, p))
		}
	}
	if len(a.Hours) > 0 && a.Metric == rules.ChatResponseRate {
		lines = append(lines, "*Slowest hours* (buyer's local time)")
		for _, h := range a.Hours {
			lines = append(lines, fmt.Sprintf("• %02d:00–%02d:00: %s of %s, average reply %s",
				h.Hour, (h.Hour+1)%24, plural(h.Late, "late reply", "late replies"), plural(h.Turns, "chat", "chats"), templates.Hours(round1(h.AvgHours))))
		}
	}
	return strings.Join(lines, "\n")
}

func round1(h float64) float64 {
	return float64(int(h*10+0.5)) / 10
}

func productLine(s *rules.Shop, m rules.Metric, p monitor.Product) string {
	name := cmp.Or(p.Name, "(no name)")
	if p.Base == 0 { // none of its orders in the window (reviews and returns may come later)
		return fmt.Sprintf("*%s* `%s`: %s", esc(name), esc(p.ID), counted(s, m, p.Count))
	}
	return fmt.Sprintf("*%s* `%s`: %s of %s %s (%s)", esc(name), esc(p.ID), counted(s, m, p.Count), num(p.Base), base(s, m), pct(p.Rate))
}

// renderData renders the stale-data alert and its end.
func (n *Notifier) renderData(m *monitor.Message) (Reply, error) {
	a, s := m.Alert, n.shopOf(m)
	data := n.alertData(m, s)
	name, header := "alert.stale", "⏸ No new data · "+s.Name
	if a.Transition == rules.TransitionResolved {
		name, header = "alert.fresh", "✅ Data arriving again · "+s.Name
	}
	return n.notice(name, header, data, fmt.Sprintf("Shop `%s` · evaluated %s", s.ID, a.Day))
}

// notice renders a data notice: a header, the named template's text and
// a context line, posted in the channel.
func (n *Notifier) notice(name, header string, data templates.Alert, context string) (Reply, error) {
	text, err := n.tmpl.Render(name, data)
	if err != nil {
		return Reply{}, err
	}
	var b msg
	b.header(header)
	b.section(text)
	b.context(context)
	r := b.reply(KindAnswer)
	r.InChannel = true
	return r, nil
}

// kindData completes the template data of a record kind's notice.
func (n *Notifier) kindData(d templates.Alert, a *monitor.Alert) templates.Alert {
	kind, _ := a.Metric.DataKind()
	d.Kind, d.KindOne = kind, strings.TrimSuffix(kind, "s")
	d.DaysSince = int(a.Day - a.LastData)
	d.Inbox = n.cfg.Inbox
	d.Synced = kind != rules.KindReviews
	var names []string
	for _, m := range []rules.Metric{rules.NRR, rules.SFRR, rules.ChatResponseRate} {
		if slices.Contains(m.InputKinds(), kind) {
			names = append(names, shortName(m))
		}
	}
	d.Affects = upperFirst(strings.Join(names, " and "))
	return d
}

// renderKind renders the notice that a record kind stopped arriving (or
// was never imported), and its end.
func (n *Notifier) renderKind(m *monitor.Message) (Reply, error) {
	a, s := m.Alert, n.shopOf(m)
	kind, _ := a.Metric.DataKind()
	data := n.kindData(n.alertData(m, s), a)
	name, header := "alert.kind.stale", fmt.Sprintf("📭 No new %s · %s", kind, s.Name)
	if !a.HasData {
		header = fmt.Sprintf("📭 No %s imported · %s", kind, s.Name)
	}
	if a.Transition == rules.TransitionResolved {
		name, header = "alert.kind.fresh", fmt.Sprintf("✅ %s arriving again · %s", upperFirst(kind), s.Name)
	}
	return n.notice(name, header, data, fmt.Sprintf("Shop `%s` · evaluated %s · `%s status %s`", s.ID, a.Day, n.o.Command, s.ID))
}

// renderResolvedRoot is what an episode's first message becomes once it is
// resolved: a short, closed version.
func (n *Notifier) renderResolvedRoot(root *monitor.Message, resolved *monitor.Message) (Reply, error) {
	s := n.shopOf(resolved)
	a := resolved.Alert
	data := n.alertData(resolved, s)
	var b msg
	if kind, ok := a.Metric.DataKind(); ok {
		b.header(fmt.Sprintf("✅ %s arriving again · %s", upperFirst(kind), s.Name))
		text, err := n.tmpl.Render("alert.kind.fresh", n.kindData(data, a))
		if err != nil {
			return Reply{}, err
		}
		b.section(text)
		return b.reply(KindAnswer), nil
	}
	if a.Metric == rules.MetricData {
		b.header("✅ Data arriving again · " + s.Name)
		text, err := n.tmpl.Render("alert.fresh", data)
		if err != nil {
			return Reply{}, err
		}
		b.section(text)
		return b.reply(KindAnswer), nil
	}
	text, err := n.tmpl.Render("alert.resolved.title", data)
	if err != nil {
		return Reply{}, err
	}
	b.header(fmt.Sprintf("✅ %s resolved · %s", abbrev(a.Metric), s.Name))
	b.section(text)
	if root != nil && root.Alert != nil {
		ra := root.Alert
		b.context(fmt.Sprintf("Alerted on %s: %s %s (%s) · details in the thread", dateText(ra.Day), shortName(ra.Metric), levelText(ra.To), value(ra.Figure.Result())))
	}
	return b.reply(KindAnswer), nil
}

// renderDigest renders a shop's weekly digest.
func (n *Notifier) renderDigest(m *monitor.Message) (Reply, error) {
	d, s := m.Digest, n.shopOf(m)
	before := map[rules.Metric]rules.Result{}
	for _, f := range d.Before {
		before[f.Metric] = f.Result()
	}
	data := templates.Digest{Shop: templates.Shop{ID: s.ID, Name: s.Name}, From: (d.Day - 6).String(), To: d.Day.String()}
	var fields []string
	var info []string
	for _, f := range d.Current {
		c, p := f.Result(), before[f.Metric]
		if c.Thresholds == nil {
			if c.Valid {
				info = append(info, fmt.Sprintf("%s %s (a week ago %s)", title(c.Metric), value(c), value(p)))
			}
			continue
		}
		data.Count(c, p)
		field := fmt.Sprintf("*%s*\n%s %s %s · a week ago %s", title(c.Metric), levelIcon(c.Level), value(c), levelText(c.Level), value(p))
		if days := d.LevelDays[c.Metric]; len(days) > 0 {
			var parts []string
			for _, l := range []rules.Level{rules.LevelCritical, rules.LevelWarn, rules.LevelOK, rules.LevelStale, rules.LevelNoData, rules.LevelInsufficient} {
				if days[l] > 0 {
					parts = append(parts, fmt.Sprintf("%s %d", levelIcon(l), days[l]))
				}
			}
			field += "\n30 days: " + strings.Join(parts, " · ")
		}
		fields = append(fields, field)
	}
	intro, err := n.tmpl.Render("digest.intro", data)
	if err != nil {
		return Reply{}, err
	}
	var b msg
	b.header(fmt.Sprintf("%s · weekly digest to %s", s.Name, dateText(d.Day)))
	b.section(intro)
	if text := gapText(s, rules.Report{Date: d.Day, Inputs: d.Inputs}, n.cfg.Inbox); text != "" {
		b.section(text)
	}
	if len(fields) > 0 {
		b.fields(fields...)
	}
	if len(info) > 0 {
		b.context(strings.Join(info, " · "))
	}
	var lines []string
	causes := make([]templates.Cause, len(d.Tally))
	for i, e := range d.Tally {
		causes[i] = causeOf(e)
	}
	if len(causes) > 0 {
		lines = append(lines, fmt.Sprintf("*Top causes* (%d days)", d.WindowDays))
		for _, c := range causes[:min(topTipCauses, len(causes))] {
			lines = append(lines, "• "+tallyLine(c))
		}
	}
	if products := mergeProducts(s, d.Products); len(products) > 0 {
		lines = append(lines, "*Top products*")
		for _, p := range products[:min(3, len(products))] {
			lines = append(lines, "• "+p)
		}
	}
	if len(lines) > 0 {
		b.section(strings.Join(lines, "\n"))
	}
	if i := slices.IndexFunc(causes, func(c templates.Cause) bool { return c.Name != "" }); i >= 0 {
		c := causes[i]
		text, err := n.tmpl.Render("tips."+c.Name, templates.Tips{Command: n.o.Command, Shop: &templates.Shop{ID: s.ID, Name: s.Name},
			Cause: c, WindowDays: d.WindowDays, TargetHours: s.Profile.ChatTargetHours})
		if err == nil {
			b.section(fmt.Sprintf("*Tips for the top cause: %s*\n%s", esc(c.Description), text))
		}
	}
	if len(causes) > 0 {
		b.context(upperFirst(tallyNote(s, d.Day)))
	}
	if text := mutesText(s, d.Muted); text != "" {
		b.context(text)
	}
	b.context(fmt.Sprintf("Shop `%s` · the chart of eight weeks of daily values is in the thread · `%s status %s` · `%s breakdown %s %s`",
		s.ID, n.o.Command, s.ID, n.o.Command, worstMetric(d), s.ID))
	r := b.reply(KindAnswer)
	r.InChannel = true
	return r, nil
}

// mergeProducts lists the products behind NRR and SFRR, one line per
// product with both counts, most counted orders first.
func mergeProducts(s *rules.Shop, products []monitor.Product) []string {
	type merged struct {
		name, id string
		total    int
		parts    []string
	}
	idx := map[string]int{}
	var out []merged
	for _, p := range products {
		m := cmp.Or(p.Metric, rules.NRR)
		part := counted(s, m, p.Count)
		if p.Base > 0 {
			part = fmt.Sprintf("%s of %s %s (%s)", counted(s, m, p.Count), num(p.Base), base(s, m), pct(p.Rate))
		}
		if i, ok := idx[p.ID]; ok {
			out[i].total += p.Count
			out[i].parts = append(out[i].parts, part)
			continue
		}
		idx[p.ID] = len(out)
		out = append(out, merged{name: cmp.Or(p.Name, "(no name)"), id: p.ID, total: p.Count, parts: []string{part}})
	}
	slices.SortStableFunc(out, func(a, b merged) int { return cmp.Compare(b.total, a.total) })
	lines := make([]string, len(out))
	for i, p := range out {
		lines[i] = fmt.Sprintf("*%s* `%s`: %s", esc(p.name), esc(p.id), strings.Join(p.parts, "; "))
	}
	return lines
}

// worstMetric is the breakdown worth opening first in a digest.
func worstMetric(d *monitor.Digest) string {
	best, name := -1, "nrr"
	for _, f := range d.Current {
		if f.Metric != rules.NRR && f.Metric != rules.SFRR && f.Metric != rules.ChatResponseRate {
			continue
		}
		if sev := f.Level.Severity(); sev > best {
			best, name = sev, breakdownName(f.Metric)
		}
	}
	return name
}

// Overview limits: Slack takes 50 blocks of 3,000 characters.
const maxOverviewLines = 150

// renderOverview renders the all-shops digest.
func (n *Notifier) renderOverview(m *monitor.Message) (Reply, error) {
	o := m.Overview
	data := templates.DigestAll{Shops: len(o.Shops), To: o.Day.String()}
	var lines []string
	quiet := 0
	for _, l := range o.Shops {
		switch {
		case l.Err != "":
			data.Failed++
		case l.Worst == rules.LevelCritical:
			data.Critical++
		case l.Worst == rules.LevelWarn:
			data.Warn++
		case l.Worst == rules.LevelOK:
			data.OK++
		default:
			data.Other++
		}
		if len(lines) >= maxOverviewLines {
			quiet++
			continue
		}
		lines = append(lines, overviewLine(l))
	}
	intro, err := n.tmpl.Render("digest.all.intro", data)
	if err != nil {
		return Reply{}, err
	}
	var b msg
	b.header(fmt.Sprintf("Weekly digest · all shops · week to %s", dateText(o.Day)))
	b.section(intro)
	if len(lines) > 0 {
		b.section("*Shops, worst first*\n" + strings.Join(lines, "\n"))
	}
	if quiet > 0 {
		b.context(fmt.Sprintf("…and %s more, at or better than the last listed.", plural(quiet, "shop", "shops")))
	}
	b.context(fmt.Sprintf("Each shop's week to %s in its own time zone · one shop: `%s digest SHOP`", o.Day, n.o.Command))
	r := b.reply(KindAnswer)
	r.InChannel = true
	return r, nil
}

func overviewLine(l monitor.ShopLine) string {
	head := fmt.Sprintf("%s *%s* `%s`", levelIcon(l.Worst), esc(l.Name), l.ShopID)
	var parts []string
	for _, f := range l.Figures {
		if f.Level.Severity() < 0 { // stale, no data: its value is not to be trusted
			parts = append(parts, fmt.Sprintf("%s %s", abbrev(f.Metric), levelText(f.Level)))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", abbrev(f.Metric), value(f.Result()), levelText(f.Level)))
	}
	switch {
	case l.Err != "":
		parts = append(parts, "could not be computed")
	case len(parts) == 0 && l.Worst == rules.LevelOK:
		parts = append(parts, "all within thresholds")
	case len(parts) == 0:
		parts = append(parts, "not enough data")
	}
	if l.Stale {
		parts = append(parts, "⏸ no new data")
	}
	return head + ": " + strings.Join(parts, ", ")
}

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
