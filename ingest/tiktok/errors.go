package tiktok

import (
	"errors"
	"fmt"
	"net/http"
)

// Response codes of the Open API that this package treats specially. The
// values come from TikTok's common-error tables as quoted in public code (see
// the package documentation).
const (
	// CodeOK is the code of a successful response.
	CodeOK = 0
	// CodeTooManyRequests is "Too many requests. You've made too many requests
	// in a short period of time." It is retried with backoff.
	CodeTooManyRequests = 36009002
	// CodeInternalError is "Internal error. Please try again." It is retried.
	CodeInternalError = 36009003
	// CodeInvalidParam is "invalid param error"; TikTok also answers it for a
	// timestamp more than 5 minutes off and for an unknown app_key.
	CodeInvalidParam = 36009004
	// CodeInvalidPath is "Invalid path": the endpoint does not exist for this
	// app or market. It is not a rate limit.
	CodeInvalidPath = 36009009
	// CodeInvalidAccessToken means the access token is invalid or revoked.
	CodeInvalidAccessToken = 105001
	// CodeExpiredAccessToken is "Expired credentials": refresh the token.
	CodeExpiredAccessToken = 105002
	// CodeScopeNotAuthorized means the seller did not grant the API's scope.
	CodeScopeNotAuthorized = 105005
	// CodeInvalidSign is "Invalid credentials. The 'sign' query parameter is
	// invalid."
	CodeInvalidSign = 106001
	// CodeInvalidShopCipher is answered for a missing or wrong shop_cipher.
	// The code is taken from third-party error mappers, not from TikTok's own
	// table; treat it as informational.
	CodeInvalidShopCipher = 106013
)

var (
	// ErrTokenExpired reports that the access token is expired or invalid;
	// the caller should refresh it (RefreshToken) and try again. Check it
	// with errors.Is.
	ErrTokenExpired = errors.New("tiktok: access token expired or invalid")
	// ErrRateLimited reports a rate limit (HTTP 429 or code 36009002). The
	// client retries these itself; the error reaches the caller only once
	// the retries are used up.
	ErrRateLimited = errors.New("tiktok: rate limited")
	// ErrStopPaging, returned by the callback of an Each helper, ends the
	// paging early; the helper then returns a nil error.
	ErrStopPaging = errors.New("tiktok: stop paging")
)

// APIError is an error answer of the Open API or the auth host: a non-zero
// code in the response envelope, or an HTTP error status.
type APIError struct {
	// Code is the envelope's code; 0 when the body was not an envelope.
	Code int
	// Message is the envelope's message, or the HTTP status text.
	Message string
	// RequestID is the envelope's request_id, for TikTok support.
	RequestID string
	// HTTPStatus is the HTTP status code of the response.
	HTTPStatus int
}

// Error implements error.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("tiktok: code %d: %s", e.Code, e.Message)
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
		msg += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	if e.RequestID != "" {
		msg += " request_id=" + e.RequestID
	}
	return msg
}

// Is lets errors.Is match ErrTokenExpired and ErrRateLimited.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrTokenExpired:
		return e.Code == CodeExpiredAccessToken || e.Code == CodeInvalidAccessToken
	case ErrRateLimited:
		return e.Code == CodeTooManyRequests || e.HTTPStatus == http.StatusTooManyRequests
	}
	return false
}

// retryable reports whether the request that got e may be sent again.
func (e *APIError) retryable() bool {
	return e.Code == CodeTooManyRequests || e.Code == CodeInternalError ||
		e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500
}
