package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/store"
)

// TestServeRefreshesHome: `shopwatch serve` republishes the App Home of
// the users who opened it after each evaluation (here the catch-up
// evaluation at start), each with the shops of their channels.
func TestServeRefreshesHome(t *testing.T) {
	env, cfg := MustDemoEnv(t)
	shop, other := cfg.Shops[0], cfg.Shops[1]
	const user = "U0HOMEUSER"
	db, err := store.Open(context.Background(), store.Options{DSN: env["SHOPWATCH_DB"], Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveHomeUser(context.Background(), user, time.Now()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	var mu sync.Mutex
	views := map[string][]string{} // user -> published views
	slackAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/views.publish":
			var req struct {
				UserID string          `json:"user_id"`
				View   json.RawMessage `json:"view"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				io.WriteString(w, `{"ok":false,"error":"invalid_json"}`)
				return
			}
			mu.Lock()
			views[req.UserID] = append(views[req.UserID], string(req.View))
			mu.Unlock()
			io.WriteString(w, `{"ok":true,"view":{"id":"V0TEST","type":"home"}}`)
		case "/api/conversations.members":
			r.ParseForm()
			members := `[]`
			if r.PostForm.Get("channel") == shop.Channel && shop.Channel != other.Channel {
				members = `["` + user + `"]`
			}
			io.WriteString(w, `{"ok":true,"members":`+members+`,"response_metadata":{"next_cursor":""}}`)
		default: // alerts and digests: accepted
			io.WriteString(w, `{"ok":true,"channel":"C0","ts":"1763700000.000100","messages":[]}`)
		}
	}))
	defer slackAPI.Close()
	env["SLACK_SIGNING_SECRET"] = "serve-test-signing-secret"
	env["SLACK_BOT_TOKEN"] = "xoxb-serve-test"
	env["SLACK_API_URL"] = slackAPI.URL + "/api/"
	d := MustRunDaemon(t, env)

	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(views[user])
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Home published for %s; logs:\n%s", user, d.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	view := views[user][0]
	mu.Unlock()
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
