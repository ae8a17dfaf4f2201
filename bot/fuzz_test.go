package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/store"
)

// The fuzz targets of the Slack surface. FuzzSlashCommand feeds arbitrary
// command text to the real Handler over the fixture database: every text
// gets an answer, usage help or a refusal (never the apology of an
// internal error), within Slack's block limits, and only mute and unmute
// write. FuzzInteraction posts arbitrary signed bodies, and well-formed
// button presses with arbitrary values, to POST /slack/interactions: a
// malformed body is refused with 400, never 500 or a panic, and only a
// press of a mute button writes. Seeds are in testdata/fuzz/; plain `go
// test` runs them, `make fuzz` fuzzes each target for $(FUZZTIME).

// fuzzChannels are the channels a fuzzed request comes from.
var fuzzChannels = []string{chanBeauty, chanUS, chanAdmin, chanOther, chanDM}

// writeWatch is the fixture store, counting calls of its write methods.
type writeWatch struct {
	Store
	writes atomic.Int64
}

func (w *writeWatch) SetMute(ctx context.Context, m store.Mute) error {
	w.writes.Add(1)
	return w.Store.SetMute(ctx, m)
}

func (w *writeWatch) Unmute(ctx context.Context, shopID, metric string, now time.Time) (int, error) {
	w.writes.Add(1)
	return w.Store.Unmute(ctx, shopID, metric, now)
}

// clearMutes ends every mute of the fixture shops, so that an input's
// outcome does not depend on the inputs before it.
func (w *writeWatch) clearMutes(tb testing.TB) {
	for _, s := range w.Config().Shops() {
		if _, err := w.Store.Unmute(context.Background(), s.ID, "", fixtureNow.Add(time.Hour)); err != nil {
			tb.Fatal(err)
		}
	}
}

// errorLog records the log's errors.
type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (e *errorLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (e *errorLog) WithAttrs([]slog.Attr) slog.Handler           { return e }
func (e *errorLog) WithGroup(string) slog.Handler                { return e }
func (e *errorLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	e.mu.Lock()
	defer e.mu.Unlock()
	e.msgs = append(e.msgs, b.String())
	return nil
}

// take returns the errors logged since the last call.
func (e *errorLog) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.msgs
	e.msgs = nil
	return m
}

// writes reports whether text is a command that may write.
func writes(text string) bool {
	name, _ := parse(text)
	return name == "mute" || name == "unmute"
}

func FuzzSlashCommand(f *testing.F) {
	for _, text := range []string{"", "help", "status", "status 7495001", "breakdown nrr 7495001", "tips damaged", "appeal damaged 7495001",
		"digest 7495001", "mute nrr 7d 7495001", "unmute all", "STATUS “Acme Beauty TH”", "status\u00a0all"} {
		f.Add(text, uint8(0))
	}
	db, _ := MustFixtureDB(f)
	w := &writeWatch{Store: db}
	elog := &errorLog{}
	h, err := NewHandler(Options{DB: w, Clock: clockwork.NewFakeClockAt(fixtureNow), Logger: slog.New(elog)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string, ch uint8) {
		before := w.writes.Load()
		r := h.Answer(context.Background(), Request{Text: text, ChannelID: fuzzChannels[int(ch)%len(fuzzChannels)], UserID: "U0FUZZER1"})
		if msgs := elog.take(); len(msgs) > 0 || r.Kind == KindFailure || r.Kind == KindWorking {
			t.Fatalf("%q: reply of kind %d, logged %q", text, r.Kind, msgs)
		}
		if r.Kind != KindAnswer && r.Kind != KindUsage && r.Kind != KindRefusal {
			t.Fatalf("%q: reply of unknown kind %d", text, r.Kind)
		}
		checkSlackLimits(t, r)
		if w.writes.Load() != before {
			if !writes(text) {
				t.Fatalf("%q: a read-only command wrote", text)
			}
			w.clearMutes(t)
		}
	})
}

