package main

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/bot"
)

// TestNewNotifier checks that cmd posts to Slack with a bot token and
// writes text to stdout without one.
func TestNewNotifier(t *testing.T) {
	_, cfg := MustDemoEnv(t)
	for _, tt := range []struct {
		name  string
		token string
		slack bool
	}{
		{name: "token, Slack", token: "xoxb-test", slack: true},
		{name: "no token, text", token: "", slack: false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"SLACK_BOT_TOKEN": tt.token, "SLACK_API_URL": "http://127.0.0.1:1/api/"}
			e := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(k string) string { return vars[k] }, clock: clockwork.NewFakeClock()}
			n, err := newNotifier(e, cfg, nil, bot.DefaultCommand, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			switch n.(type) {
			case *bot.Notifier:
				if !tt.slack {
					t.Errorf("got the Slack notifier, want the text one")
				}
			case *bot.TextNotifier:
				if tt.slack {
					t.Errorf("got the text notifier, want the Slack one")
				}
			default:
				t.Errorf("got %T", n)
			}
		})
	}
}
