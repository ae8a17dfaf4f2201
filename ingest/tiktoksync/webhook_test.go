package tiktoksync_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
)

// waitFor polls cond until it holds or 10 s pass.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWebhook(t *testing.T) {
	f := MustFixture(t, fixtureOptions{sync: func(o *tiktoksync.Options) { o.Every = time.Hour }})
	f.MustAuthorize(t, shopID)
	handledN := f.MustRun(t)
	var queued atomic.Int64
	web := httptest.NewServer(f.s.WebhookHandler())
	t.Cleanup(web.Close)

	post := func(t *testing.T, method string, body []byte, auth string) int {
		t.Helper()
		req, err := http.NewRequest(method, web.URL+"/tiktok/webhook", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if took := time.Since(start); took > time.Second {
			t.Fatalf("the webhook took %v to answer; TikTok wants 3 s at most", took)
		}
		return resp.StatusCode
	}
	// accepted posts a notification the worker will handle.
	accepted := func(t *testing.T, body []byte, auth string) {
		t.Helper()
		if code := post(t, http.MethodPost, body, auth); code != http.StatusOK {
			t.Fatalf("HTTP %d, want 200", code)
		}
		queued.Add(1)
	}
	handled := func(t *testing.T) {
		t.Helper()
		waitFor(t, "the worker", func() bool { return handledN.Load() == queued.Load() })
	}
	nothingHandled := func(t *testing.T) {
		t.Helper()
		time.Sleep(100 * time.Millisecond)
		if h, q := handledN.Load(), queued.Load(); h != q {
			t.Fatalf("the worker handled %d notifications, %d were accepted", h, q)
		}
	}

	now := f.now()
	f.srv.PutOrders(shopID, tiktoktest.Order{ID: "o-hook", Status: "DELIVERED", CreateTime: now.Add(-48 * time.Hour), UpdateTime: now.Add(-time.Minute),
		DeliveryTime: now.Add(-time.Hour), LineItems: []tiktoktest.LineItem{{ID: "li-1", ProductID: "p-1", ProductName: "Serum"}, {ID: "li-2", ProductID: "p-2"}}})
	orderBody, orderAuth := f.srv.Webhook(tiktok.OrderStatusChange, shopID, map[string]any{"order_id": "o-hook", "order_status": "DELIVERED", "update_time": now.Unix()})

	t.Run("bad signatures change nothing", func(t *testing.T) {
		bad := []byte(orderAuth)
		bad[0] ^= 1
		for _, auth := range []string{string(bad), "", "not hex"} {
			if code := post(t, http.MethodPost, orderBody, auth); code != http.StatusUnauthorized {
				t.Fatalf("Authorization %q: HTTP %d, want 401", auth, code)
			}
		}
		tampered := bytes.Replace(orderBody, []byte("o-hook"), []byte("o-hoox"), 1)
		if code := post(t, http.MethodPost, tampered, orderAuth); code != http.StatusUnauthorized {
			t.Fatalf("tampered body: HTTP %d, want 401", code)
		}
		nothingHandled(t)
		if c := f.count(t, `SELECT COUNT(*) FROM tiktok_notifications`); c != 0 {
			t.Fatalf("%d notifications recorded", c)
		}
		if c := f.srv.Count(routeDetail); c != 0 {
			t.Fatalf("%d order fetches", c)
		}
	})
	t.Run("order status change", func(t *testing.T) {
		accepted(t, orderBody, orderAuth)
		handled(t)
		if c := f.count(t, `SELECT COUNT(*) FROM orders WHERE order_id = 'o-hook' AND delivered_at IS NOT NULL`); c != 1 {
			t.Fatal("the order was not imported")
		}
		if lines := f.orderLines(t); lines != 2 {
			t.Fatalf("%d order lines, want 2", lines)
		}
		f.rollupExact(t)
	})
	t.Run("replayed", func(t *testing.T) {
		for range 2 {
			accepted(t, orderBody, orderAuth) // 200: TikTok must not retry it
		}
		handled(t)
		if c := f.srv.Count(routeDetail); c != 1 {
			t.Fatalf("%d order fetches, want 1: repeats are dropped", c)
		}
	})
	// signed builds a signed body of an order notification by hand.
	signed := func(t *testing.T, n tiktok.Notification) ([]byte, string) {
		t.Helper()
		body, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		return body, tiktok.SignWebhook(f.srv.AppKey(), f.srv.AppSecret(), body)
	}
	t.Run("timestamp outside the window", func(t *testing.T) {
		fetches := f.srv.Count(routeDetail)
		for _, tt := range []struct {
			name string
			at   int64
		}{
			{"a year ago", now.AddDate(-1, 0, 0).Unix()},
			{"six minutes ago", now.Add(-6 * time.Minute).Unix()},
			{"six minutes ahead", now.Add(6 * time.Minute).Unix()},
			{"no timestamp", 0},
		} {
			body, auth := signed(t, tiktok.Notification{Type: tiktok.OrderStatusChange, ID: "late-" + tt.name, ShopID: shopID, Timestamp: tt.at,
				Data: json.RawMessage(`{"order_id":"o-hook"}`)})
			if code := post(t, http.MethodPost, body, auth); code != http.StatusBadRequest {
				t.Fatalf("%s: HTTP %d, want 400", tt.name, code)
			}
		}
		nothingHandled(t)
		if c := f.srv.Count(routeDetail); c != fetches {
			t.Fatalf("%d order fetches for refused notifications", c-fetches)
		}
	})
	t.Run("within the window", func(t *testing.T) {
		fetches := f.srv.Count(routeDetail)
		body, auth := signed(t, tiktok.Notification{Type: tiktok.OrderStatusChange, ID: "n-4min", ShopID: shopID, Timestamp: now.Add(-4 * time.Minute).Unix(),
			Data: json.RawMessage(`{"order_id":"o-hook"}`)})
		accepted(t, body, auth)
		handled(t)
		if c := f.srv.Count(routeDetail); c != fetches+1 {
			t.Fatalf("%d order fetches, want 1", c-fetches)
		}
	})
	t.Run("repeats without an id", func(t *testing.T) {
		fetches := f.srv.Count(routeDetail)
		body, auth := signed(t, tiktok.Notification{Type: tiktok.OrderStatusChange, ShopID: shopID, Timestamp: now.Unix(),
			Data: json.RawMessage(`{"order_id":"o-hook","update_time":1}`)})
		for range 3 {
			accepted(t, body, auth)
		}
		handled(t)
		if c := f.srv.Count(routeDetail); c != fetches+1 {
			t.Fatalf("%d order fetches, want 1: a body repeated without an id is dropped by its hash", c-fetches)
		}
	})
	t.Run("return status change", func(t *testing.T) {
		f.srv.PutReturns(shopID, tiktoktest.Return{ID: "r-hook", OrderID: "o-hook", Reason: "ecom_order_delivered_refund_reason_wrong_item",
			Type: "REFUND", Status: "RETURN_OR_REFUND_REQUEST_PENDING", CreateTime: now, UpdateTime: now,
			LineItems: []tiktoktest.ReturnLineItem{{ID: "rl", OrderLineItemID: "li-2"}}})
		body, auth := f.srv.Webhook(tiktok.ReturnStatusChange, shopID, map[string]any{"order_id": "o-hook", "return_id": "r-hook", "return_status": "RETURN_OR_REFUND_REQUEST_PENDING"})
		accepted(t, body, auth)
		handled(t)
		if c := f.count(t, `SELECT COUNT(*) FROM returns WHERE return_id = 'r-hook' AND product_id = 'p-2' AND status = 'requested' AND type = 'refund'`); c != 1 {
			t.Fatal("the return was not imported with its product")
		}
	})
	t.Run("new message", func(t *testing.T) {
		body, auth := f.srv.Webhook(tiktok.NewMessage, shopID, map[string]any{
			"conversation_id": "conv-h", "message_id": "mh-1", "type": "TEXT", "content": `{"content":"is it vegan?"}`,
			"create_time": now.Unix(), "is_visible": true, "sender": map[string]any{"role": "BUYER", "im_user_id": "u1"}})
		accepted(t, body, auth)
		handled(t)
		if c := f.count(t, `SELECT COUNT(*) FROM chat_messages WHERE message_id = 'mh-1' AND sender = 'buyer' AND text = 'is it vegan?' AND conversation_id = 'conv-h'`); c != 1 {
			t.Fatal("the message was not recorded")
		}
		if c := f.count(t, `SELECT COUNT(*) FROM chat_turns WHERE conversation_id = 'conv-h' AND reply_at IS NULL`); c != 1 {
			t.Fatal("the message does not open a turn")
		}
	})
	t.Run("other types and bodies", func(t *testing.T) {
		body, auth := f.srv.Webhook(tiktok.NotificationType(99), shopID, map[string]any{})
		if code := post(t, http.MethodPost, body, auth); code != http.StatusOK {
			t.Fatalf("unknown type: HTTP %d, want 200", code)
		}
		garbage := []byte("not json")
		if code := post(t, http.MethodPost, garbage, tiktok.SignWebhook(f.srv.AppKey(), f.srv.AppSecret(), garbage)); code != http.StatusBadRequest {
			t.Fatalf("signed garbage: HTTP %d, want 400", code)
		}
		if code := post(t, http.MethodGet, nil, ""); code != http.StatusMethodNotAllowed {
			t.Fatalf("GET: HTTP %d, want 405", code)
		}
		nothingHandled(t)
	})
	t.Run("answers at once while TikTok is slow", func(t *testing.T) {
		f.srv.SetPageLatency(5 * time.Second)
		defer f.srv.SetPageLatency(0)
		body, auth := f.srv.Webhook(tiktok.OrderStatusChange, shopID, map[string]any{"order_id": "o-hook"})
		accepted(t, body, auth) // post fails past 1 s
	})
}
