package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/rules"
)

const (
	testSecret   = "8f742231b10e8888abcd99yyyzzz85a5"
	testBotToken = "xoxb-test-0000-secret-bot-token"
	testAppToken = "xapp-1-test-secret-app-token"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is a running Server on 127.0.0.1.
type testServer struct {
	URL  string
	srv  *Server
	logs *syncBuffer
	stop func() error // stops the server and returns what Serve returned
}

// MustServe starts a Server for opts on 127.0.0.1:0 and stops it when the
// test ends. Logs are kept for inspection.
func MustServe(tb testing.TB, opts Options) *testServer {
	tb.Helper()
	logs := &syncBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewFakeClockAt(fixtureNow)
	}
	srv, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, testMux(srv)) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(15 * time.Second):
				serveErr = errors.New("Serve did not return")
			}
		})
		return serveErr
	}
	tb.Cleanup(func() {
		if err := stop(); err != nil {
			tb.Errorf("Serve: %v", err)
		}
	})
	return &testServer{URL: "http://" + ln.Addr().String(), srv: srv, logs: logs, stop: stop}
}

// sign returns Slack's v0 signature of body at ts with secret.
func sign(secret string, ts int64, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+strconv.FormatInt(ts, 10)+":"+body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// signedPost builds a POST of body to u, signed as Slack would at ts.
func signedPost(tb testing.TB, u, secret string, ts time.Time, body string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", sign(secret, ts.Unix(), body))
	return req
}

// commandForm is the form Slack posts for a slash command.
func commandForm(channel, text, responseURL string) string {
	return url.Values{
		"token": {"deprecated"}, "team_id": {"T0TEAM001"}, "team_domain": {"acme"},
		"channel_id": {channel}, "channel_name": {"shop"}, "user_id": {"U0TESTER1"}, "user_name": {"tester"},
		"command": {"/shopwatch"}, "text": {text}, "response_url": {responseURL}, "trigger_id": {"1.2.3"},
	}.Encode()
}

// do sends req and returns the status and body.
func do(tb testing.TB, req *http.Request) (int, string) {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestCommandSecurity(t *testing.T) {
	db, _ := MustFixtureDB(t)
	ts := MustServe(t, Options{DB: db, SigningSecret: testSecret, BotToken: testBotToken})
	now := time.Now()
	good := commandForm(chanBeauty, "status", "")
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"good", func() *http.Request { return signedPost(t, ts.URL+"/slack/commands", testSecret, now, good) }, http.StatusOK},
		{"good, 4 minutes old", func() *http.Request {
			return signedPost(t, ts.URL+"/slack/commands", testSecret, now.Add(-4*time.Minute), good)
		}, http.StatusOK},
		{"wrong secret", func() *http.Request {
			return signedPost(t, ts.URL+"/slack/commands", "not-the-secret", now, good)
		}, http.StatusUnauthorized},
		{"stale", func() *http.Request {
			return signedPost(t, ts.URL+"/slack/commands", testSecret, now.Add(-6*time.Minute), good)
		}, http.StatusUnauthorized},
		{"from the future", func() *http.Request {
			return signedPost(t, ts.URL+"/slack/commands", testSecret, now.Add(6*time.Minute), good)
		}, http.StatusUnauthorized},
		{"tampered body", func() *http.Request {
			r := signedPost(t, ts.URL+"/slack/commands", testSecret, now, good)
			tampered := commandForm(chanAdmin, "status", "") // signed for chanBeauty, sent for admin
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(tampered)), int64(len(tampered))
			return r
		}, http.StatusUnauthorized},
		{"tampered timestamp", func() *http.Request {
			r := signedPost(t, ts.URL+"/slack/commands", testSecret, now, good)
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix()-1, 10))
			return r
		}, http.StatusUnauthorized},
		{"no signature", func() *http.Request {
			r := signedPost(t, ts.URL+"/slack/commands", testSecret, now, good)
			r.Header.Del("X-Slack-Signature")
			return r
		}, http.StatusUnauthorized},
		{"malformed signature", func() *http.Request {
			r := signedPost(t, ts.URL+"/slack/commands", testSecret, now, good)
			r.Header.Set("X-Slack-Signature", "v0=not-hex")
			return r
		}, http.StatusUnauthorized},
		{"v1 signature", func() *http.Request {
			r := signedPost(t, ts.URL+"/slack/commands", testSecret, now, good)
			r.Header.Set("X-Slack-Signature", strings.Replace(r.Header.Get("X-Slack-Signature"), "v0=", "v1=", 1))
			return r
		}, http.StatusUnauthorized},
		{"oversized", func() *http.Request {
			big := good + "&padding=" + strings.Repeat("x", 300<<10)
			return signedPost(t, ts.URL+"/slack/commands", testSecret, now, big)
		}, http.StatusRequestEntityTooLarge},
		{"interactions: tampered", func() *http.Request {
			r := signedPost(t, ts.URL+"/slack/interactions", testSecret, now, "payload=%7B%7D")
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader("payload=%7B%20%7D")), 17
			return r
		}, http.StatusUnauthorized},
		{"interactions: stale", func() *http.Request {
			return signedPost(t, ts.URL+"/slack/interactions", testSecret, now.Add(-10*time.Minute), "payload=%7B%7D")
		}, http.StatusUnauthorized},
		{"interactions: oversized", func() *http.Request {
			return signedPost(t, ts.URL+"/slack/interactions", testSecret, now, "payload="+strings.Repeat("x", 300<<10))
		}, http.StatusRequestEntityTooLarge},
		{"GET is not allowed", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, ts.URL+"/slack/commands", nil)
			return r
		}, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, tt.req())
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			switch status {
			case http.StatusOK:
				var m wireMessage
				if err := json.Unmarshal([]byte(body), &m); err != nil {
					t.Fatalf("body is not a Slack message: %v\n%s", err, body)
				}
				if m.ResponseType != "ephemeral" || !strings.Contains(m.Text, "Acme Beauty TH") || len(m.Blocks.BlockSet) == 0 {
					t.Errorf("answer = %s", body)
				}
			case http.StatusUnauthorized:
				if body != "Unauthorized\n" {
					t.Errorf("401 body says more than it should: %q", body)
				}
			}
		})
	}
	// Secrets and tokens never reach the logs; rejections do, with a reason.
	logs := ts.logs.String()
	for _, secret := range []string{testSecret, testBotToken, sign(testSecret, now.Unix(), good)} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret %q", secret)
		}
	}
	for _, reason := range []string{"timestamp outside the 5-minute window", "signature mismatch", "body over the size limit"} {
		if !strings.Contains(logs, reason) {
			t.Errorf("logs lack the rejection reason %q", reason)
		}
	}
}

