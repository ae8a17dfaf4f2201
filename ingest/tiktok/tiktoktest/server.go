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
	"context"
	"crypto/rand"
	"encoding/hex"
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

// ---- faults and counters ----

// Fault is an injected failure, served instead of (or, for a pure delay,
// before) the normal answer.
type Fault struct {
	// Status is the HTTP status to answer; 0 serves the request normally
	// after Delay.
	Status int
	// Code and Message form the envelope; with Code 0 the body is plain
	// text, as a load balancer would send.
	Code    int
	Message string
	// RetryAfter, when positive, is sent as a Retry-After header in whole
	// seconds (rounded up).
	RetryAfter time.Duration
	// Delay holds the answer back, or until the client gives up.
	Delay time.Duration
}

// Inject makes the next n requests (to either host) fail with f.
func (s *Server) Inject(n int, f Fault) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// RateLimit makes the next n requests answer HTTP 429 with code 36009002
// and, when retryAfter > 0, a Retry-After header.
func (s *Server) RateLimit(n int, retryAfter time.Duration) {
	s.Inject(n, Fault{Status: http.StatusTooManyRequests, Code: tiktok.CodeTooManyRequests,
		Message: "Too many requests. You've made too many requests in a short period of time.", RetryAfter: retryAfter})
}

// Unavailable makes the next n requests answer HTTP 503 with a plain-text
// body.
func (s *Server) Unavailable(n int) {
	s.Inject(n, Fault{Status: http.StatusServiceUnavailable})
}

// Slow delays the answers to the next n requests by d (or until the client
// gives up), then serves them normally.
func (s *Server) Slow(n int, d time.Duration) { s.Inject(n, Fault{Delay: d}) }

// ClearFaults drops faults not yet served.
func (s *Server) ClearFaults() {
	s.fmu.Lock()
	s.faults = nil
	s.fmu.Unlock()
}

// Count returns how many requests the fake received for a route: an API
// path such as "/order/202309/orders/search", with
// "{conversation_id}" standing for the id in the messages path.
func (s *Server) Count(route string) int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.counts[route]
}

// Total returns how many requests the fake received on both hosts.
func (s *Server) Total() int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.total
}

// ResetCounts zeroes the request counters.
func (s *Server) ResetCounts() {
	s.fmu.Lock()
	s.counts = map[string]int{}
	s.total = 0
	s.fmu.Unlock()
}

// admit counts a request and takes the next fault, if any.
func (s *Server) admit(route string) (Fault, bool, string) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.counts[route]++
	s.total++
	s.seq++
	reqID := fmt.Sprintf("%s%010X", s.now().UTC().Format("20060102150405"), s.seq)
	if len(s.faults) == 0 {
		return Fault{}, false, reqID
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true, reqID
}

