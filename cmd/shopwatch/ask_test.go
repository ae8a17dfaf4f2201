package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/templates"
)

// MustDemoEnv generates a small demo data set ending yesterday, imports it
// into a fresh database and returns the environment and the parsed config.
func MustDemoEnv(tb testing.TB) (map[string]string, *rules.Config) {
	tb.Helper()
	env, dir := cliEnv(tb)
	demo := filepath.Join(dir, "demo")
	if r := MustRunMain(tb, env, "demo", demo, "--shops", "3", "--days", "40", "--orders-per-day", "40"); r.code != 0 {
		tb.Fatalf("demo: %s", r.stderr)
	}
	env["SHOPWATCH_CONFIG"] = filepath.Join(demo, "shopwatch.yaml")
	for _, kind := range []string{"orders", "reviews", "returns", "chats"} {
		if r := MustRunMain(tb, env, "import", kind, filepath.Join(demo, kind+".csv")); r.code != 0 {
			tb.Fatalf("import %s: %s%s", kind, r.stdout, r.stderr)
		}
	}
	data, err := os.ReadFile(env["SHOPWATCH_CONFIG"])
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := rules.ParseConfig(data)
	if err != nil {
		tb.Fatal(err)
	}
	return env, cfg
}

func TestAsk(t *testing.T) {
	env, cfg := MustDemoEnv(t)
	shop := cfg.Shops()[0]
	id := shop.ID
	type tc struct {
		name string
		args []string
		code int
		want []string
	}
	tests := []tc{
		{"status", []string{"/shopwatch status " + id}, 0, []string{shop.Name, "Negative review rate (NRR)", "a week ago", "Chat response rate"}},
		{"text in several arguments", []string{"/shopwatch", "status", id}, 0, []string{shop.Name}},
		{"without the slash command", []string{"status " + id}, 0, []string{shop.Name}},
		{"breakdown nrr", []string{"/shopwatch breakdown nrr " + id}, 0, []string{"Top products"}},
		{"breakdown sfrr with days", []string{"/shopwatch breakdown sfrr " + id + " 14"}, 0, []string{"14 days"}},
		{"breakdown chat", []string{"/shopwatch breakdown chat " + id}, 0, []string{"Slowest hours"}},
		{"tips for a shop", []string{"/shopwatch tips " + id}, 0, []string{"Tips"}},
		{"tips for a cause", []string{"/shopwatch tips wrong_item"}, 0, []string{"Double-check item type"}},
		{"tips, all shops", []string{"/shopwatch tips"}, 0, []string{"Optimise your listings"}},
		{"digest of every shop", []string{"/shopwatch digest"}, 0, []string{"across 3 shops"}},
		{"digest of a shop", []string{"/shopwatch digest " + id}, 0, []string{"weekly digest"}},
		{"mute", []string{"/shopwatch mute sfrr 2d " + id}, 0, []string{"Muted SFRR alerts for " + shop.Name}},
		{"status shows the mute", []string{"/shopwatch status " + id}, 0, []string{"Alerts muted until"}},
		{"unmute", []string{"/shopwatch unmute " + id}, 0, []string{"Unmuted all alerts"}},
		{"help", []string{"/shopwatch help"}, 0, []string{"status [shop]", "appeal <kind> [shop] [product]"}},
		{"every shop", []string{"/shopwatch status"}, 0, []string{"Worst first", cfg.Shops()[2].ID}},
		{"which shop", []string{"/shopwatch breakdown nrr"}, 2, []string{"Which shop?", cfg.Shops()[2].ID}},
		{"unknown command", []string{"/shopwatch explode"}, 2, []string{"I don't know the command explode"}},
		{"as the shop's channel", []string{"/shopwatch status", "--channel", shop.Channel}, 0, []string{shop.Name}},
		{"as the shop's channel, another shop", []string{"/shopwatch status " + cfg.Shops()[1].ID, "--channel", shop.Channel}, 1, []string{"can't find a shop"}},
		{"as a channel without shops", []string{"/shopwatch digest", "--channel", "C0NOBODY00"}, 1, []string{"isn't linked to any shop"}},
		{"as a DM", []string{"/shopwatch status", "--channel", "D0DIRECT01"}, 1, []string{"direct messages"}},
	}
	for _, k := range templates.AppealKinds {
		tests = append(tests, tc{"appeal " + k.Name, []string{"/shopwatch appeal " + k.Name + " " + id}, 0, []string{"1. Reason for appeal", "4. Prevention plan", "1,800 characters"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustRunMain(t, env, append([]string{"ask"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if strings.TrimSpace(r.stdout) == "" {
				t.Fatal("blank answer")
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("answer lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, leak := range []string{"*", "&lt;", "&amp;", "```"} {
				if strings.Contains(r.stdout, leak) {
					t.Errorf("plain-text answer has mrkdwn %q:\n%s", leak, r.stdout)
				}
			}
		})
	}
	// `ask` names a product the way Slack does: the most-complained-about
	// product that the shop-wide letter suggests, by its name of several words.
	t.Run("appeal naming a product", func(t *testing.T) {
		r := MustRunMain(t, env, "ask", "/shopwatch appeal warning "+id)
		m := regexp.MustCompile(`Most feedback: (\S+) ([^(;]+) \(`).FindStringSubmatch(r.stdout)
		if r.code != 0 || m == nil {
			t.Fatalf("exit %d, no product suggested:\n%s%s", r.code, r.stdout, r.stderr)
		}
		product, name := m[1], m[2]
		r = MustRunMain(t, env, "ask", "/shopwatch appeal deactivation "+id+" "+name)
		for _, w := range []string{"on product ID " + product, name + " (ID " + product + ")", "This is a draft to review"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("answer lacks %q:\n%s%s", w, r.stdout, r.stderr)
			}
		}
	})
}

func TestAskErrors(t *testing.T) {
	env, _ := cliEnv(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", []string{"ask"}, 2, "ask '/shopwatch COMMAND"},
		{"missing templates directory", []string{"ask", "help", "--templates", "/nonexistent/dir"}, 1, "templates"},
		{"bad flag", []string{"ask", "help", "--chanel", "C1"}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustRunMain(t, env, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
}

func TestAskTemplateOverride(t *testing.T) {
	env, dir := cliEnv(t)
	writeFile(t, dir, "tips.tmpl", `{{define "tips.damaged"}}• Bubble wrap, twice.
• Then a sturdier box.{{end}}`)
	r := MustRunMain(t, env, "ask", "/shopwatch tips damaged", "--templates", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Bubble wrap, twice.") {
		t.Errorf("override not used: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