func TestNoSigningSecret(t *testing.T) {
	db, _ := MustFixtureDB(t)
	ts := MustServe(t, Options{DB: db})
	status, body := do(t, signedPost(t, ts.URL+"/slack/commands", "", time.Now(), commandForm(chanBeauty, "status", "")))
	if status != http.StatusUnauthorized || body != "Unauthorized\n" {
		t.Errorf("status %d %q, want 401", status, body)
	}
}

// wireMessage decodes a slash-command response.
type wireMessage struct {
	ResponseType    string       `json:"response_type"`
	Text            string       `json:"text"`
	Blocks          slack.Blocks `json:"blocks"`
	ReplaceOriginal bool         `json:"replace_original"`
}

// MustCommand posts a signed slash command and decodes the answer.
func MustCommand(tb testing.TB, ts *testServer, channel, text, responseURL string) wireMessage {
	tb.Helper()
	status, body := do(tb, signedPost(tb, ts.URL+"/slack/commands", testSecret, time.Now(), commandForm(channel, text, responseURL)))
	if status != http.StatusOK {
		tb.Fatalf("status %d: %s", status, body)
	}
	var m wireMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		tb.Fatal(err)
	}
	if strings.TrimSpace(m.Text) == "" || len(m.Blocks.BlockSet) == 0 {
		tb.Fatalf("blank answer: %s", body)
	}
	return m
}

