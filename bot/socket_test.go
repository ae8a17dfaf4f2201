package bot

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"
	"github.com/slack-go/slack/socketmode"
)

// socketSlack is a fake Slack for Socket Mode: slacktest serves the Web
// API, apps.connections.open hands out a websocket on the same server, and
// the test sends envelopes down it and reads the acks, as Slack would.
type socketSlack struct {
	sts     *slacktest.Server
	conns   chan *websocket.Conn
	posted  chan string // chat.postMessage bodies
	views   chan string // views.publish bodies (JSON)
	release chan struct{}
}

func newSocketSlack(tb testing.TB) *socketSlack {
	f := &socketSlack{conns: make(chan *websocket.Conn, 1), posted: make(chan string, 10), views: make(chan string, 10), release: make(chan struct{})}
	f.sts = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+testAppToken {
				io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
				return
			}
			io.WriteString(w, `{"ok":true,"url":"ws://`+f.sts.ServerAddr+`/link"}`)
		})
		c.Handle("/link", slacktest.Websocket(func(conn *websocket.Conn) {
			hello := `{"type":"hello","num_connections":1,"connection_info":{"app_id":"A0TEST"},"debug_info":{"host":"test"}}`
			if err := conn.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
				return
			}
			f.conns <- conn
			<-f.release // keep the connection open until the test ends
		}))
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			f.posted <- r.PostForm.Get("channel") + " " + r.PostForm.Get("blocks")
			io.WriteString(w, `{"ok":true,"channel":"C","ts":"1.2"}`)
		})
		c.Handle("/views.publish", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			f.views <- string(b)
			io.WriteString(w, `{"ok":true,"view":{"id":"V0TEST","type":"home"}}`)
		})
		c.Handle("/conversations.members", func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			members := `[]`
			if r.PostForm.Get("channel") == chanBeauty {
				members = `["` + userBeauty + `"]`
			}
			io.WriteString(w, `{"ok":true,"members":`+members+`,"response_metadata":{"next_cursor":""}}`)
		})
	})
	f.sts.Start()
	tb.Cleanup(func() {
		close(f.release)
		f.sts.Stop()
	})
	return f
}

// conn waits for the client to connect.
func (f *socketSlack) conn(tb testing.TB) *websocket.Conn {
	tb.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(10 * time.Second):
		tb.Fatal("the socketmode client did not connect")
	}
	return nil
}

