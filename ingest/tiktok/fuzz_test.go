package tiktok_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
)

// FuzzParseNotification feeds arbitrary webhook bodies to the parser and
// the typed decoders: a body is either refused with an error or is a
// notification with a type that survives a round trip through JSON; the
// decoders of the other types refuse it with ErrWrongNotificationType,
// and CheckTime never accepts a missing timestamp. The HTTP side (signature,
// status codes, the worker, what is stored) is fuzzed by tiktoksync's
// FuzzWebhook. Seeds are in testdata/fuzz/FuzzParseNotification.
func FuzzParseNotification(f *testing.F) {
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := tiktok.ParseNotification(body)
		if err != nil {
			if !reflect.DeepEqual(n, tiktok.Notification{}) {
				t.Fatalf("an error and a notification %+v", n)
			}
			return
		}
		if n.Type == 0 {
			t.Fatal("a notification without a type")
		}
		again, err := json.Marshal(n)
		if err != nil {
			t.Fatalf("the notification does not marshal: %v", err)
		}
		back, err := tiktok.ParseNotification(again)
		if err != nil || back.Type != n.Type || back.ID != n.ID || back.ShopID != n.ShopID || back.Timestamp != n.Timestamp {
			t.Fatalf("round trip: %+v, %v; want %+v", back, err, n)
		}
		if n.Timestamp == 0 && n.CheckTime(now) == nil {
			t.Fatal("CheckTime accepted a notification without a timestamp")
		}
		decoders := map[tiktok.NotificationType]func() error{
			tiktok.OrderStatusChange:  func() error { _, err := n.OrderStatusChange(); return err },
			tiktok.ReturnStatusChange: func() error { _, err := n.ReturnStatusChange(); return err },
			tiktok.NewMessage:         func() error { d, err := n.NewMessage(); _ = d.Message().Text(); return err },
		}
		for typ, decode := range decoders {
			if err := decode(); typ != n.Type && !errors.Is(err, tiktok.ErrWrongNotificationType) {
				t.Fatalf("the %v decoder on a %v notification: %v", typ, n.Type, err)
			}
		}
	})
}
