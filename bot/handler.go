// Package bot is shopwatch's Slack side: the /shopwatch slash command over
// HTTP and Socket Mode, request verification, authorization by channel,
// and the Block Kit answers.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
	"github.com/shopwatch/shopwatch/templates"
)

// Store is what the bot reads and writes, by need; *store.DB implements
// it, and each small part is implemented by one of the store's aggregates
// alone.
type Store interface {
	Config() *rules.Config
	Ping(ctx context.Context) error
	ReportSource
	MuteStore
	AckStore
	HomeUserStore
	SyncSource
}

// ReportSource is what the answers read of the records (cached by
// cachedStore between imports).
type ReportSource interface {
	Report(ctx context.Context, shopID string, day rules.Day) (rules.Report, error)
	ReportDays(ctx context.Context, shopID string, days ...rules.Day) ([]rules.Report, error)
	Feedback(ctx context.Context, shopID string, day rules.Day) (*store.Feedback, error)
	Evidence(ctx context.Context, shopID, productID string, day rules.Day) (*store.Evidence, error)
	FindProducts(ctx context.Context, shopID, q string) ([]store.ProductRef, error)
	BreakdownWindow(ctx context.Context, shopID, metric string, day rules.Day, days, top int) (*store.Breakdown, error)
}

// MuteStore is /shopwatch mute and unmute, and the mutes answers show.
type MuteStore interface {
	Mutes(ctx context.Context, shopID string, now time.Time) ([]store.Mute, error)
	SetMute(ctx context.Context, m store.Mute) error
	Unmute(ctx context.Context, shopID, metric string, now time.Time) (int, error)
}

// AckStore is the Acknowledge button's.
type AckStore interface {
	Acknowledge(ctx context.Context, a store.Ack) (store.Ack, bool, error)
}

// HomeUserStore is who opened the App Home tab, to publish it again.
type HomeUserStore interface {
	SaveHomeUser(ctx context.Context, userID string, at time.Time) error
	HomeUsers(ctx context.Context) ([]string, error)
}

// SyncSource is the TikTok sync's status, for the status answer.
type SyncSource interface {
	SyncStatuses(ctx context.Context, shopID string) ([]store.SyncStatus, error)
}

var (
	_ Store         = (*store.DB)(nil)
	_ ReportSource  = (*store.Records)(nil)
	_ MuteStore     = (*store.Alerts)(nil)
	_ AckStore      = (*store.Alerts)(nil)
	_ HomeUserStore = (*store.Alerts)(nil)
	_ SyncSource    = (*store.Grants)(nil)
)

// DefaultCommand is the slash command's name when Options.Command is empty.
const DefaultCommand = "/shopwatch"

// Request is one slash command, from HTTP, Socket Mode or `shopwatch ask`.
type Request struct {
	Command     string // as invoked, such as "/shopwatch"
	Text        string // what follows the command
	ChannelID   string
	UserID      string
	ResponseURL string    // where a late answer goes; empty: wait for it
	At          time.Time // the instant to answer for; zero: now
	// SeesAll makes every shop visible, as in the admin channel. Only
	// local callers (shopwatch ask) set it; Slack requests never do.
	SeesAll bool
}

// Handler answers slash commands. It is the one command router behind the
// HTTP endpoint, Socket Mode and `shopwatch ask`.
type Handler struct {
	db      Store
	cfg     *rules.Config
	tmpl    *templates.Set
	log     *slog.Logger
	clock   clockwork.Clock
	command string
	o       Options // validated
}

// now is the time on the Handler's clock.
func (h *Handler) now() time.Time { return h.clock.Now() }

func (h *Handler) opts() Options { return h.o }

// NewHandler returns the command router of opts.
func NewHandler(opts Options) (*Handler, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	db := opts.DB
	if opts.Changes != nil {
		db = newCachedStore(db, opts.Changes)
	}
	return &Handler{db: db, cfg: opts.Config, tmpl: opts.Templates, log: opts.Logger.With("component", "bot"),
		clock: opts.Clock, command: opts.Command, o: opts}, nil
}

