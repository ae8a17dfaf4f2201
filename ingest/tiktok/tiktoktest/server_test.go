package tiktoktest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
)

type answer struct {
	status    int
	header    http.Header
	Code      int             `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

// raw sends a hand-built request; edit may change it after signing.
func raw(t *testing.T, srv *tiktoktest.Server, method, path string, q url.Values, body string, token string, edit func(*http.Request, url.Values)) answer {
	t.Helper()
	q.Set("app_key", srv.AppKey())
	q.Set("timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	q.Set("sign", tiktok.Sign(srv.AppSecret(), path, q, b))
	req, err := http.NewRequest(method, srv.APIURL()+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-tts-access-token", token)
	if edit != nil {
		edit(req, q)
	}
	req.URL.RawQuery = q.Encode()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	json.Unmarshal(data, &a)
	return a
}

func TestFakeChecksEveryRequest(t *testing.T) {
	srv := tiktoktest.New(t, tiktoktest.Options{})
	sh := srv.AddShop(tiktoktest.Shop{ID: "1"})
	tok := srv.IssueToken("1")
	const search = "/order/202309/orders/search"
	good := func() url.Values {
		return url.Values{"shop_cipher": {sh.Cipher}, "page_size": {"10"}, "sort_field": {"update_time"}, "sort_order": {"ASC"}}
	}
	tests := []struct {
		name     string
		path     string
		q        url.Values
		body     string
		token    string
		edit     func(*http.Request, url.Values)
		wantCode int
	}{
		{"good", search, good(), `{}`, tok.AccessToken, nil, 0},
		{"body changed after signing", search, good(), `{"update_time_ge":1}`, tok.AccessToken, func(r *http.Request, _ url.Values) {
			r.Body = io.NopCloser(bytes.NewReader([]byte(`{"update_time_ge":2}`)))
			r.ContentLength = int64(len(`{"update_time_ge":2}`))
		}, tiktok.CodeInvalidSign},
		{"query changed after signing", search, good(), `{}`, tok.AccessToken, func(_ *http.Request, q url.Values) { q.Set("page_size", "20") }, tiktok.CodeInvalidSign},
		{"no sign", search, good(), `{}`, tok.AccessToken, func(_ *http.Request, q url.Values) { q.Del("sign") }, tiktok.CodeInvalidSign},
		{"stale timestamp", search, good(), `{}`, tok.AccessToken, func(_ *http.Request, q url.Values) {
			q.Set("timestamp", strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10))
			q.Set("sign", tiktok.Sign(srv.AppSecret(), search, q, []byte(`{}`)))
		}, tiktok.CodeInvalidParam},
		{"no access token", search, good(), `{}`, "", nil, tiktok.CodeInvalidAccessToken},
		{"no shop cipher", search, url.Values{"page_size": {"10"}, "sort_field": {"update_time"}, "sort_order": {"ASC"}}, `{}`, tok.AccessToken, nil, tiktok.CodeInvalidShopCipher},
		{"page size 101", search, func() url.Values { q := good(); q.Set("page_size", "101"); return q }(), `{}`, tok.AccessToken, nil, tiktok.CodeInvalidParam},
		{"bad page token", search, func() url.Values { q := good(); q.Set("page_token", "garbage!"); return q }(), `{}`, tok.AccessToken, nil, tiktok.CodeInvalidParam},
		{"unknown path", "/order/202309/nothing", good(), `{}`, tok.AccessToken, nil, tiktok.CodeInvalidPath},
		{"wrong method", search, good(), "", tok.AccessToken, func(r *http.Request, _ url.Values) { r.Method = http.MethodGet }, 36009010},
		{"wrong content type", search, good(), `{}`, tok.AccessToken, func(r *http.Request, _ url.Values) { r.Header.Set("Content-Type", "text/plain") }, tiktok.CodeInvalidParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := raw(t, srv, http.MethodPost, tt.path, tt.q, tt.body, tt.token, tt.edit)
			if a.Code != tt.wantCode {
				t.Fatalf("code = %d (%s, HTTP %d), want %d", a.Code, a.Message, a.status, tt.wantCode)
			}
			if a.RequestID == "" {
				t.Fatal("no request_id")
			}
		})
	}
}

func TestFakeMessagesAscending(t *testing.T) {
	srv := tiktoktest.New(t, tiktoktest.Options{})
	sh := srv.AddShop(tiktoktest.Shop{ID: "1"})
	tok := srv.IssueToken("1")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 25 {
		srv.AddMessages("1", "c1", tiktoktest.Message{ID: fmt.Sprintf("m%02d", i), Role: "BUYER", CreateTime: base.Add(time.Duration(i) * time.Second)})
	}
	var ids []string
	token := ""
	for range 10 {
		q := url.Values{"shop_cipher": {sh.Cipher}, "page_size": {"10"}, "sort_order": {"ASC"}}
		if token != "" {
			q.Set("page_token", token)
		}
		a := raw(t, srv, http.MethodGet, "/customer_service/202309/conversations/c1/messages", q, "", tok.AccessToken, nil)
		if a.Code != 0 {
			t.Fatalf("code %d: %s", a.Code, a.Message)
		}
		var d struct {
			Messages []struct {
				ID string `json:"id"`
			} `json:"messages"`
			NextPageToken string `json:"next_page_token"`
		}
		if err := json.Unmarshal(a.Data, &d); err != nil {
			t.Fatal(err)
		}
		for _, m := range d.Messages {
			ids = append(ids, m.ID)
		}
		if token = d.NextPageToken; token == "" {
			break
		}
	}
	if len(ids) != 25 || ids[0] != "m00" || ids[24] != "m24" {
		t.Fatalf("ids = %v", ids)
	}
	if n := srv.Count("/customer_service/202309/conversations/{conversation_id}/messages"); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

func TestFakeFaults(t *testing.T) {
	srv := tiktoktest.New(t, tiktoktest.Options{})
	srv.AddShop(tiktoktest.Shop{ID: "1"})
	tok := srv.IssueToken("1")
	srv.RateLimit(1, 1500*time.Millisecond)
	srv.Unavailable(1)
	a := raw(t, srv, http.MethodGet, "/authorization/202309/shops", url.Values{}, "", tok.AccessToken, nil)
	if a.status != http.StatusTooManyRequests || a.Code != tiktok.CodeTooManyRequests || a.header.Get("Retry-After") != "2" {
		t.Fatalf("first answer: HTTP %d code %d Retry-After %q", a.status, a.Code, a.header.Get("Retry-After"))
	}
	a = raw(t, srv, http.MethodGet, "/authorization/202309/shops", url.Values{}, "", tok.AccessToken, nil)
	if a.status != http.StatusServiceUnavailable {
		t.Fatalf("second answer: HTTP %d", a.status)
	}
	a = raw(t, srv, http.MethodGet, "/authorization/202309/shops", url.Values{}, "", tok.AccessToken, nil)
	if a.status != http.StatusOK || a.Code != 0 {
		t.Fatalf("third answer: HTTP %d code %d", a.status, a.Code)
	}
	if srv.Count("/authorization/202309/shops") != 3 || srv.Total() != 3 {
		t.Fatalf("counts: %d, %d", srv.Count("/authorization/202309/shops"), srv.Total())
	}

	srv.SetPageLatency(50 * time.Millisecond)
	start := time.Now()
	raw(t, srv, http.MethodGet, "/authorization/202309/shops", url.Values{}, "", tok.AccessToken, nil)
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Fatalf("page latency not applied: %v", took)
	}
}
