package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/internal/slackfake"
	"github.com/shopwatch/shopwatch/store"
)

// TestServeRefreshesHome: `shopwatch serve` republishes the App Home of
// the users who opened it after each evaluation (here the catch-up
// evaluation at start), each with the shops of their channels.
func TestServeRefreshesHome(t *testing.T) {
	env, cfg := MustDemoEnv(t)
	shop, other := cfg.Shops()[0], cfg.Shops()[1]
	const user = "U0HOMEUSER"
	db, err := store.Open(context.Background(), store.Options{DSN: env["SHOPWATCH_DB"], Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveHomeUser(context.Background(), user, time.Now()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if shop.Channel == other.Channel {
		t.Fatalf("the demo's shops %s and %s share a channel: the test shows nothing", shop.ID, other.ID)
	}
	fake := slackfake.New(t)
	fake.PerChannel = 0 // alerts and digests go out at once
	for _, s := range cfg.Shops() {
		fake.SetMembers(s.Channel)
	}
	fake.SetMembers(cfg.AdminChannel)
	fake.SetMembers(shop.Channel, user)
	env["SLACK_SIGNING_SECRET"] = "serve-test-signing-secret"
	env["SLACK_BOT_TOKEN"] = "xoxb-serve-test"
	env["SLACK_API_URL"] = fake.URL()
	d := MustRunDaemon(t, env)

	deadline := time.Now().Add(20 * time.Second)
	for {
		if len(fake.HomeViews(user)) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Home published for %s; logs:\n%s", user, d.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	view := string(fake.HomeViews(user)[0].Blocks)
	shows := func(id string) bool { return strings.Contains(view, "home_shop_"+id) } // the shop's buttons
	if !shows(shop.ID) || shows(other.ID) {
		t.Errorf("the Home shows %s: %v, %s: %v, want only the first:\n%s", shop.ID, shows(shop.ID), other.ID, shows(other.ID), view)
	}
	if code := d.stop(); code != 0 {
		t.Errorf("serve exited %d:\n%s", code, d.stderr.String())
	}
	if logs := d.stderr.String(); !strings.Contains(logs, "msg=evaluated") || !strings.Contains(logs, "home: refreshing") {
		t.Errorf("logs lack the evaluation and the refresh:\n%s", logs)
	}
}
