package tiktok

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Sign returns TikTok Shop's request signature: take the query parameters
// except "sign" and "access_token", sort the keys, concatenate key+value with
// no separators, prepend the path, append the raw body, wrap the whole string
// in the app secret on both sides and return the lower-case hex HMAC-SHA256 of
// it keyed with the app secret.
//
// Pass a nil body for GET requests and for multipart/form-data requests, whose
// body is not signed (SignRequest does that by itself). A key with several
// values contributes its values joined by commas; the Open API itself never
// sends repeated keys.
//
// The steps follow the signing description in mixos-go/tiktok-shop
// (sdk/src/client.ts) and TikTok's public test vector: secret "app_secret",
// path "/test-api", query foo=bar, no body →
// d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f.
func Sign(appSecret, path string, query url.Values, body []byte) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		if k == "sign" || k == "access_token" {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)

	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(appSecret))
	mac.Write([]byte(path))
	for _, k := range keys {
		mac.Write([]byte(k))
		mac.Write([]byte(strings.Join(query[k], ",")))
	}
	mac.Write(body)
	mac.Write([]byte(appSecret))
	return hex.EncodeToString(mac.Sum(nil))
}

// SignRequest signs r as the Open API expects: r's URL path and query, and
// body unless r's Content-Type is multipart/form-data, in which case the body
// is left out of the signature. body must be the exact bytes sent as r's body
// (r.Body is not read).
func SignRequest(appSecret string, r *http.Request, body []byte) string {
	if IsMultipart(r.Header.Get("Content-Type")) {
		body = nil
	}
	return Sign(appSecret, r.URL.Path, r.URL.Query(), body)
}

// IsMultipart reports whether a Content-Type header value is
// multipart/form-data, whose body TikTok leaves out of the signature.
func IsMultipart(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "multipart/form-data"
}

// ValidSignature reports, in constant time, whether sign is the signature of
// the given request parts.
func ValidSignature(appSecret, sign, path string, query url.Values, body []byte) bool {
	want := Sign(appSecret, path, query, body)
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sign))) == 1
}
