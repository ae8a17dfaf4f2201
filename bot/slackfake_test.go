package bot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSlack is a Slack Web API stand-in for the notifier: chat.postMessage
// (one message per second per channel, else 429 with Retry-After),
// chat.update, conversations.history and .replies with metadata, and the
// three steps of a file upload; for the App Home, views.publish (a JSON
// body, as Slack documents it) and conversations.members (paged by
// cursor). fail, when set, may answer a request with an error status
// instead; it sees each request's method and channel (views.publish: the
// user).
type fakeSlack struct {
	srv *httptest.Server

	mu       sync.Mutex
	msgs     map[string][]fakeMsg       // by channel, oldest first
	lastPost map[string]time.Time       // by channel
	updates  map[string]string          // ts -> the text it was updated to
	updated  map[string]json.RawMessage // ts -> the blocks it was updated to
	files    []fakeFile
	seq      int
	requests map[string]int // by method
	perChan  time.Duration
	members  map[string][]string   // channel -> its members, for conversations.members
	views    map[string][]fakeView // user -> the Home views published, oldest first
	memberQs map[string]int        // conversations.members calls by channel
	refuse   map[string]string     // method -> the error it answers with (ok false)
	// fail decides a request's fate: 0 serves it; 429 answers rate limited
	// (Retry-After 1); another status fails it, after posting the message
	// when stored is true (the server acted, then failed to answer).
	fail func(method, channel string, n int) (status int, stored bool)
}

type fakeMsg struct {
	TS, ThreadTS, Text, Key string
	Broadcast               bool
	Blocks                  json.RawMessage
}

// fakeView is a published Home: its type and blocks as sent.
type fakeView struct {
	Type   string          `json:"type"`
	Blocks json.RawMessage `json:"blocks"`
}

type fakeFile struct {
	ID, Name, Channel, ThreadTS string
	Size                        int
}

func newFakeSlack(tb testing.TB) *fakeSlack {
	f := &fakeSlack{msgs: map[string][]fakeMsg{}, lastPost: map[string]time.Time{}, updates: map[string]string{},
		requests: map[string]int{}, perChan: time.Second, members: map[string][]string{}, views: map[string][]fakeView{}, memberQs: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.srv.Close)
	return f
}

// URL is the API base URL for SLACK_API_URL.
func (f *fakeSlack) URL() string { return f.srv.URL + "/api/" }

