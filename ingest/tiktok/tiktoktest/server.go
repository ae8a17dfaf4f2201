// Package tiktoktest is an in-memory fake of the TikTok Shop Open API and
// auth host for tests, served over real loopback HTTP by httptest.
//
// The fake is strict where the real API is: every Open API request must
// carry the right app_key, a timestamp within five minutes of the fake's
// clock, a valid sign (checked with tiktok.SignRequest), a known and
// unexpired x-tts-access-token and, for shop-scoped calls, a shop_cipher the
// token is authorized for. Failures answer with TikTok's codes (36009004,
// 106001, 105001, 105002, ...; see package tiktok).
//
// It pages its data with opaque keyset page tokens honouring page_size,
// filters orders and returns by update and create time, and lets tests add
// and change orders, returns, conversations and messages at any time. It can
// inject faults (429 with Retry-After, 5xx, slow answers) and a per-request
// latency, and counts requests per route.
//
// Each record is JSON-encoded once, when it is stored; a page is assembled
// from those bytes, so serving 100,000 orders costs neither a marshal of the
// whole data set per request nor memory beyond the records themselves.
//
// The fake implements orders and returns search sorted by update_time
// ascending only (what package tiktok asks for), and answers other sort
// orders with 36009004.
package tiktoktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
)

// Default credentials and lifetimes of a fake.
const (
	DefaultAppKey          = "test_app_key"
	DefaultAppSecret       = "test_app_secret"
	DefaultAccessTokenTTL  = 7 * 24 * time.Hour
	DefaultRefreshTokenTTL = 365 * 24 * time.Hour
	DefaultTimestampSkew   = 5 * time.Minute
)

// Options configure a fake. Zero values take the defaults above.
type Options struct {
	AppKey    string
	AppSecret string
	// AccessTokenTTL is how long an issued access token is valid.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is how long a refresh token is valid.
	RefreshTokenTTL time.Duration
	// TimestampSkew is how far a request's timestamp may be from the fake's
	// clock.
	TimestampSkew time.Duration
	// PageLatency delays every Open API answer; default 0.
	PageLatency time.Duration
	// Clock is the fake's clock for timestamps and token expiry; default
	// the real clock.
	Clock clockwork.Clock
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	tb   testing.TB
	api  *httptest.Server
	auth *httptest.Server

	mu       sync.RWMutex
	shops    map[string]*shop // by id
	byCipher map[string]*shop
	codes    map[string][]string // unused auth code -> shop ids
	access   map[string]*grant   // access token -> grant
	refresh  map[string]*grant   // refresh token -> grant
	latency  time.Duration

	fmu    sync.Mutex
	faults []Fault
	counts map[string]int
	total  int
	seq    uint64
}

// grant is one authorization: the tokens of a seller for some shops.
type grant struct {
	access        string
	accessExpiry  time.Time
	refresh       string
	refreshExpiry time.Time
	shopIDs       []string
	openID        string
	sellerName    string
}