func TestCommandsOverHTTP(t *testing.T) {
	db, _ := MustFixtureDB(t)
	ts := MustServe(t, Options{DB: db, SigningSecret: testSecret})
	tests := []struct {
		channel, text string
		responseType  string
		want          string
		shareButton   bool
	}{
		{chanBeauty, "status", "ephemeral", "Negative review rate", true},
		{chanBeauty, "breakdown nrr 7", "ephemeral", "7 days, 2026-11-14 to 2026-11-20", true},
		{chanBeauty, "breakdown chat", "ephemeral", "Slowest hours", true},
		{chanUS, "tips damaged", "ephemeral", "proper packaging", true},
		{chanBeauty, "appeal freeze", "ephemeral", "freeze of", true},
		{chanAdmin, "digest", "ephemeral", "across 3 shops", true},
		{chanBeauty, "mute sfrr 1h", "in_channel", "muted SFRR alerts", false},
		{chanBeauty, "unmute", "in_channel", "unmuted all alerts", false},
		{chanBeauty, "help", "ephemeral", "mute &lt;metric|all&gt;", false},
		{chanBeauty, "what is this", "ephemeral", "I don't know the command", false},
		{chanOther, "status", "ephemeral", "isn't linked to any shop", false},
		{chanDM, "digest", "ephemeral", "direct messages", false},
	}
	for _, tt := range tests {
		t.Run(tt.channel+" "+tt.text, func(t *testing.T) {
			m := MustCommand(t, ts, tt.channel, tt.text, "")
			if m.ResponseType != tt.responseType {
				t.Errorf("response_type %q, want %q", m.ResponseType, tt.responseType)
			}
			if !strings.Contains(m.Text, tt.want) {
				t.Errorf("answer lacks %q:\n%s", tt.want, m.Text)
			}
			last, _ := json.Marshal(m.Blocks.BlockSet[len(m.Blocks.BlockSet)-1])
			if got := strings.Contains(string(last), `"action_id":"share"`); got != tt.shareButton {
				t.Errorf("share button %v, want %v: %s", got, tt.shareButton, last)
			}
		})
	}
}

// recorder is an httptest server that keeps what was posted to it.
type recorder struct {
	*httptest.Server
	posts chan []byte
}

func newRecorder(tb testing.TB) *recorder {
	r := &recorder{posts: make(chan []byte, 10)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.posts <- b
		io.WriteString(w, "ok")
	}))
	tb.Cleanup(r.Close)
	return r
}

func (r *recorder) next(tb testing.TB) slack.WebhookMessage {
	tb.Helper()
	select {
	case b := <-r.posts:
		var m slack.WebhookMessage
		if err := json.Unmarshal(b, &m); err != nil {
			tb.Fatalf("not a webhook message: %v\n%s", err, b)
		}
		return m
	case <-time.After(10 * time.Second):
		tb.Fatal("nothing was posted")
	}
	return slack.WebhookMessage{}
}

func (r *recorder) none(tb testing.TB, wait time.Duration) {
	tb.Helper()
	select {
	case b := <-r.posts:
		tb.Errorf("unexpected post: %s", b)
	case <-time.After(wait):
	}
}

// slowStore delays reports, like a busy database.
type slowStore struct {
	Store
	delay time.Duration
}

func (s slowStore) Report(ctx context.Context, shopID string, day rules.Day) (rules.Report, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return rules.Report{}, ctx.Err()
	}
	return s.Store.Report(ctx, shopID, day)
}

func (s slowStore) ReportDays(ctx context.Context, shopID string, days ...rules.Day) ([]rules.Report, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Store.ReportDays(ctx, shopID, days...)
}

func TestSlowAnswers(t *testing.T) {
	db, _ := MustFixtureDB(t)
	ts := MustServe(t, Options{DB: slowStore{Store: db, delay: 400 * time.Millisecond}, SigningSecret: testSecret, SlowAfter: 100 * time.Millisecond})
	tests := []struct {
		name     string
		text     string
		withURL  bool
		wantNow  string
		wantLate string
	}{
		{"slow with a response_url: acknowledged, then posted", "status", true, "Working on it", "Negative review rate"},
		{"slow without a response_url: waits", "status", false, "Negative review rate", ""},
		{"fast: answered at once", "help", true, "status [shop]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			responseURL := ""
			if tt.withURL {
				responseURL = rec.URL + "/commands/T0/1/xyz"
			}
			start := time.Now()
			m := MustCommand(t, ts, chanBeauty, tt.text, responseURL)
			took := time.Since(start)
			if !strings.Contains(m.Text, tt.wantNow) {
				t.Fatalf("immediate answer lacks %q:\n%s", tt.wantNow, m.Text)
			}
			if tt.wantLate == "" {
				rec.none(t, 200*time.Millisecond)
				return
			}
			if took > 350*time.Millisecond {
				t.Errorf("acknowledgement took %v", took)
			}
			late := rec.next(t)
			if !strings.Contains(late.Text, tt.wantLate) || !late.ReplaceOriginal || late.ResponseType != "ephemeral" || late.Blocks == nil || len(late.Blocks.BlockSet) == 0 {
				t.Errorf("late answer = %+v", late)
			}
		})
	}
}
