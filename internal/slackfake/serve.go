package slackfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// serve routes /api/<method> and /r<replica>/api/<method>, and applies
// Fail before the method is answered.
func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	replica, path := 0, r.URL.Path
	if rest, ok := strings.CutPrefix(path, "/r"); ok {
		n, rest, _ := strings.Cut(rest, "/")
		replica, _ = strconv.Atoi(n)
		path = "/" + rest
	}
	method, ok := strings.CutPrefix(path, "/api/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if id, ok := strings.CutPrefix(method, "upload/"); ok { // the upload step: the file's bytes
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		for i := range f.files {
			if f.files[i].ID == id {
				f.files[i].Size = len(body)
			}
		}
		f.mu.Unlock()
		return
	}
	var pub publish
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&pub); err != nil {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_json"})
			return
		}
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	channel := cmp.Or(r.Form.Get("channel"), r.Form.Get("channel_id")) // channel_id: files.completeUploadExternal
	if method == "views.publish" {
		channel = pub.UserID
	}
	f.mu.Lock()
	f.calls[[2]string{method, ""}]++
	if channel != "" {
		f.calls[[2]string{method, channel}]++
	}
	status, stored := 0, false
	if f.Fail != nil {
		status, stored = f.Fail(method, channel, f.calls[[2]string{method, ""}])
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
	if f.answer(w, r, replica, method, channel, status, pub) {
		<-r.Context().Done() // held: the poster goes away first
	}
}

// publish is the JSON body of views.publish.
type publish struct {
	UserID string          `json:"user_id"`
	View   json.RawMessage `json:"view"`
}

// answer answers a method (status: Fail's, for a post it stored), and
// reports whether the answer is held (HoldNext).
func (f *Server) answer(w http.ResponseWriter, r *http.Request, replica int, method, channel string, status int, pub publish) (held bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e := f.Refuse[method]; e != "" {
		writeJSON(w, map[string]any{"ok": false, "error": e})
		return false
	}
	switch method {
	case "chat.postMessage":
		if last, ok := f.lastPost[channel]; ok && time.Since(last) < f.PerChannel {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return false
		}
		f.lastPost[channel] = time.Now()
		m := Msg{Replica: replica, Channel: channel, TS: f.stamp(), ThreadTS: r.Form.Get("thread_ts"), Text: r.Form.Get("text"),
			Broadcast: r.Form.Get("reply_broadcast") == "true", Blocks: json.RawMessage(r.Form.Get("blocks"))}
		var meta struct {
			EventPayload map[string]any `json:"event_payload"`
		}
		if json.Unmarshal([]byte(r.Form.Get("metadata")), &meta) == nil {
			m.Key, _ = meta.EventPayload["key"].(string)
		}
		f.msgs = append(f.msgs, m)
		if f.hold != nil && f.hold(m) {
			f.hold = nil
			f.held <- m // buffered, and held once
			return true
		}
		if status != 0 {
			w.WriteHeader(status) // posted, but the answer is lost
			return false
		}
		writeJSON(w, map[string]any{"ok": true, "channel": channel, "ts": m.TS})
	case "chat.update":
		ts := r.Form.Get("ts")
		f.updates[ts] = Msg{Channel: channel, TS: ts, Text: r.Form.Get("text"), Blocks: json.RawMessage(r.Form.Get("blocks"))}
		writeJSON(w, map[string]any{"ok": true, "channel": channel, "ts": ts})
	case "conversations.history", "conversations.replies":
		writeJSON(w, map[string]any{"ok": true, "messages": f.list(method, channel, r.Form.Get("ts"), r.Form.Get("oldest")), "has_more": false})
	case "files.getUploadURLExternal":
		f.seq++
		id := "F" + strconv.Itoa(f.seq)
		f.files = append(f.files, File{ID: id, Name: r.Form.Get("filename")})
		writeJSON(w, map[string]any{"ok": true, "upload_url": f.srv.URL + "/api/upload/" + id, "file_id": id})
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
					f.files[i].Channel, f.files[i].ThreadTS, f.files[i].TS = channel, r.Form.Get("thread_ts"), f.stamp()
					done = append(done, map[string]any{"id": in.ID, "title": in.Title})
				}
			}
		}
		writeJSON(w, map[string]any{"ok": true, "files": done})
	case "views.publish":
		// https://docs.slack.dev/reference/methods/views.publish: user_id
		// and a view of type home with at most 100 blocks.
		var v View
		var blocks []json.RawMessage
		if pub.UserID == "" || json.Unmarshal(pub.View, &v) != nil || v.Type != "home" || json.Unmarshal(v.Blocks, &blocks) != nil || len(blocks) > 100 {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return false
		}
		f.views[pub.UserID] = append(f.views[pub.UserID], v)
		f.seq++
		writeJSON(w, map[string]any{"ok": true, "view": map[string]any{"id": fmt.Sprintf("V%08d", f.seq), "type": "home", "blocks": v.Blocks}})
	case "conversations.members":
		// https://docs.slack.dev/reference/methods/conversations.members:
		// pages of at most limit members, the next page's cursor in
		// response_metadata.next_cursor ("" on the last page).
		all, ok := f.members[channel]
		if !ok {
			writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
			return false
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
		writeJSON(w, map[string]any{"ok": true, "members": all[from:to], "response_metadata": map[string]any{"next_cursor": next}})
	case "auth.test":
		writeJSON(w, map[string]any{"ok": true, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1"})
	default:
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
	return false
}

// list is what conversations.history lists of channel, or .replies of
// thread, from oldest on: the messages, with their metadata, and the files
// shared. A ts and oldest compare as strings: both are seconds (ten
// digits), a dot and six digits.
func (f *Server) list(method, channel, thread, oldest string) []map[string]any {
	in := func(ts, threadTS string) bool {
		return ts >= oldest && (method == "conversations.history" || threadTS == thread || ts == thread)
	}
	var out []map[string]any
	for _, m := range f.msgs {
		if m.Channel == channel && in(m.TS, m.ThreadTS) {
			msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "thread_ts": m.ThreadTS}
			if m.Key != "" {
				msg["metadata"] = map[string]any{"event_type": "shopwatch_notification", "event_payload": map[string]any{"key": m.Key}}
			}
			out = append(out, msg)
		}
	}
	for _, fl := range f.files {
		if fl.Channel == channel && in(fl.TS, fl.ThreadTS) {
			out = append(out, map[string]any{"type": "message", "ts": fl.TS, "thread_ts": fl.ThreadTS, "files": []map[string]any{{"id": fl.ID, "name": fl.Name}}})
		}
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return strings.Compare(a["ts"].(string), b["ts"].(string)) })
	if method == "conversations.history" {
		slices.Reverse(out) // newest first
	}
	return out
}

// stamp is a new message ts: the real time, and a sequence number that
// keeps it unique.
func (f *Server) stamp() string {
	f.seq++
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), f.seq%1000000)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