// serveFault answers with f; it reports false when f is a pure delay and the
// request should now be served normally.
func serveFault(w http.ResponseWriter, r *http.Request, f Fault, reqID string) (done bool) {
	if f.Delay > 0 && !sleep(r.Context(), f.Delay) {
		return true // the client went away
	}
	if f.Status == 0 {
		return false
	}
	if f.RetryAfter > 0 {
		secs := int((f.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	if f.Code == 0 {
		http.Error(w, http.StatusText(f.Status), f.Status)
		return true
	}
	writeError(w, f.Status, f.Code, f.Message, reqID)
	return true
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

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

// ---- auth host ----

func (s *Server) serveAuth(w http.ResponseWriter, r *http.Request) {
	f, faulted, reqID := s.admit(r.URL.Path)
	if faulted && serveFault(w, r, f, reqID) {
		return
	}
	q := r.URL.Query()
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, 36009010, "Invalid method.", reqID)
		return
	}
	if q.Get("app_key") != s.opts.AppKey || q.Get("app_secret") != s.opts.AppSecret {
		writeError(w, http.StatusUnauthorized, tiktok.CodeInvalidParam, "Invalid credentials. Invalid app_key or app_secret.", reqID)
		return
	}
	var g *grant
	var aerr *apiError
	switch r.URL.Path {
	case "/api/v2/token/get":
		g, aerr = s.exchangeCode(q)
	case "/api/v2/token/refresh":
		g, aerr = s.refreshGrant(q)
	default:
		aerr = &apiError{http.StatusNotFound, tiktok.CodeInvalidPath, "Invalid path."}
	}
	if aerr != nil {
		writeError(w, aerr.status, aerr.code, aerr.msg, reqID)
		return
	}
	writeJSON(w, reqID, g.wire())
}

// The auth host's error codes are not in the public reference; the fake
// answers 36009004 (invalid param) with a message saying what is wrong.
func (s *Server) exchangeCode(q url.Values) (*grant, *apiError) {
	if q.Get("grant_type") != "authorized_code" {
		return nil, badParam("Invalid grant_type; want authorized_code.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	code := q.Get("auth_code")
	shopIDs, ok := s.codes[code]
	if !ok {
		return nil, badParam("Invalid auth_code: unknown, used or expired.")
	}
	delete(s.codes, code)
	return s.newGrantLocked(shopIDs), nil
}

func (s *Server) refreshGrant(q url.Values) (*grant, *apiError) {
	if q.Get("grant_type") != "refresh_token" {
		return nil, badParam("Invalid grant_type; want refresh_token.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.refresh[q.Get("refresh_token")]
	if old == nil {
		return nil, badParam("Invalid refresh_token.")
	}
	if !s.now().Before(old.refreshExpiry) {
		return nil, badParam("Expired refresh_token; the seller must authorize again.")
	}
	// A new access token; the refresh token and its expiry stay. The old
	// access token stays valid until it expires.
	g := *old
	g.access = newToken("ROW_")
	g.accessExpiry = s.now().Add(s.opts.AccessTokenTTL).Truncate(time.Second)
	s.access[g.access] = &g
	s.refresh[g.refresh] = &g
	return &g, nil
}

func (s *Server) newGrantLocked(shopIDs []string) *grant {
	now := s.now()
	g := &grant{
		access:        newToken("ROW_"),
		accessExpiry:  now.Add(s.opts.AccessTokenTTL).Truncate(time.Second),
		refresh:       newToken("ROW_R"),
		refreshExpiry: now.Add(s.opts.RefreshTokenTTL).Truncate(time.Second),
		shopIDs:       append([]string(nil), shopIDs...),
		openID:        newToken("")[:22],
		sellerName:    "Test Seller",
	}
	if len(shopIDs) > 0 {
		if sh := s.shops[shopIDs[0]]; sh != nil {
			g.sellerName = sh.info.Name
		}
	}
	s.access[g.access] = g
	s.refresh[g.refresh] = g
	return g
}

// wire is the token data as the auth host sends it.
func (g *grant) wire() any {
	return struct {
		AccessToken          string   `json:"access_token"`
		AccessTokenExpireIn  int64    `json:"access_token_expire_in"`
		RefreshToken         string   `json:"refresh_token"`
		RefreshTokenExpireIn int64    `json:"refresh_token_expire_in"`
		OpenID               string   `json:"open_id"`
		SellerName           string   `json:"seller_name"`
		SellerBaseRegion     string   `json:"seller_base_region"`
		UserType             int      `json:"user_type"`
		GrantedScopes        []string `json:"granted_scopes"`
	}{g.access, g.accessExpiry.Unix(), g.refresh, g.refreshExpiry.Unix(), g.openID, g.sellerName, "TH", 0,
		[]string{"seller.order.info", "seller.return_refund.basic", "seller.customer_service"}}
}

func newToken(prefix string) string {
	b := make([]byte, 24)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// ---- authorization helpers for tests ----

// AddAuthCode registers a single-use authorization code that GetToken can
// exchange for a token covering shopIDs.
func (s *Server) AddAuthCode(code string, shopIDs ...string) {
	s.mu.Lock()
	s.codes[code] = append([]string(nil), shopIDs...)
	s.mu.Unlock()
}

// IssueToken returns a fresh token covering shopIDs, as if the seller had
// authorized the app, without going through the auth host.
func (s *Server) IssueToken(shopIDs ...string) tiktok.Token {
	s.mu.Lock()
	g := s.newGrantLocked(shopIDs)
	s.mu.Unlock()
	return tiktok.Token{
		AccessToken:           g.access,
		AccessTokenExpiresAt:  g.accessExpiry,
		RefreshToken:          g.refresh,
		RefreshTokenExpiresAt: g.refreshExpiry,
		OpenID:                g.openID,
		SellerName:            g.sellerName,
	}
}

// ShopAuth returns what a shop-scoped call needs for shopID with token.
func (s *Server) ShopAuth(shopID string, token tiktok.Token) tiktok.ShopAuth {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sh := s.shops[shopID]
	if sh == nil {
		s.tb.Fatalf("tiktoktest: unknown shop %q", shopID)
	}
	return tiktok.ShopAuth{ID: shopID, Cipher: sh.info.Cipher, AccessToken: token.AccessToken}
}

// ExpireAccessTokens makes every access token issued so far expired.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for _, g := range s.access {
		g.accessExpiry = past
	}
}