// checkSlackLimits checks a reply against what Slack accepts.
func checkSlackLimits(t *testing.T, r Reply) {
	t.Helper()
	if strings.TrimSpace(r.Text) == "" || !utf8.ValidString(r.Text) {
		t.Fatalf("reply text %q", r.Text)
	}
	blocks := r.withShareButton()
	if len(blocks) == 0 || len(blocks) > maxBlocks {
		t.Fatalf("%d blocks", len(blocks))
	}
	if len(r.Share) > maxButtonValue {
		t.Fatalf("share value of %d bytes", len(r.Share))
	}
	for _, b := range blocks {
		var texts []*slack.TextBlockObject
		limit := maxSectionText
		switch b := b.(type) {
		case *slack.SectionBlock:
			texts = append(texts, b.Fields...)
			if b.Text != nil {
				texts = append(texts, b.Text)
			}
		case *slack.HeaderBlock:
			texts, limit = append(texts, b.Text), maxHeaderText
		}
		for _, tx := range texts {
			if n := utf8.RuneCountInString(tx.Text); n == 0 || n > limit || !utf8.ValidString(tx.Text) {
				t.Fatalf("%s block text of %d characters (limit %d): %q", b.BlockType(), n, limit, tx.Text)
			}
		}
	}
	if _, err := json.Marshal(r.message()); err != nil {
		t.Fatal(err)
	}
}

func FuzzInteraction(f *testing.F) {
	db, _ := MustFixtureDB(f)
	w := &writeWatch{Store: db}
	var posts atomic.Int64
	rec := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { posts.Add(1) }))
	f.Cleanup(rec.Close)
	// Every post, to whatever response_url a fuzzed payload names, goes to
	// the recorder: nothing leaves the machine.
	local := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", rec.Listener.Addr().String())
		}}}
	srv, err := New(Options{DB: w, SigningSecret: testSecret, Clock: clockwork.NewFakeClockAt(fixtureNow), Logger: slog.New(slog.DiscardHandler), HTTPClient: local})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	post := func(t *testing.T, body string) int {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/slack/interactions", strings.NewReader(body))
		now := time.Now().Unix()
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now, 10))
		req.Header.Set("X-Slack-Signature", sign(testSecret, now, body))
		rr := httptest.NewRecorder()
		testMux(srv).ServeHTTP(rr, req)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if !srv.wait(ctx) {
			t.Fatalf("the work of %q did not end", body)
		}
		return rr.Code
	}
	f.Fuzz(func(t *testing.T, form, value string, press bool, ch uint8) {
		before := w.writes.Load()
		code := post(t, form)
		switch {
		case code == http.StatusOK && !wellFormed(form):
			t.Fatalf("accepted the malformed body %q", form)
		case code != http.StatusOK && code != http.StatusBadRequest && !(code == http.StatusRequestEntityTooLarge && len(form) > 256<<10):
			t.Fatalf("%q: HTTP %d, want 200 or 400", form, code)
		}
		if w.writes.Load() != before {
			if !pressesMute(form) {
				t.Fatalf("%q: wrote without a mute button", form)
			}
			w.clearMutes(t)
			before = w.writes.Load()
		}

		action := shareAction
		if press {
			action = commandAction
		}
		body := buttonCallback(action, fuzzChannels[int(ch)%len(fuzzChannels)], value, rec.URL+"/actions/1")
		if code := post(t, body); code != http.StatusOK && len(body) <= 256<<10 {
			t.Fatalf("a well-formed press of %q: HTTP %d", value, code)
		}
		if w.writes.Load() != before {
			var v shareValue
			_ = json.Unmarshal([]byte(value), &v)
			if name, _ := parse(v.Text); !press || name != "mute" {
				t.Fatalf("value %q (press %v) wrote", value, press)
			}
			w.clearMutes(t)
		}
	})
}

// wellFormed reports whether form is a form whose payload is a JSON object
// with a type.
func wellFormed(form string) bool {
	vals, err := url.ParseQuery(form)
	if err != nil {
		return false
	}
	var p struct {
		Type *string `json:"type"`
	}
	return json.Unmarshal([]byte(vals.Get("payload")), &p) == nil && p.Type != nil && *p.Type != "" &&
		strings.HasPrefix(strings.TrimSpace(vals.Get("payload")), "{")
}

// pressesMute reports whether form is a press of a command button that
// carries a mute.
func pressesMute(form string) bool {
	vals, _ := url.ParseQuery(form)
	var cb slack.InteractionCallback
	if json.Unmarshal([]byte(vals.Get("payload")), &cb) != nil {
		return false
	}
	for _, a := range cb.ActionCallback.BlockActions {
		var v shareValue
		if a.ActionID == commandAction && json.Unmarshal([]byte(a.Value), &v) == nil {
			if name, _ := parse(v.Text); name == "mute" {
				return true
			}
		}
	}
	return false
}
