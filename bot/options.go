package bot

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/templates"
)

// Options configure a Handler and a Server.
type Options struct {
	DB        Store           // required
	Config    *rules.Config   // default: DB.Config()
	Logger    *slog.Logger    // default: discard
	Clock     clockwork.Clock // default: the real clock
	Templates *templates.Set  // default: the embedded templates
	Command   string          // the slash command, default "/shopwatch"
	// Changes, when set, turns on the answer cache, which it keeps true
	// to the database (see PrepareStore and store.ChangeWatcher).
	Changes Changes

	// Slack. Secrets are never logged.
	SigningSecret string // verifies HTTP requests; without it they are all rejected
	BotToken      string // xoxb-: chat.postMessage for shared answers; optional
	AppToken      string // xapp-: Socket Mode when set
	APIURL        string // Slack Web API base URL; default Slack's
	HTTPClient    *http.Client

	// SlowAfter is how long an answer may take before it is acknowledged
	// and finished through the response_url (default 2s; Slack waits 3s).
	SlowAfter time.Duration
	// AnswerTimeout bounds one answer, late ones included (default 60s).
	AnswerTimeout time.Duration
	// MaxBody is the largest request body accepted (default 256 KiB).
	MaxBody int64
	// ShutdownTimeout bounds the wait for in-flight requests and late
	// answers when the server stops (default 10s).
	ShutdownTimeout time.Duration

	// homeRetry is the wait before a failed Home publication is tried
	// again, doubled each time (default 1s; tests shorten it).
	homeRetry time.Duration
}

func (o *Options) validate() error {
	if o.DB == nil {
		return errors.New("bot: Options.DB is required")
	}
	if o.Config == nil {
		o.Config = o.DB.Config()
	}
	if o.Config == nil {
		return errors.New("bot: Options.Config is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Templates == nil {
		o.Templates = templates.Default()
	}
	if o.Command == "" {
		o.Command = DefaultCommand
	}
	if !strings.HasPrefix(o.Command, "/") {
		o.Command = "/" + o.Command
	}
	if o.APIURL != "" && !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/" // slack.OptionAPIURL wants the trailing slash
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.SlowAfter <= 0 {
		o.SlowAfter = 2 * time.Second
	}
	if o.AnswerTimeout <= 0 {
		o.AnswerTimeout = 60 * time.Second
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 256 << 10
	}
	if o.homeRetry <= 0 {
		o.homeRetry = time.Second
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	return nil
}
