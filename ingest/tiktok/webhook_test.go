package tiktok_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
)

func TestVerifyWebhook(t *testing.T) {
	const key, secret = "app_key_1", "app_secret_1"
	body := []byte(`{"type":1,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1644412885,"data":{"order_id":"576462243279113066","order_status":"DELIVERED","update_time":1644412884}}`)
	good := tiktok.SignWebhook(key, secret, body)
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = '5'
	tests := []struct {
		name   string
		key    string
		secret string
		auth   string
		body   []byte
		want   bool
	}{
		{"good", key, secret, good, body, true},
		{"good with spaces", key, secret, " " + good + " ", body, true},
		{"upper-case hex", key, secret, upper(good), body, true},
		{"tampered body", key, secret, good, tampered, false},
		{"wrong secret", key, "other", good, body, false},
		{"wrong app key", "other", secret, good, body, false},
		{"empty header", key, secret, "", body, false},
		{"not hex", key, secret, "zz" + good[2:], body, false},
		{"truncated", key, secret, good[:62], body, false},
		{"signature over body only", key, secret, tiktok.SignWebhook("", secret, body), body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tiktok.VerifyWebhook(tt.key, tt.secret, tt.auth, tt.body); got != tt.want {
				t.Fatalf("VerifyWebhook = %v, want %v", got, tt.want)
			}
		})
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestNotifications(t *testing.T) {
	srv := tiktoktest.New(t, tiktoktest.Options{})

	t.Run("order status change", func(t *testing.T) {
		body, auth := srv.Webhook(tiktok.OrderStatusChange, "7495001", map[string]any{
			"order_id": "576462243279113066", "order_status": "DELIVERED", "is_on_hold_order": false, "update_time": 1644412884})
		if !tiktok.VerifyWebhook(srv.AppKey(), srv.AppSecret(), auth, body) {
			t.Fatal("fake's webhook does not verify")
		}
		n, err := tiktok.ParseNotification(body)
		if err != nil {
			t.Fatal(err)
		}
		if n.Type != tiktok.OrderStatusChange || n.ShopID != "7495001" || n.ID == "" || n.Time().IsZero() {
			t.Fatalf("notification = %+v", n)
		}
		d, err := n.OrderStatusChange()
		if err != nil {
			t.Fatal(err)
		}
		if d.OrderID != "576462243279113066" || d.OrderStatus != "DELIVERED" || d.UpdateTime != 1644412884 {
			t.Fatalf("data = %+v", d)
		}
		if _, err := n.NewMessage(); !errors.Is(err, tiktok.ErrWrongNotificationType) {
			t.Fatalf("NewMessage on type 1: err = %v, want ErrWrongNotificationType", err)
		}
	})

	t.Run("return status change", func(t *testing.T) {
		body, _ := srv.Webhook(tiktok.ReturnStatusChange, "7495001", map[string]any{
			"order_id": "576", "return_id": "4035", "return_role": "BUYER", "return_type": "REFUND",
			"return_status": "RETURN_OR_REFUND_REQUEST_PENDING", "create_time": 1, "update_time": 2})
		n, err := tiktok.ParseNotification(body)
		if err != nil {
			t.Fatal(err)
		}
		d, err := n.ReturnStatusChange()
		if err != nil {
			t.Fatal(err)
		}
		if d.ReturnID != "4035" || d.OrderID != "576" || d.ReturnStatus != "RETURN_OR_REFUND_REQUEST_PENDING" || d.UpdateTime != 2 {
			t.Fatalf("data = %+v", d)
		}
	})

	t.Run("new message", func(t *testing.T) {
		body, _ := srv.Webhook(tiktok.NewMessage, "7495001", map[string]any{
			"conversation_id": "c1", "message_id": "m1", "type": "TEXT", "content": `{"content":"hi"}`,
			"create_time": 1700000000, "is_visible": true, "index": "1700000000000001",
			"sender": map[string]string{"role": "BUYER", "im_user_id": "u1"}})
		n, err := tiktok.ParseNotification(body)
		if err != nil {
			t.Fatal(err)
		}
		d, err := n.NewMessage()
		if err != nil {
			t.Fatal(err)
		}
		m := d.Message()
		if d.ConversationID != "c1" || m.ID != "m1" || m.Text() != "hi" || m.Sender.Role != "BUYER" {
			t.Fatalf("data = %+v, message = %+v", d, m)
		}
		if s, _ := m.SpecSender(); s != tiktok.SenderBuyer {
			t.Fatalf("sender = %q", s)
		}
	})

	t.Run("garbage", func(t *testing.T) {
		for _, body := range []string{"", "{", `{"data":{}}`} {
			if _, err := tiktok.ParseNotification([]byte(body)); err == nil {
				t.Errorf("ParseNotification(%q) succeeded", body)
			}
		}
	})
}

func TestClientVerifyWebhook(t *testing.T) {
	srv := tiktoktest.New(t, tiktoktest.Options{})
	c := MustClient(t, srv, nil)
	body, auth := srv.Webhook(tiktok.NewMessage, "7495001", map[string]any{"conversation_id": "c1"})
	if !c.VerifyWebhook(auth, body) {
		t.Fatal("a webhook the fake signed does not verify with the client's app")
	}
	other := MustClient(t, srv, func(o *tiktok.Options) { o.AppSecret = "another secret" })
	if other.VerifyWebhook(auth, body) {
		t.Fatal("a webhook verifies with another app secret")
	}
}

func TestNotificationCheckTime(t *testing.T) {
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		at   int64
		ok   bool
	}{
		{"now", now.Unix(), true},
		{"five minutes ago", now.Add(-5 * time.Minute).Unix(), true},
		{"five minutes ahead", now.Add(5 * time.Minute).Unix(), true},
		{"a second too old", now.Add(-5*time.Minute - time.Second).Unix(), false},
		{"a second too far ahead", now.Add(5*time.Minute + time.Second).Unix(), false},
		{"a year ago", now.AddDate(-1, 0, 0).Unix(), false},
		{"no timestamp", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tiktok.Notification{Type: tiktok.NewMessage, Timestamp: tt.at}.CheckTime(now)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, tiktok.ErrStaleNotification)) {
				t.Fatalf("CheckTime = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
