package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an output safe to read while the daemon writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listening = regexp.MustCompile(`msg=listening .*addr=(127\.0\.0\.1:\d+)`)

// daemon is `shopwatch serve` running in-process.
type daemon struct {
	base   string
	stderr *lockedBuffer
	stop   func() int // cancels the context and returns the exit code
}

// MustRunDaemon starts `shopwatch serve` on 127.0.0.1:0 with env and waits
// until it listens.
func MustRunDaemon(tb testing.TB, env map[string]string, args ...string) *daemon {
	tb.Helper()
	env["SHOPWATCH_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &lockedBuffer{}
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"serve"}, args...), io.Discard, stderr, func(k string) string { return env[k] })
	}()
	var once sync.Once
	exit := -1
	stop := func() int {
		once.Do(func() {
			cancel()
			select {
			case exit = <-code:
			case <-time.After(15 * time.Second):
				tb.Error("serve did not stop")
			}
		})
		return exit
	}
	tb.Cleanup(func() { stop() })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			return &daemon{base: "http://" + m[1], stderr: stderr, stop: stop}
		}
		select {
		case c := <-code:
			tb.Fatalf("serve exited with %d:\n%s", c, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	tb.Fatalf("serve did not start listening:\n%s", stderr.String())
	return nil
}

func signedCommand(tb testing.TB, base, secret, channel, text string) (int, string) {
	tb.Helper()
	body := url.Values{"command": {"/shopwatch"}, "text": {text}, "channel_id": {channel}, "user_id": {"U0TESTER1"}}.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+ts+":"+body)
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	env, cfg := MustDemoEnv(t)
	const secret = "serve-test-signing-secret"
	env["SLACK_SIGNING_SECRET"] = secret
	d := MustRunDaemon(t, env)

	resp, err := http.Get(d.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "ok\n" {
		t.Errorf("GET /healthz = %d %q", resp.StatusCode, b)
	}
	shop := cfg.Shops()[0]
	tests := []struct {
		name, secret, channel, text string
		status                      int
		want                        string
	}{
		{"status in the shop's channel", secret, shop.Channel, "status", 200, `"response_type":"ephemeral"`},
		{"the shop's name", secret, shop.Channel, "status", 200, shop.Name},
		{"admin channel, another shop", secret, cfg.AdminChannel, "breakdown nrr " + cfg.Shops()[1].ID, 200, cfg.Shops()[1].Name},
		{"refused elsewhere", secret, "C0NOBODY00", "status", 200, "isn't linked to any shop"},
		{"bad signature", "wrong", shop.Channel, "status", 401, "Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := signedCommand(t, d.base, tt.secret, tt.channel, tt.text)
			var m struct{ Text string }
			if status == http.StatusOK {
				if err := json.Unmarshal([]byte(body), &m); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, body)
				}
				// The text is escaped for Slack.
				body += "\n" + strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(m.Text)
			}
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%d %s; want %d and %q", status, body, tt.status, tt.want)
			}
		})
	}
	if code := d.stop(); code != 0 {
		t.Errorf("serve exited %d after the context was cancelled:\n%s", code, d.stderr.String())
	}
	logs := d.stderr.String()
	if strings.Contains(logs, secret) {
		t.Error("the signing secret is in the logs")
	}
	for _, want := range []string{"msg=command", "transport=http", "msg=\"shutting down\""} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestServeErrors(t *testing.T) {
	env, _ := cliEnv(t)
	slackAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`) // apps.connections.open refuses the token
	}))
	defer slackAPI.Close()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"address in use or invalid", map[string]string{"SHOPWATCH_ADDR": "256.0.0.1:99999"}, nil, 1, "listen 256.0.0.1:99999"},
		{"unexpected argument", nil, []string{"now"}, 2, `unexpected argument "now"`},
		{"app token refused", map[string]string{"SHOPWATCH_ADDR": "127.0.0.1:0", "SLACK_APP_TOKEN": "xapp-bad", "SLACK_API_URL": slackAPI.URL}, nil, 1, "socket mode: invalid_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			for k, v := range tt.env {
				e[k] = v
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out, errOut lockedBuffer
			code := run(ctx, append([]string{"serve"}, tt.args...), &out, &errOut, func(k string) string { return e[k] })
			if code != tt.code || !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut.String())
			}
		})
	}
}
