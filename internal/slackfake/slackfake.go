// Package slackfake is a fake of the Slack Web API for tests, served over
// real loopback HTTP by httptest. It answers what the notifier and the App
// Home call, as Slack documents those methods:
//
//   - chat.postMessage, at most a message a second per channel (else 429
//     with Retry-After), stamped with a ts from the real time and kept
//     with its metadata's key; chat.update;
//   - conversations.history (newest first) and conversations.replies
//     (oldest first, the parent included), from oldest on, with each
//     message's metadata and the files shared there;
//   - the three steps of a file upload: files.getUploadURLExternal, the
//     upload, files.completeUploadExternal;
//   - views.publish (a JSON body; a home view of at most 100 blocks) and
//     conversations.members (paged by cursor);
//   - auth.test.
//
// One simplification: history lists a thread's replies too (Slack lists
// only those broadcast to the channel).
//
// bot's tests and cmd/shopwatch's multi-process tests share it. Each
// replica of the latter posts through a base URL of its own (ReplicaURL),
// so that the log says who posted what. A test may fail requests (Fail,
// Refuse) or hold the answer to a post (HoldNext).
package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Server is a fake. It starts serving when URL or ReplicaURL is first
// called: its fields are set before that (a request from another process
// carries no happens-before edge for the race detector, so a field set
// once the server is serving would race). Its methods are safe for
// concurrent use.
type Server struct {
	// PerChannel is the least time between two posts to a channel: Slack's
	// second by default, 0 for no limit.
	PerChannel time.Duration
	// Fail decides a request's fate before it is served: 0 serves it; 429
	// answers rate limited (Retry-After 1); another status fails it, after
	// posting the message when stored is true (Slack acted, then failed to
	// answer). It sees each request's method, channel (views.publish: the
	// user) and number among the method's requests, from 1.
	Fail func(method, channel string, n int) (status int, stored bool)
	// Refuse answers a method with an error (ok false): method -> error.
	Refuse map[string]string

	srv   *httptest.Server
	start sync.Once

	mu       sync.Mutex
	msgs     []Msg                // oldest first
	lastPost map[string]time.Time // by channel
	updates  map[string]Msg       // ts -> what chat.update made of it
	files    []File               // by upload
	views    map[string][]View    // user -> the Home views published, oldest first
	members  map[string][]string  // channel -> its members
	calls    map[[2]string]int    // {method, channel} and {method, ""} -> requests
	seq      int                  // for ts, file and view ids
	hold     func(Msg) bool       // HoldNext's match
	held     chan Msg
}

// Msg is a message as posted, or as updated (Updated).
type Msg struct {
	Replica                    int    // whose base URL it came through (ReplicaURL); 0 for URL
	Channel, TS, ThreadTS, Key string // Key: the shopwatch key in its metadata
	Text                       string
	Broadcast                  bool
	Blocks                     json.RawMessage
}

// File is a file uploaded, and shared in a channel or thread once complete.
type File struct {
	ID, Name, Channel, ThreadTS, TS string
	Size                            int
}

// View is a published Home: its type and blocks as sent.
type View struct {
	Type   string          `json:"type"`
	Blocks json.RawMessage `json:"blocks"`
}

// New makes a fake, listening but not yet serving, and stops it when the
// test ends.
func New(tb testing.TB) *Server {
	f := &Server{PerChannel: time.Second, lastPost: map[string]time.Time{}, updates: map[string]Msg{},
		views: map[string][]View{}, members: map[string][]string{}, calls: map[[2]string]int{}}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.srv.Close)
	return f
}

// base starts serving, the first time, and returns the server's URL.
func (f *Server) base() string {
	f.start.Do(f.srv.Start)
	return f.srv.URL
}

// URL is the API base URL, for SLACK_API_URL.
func (f *Server) URL() string { return f.base() + "/api/" }

// ReplicaURL is replica i's API base URL: its posts carry i as Replica.
func (f *Server) ReplicaURL(i int) string { return fmt.Sprintf("%s/r%d/api/", f.base(), i) }

// SetMembers sets the members of a channel; conversations.members answers
// channel_not_found for a channel never set.
func (f *Server) SetMembers(channel string, users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[channel] = users
}

// HoldNext holds the answer to the next message posted that match accepts:
// Slack has posted it, but its answer never comes (the poster is killed
// waiting). The message is sent on the channel returned when it is held.
func (f *Server) HoldNext(match func(Msg) bool) <-chan Msg {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold, f.held = match, make(chan Msg, 1)
	return f.held
}

// Posted returns the messages posted to channel ("": to every channel),
// oldest first.
func (f *Server) Posted(channel string) []Msg {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Msg
	for _, m := range f.msgs {
		if channel == "" || m.Channel == channel {
			out = append(out, m)
		}
	}
	return out
}

// ByKey counts the messages posted to every channel by key.
func (f *Server) ByKey() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, m := range f.msgs {
		out[m.Key]++
	}
	return out
}

// Updated returns the text and blocks chat.update last gave the message ts,
// and whether it was updated.
func (f *Server) Updated(ts string) (Msg, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.updates[ts]
	return m, ok
}

// Files returns the files uploaded, in the order their upload began.
func (f *Server) Files() []File {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]File(nil), f.files...)
}

// HomeViews returns the Home views published for user, oldest first.
func (f *Server) HomeViews(user string) []View {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]View(nil), f.views[user]...)
}

// Calls counts the requests of method for channel ("": for any channel),
// failed ones included. views.publish counts by user.
func (f *Server) Calls(method, channel string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[[2]string{method, channel}]
}
