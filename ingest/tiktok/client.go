package tiktok

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/internal/backoff"
)

// Default hosts of TikTok Shop's Open API and auth service.
const (
	DefaultAPIURL  = "https://open-api.tiktokglobalshop.com"
	DefaultAuthURL = "https://auth.tiktok-shops.com"
)

// Default retry and timeout settings, used where Options leaves them zero.
const (
	DefaultMaxAttempts    = 5
	DefaultRetryBaseDelay = 500 * time.Millisecond
	DefaultRetryMaxDelay  = 30 * time.Second
	DefaultRequestTimeout = 30 * time.Second
)

// maxResponseBytes bounds how much of a response body is read.
const maxResponseBytes = 64 << 20

// Options configure a Client. AppKey and AppSecret are required; every other
// field has a default.
type Options struct {
	// AppKey and AppSecret are the app's credentials from Partner Center.
	AppKey    string
	AppSecret string
	// APIURL is the Open API's base URL; default DefaultAPIURL. A path in
	// it is prepended to every API path but is not part of the signature.
	APIURL string
	// AuthURL is the auth host's base URL; default DefaultAuthURL.
	AuthURL string
	// HTTPClient sends the requests; default a new http.Client. Per-attempt
	// deadlines come from RequestTimeout, so it needs no Timeout of its own.
	HTTPClient *http.Client
	// Logger receives retry warnings and debug lines; default discards.
	// Secrets and tokens are never logged.
	Logger *slog.Logger
	// Clock stamps the timestamp parameter; default the real clock.
	Clock clockwork.Clock

	// MaxAttempts bounds how often one call is sent, counting the first
	// try; default DefaultMaxAttempts. 1 disables retries.
	MaxAttempts int
	// RetryBaseDelay is the first backoff delay, doubled per attempt with
	// jitter; default DefaultRetryBaseDelay.
	RetryBaseDelay time.Duration
	// RetryMaxDelay caps one backoff delay, including one asked for by a
	// Retry-After header; default DefaultRetryMaxDelay.
	RetryMaxDelay time.Duration
	// RequestTimeout bounds one attempt; a timed-out attempt is retried.
	// Default DefaultRequestTimeout.
	RequestTimeout time.Duration
}

