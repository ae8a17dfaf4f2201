package main

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

// logSlack is a Slack Web API stand-in shared by several replicas, each
// with a base URL of its own (URL(i)), so that the log says who posted
// what. It serves what the notifier and the App Home call, as Slack
// documents them: chat.postMessage (the message's metadata kept; ts from
// the real time, as Slack stamps it), chat.update, conversations.history
// and .replies (newest first, from oldest on, with metadata), the three
// steps of a file upload, views.publish, conversations.members and
// auth.test. hold, when set, may hold a chat.postMessage after posting it:
// Slack has acted, but its answer never comes (the poster is killed).
type logSlack struct {
	srv *httptest.Server

	mu    sync.Mutex
	posts []slackPost
	seq   int
	files []slackFile
	// hold decides whether to hold replica's post of key: it is then
	// reported on held, and answered when the poster goes away.
	hold func(replica int, key string) bool
	held chan slackPost
}

type slackPost struct {
	Replica            int
	Channel, TS, Key   string
	ThreadTS, Filename string
}

type slackFile struct {
	ID, Name, Channel, ThreadTS string
	Replica                     int
}

func newLogSlack(tb testing.TB) *logSlack {
	f := &logSlack{held: make(chan slackPost, 1)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.srv.Close)
	return f
}

// URL is replica i's SLACK_API_URL.
func (f *logSlack) URL(replica int) string { return fmt.Sprintf("%s/r%d/api/", f.srv.URL, replica) }

// byKey counts the posted messages by key.
func (f *logSlack) byKey() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, p := range f.posts {
		out[p.Key]++
	}
	return out
}

// postsBy counts the posts of each replica.
func (f *logSlack) postsBy() map[int]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int]int{}
	for _, p := range f.posts {
		out[p.Replica]++
	}
	return out
}

func (f *logSlack) setHold(hold func(replica int, key string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = hold
}

func slackJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// slackTS is a message timestamp: the real time, and a sequence number
// that keeps it unique.
func (f *logSlack) slackTS() string {
	f.seq++
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), f.seq%1000000)
}

func (f *logSlack) serve(w http.ResponseWriter, r *http.Request) {
	var replica int
	var method string
	if _, err := fmt.Sscanf(r.URL.Path, "/r%d/api/", &replica); err != nil {
		http.NotFound(w, r)
		return
	}
	method = r.URL.Path[strings.Index(r.URL.Path, "/api/")+len("/api/"):]
	if strings.HasPrefix(method, "upload/") {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
		return
	}
	var publish struct {
		UserID string          `json:"user_id"`
		View   json.RawMessage `json:"view"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&publish); err != nil {
			slackJSON(w, map[string]any{"ok": false, "error": "invalid_json"})
			return
		}
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	channel := r.Form.Get("channel")
	f.mu.Lock()
	switch method {
	case "chat.postMessage":
		p := slackPost{Replica: replica, Channel: channel, TS: f.slackTS(), ThreadTS: r.Form.Get("thread_ts")}
		var meta struct {
			EventPayload map[string]any `json:"event_payload"`
		}
		if err := json.Unmarshal([]byte(r.Form.Get("metadata")), &meta); err == nil {
			p.Key, _ = meta.EventPayload["key"].(string)
		}
		f.posts = append(f.posts, p)
		hold := f.hold != nil && f.hold(replica, p.Key)
		if hold {
			f.hold = nil
		}
		f.mu.Unlock()
		if hold { // posted; the answer never comes
			f.held <- p
			<-r.Context().Done()
			return
		}
		slackJSON(w, map[string]any{"ok": true, "channel": channel, "ts": p.TS})
		return
	case "chat.update":
		slackJSON(w, map[string]any{"ok": true, "channel": channel, "ts": r.Form.Get("ts")})
	case "conversations.history", "conversations.replies":
		thread := r.Form.Get("ts")
		oldest, _ := strconv.ParseFloat(r.Form.Get("oldest"), 64)
		var out []map[string]any
		for i := len(f.posts) - 1; i >= 0; i-- { // newest first
			p := f.posts[i]
			ts, _ := strconv.ParseFloat(p.TS, 64)
			if p.Channel != channel || ts < oldest || (method == "conversations.replies" && p.ThreadTS != thread && p.TS != thread) {
				continue
			}
			msg := map[string]any{"type": "message", "ts": p.TS, "thread_ts": p.ThreadTS}
			if p.Key != "" {
				msg["metadata"] = map[string]any{"event_type": "shopwatch_notification", "event_payload": map[string]any{"key": p.Key}}
			}
			out = append(out, msg)
		}
		for _, fl := range f.files {
			if fl.Channel == channel && (method == "conversations.history" || fl.ThreadTS == thread) {
				out = append(out, map[string]any{"type": "message", "ts": "1700000000.9" + fl.ID, "files": []map[string]any{{"id": fl.ID, "name": fl.Name}}})
			}
		}
		slackJSON(w, map[string]any{"ok": true, "messages": out, "has_more": false})
	case "files.getUploadURLExternal":
		f.seq++
		id := "F" + strconv.Itoa(f.seq)
		f.files = append(f.files, slackFile{ID: id, Name: r.Form.Get("filename"), Replica: replica})
		slackJSON(w, map[string]any{"ok": true, "upload_url": f.srv.URL + "/r0/api/upload/" + id, "file_id": id})
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
		slackJSON(w, map[string]any{"ok": true, "files": done})
	case "views.publish":
		slackJSON(w, map[string]any{"ok": true, "view": map[string]any{"id": "V1", "type": "home"}})
	case "conversations.members":
		slackJSON(w, map[string]any{"ok": true, "members": []string{}, "response_metadata": map[string]any{"next_cursor": ""}})
	case "auth.test":
		slackJSON(w, map[string]any{"ok": true, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1"})
	default:
		slackJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
	f.mu.Unlock()
}
