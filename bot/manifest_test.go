package bot

import (
	"net/url"
	"os"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestManifest checks the Slack app manifest against what the server does.
func TestManifest(t *testing.T) {
	data, err := os.ReadFile("../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			AppHome struct {
				HomeTab bool `yaml:"home_tab_enabled"`
			} `yaml:"app_home"`
			BotUser struct {
				DisplayName string `yaml:"display_name"`
			} `yaml:"bot_user"`
			SlashCommands []struct {
				Command string `yaml:"command"`
				URL     string `yaml:"url"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				RequestURL string   `yaml:"request_url"`
				BotEvents  []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled    bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	path := func(u string) string {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatalf("%q: %v", u, err)
		}
		return p.Path
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"a bot user", m.Features.BotUser.DisplayName != ""},
		{"the /shopwatch command", len(m.Features.SlashCommands) == 1 && m.Features.SlashCommands[0].Command == DefaultCommand},
		{"the commands endpoint", len(m.Features.SlashCommands) == 1 && path(m.Features.SlashCommands[0].URL) == "/slack/commands"},
		{"the interactions endpoint", m.Settings.Interactivity.Enabled && path(m.Settings.Interactivity.RequestURL) == "/slack/interactions"},
		{"Socket Mode", m.Settings.SocketMode},
		{"scope commands", slices.Contains(m.OAuth.Scopes.Bot, "commands")},
		{"scope chat:write", slices.Contains(m.OAuth.Scopes.Bot, "chat:write")},
		{"the Home tab", m.Features.AppHome.HomeTab},
		{"the app_home_opened event", slices.Contains(m.Settings.Events.BotEvents, "app_home_opened")},
		{"the events endpoint", path(m.Settings.Events.RequestURL) == "/slack/events"},
		{"scope channels:read (conversations.members, public channels)", slices.Contains(m.OAuth.Scopes.Bot, "channels:read")},
		{"scope groups:read (conversations.members, private channels)", slices.Contains(m.OAuth.Scopes.Bot, "groups:read")},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("the manifest lacks %s", c.name)
		}
	}
}