// userError is an error whose message is meant for the user (mrkdwn).
type userError struct {
	kind Kind
	md   string
}

func (e *userError) Error() string { return e.md }

func usageErr(format string, args ...any) error {
	return &userError{kind: KindUsage, md: fmt.Sprintf(format, args...)}
}

func refusal(md string) error { return &userError{kind: KindRefusal, md: md} }

// Answer answers one command. It never fails: bad input gets usage help, a
// channel that may not see a shop gets a polite refusal, and an internal
// error gets a short apology while the details go to the log.
func (h *Handler) Answer(ctx context.Context, req Request) (reply Reply) {
	start := time.Now()
	if req.Command == "" {
		req.Command = h.command
	}
	if req.At.IsZero() {
		req.At = h.now()
	}
	name, args := parse(req.Text)
	log := h.log.With("command", name, "channel", req.ChannelID, "user", req.UserID)
	defer func() {
		if p := recover(); p != nil {
			log.Error("command panicked", "err", fmt.Errorf("panic: %v", p), "stack", string(debug.Stack()))
			reply = h.failure()
		}
		log.Debug("answered", "kind", reply.Kind, "duration", time.Since(start))
	}()
	reply, err := h.dispatch(ctx, req, name, args)
	if err == nil {
		return reply
	}
	if ue, ok := errors.AsType[*userError](err); ok {
		return textReply(ue.kind, ue.md)
	}
	log.Error("command failed", "err", err)
	return h.failure()
}

func (h *Handler) failure() Reply {
	text, err := h.tmpl.Render("failure", nil)
	if err != nil {
		text = "Sorry, something went wrong on my side. Please try again in a minute."
	}
	return textReply(KindFailure, text)
}

// dispatch runs the command called name.
func (h *Handler) dispatch(ctx context.Context, req Request, name string, args []string) (Reply, error) {
	switch name {
	case "", "help", "usage", "?", "-h", "--help":
		return h.usage(req, ""), nil
	case "status":
		return h.status(ctx, req, args)
	case "breakdown":
		return h.breakdown(ctx, req, args)
	case "tips", "tip":
		return h.tips(ctx, req, args)
	case "appeal":
		return h.appeal(ctx, req, args)
	case "digest":
		return h.digest(ctx, req, args)
	case "mute":
		return h.mute(ctx, req, args)
	case "unmute":
		return h.unmute(ctx, req, args)
	}
	return h.usage(req, fmt.Sprintf("I don't know the command `%s`.", templates.Escape(truncateRunes(name, 40)))), nil
}

// usage is the help text, after an optional note on what went wrong.
func (h *Handler) usage(req Request, note string) Reply {
	text, err := h.tmpl.Render("usage", templates.Usage{Command: req.Command, Kinds: templates.AppealKinds,
		Causes: causeNames(), Topics: templates.TipTopics})
	if err != nil {
		h.log.Error("render usage", "err", err)
		text = "Usage: `" + req.Command + " status|breakdown|tips|appeal|digest|mute|unmute|help`"
	}
	var m msg
	if note != "" {
		m.section(note)
	}
	m.section(text)
	kind := KindAnswer
	if note != "" {
		kind = KindUsage
	}
	return m.reply(kind)
}

// parse splits command text into a lower-case command name and its
// arguments. Slack may send smart quotes and non-breaking spaces; bytes
// that are not UTF-8 become U+FFFD, so that they are never echoed back.
func parse(text string) (string, []string) {
	text = strings.ToValidUTF8(text, "\ufffd")
	text = strings.NewReplacer("\u00a0", " ", "“", `"`, "”", `"`, "‘", "'", "’", "'").Replace(text)
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return "", nil
	}
	return strings.ToLower(fields[0]), fields[1:]
}

func causeNames() []string {
	var out []string
	for _, c := range rules.Causes() {
		out = append(out, c.String())
	}
	return out
}

// shopDay is the date a shop's answers are about: its yesterday, the last
// complete local day at the request's instant. A status on today's partial
// day would mislead.
func shopDay(s *rules.Shop, at time.Time) rules.Day {
	return rules.DayOf(at, s.Location) - 1
}