func (f *fakeSlack) json(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if strings.HasPrefix(method, "upload/") {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		id := strings.TrimPrefix(method, "upload/")
		for i := range f.files {
			if f.files[i].ID == id {
				f.files[i].Size = len(body)
			}
		}
		f.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	var publish struct {
		UserID string          `json:"user_id"`
		View   json.RawMessage `json:"view"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&publish); err != nil {
			f.json(w, map[string]any{"ok": false, "error": "invalid_json"})
			return
		}
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	channel := r.Form.Get("channel")
	if channel == "" {
		channel = r.Form.Get("channel_id")
	}
	if method == "views.publish" {
		channel = publish.UserID
	}
	f.mu.Lock()
	f.requests[method]++
	n := f.requests[method]
	status, stored := 0, false
	if f.fail != nil {
		status, stored = f.fail(method, channel, n)
	}
	f.mu.Unlock()
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(status)
		return
	}
	if status != 0 && !stored {
		w.WriteHeader(status)
		return
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if e := f.refuse[method]; e != "" {
		f.json(w, map[string]any{"ok": false, "error": e})
		return
	}
	switch method {
	case "chat.postMessage":
		if last, ok := f.lastPost[channel]; ok && time.Since(last) < f.perChan {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		f.lastPost[channel] = time.Now()
		f.seq++
		m := fakeMsg{TS: fmt.Sprintf("1700000000.%06d", f.seq), ThreadTS: r.Form.Get("thread_ts"), Text: r.Form.Get("text"),
			Broadcast: r.Form.Get("reply_broadcast") == "true", Blocks: json.RawMessage(r.Form.Get("blocks"))}
		var meta struct {
			EventType    string         `json:"event_type"`
			EventPayload map[string]any `json:"event_payload"`
		}
		if err := json.Unmarshal([]byte(r.Form.Get("metadata")), &meta); err == nil {
			m.Key, _ = meta.EventPayload["key"].(string)
		}
		f.msgs[channel] = append(f.msgs[channel], m)
		if status != 0 {
			w.WriteHeader(status) // posted, but the answer is lost
			return
		}
		f.json(w, map[string]any{"ok": true, "channel": channel, "ts": m.TS})
	case "chat.update":
		ts := r.Form.Get("ts")
		f.updates[ts] = r.Form.Get("text")
		if f.updated == nil {
			f.updated = map[string]json.RawMessage{}
		}
		f.updated[ts] = json.RawMessage(r.Form.Get("blocks"))
		f.json(w, map[string]any{"ok": true, "channel": channel, "ts": ts})
	case "conversations.history", "conversations.replies":
		thread := r.Form.Get("ts")
		var out []map[string]any
		for _, m := range f.msgs[channel] {
			if method == "conversations.replies" && m.ThreadTS != thread && m.TS != thread {
				continue
			}
			msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "thread_ts": m.ThreadTS}
			if m.Key != "" {
				msg["metadata"] = map[string]any{"event_type": "shopwatch_notification", "event_payload": map[string]any{"key": m.Key}}
			}
			out = append(out, msg)
		}
		for _, fl := range f.files {
			if fl.Channel == channel && (method == "conversations.history" || fl.ThreadTS == thread) {
				out = append(out, map[string]any{"type": "message", "ts": "1700000000.9" + fl.ID, "files": []map[string]any{{"id": fl.ID, "name": fl.Name}}})
			}
		}
		f.json(w, map[string]any{"ok": true, "messages": out, "has_more": false})
	case "files.getUploadURLExternal":
		f.seq++
		id := "F" + strconv.Itoa(f.seq)
		f.files = append(f.files, fakeFile{ID: id, Name: r.Form.Get("filename")})
		f.json(w, map[string]any{"ok": true, "upload_url": f.srv.URL + "/api/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		var files []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		_ = json.Unmarshal([]byte(r.Form.Get("files")), &files)
		var done []map[string]any
		for _, in := range files {
			for i := range f.files {
				if f.files[i].ID == in.ID {
					f.files[i].Channel, f.files[i].ThreadTS = channel, r.Form.Get("thread_ts")
					done = append(done, map[string]any{"id": in.ID, "title": in.Title})
				}
			}
		}
		f.json(w, map[string]any{"ok": true, "files": done})
	case "views.publish":
		// https://docs.slack.dev/reference/methods/views.publish: user_id
		// and a view of type home with at most 100 blocks.
		var v fakeView
		if publish.UserID == "" || json.Unmarshal(publish.View, &v) != nil || v.Type != "home" {
			f.json(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		var blocks []json.RawMessage
		if err := json.Unmarshal(v.Blocks, &blocks); err != nil || len(blocks) > 100 {
			f.json(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		f.views[publish.UserID] = append(f.views[publish.UserID], v)
		f.seq++
		f.json(w, map[string]any{"ok": true, "view": map[string]any{"id": fmt.Sprintf("V%08d", f.seq), "type": "home", "blocks": v.Blocks}})
	case "conversations.members":
		// https://docs.slack.dev/reference/methods/conversations.members:
		// pages of at most limit members, the next page's cursor in
		// response_metadata.next_cursor ("" on the last page).
		f.memberQs[channel]++
		all, ok := f.members[channel]
		if !ok {
			f.json(w, map[string]any{"ok": false, "error": "channel_not_found"})
			return
		}
		limit, _ := strconv.Atoi(r.Form.Get("limit"))
		if limit <= 0 {
			limit = 100
		}
		from, _ := strconv.Atoi(r.Form.Get("cursor"))
		from = min(max(from, 0), len(all))
		to := min(from+limit, len(all))
		next := ""
		if to < len(all) {
			next = strconv.Itoa(to)
		}
		f.json(w, map[string]any{"ok": true, "members": all[from:to], "response_metadata": map[string]any{"next_cursor": next}})
	default:
		f.json(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// setMembers sets the members of a channel.
func (f *fakeSlack) setMembers(channel string, users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[channel] = users
}

// homeViews returns the Home views published for user.
func (f *fakeSlack) homeViews(user string) []fakeView {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeView(nil), f.views[user]...)
}

// posted returns the messages of a channel.
func (f *fakeSlack) posted(channel string) []fakeMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMsg(nil), f.msgs[channel]...)
}

// byKey counts the posted messages of every channel by key.
func (f *fakeSlack) byKey() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, msgs := range f.msgs {
		for _, m := range msgs {
			out[m.Key]++
		}
	}
	return out
}