// validate checks o and fills in defaults.
func (o *Options) validate() error {
	if o.AppKey == "" {
		return errors.New("tiktok: AppKey is required")
	}
	if o.AppSecret == "" {
		return errors.New("tiktok: AppSecret is required")
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if o.AuthURL == "" {
		o.AuthURL = DefaultAuthURL
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.MaxAttempts < 0 || o.RetryBaseDelay < 0 || o.RetryMaxDelay < 0 || o.RequestTimeout < 0 {
		return errors.New("tiktok: retry settings must not be negative")
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.RetryBaseDelay == 0 {
		o.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if o.RetryMaxDelay == 0 {
		o.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if o.RetryMaxDelay < o.RetryBaseDelay {
		o.RetryMaxDelay = o.RetryBaseDelay
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	return nil
}

// Client calls the TikTok Shop Open API and auth host. It is safe for
// concurrent use.
type Client struct {
	appKey    string
	appSecret string
	apiURL    *url.URL
	authURL   *url.URL
	http      *http.Client
	log       *slog.Logger
	clock     clockwork.Clock

	maxAttempts int
	baseDelay   time.Duration
	maxDelay    time.Duration
	timeout     time.Duration
}

// now is the time on the Client's clock.
func (c *Client) now() time.Time { return c.clock.Now() }

// New returns a Client for opts.
func New(opts Options) (*Client, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	apiURL, err := parseBaseURL(opts.APIURL)
	if err != nil {
		return nil, fmt.Errorf("tiktok: APIURL: %w", err)
	}
	authURL, err := parseBaseURL(opts.AuthURL)
	if err != nil {
		return nil, fmt.Errorf("tiktok: AuthURL: %w", err)
	}
	return &Client{
		appKey:      opts.AppKey,
		appSecret:   opts.AppSecret,
		apiURL:      apiURL,
		authURL:     authURL,
		http:        opts.HTTPClient,
		log:         opts.Logger.With("component", "tiktok"),
		clock:       opts.Clock,
		maxAttempts: opts.MaxAttempts,
		baseDelay:   opts.RetryBaseDelay,
		maxDelay:    opts.RetryMaxDelay,
		timeout:     opts.RequestTimeout,
	}, nil
}

func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// ShopAuth is what a shop-scoped call needs: the shop's cipher (from
// AuthorizedShops) and a valid access token. Its String and LogValue methods
// leave the token out.
type ShopAuth struct {
	// ID is the TikTok shop id; used for logs only.
	ID string
	// Cipher is the shop_cipher sent with every shop-scoped call.
	Cipher string
	// AccessToken is sent in the x-tts-access-token header.
	AccessToken string
}

// String implements fmt.Stringer without the access token.
func (s ShopAuth) String() string { return "shop " + s.ID }

// GoString implements fmt.GoStringer without the access token.
func (s ShopAuth) GoString() string { return fmt.Sprintf("tiktok.ShopAuth{ID:%q}", s.ID) }

// LogValue implements slog.LogValuer without the access token.
func (s ShopAuth) LogValue() slog.Value { return slog.StringValue(s.ID) }

// call describes one logical API call, which may be sent several times.
type call struct {
	method string
	base   *url.URL
	path   string     // path sent and signed, e.g. /order/202309/orders/search
	route  string     // path pattern for logs and errors
	query  url.Values // business parameters; common ones are added per attempt
	body   any        // JSON-encoded request body, or nil
	token  string     // x-tts-access-token, or ""
	signed bool       // add app_key, timestamp and sign
}

// envelope is the Open API's response wrapper.
type envelope[T any] struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	Data      T      `json:"data"`
}

// transportError is a failure to get any response: retried.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// do sends c, retrying what is retryable, and decodes the response's data.
func do[T any](ctx context.Context, cl *Client, c call) (T, error) {
	var zero T
	var body []byte
	if c.body != nil {
		var err error
		if body, err = json.Marshal(c.body); err != nil {
			return zero, fmt.Errorf("tiktok %s: encode request: %w", c.route, err)
		}
	}
	for attempt := 1; ; attempt++ {
		out, retryAfter, err := attemptCall[T](ctx, cl, c, body)
		if err == nil {
			return out, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return zero, fmt.Errorf("tiktok %s: %w", c.route, ctxErr)
		}
		if !retryable(err) {
			return zero, fmt.Errorf("tiktok %s: %w", c.route, err)
		}
		if attempt >= cl.maxAttempts {
			return zero, fmt.Errorf("tiktok %s: giving up after %d attempts: %w", c.route, attempt, err)
		}
		delay := cl.backoff(attempt, retryAfter)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
			return zero, fmt.Errorf("tiktok %s: no time left for a retry in %v before the deadline: %w", c.route, delay, err)
		}
		cl.log.LogAttrs(ctx, slog.LevelWarn, "tiktok request failed, retrying",
			slog.String("route", c.route), slog.Int("attempt", attempt),
			slog.Duration("delay", delay), slog.Any("err", err))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, fmt.Errorf("tiktok %s: %w (last error: %v)", c.route, ctx.Err(), err)
		case <-t.C:
		}
	}
}

func retryable(err error) bool {
	var te *transportError
	if errors.As(err, &te) {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.retryable()
}

// backoff returns the delay before attempt+1: the server's Retry-After when
// it gave one (retryAfter >= 0), else exponential from baseDelay with equal
// jitter; never more than maxDelay.
func (cl *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	return backoff.After(retryAfter, cl.maxDelay, backoff.Equal(backoff.Exponential(attempt, cl.baseDelay, cl.maxDelay)))
}

// attemptCall sends c once. retryAfter is -1 unless the response carried a
// Retry-After header.
func attemptCall[T any](ctx context.Context, cl *Client, c call, body []byte) (out T, retryAfter time.Duration, err error) {
	retryAfter = -1
	q := make(url.Values, len(c.query)+3)
	for k, v := range c.query {
		q[k] = v
	}
	if c.signed {
		q.Set("app_key", cl.appKey)
		q.Set("timestamp", strconv.FormatInt(cl.now().Unix(), 10))
		q.Set("sign", Sign(cl.appSecret, c.path, q, body))
	}
	u := *c.base
	u.Path = c.base.Path + c.path
	u.RawQuery = q.Encode()

	actx, cancel := context.WithTimeout(ctx, cl.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, c.method, u.String(), rd)
	if err != nil {
		return out, retryAfter, fmt.Errorf("build request: %w", stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("x-tts-access-token", c.token)
	}

	start := time.Now()
	resp, err := cl.http.Do(req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("attempt timed out after %v", cl.timeout)
		}
		return out, retryAfter, &transportError{stripURL(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("attempt timed out after %v", cl.timeout)
		}
		return out, retryAfter, &transportError{fmt.Errorf("read response: %w", stripURL(err))}
	}
	retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), cl.now())
	cl.log.LogAttrs(ctx, slog.LevelDebug, "tiktok request",
		slog.String("route", c.route), slog.Int("status", resp.StatusCode),
		slog.Int("bytes", len(raw)), slog.Duration("took", time.Since(start)))

	var env envelope[T]
	decodeErr := json.Unmarshal(raw, &env)
	if decodeErr != nil {
		// The data may not fit T when the call failed; look at the code alone.
		var bare envelope[json.RawMessage]
		if json.Unmarshal(raw, &bare) == nil {
			env.Code, env.Message, env.RequestID = bare.Code, bare.Message, bare.RequestID
			if env.Code == CodeOK {
				env.Code = -1 // data did not decode: report decodeErr below
			}
		} else {
			env.Code = -1
		}
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case ok && env.Code == CodeOK:
		return env.Data, retryAfter, nil
	case ok && env.Code == -1:
		return out, retryAfter, fmt.Errorf("decode response (HTTP %d): %w", resp.StatusCode, decodeErr)
	case env.Code == -1:
		return out, retryAfter, &APIError{Message: http.StatusText(resp.StatusCode), HTTPStatus: resp.StatusCode}
	}
	return out, retryAfter, &APIError{Code: env.Code, Message: env.Message, RequestID: env.RequestID, HTTPStatus: resp.StatusCode}
}

// stripURL drops the request URL from a transport error: on the auth host it
// carries the app secret, and on the Open API the signature.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date);
// -1 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return -1
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		if secs < 0 {
			return -1
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}

// apiCall returns a signed Open API call.
func (cl *Client) apiCall(method, path, route string, query url.Values, body any, token string) call {
	if route == "" {
		route = path
	}
	return call{method: method, base: cl.apiURL, path: path, route: route, query: query, body: body, token: token, signed: true}
}

// shopQuery returns query parameters carrying shop's cipher.
func shopQuery(shop ShopAuth) (url.Values, error) {
	if shop.Cipher == "" {
		return nil, fmt.Errorf("tiktok: %s: shop cipher is empty (see AuthorizedShops)", shop)
	}
	if shop.AccessToken == "" {
		return nil, fmt.Errorf("tiktok: %s: access token is empty", shop)
	}
	return url.Values{"shop_cipher": {shop.Cipher}}, nil
}

// unixTime converts a Unix-seconds field; 0 stays the zero time.
func unixTime(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// unixSeconds converts t for a request field; the zero time becomes 0.
func unixSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
