package tiktok

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Token is a seller's OAuth token pair from the auth host. Its String and
// LogValue methods leave both tokens out.
type Token struct {
	AccessToken           string
	AccessTokenExpiresAt  time.Time
	RefreshToken          string
	RefreshTokenExpiresAt time.Time
	// OpenID identifies the seller account that granted access.
	OpenID string
	// SellerName is the seller's name in Seller Center.
	SellerName string
	// SellerBaseRegion is the seller's home region, e.g. "TH".
	SellerBaseRegion string
	// UserType is 0 for a seller; other values are creators or partners.
	UserType int
	// GrantedScopes lists the API scopes the seller granted.
	GrantedScopes []string
}

// NeedsRefresh reports whether the access token expires within margin of now
// (or has expired), so the caller should refresh it before use.
func (t Token) NeedsRefresh(now time.Time, margin time.Duration) bool {
	return !now.Add(margin).Before(t.AccessTokenExpiresAt)
}

// String implements fmt.Stringer without the tokens.
func (t Token) String() string {
	return fmt.Sprintf("token for %q (open_id %s) expires %s", t.SellerName, t.OpenID, t.AccessTokenExpiresAt.Format(time.RFC3339))
}

// GoString implements fmt.GoStringer without the tokens.
func (t Token) GoString() string { return "tiktok.Token{" + t.String() + "}" }

// LogValue implements slog.LogValuer without the tokens.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("open_id", t.OpenID),
		slog.String("seller_name", t.SellerName),
		slog.Time("access_expires", t.AccessTokenExpiresAt),
		slog.Time("refresh_expires", t.RefreshTokenExpiresAt),
	)
}

// tokenData is the data of /api/v2/token/get and /api/v2/token/refresh. The
// *_expire_in fields are absolute Unix times, despite their names (see the
// Partner Center guide's sample: "access_token_expire_in": 1660556783).
type tokenData struct {
	AccessToken          string   `json:"access_token"`
	AccessTokenExpireIn  int64    `json:"access_token_expire_in"`
	RefreshToken         string   `json:"refresh_token"`
	RefreshTokenExpireIn int64    `json:"refresh_token_expire_in"`
	OpenID               string   `json:"open_id"`
	SellerName           string   `json:"seller_name"`
	SellerBaseRegion     string   `json:"seller_base_region"`
	UserType             int      `json:"user_type"`
	GrantedScopes        []string `json:"granted_scopes"`
}

func (d tokenData) token() Token {
	return Token{
		AccessToken:           d.AccessToken,
		AccessTokenExpiresAt:  unixTime(d.AccessTokenExpireIn),
		RefreshToken:          d.RefreshToken,
		RefreshTokenExpiresAt: unixTime(d.RefreshTokenExpireIn),
		OpenID:                d.OpenID,
		SellerName:            d.SellerName,
		SellerBaseRegion:      d.SellerBaseRegion,
		UserType:              d.UserType,
		GrantedScopes:         d.GrantedScopes,
	}
}

// GetToken exchanges an authorization code (from the seller's authorization
// redirect) for a token pair: GET {AuthURL}/api/v2/token/get with app_key,
// app_secret, auth_code and grant_type=authorized_code. Codes are single use:
// if an answer is lost after TikTok consumed the code, the retry fails and
// the seller has to authorize again.
func (cl *Client) GetToken(ctx context.Context, authCode string) (Token, error) {
	if authCode == "" {
		return Token{}, errors.New("tiktok: GetToken: empty authorization code")
	}
	return cl.tokenCall(ctx, "/api/v2/token/get", url.Values{
		"auth_code":  {authCode},
		"grant_type": {"authorized_code"},
	})
}

// RefreshToken gets a new access token with a refresh token: GET
// {AuthURL}/api/v2/token/refresh with grant_type=refresh_token. Store the
// returned pair; the refresh token may change.
func (cl *Client) RefreshToken(ctx context.Context, refreshToken string) (Token, error) {
	if refreshToken == "" {
		return Token{}, errors.New("tiktok: RefreshToken: empty refresh token")
	}
	return cl.tokenCall(ctx, "/api/v2/token/refresh", url.Values{
		"refresh_token": {refreshToken},
		"grant_type":    {"refresh_token"},
	})
}

func (cl *Client) tokenCall(ctx context.Context, path string, q url.Values) (Token, error) {
	q.Set("app_key", cl.appKey)
	q.Set("app_secret", cl.appSecret)
	d, err := do[tokenData](ctx, cl, call{method: http.MethodGet, base: cl.authURL, path: path, route: path, query: q})
	if err != nil {
		return Token{}, err
	}
	if d.AccessToken == "" {
		return Token{}, fmt.Errorf("tiktok %s: response has no access token", path)
	}
	return d.token(), nil
}

// Shop is a shop the seller authorized the app for, from
// GET /authorization/202309/shops.
type Shop struct {
	// ID is the TikTok shop id (the config's shop id).
	ID string `json:"id"`
	// Name is the shop's name.
	Name string `json:"name"`
	// Region is the shop's market, e.g. "TH".
	Region string `json:"region"`
	// SellerType is LOCAL or CROSS_BORDER.
	SellerType string `json:"seller_type"`
	// Cipher is the shop_cipher for shop-scoped calls.
	Cipher string `json:"cipher"`
	// Code is the shop code shown in Seller Center.
	Code string `json:"code"`
}

// AuthorizedShops lists the shops accessToken may act for, with their
// ciphers.
func (cl *Client) AuthorizedShops(ctx context.Context, accessToken string) ([]Shop, error) {
	if accessToken == "" {
		return nil, errors.New("tiktok: AuthorizedShops: empty access token")
	}
	const path = "/authorization/202309/shops"
	d, err := do[struct {
		Shops []Shop `json:"shops"`
	}](ctx, cl, cl.apiCall(http.MethodGet, path, "", nil, nil, accessToken))
	return d.Shops, err
}
