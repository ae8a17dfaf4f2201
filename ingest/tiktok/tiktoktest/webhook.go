package tiktoktest

import (
	"encoding/json"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
)

// Webhook returns a webhook body of type typ for shopID carrying data, with
// a fresh tts_notification_id and the fake's clock as timestamp, and the
// Authorization header TikTok would send with it (signed with the fake's app
// key and secret). Use it to test a webhook handler.
func (s *Server) Webhook(typ tiktok.NotificationType, shopID string, data any) (body []byte, authorization string) {
	s.tb.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		s.tb.Fatalf("tiktoktest: webhook data: %v", err)
	}
	body, err = json.Marshal(tiktok.Notification{
		Type:      typ,
		ID:        newToken("")[:19],
		ShopID:    shopID,
		Timestamp: s.now().Unix(),
		Data:      raw,
	})
	if err != nil {
		s.tb.Fatalf("tiktoktest: webhook: %v", err)
	}
	return body, tiktok.SignWebhook(s.opts.AppKey, s.opts.AppSecret, body)
}
