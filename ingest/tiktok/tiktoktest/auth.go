package tiktoktest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
)

// The auth host: it exchanges authorization codes for grants and refreshes
// them, as TikTok Shop's auth host does.

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
