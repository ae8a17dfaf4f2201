package tiktoksync_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
)

// fuzzNow is the clock of the fuzzed webhook: seeds carry its Unix time,
// 1796529600, as their timestamp.
var fuzzNow = time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)

// FuzzWebhook posts arbitrary bodies, correctly signed, to the webhook of
// a running syncer over a real database and the fake TikTok. A body that
// is not a notification, or is dated outside the window, is refused with
// 400 and changes nothing; an accepted one is answered 200 and handled by
// the worker without a panic, recorded once, and a NEW_MESSAGE is stored
// whole (its id, conversation and shop) or rejected with a reason, never
// in part. Seeds are in testdata/fuzz/FuzzWebhook; plain `go test` runs
// them, `make fuzz` fuzzes the target for $(FUZZTIME).
func FuzzWebhook(f *testing.F) {
	fx := MustFixture(f, fixtureOptions{fake: tiktoktest.Options{Clock: clockwork.NewFakeClockAt(fuzzNow)},
		sync: func(o *tiktoksync.Options) { o.Every = time.Hour }})
	fx.MustAuthorize(f, shopID)
	fx.srv.PutOrders(shopID, tiktoktest.Order{ID: "o-1", Status: "DELIVERED", CreateTime: fuzzNow.Add(-48 * time.Hour), UpdateTime: fuzzNow.Add(-time.Minute),
		DeliveryTime: fuzzNow.Add(-time.Hour), LineItems: []tiktoktest.LineItem{{ID: "li-1", ProductID: "p-1", ProductName: "Serum"}}})
	fx.srv.PutReturns(shopID, tiktoktest.Return{ID: "r-1", OrderID: "o-1", Reason: "ecom_order_delivered_refund_reason_wrong_item",
		Type: "REFUND", Status: "RETURN_OR_REFUND_REQUEST_PENDING", CreateTime: fuzzNow, UpdateTime: fuzzNow,
		LineItems: []tiktoktest.ReturnLineItem{{ID: "rl", OrderLineItemID: "li-1"}}})
	handled := fx.MustRun(f)
	hook := fx.s.WebhookHandler()
	var queued int64
	tables := []string{"tiktok_notifications", "chat_messages", "chat_turns", "sync_rejects"}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, table := range tables { // each input on its own
			if _, err := fx.raw.Exec("DELETE FROM " + table); err != nil {
				t.Fatal(err)
			}
		}
		fetches, orders, returns := fx.srv.Total(), fx.count(t, `SELECT COUNT(*) FROM orders`), fx.count(t, `SELECT COUNT(*) FROM returns`)
		req := httptest.NewRequest(http.MethodPost, "/tiktok/webhook", bytes.NewReader(body))
		req.Header.Set("Authorization", tiktok.SignWebhook(fx.srv.AppKey(), fx.srv.AppSecret(), body))
		rr := httptest.NewRecorder()
		hook.ServeHTTP(rr, req)
		n, perr := tiktok.ParseNotification(body)
		switch rr.Code {
		case http.StatusBadRequest:
			if perr == nil && n.CheckTime(fuzzNow) == nil {
				t.Fatalf("refused a notification in the window: %s", rr.Body)
			}
			for _, table := range tables {
				if c := fx.count(t, "SELECT COUNT(*) FROM "+table); c != 0 {
					t.Fatalf("a refused body left %d rows in %s", c, table)
				}
			}
			if fx.srv.Total() != fetches || fx.count(t, `SELECT COUNT(*) FROM orders`) != orders || fx.count(t, `SELECT COUNT(*) FROM returns`) != returns {
				t.Fatal("a refused body fetched or imported")
			}
			return
		case http.StatusOK:
			if perr != nil || n.CheckTime(fuzzNow) != nil {
				t.Fatalf("accepted a body that is not a notification in the window: %v", perr)
			}
		default:
			t.Fatalf("HTTP %d %s, want 200 or 400", rr.Code, rr.Body)
		}
		switch n.Type {
		case tiktok.OrderStatusChange, tiktok.ReturnStatusChange, tiktok.NewMessage:
			queued++
			waitFor(t, "the worker", func() bool { return handled.Load() == queued })
		default:
			return
		}
		if c := fx.count(t, `SELECT COUNT(*) FROM tiktok_notifications`); c != 1 {
			t.Fatalf("%d notifications recorded, want 1", c)
		}
		checkMessage(t, fx, n)
	})
}

// checkMessage checks that what a NEW_MESSAGE stored is whole: its
// message, under its conversation and shop, or a reject naming it.
func checkMessage(t *testing.T, fx *fixture, n tiktok.Notification) {
	t.Helper()
	stored := fx.count(t, `SELECT COUNT(*) FROM chat_messages`)
	d, err := n.NewMessage()
	_, known := fx.db.Config().Shop(n.ShopID)
	if err != nil || d.MessageID == "" || d.ConversationID == "" || !known {
		if stored != 0 {
			t.Fatalf("%d messages stored from a notification without a message of a known shop", stored)
		}
		return
	}
	if stored > 1 {
		t.Fatalf("%d messages stored from one notification", stored)
	}
	whole := fx.count(t, `SELECT COUNT(*) FROM chat_messages WHERE message_id = ? AND conversation_id = ? AND shop = (SELECT id FROM shops WHERE shop_id = ?)`, d.MessageID, d.ConversationID, n.ShopID)
	rejected := fx.count(t, `SELECT COUNT(*) FROM sync_rejects WHERE record_id = ? AND problem <> ''`, d.MessageID)
	if whole+rejected != 1 || stored != whole {
		b, _ := json.Marshal(d)
		t.Fatalf("message %s: %d stored whole, %d stored in all, %d rejected", b, whole, stored, rejected)
	}
}