// ack is a Socket Mode acknowledgement.
type ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// send sends an envelope and returns its ack.
func send(tb testing.TB, c *websocket.Conn, envelope any) ack {
	tb.Helper()
	if err := c.WriteJSON(envelope); err != nil {
		tb.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var a ack
	if err := c.ReadJSON(&a); err != nil {
		tb.Fatalf("no ack: %v", err)
	}
	return a
}

func TestSocketMode(t *testing.T) {
	db, _ := MustFixtureDB(t)
	fake := newSocketSlack(t)
	ts := MustServe(t, Options{DB: db, AppToken: testAppToken, BotToken: testBotToken, APIURL: fake.sts.GetAPIURL()})
	c := fake.conn(t)

	commands := []struct {
		name, channel, text string
		want                string
		responseType        string
	}{
		{"status", chanBeauty, "status", "Negative review rate", "ephemeral"},
		{"breakdown", chanBeauty, "breakdown sfrr 14", "Top return reasons", "ephemeral"},
		{"admin digest", chanAdmin, "digest", "across 3 shops", "ephemeral"},
		{"refused in another channel", chanOther, "status 7495001", "isn't linked to any shop", "ephemeral"},
		{"refused in a DM", chanDM, "status", "direct messages", "ephemeral"},
		{"another channel's shop", chanUS, "status 7495001", "can't find a shop", "ephemeral"},
		{"usage", chanBeauty, "hello there", "I don't know the command", "ephemeral"},
		{"mute is announced", chanBeauty, "mute nrr 1h", "muted NRR alerts", "in_channel"},
	}
	for i, tt := range commands {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]any{
				"type": "slash_commands", "envelope_id": "env-" + tt.name, "accepts_response_payload": true,
				"payload": slack.SlashCommand{TeamID: "T0TEAM001", ChannelID: tt.channel, UserID: "U0TESTER1", Command: "/shopwatch",
					Text: tt.text, ResponseURL: "", TriggerID: "1.2." + string(rune('a'+i))},
			}
			a := send(t, c, env)
			if a.EnvelopeID != "env-"+tt.name {
				t.Fatalf("ack for %q", a.EnvelopeID)
			}
			var m wireMessage
			if err := json.Unmarshal(a.Payload, &m); err != nil {
				t.Fatalf("ack payload: %v\n%s", err, a.Payload)
			}
			if m.ResponseType != tt.responseType || !strings.Contains(m.Text, tt.want) || len(m.Blocks.BlockSet) == 0 {
				t.Errorf("ack payload = %s", a.Payload)
			}
		})
	}

	t.Run("share button", func(t *testing.T) {
		cb := map[string]any{
			"type": "block_actions", "user": map[string]any{"id": "U0SHARER1"}, "channel": map[string]any{"id": chanBeauty},
			"actions": []map[string]any{{"type": "button", "block_id": "shopwatch_actions", "action_id": shareAction, "value": shareValue{Text: "tips 7495001", At: fixtureNow.Unix()}.encode()}},
		}
		a := send(t, c, map[string]any{"type": "interactive", "envelope_id": "env-share", "payload": cb})
		if a.EnvelopeID != "env-share" || len(a.Payload) != 0 {
			t.Errorf("ack = %+v", a)
		}
		select {
		case p := <-fake.posted:
			if !strings.HasPrefix(p, chanBeauty+" ") || !strings.Contains(p, "Tips for the top causes") || !strings.Contains(p, "Shared by") {
				t.Errorf("posted %s", p)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("nothing was posted; logs:\n%s", ts.logs.String())
		}
	})

	t.Run("app_home_opened", func(t *testing.T) {
		var payload map[string]any
		if err := json.Unmarshal([]byte(homeOpenedBody(userBeauty, "home")), &payload); err != nil {
			t.Fatal(err)
		}
		a := send(t, c, map[string]any{"type": "events_api", "envelope_id": "env-home", "accepts_response_payload": false, "payload": payload})
		if a.EnvelopeID != "env-home" || len(a.Payload) != 0 {
			t.Errorf("ack = %+v", a)
		}
		select {
		case v := <-fake.views:
			if !strings.Contains(v, `"user_id":"`+userBeauty+`"`) || !strings.Contains(v, "Acme Beauty TH") || strings.Contains(v, "Acme Home US") {
				t.Errorf("views.publish got %s", v)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("views.publish was not called; logs:\n%s", ts.logs.String())
		}
	})

	if !strings.Contains(ts.logs.String(), "socket mode: connected") {
		t.Errorf("logs lack the connection:\n%s", ts.logs.String())
	}
	for _, secret := range []string{testAppToken, testBotToken} {
		if strings.Contains(ts.logs.String(), secret) {
			t.Errorf("logs contain a token")
		}
	}
}

func TestSocketModeBadToken(t *testing.T) {
	db, _ := MustFixtureDB(t)
	fake := newSocketSlack(t)
	srv, err := New(Options{DB: db, AppToken: "xapp-wrong", APIURL: fake.sts.GetAPIURL()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(t.Context(), "127.0.0.1:0", testMux(srv)) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
			t.Errorf("Serve = %v, want an invalid_auth error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve kept running with a refused app token")
	}
}

func TestSocketModeSlowAnswer(t *testing.T) {
	db, _ := MustFixtureDB(t)
	fake := newSocketSlack(t)
	MustServe(t, Options{DB: slowStore{Store: db, delay: 300 * time.Millisecond}, AppToken: testAppToken,
		APIURL: fake.sts.GetAPIURL(), SlowAfter: 50 * time.Millisecond})
	c := fake.conn(t)
	rec := newRecorder(t)
	a := send(t, c, map[string]any{"type": "slash_commands", "envelope_id": "env-slow",
		"payload": slack.SlashCommand{ChannelID: chanBeauty, UserID: "U0TESTER1", Command: "/shopwatch", Text: "status", ResponseURL: rec.URL + "/r"}})
	var m wireMessage
	if err := json.Unmarshal(a.Payload, &m); err != nil || !strings.Contains(m.Text, "Working on it") {
		t.Fatalf("ack = %s (%v)", a.Payload, err)
	}
	late := rec.next(t)
	if !strings.Contains(late.Text, "Negative review rate") || !late.ReplaceOriginal {
		t.Errorf("late answer = %+v", late)
	}
}

// refusingAcker fails acks with a payload, as socketmode does for
// payloads of 20 KB or more.
type refusingAcker struct{ acks []any }

func (r *refusingAcker) Ack(req socketmode.Request, payload ...any) error {
	if len(payload) > 0 && len(r.acks) == 0 {
		r.acks = append(r.acks, nil)
		return errors.New("socket mode response meets or exceeds Slack's 20480-byte WebSocket limit")
	}
	r.acks = append(r.acks, payload)
	return nil
}

func TestSocketEventTooLargeForAck(t *testing.T) {
	db, _ := MustFixtureDB(t)
	srv, err := New(Options{DB: db, Clock: clockwork.NewFakeClockAt(fixtureNow)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rec := newRecorder(t)
	acker := &refusingAcker{}
	cmd := slack.SlashCommand{ChannelID: chanBeauty, UserID: "U0TESTER1", Command: "/shopwatch", Text: "digest", ResponseURL: rec.URL + "/r"}
	srv.socketEvent(t.Context(), acker, socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: cmd, Request: &socketmode.Request{EnvelopeID: "e1"}})
	late := rec.next(t)
	if !strings.Contains(late.Text, "weekly digest") || !late.ReplaceOriginal {
		t.Errorf("response_url got %+v", late)
	}
	srv.bg.Wait()
	if len(acker.acks) != 2 {
		t.Fatalf("acks = %v", acker.acks)
	}
	if b, _ := json.Marshal(acker.acks[1]); !strings.Contains(string(b), "Working on it") {
		t.Errorf("second ack = %s", b)
	}
}