// New starts a fake with an Open API host and an auth host and stops both
// when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.AppKey == "" {
		opts.AppKey = DefaultAppKey
	}
	if opts.AppSecret == "" {
		opts.AppSecret = DefaultAppSecret
	}
	if opts.AccessTokenTTL == 0 {
		opts.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if opts.RefreshTokenTTL == 0 {
		opts.RefreshTokenTTL = DefaultRefreshTokenTTL
	}
	if opts.TimestampSkew == 0 {
		opts.TimestampSkew = DefaultTimestampSkew
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	s := &Server{
		opts:     opts,
		tb:       tb,
		shops:    map[string]*shop{},
		byCipher: map[string]*shop{},
		codes:    map[string][]string{},
		access:   map[string]*grant{},
		refresh:  map[string]*grant{},
		latency:  opts.PageLatency,
		counts:   map[string]int{},
	}
	s.api = httptest.NewServer(http.HandlerFunc(s.serveAPI))
	s.auth = httptest.NewServer(http.HandlerFunc(s.serveAuth))
	tb.Cleanup(s.Close)
	return s
}

// Close stops both hosts. It is called automatically when the test ends.
func (s *Server) Close() {
	s.api.Close()
	s.auth.Close()
}

// APIURL is the Open API host's base URL (tiktok.Options.APIURL).
func (s *Server) APIURL() string { return s.api.URL }

// AuthURL is the auth host's base URL (tiktok.Options.AuthURL).
func (s *Server) AuthURL() string { return s.auth.URL }

// AppKey returns the app key the fake accepts.
func (s *Server) AppKey() string { return s.opts.AppKey }

// AppSecret returns the app secret the fake signs and verifies with.
func (s *Server) AppSecret() string { return s.opts.AppSecret }

// ClientOptions returns tiktok.Options pointing at the fake with its
// credentials and fast retries; adjust as needed before tiktok.New.
func (s *Server) ClientOptions() tiktok.Options {
	return tiktok.Options{
		AppKey:         s.opts.AppKey,
		AppSecret:      s.opts.AppSecret,
		APIURL:         s.APIURL(),
		AuthURL:        s.AuthURL(),
		Clock:          s.opts.Clock,
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  50 * time.Millisecond,
	}
}

// SetPageLatency changes the delay added to every Open API answer.
func (s *Server) SetPageLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

func (s *Server) now() time.Time { return s.opts.Clock.Now() }

// ---- responses ----

func writeError(w http.ResponseWriter, status, code int, msg, reqID string) {
	body, _ := json.Marshal(struct {
		Code      int    `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
		Data      any    `json:"data"`
	}{code, msg, reqID, nil})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// writeData answers success with data, which is already JSON.
func writeData(w http.ResponseWriter, reqID string, data []byte) {
	w.Header().Set("Content-Type", "application/json")
	var b bytes.Buffer
	b.Grow(len(data) + 96)
	b.WriteString(`{"code":0,"message":"Success","request_id":"`)
	b.WriteString(reqID)
	b.WriteString(`","data":`)
	b.Write(data)
	b.WriteString("}")
	w.Write(b.Bytes())
}

func writeJSON(w http.ResponseWriter, reqID string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, tiktok.CodeInternalError, err.Error(), reqID)
		return
	}
	writeData(w, reqID, data)
}

// apiError is a refusal with TikTok's status and code.
type apiError struct {
	status int
	code   int
	msg    string
}

func badParam(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, tiktok.CodeInvalidParam, fmt.Sprintf(format, args...)}
}

// ---- Open API host ----

// route is an Open API endpoint.
type route struct {
	method string
	scoped bool // needs shop_cipher
	serve  func(s *Server, sh *shop, g *grant, r *request) ([]byte, *apiError)
}

// request is what a handler sees of an authenticated request.
type request struct {
	query url.Values
	body  []byte
	param string // {conversation_id}
}

var routes = map[string]route{
	"/authorization/202309/shops":                                       {http.MethodGet, false, (*Server).handleShops},
	"/order/202309/orders/search":                                       {http.MethodPost, true, (*Server).handleOrderSearch},
	"/order/202309/orders":                                              {http.MethodGet, true, (*Server).handleOrderDetail},
	"/return_refund/202309/returns/search":                              {http.MethodPost, true, (*Server).handleReturnSearch},
	"/customer_service/202309/conversations":                            {http.MethodGet, true, (*Server).handleConversations},
	"/customer_service/202309/conversations/{conversation_id}/messages": {http.MethodGet, true, (*Server).handleMessages},
}

// matchRoute returns the route pattern of path and its path parameter.
func matchRoute(path string) (string, string) {
	const pre, suf = "/customer_service/202309/conversations/", "/messages"
	if strings.HasPrefix(path, pre) && strings.HasSuffix(path, suf) {
		id := strings.TrimSuffix(strings.TrimPrefix(path, pre), suf)
		if id != "" && !strings.Contains(id, "/") {
			return pre + "{conversation_id}" + suf, id
		}
	}
	return path, ""
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	pattern, param := matchRoute(r.URL.Path)
	f, faulted, reqID := s.admit(pattern)
	// Read the body first: only then does net/http watch the connection and
	// cancel r.Context() when a client gives up on a slow answer.
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, tiktok.CodeInvalidParam, "unreadable body", reqID)
		return
	}
	if faulted && serveFault(w, r, f, reqID) {
		return
	}
	s.mu.RLock()
	latency := s.latency
	s.mu.RUnlock()
	if latency > 0 && !sleep(r.Context(), latency) {
		return
	}
	data, aerr := s.dispatch(r, pattern, param, body)
	if aerr != nil {
		writeError(w, aerr.status, aerr.code, aerr.msg, reqID)
		return
	}
	writeData(w, reqID, data)
}

// dispatch authenticates r like the Open API gateway and runs its handler.
func (s *Server) dispatch(r *http.Request, pattern, param string, body []byte) ([]byte, *apiError) {
	q := r.URL.Query()
	if q.Get("app_key") != s.opts.AppKey {
		return nil, &apiError{http.StatusUnauthorized, tiktok.CodeInvalidParam, "Invalid credentials. Invalid app_key query parameter."}
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		return nil, badParam("Invalid timestamp. The timestamp query parameter is missing or not a Unix time.")
	}
	if skew := s.now().Sub(time.Unix(ts, 0)); skew > s.opts.TimestampSkew || skew < -s.opts.TimestampSkew {
		return nil, &apiError{http.StatusUnauthorized, tiktok.CodeInvalidParam,
			"Invalid timestamp. The value of the timestamp query parameter must be within 5 minutes of the current time."}
	}
	sign := q.Get("sign")
	if sign == "" || !strings.EqualFold(sign, tiktok.SignRequest(s.opts.AppSecret, r, body)) {
		return nil, &apiError{http.StatusUnauthorized, tiktok.CodeInvalidSign, "Invalid credentials. The 'sign' query parameter is invalid."}
	}
	rt, ok := routes[pattern]
	if !ok {
		return nil, &apiError{http.StatusNotFound, tiktok.CodeInvalidPath, "Invalid path."}
	}
	if r.Method != rt.method {
		return nil, &apiError{http.StatusMethodNotAllowed, 36009010, "Invalid method."}
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return nil, badParam("Invalid Content-Type %q; allowed type: application/json.", ct)
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.access[r.Header.Get("x-tts-access-token")]
	if g == nil {
		return nil, &apiError{http.StatusUnauthorized, tiktok.CodeInvalidAccessToken, "Invalid credentials. The access token is invalid."}
	}
	if !s.now().Before(g.accessExpiry) {
		return nil, &apiError{http.StatusUnauthorized, tiktok.CodeExpiredAccessToken, "Expired credentials. The access token has expired."}
	}
	var sh *shop
	if rt.scoped {
		cipher := q.Get("shop_cipher")
		if cipher == "" {
			return nil, &apiError{http.StatusBadRequest, tiktok.CodeInvalidShopCipher, "Missing identifier. The shop_cipher query parameter is required."}
		}
		sh = s.byCipher[cipher]
		if sh == nil || !g.covers(sh.info.ID) {
			return nil, &apiError{http.StatusBadRequest, tiktok.CodeInvalidShopCipher, "Invalid identifier. The shop_cipher is not authorized for this access token."}
		}
	}
	return rt.serve(s, sh, g, &request{query: q, body: body, param: param})
}

func (g *grant) covers(shopID string) bool {
	for _, id := range g.shopIDs {
		if id == shopID {
			return true
		}
	}
	return false
}
