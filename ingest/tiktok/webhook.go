package tiktok

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SignWebhook returns the Authorization header TikTok sends with a webhook:
// the lower-case hex HMAC-SHA256, keyed with the app secret, of the app key
// followed by the raw body.
func SignWebhook(appKey, appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(appKey))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhook reports whether authorization (the request's Authorization
// header) is TikTok's signature of body for this app. The comparison is
// constant-time; body must be the raw bytes as received.
func VerifyWebhook(appKey, appSecret string, authorization string, body []byte) bool {
	got, err := hex.DecodeString(strings.TrimSpace(authorization))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(appKey))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// NotificationType is a webhook's type number.
type NotificationType int

// Webhook types shopwatch handles.
const (
	// OrderStatusChange (1): an order's status changed.
	OrderStatusChange NotificationType = 1
	// ReturnStatusChange (12): a return or refund changed.
	ReturnStatusChange NotificationType = 12
	// NewMessage (14): a customer-service message was sent or received.
	NewMessage NotificationType = 14
)

// String returns TikTok's name for the type.
func (t NotificationType) String() string {
	switch t {
	case OrderStatusChange:
		return "ORDER_STATUS_CHANGE"
	case ReturnStatusChange:
		return "RETURN_STATUS_CHANGE"
	case NewMessage:
		return "NEW_MESSAGE"
	}
	return fmt.Sprintf("NotificationType(%d)", int(t))
}

// Notification is a webhook body. Decode Data with the typed methods.
type Notification struct {
	Type NotificationType `json:"type"`
	// ID is tts_notification_id; deliveries may repeat, so de-duplicate
	// on it.
	ID     string `json:"tts_notification_id"`
	ShopID string `json:"shop_id"`
	// Timestamp is when TikTok sent the notification, in Unix seconds.
	Timestamp int64           `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// ErrWrongNotificationType is returned by a typed decoder called on a
// notification of another type.
var ErrWrongNotificationType = errors.New("tiktok: wrong notification type")

// ParseNotification decodes a webhook body (verify it first with
// VerifyWebhook).
func ParseNotification(body []byte) (Notification, error) {
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return Notification{}, fmt.Errorf("tiktok: parse notification: %w", err)
	}
	if n.Type == 0 {
		return Notification{}, errors.New("tiktok: parse notification: no type")
	}
	return n, nil
}

// Time returns the notification's timestamp.
func (n Notification) Time() time.Time { return unixTime(n.Timestamp) }

// WebhookWindow is how far a notification's timestamp may be from now,
// either way. A signed body from further away is a replay (or comes from a
// badly wrong clock): it is refused, as Slack refuses requests more than
// five minutes old.
const WebhookWindow = 5 * time.Minute

// ErrStaleNotification is returned by CheckTime for a notification with
// no timestamp or one outside WebhookWindow.
var ErrStaleNotification = errors.New("tiktok: notification timestamp outside the accepted window")

// CheckTime returns an error wrapping ErrStaleNotification unless the
// notification's timestamp is within WebhookWindow of now.
func (n Notification) CheckTime(now time.Time) error {
	if n.Timestamp == 0 {
		return fmt.Errorf("%w: no timestamp", ErrStaleNotification)
	}
	if d := now.Sub(n.Time()); d > WebhookWindow || d < -WebhookWindow {
		return fmt.Errorf("%w: sent %s, %v from now (at most %v either way)", ErrStaleNotification, n.Time().UTC().Format(time.RFC3339), d.Round(time.Second), WebhookWindow)
	}
	return nil
}

// OrderStatusChangeData is the data of an ORDER_STATUS_CHANGE (type 1)
// notification.
type OrderStatusChangeData struct {
	OrderID       string `json:"order_id"`
	OrderStatus   string `json:"order_status"`
	IsOnHoldOrder bool   `json:"is_on_hold_order"`
	// UpdateTime is in Unix seconds.
	UpdateTime int64 `json:"update_time"`
}

// ReturnStatusChangeData is the data of a RETURN_STATUS_CHANGE (type 12)
// notification.
type ReturnStatusChangeData struct {
	OrderID      string `json:"order_id"`
	ReturnID     string `json:"return_id"`
	ReturnRole   string `json:"return_role"`
	ReturnType   string `json:"return_type"`
	ReturnStatus string `json:"return_status"`
	// CreateTime and UpdateTime are in Unix seconds.
	CreateTime int64 `json:"create_time"`
	UpdateTime int64 `json:"update_time"`
}

// NewMessageData is the data of a NEW_MESSAGE (type 14) notification.
type NewMessageData struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	Index          string `json:"index"`
	Type           string `json:"type"`
	// Content is JSON-serialised, as in Message.Content.
	Content string `json:"content"`
	// CreateTime is in Unix seconds.
	CreateTime int64 `json:"create_time"`
	IsVisible  bool  `json:"is_visible"`
	Sender     struct {
		Role     string `json:"role"`
		IMUserID string `json:"im_user_id"`
	} `json:"sender"`
}

// Message returns the notification's message in the shape Messages returns.
func (d NewMessageData) Message() Message {
	return Message{
		ID:         d.MessageID,
		Index:      d.Index,
		Type:       d.Type,
		Content:    d.Content,
		CreateTime: unixTime(d.CreateTime),
		IsVisible:  d.IsVisible,
		Sender:     Sender{Role: d.Sender.Role, IMUserID: d.Sender.IMUserID},
	}
}

// OrderStatusChange decodes the data of a type 1 notification.
func (n Notification) OrderStatusChange() (OrderStatusChangeData, error) {
	var d OrderStatusChangeData
	return d, n.decode(OrderStatusChange, &d)
}

// ReturnStatusChange decodes the data of a type 12 notification.
func (n Notification) ReturnStatusChange() (ReturnStatusChangeData, error) {
	var d ReturnStatusChangeData
	return d, n.decode(ReturnStatusChange, &d)
}

// NewMessage decodes the data of a type 14 notification.
func (n Notification) NewMessage() (NewMessageData, error) {
	var d NewMessageData
	return d, n.decode(NewMessage, &d)
}

func (n Notification) decode(want NotificationType, v any) error {
	if n.Type != want {
		return fmt.Errorf("%w: have %v, want %v", ErrWrongNotificationType, n.Type, want)
	}
	if err := json.Unmarshal(n.Data, v); err != nil {
		return fmt.Errorf("tiktok: decode %v data: %w", want, err)
	}
	return nil
}

// VerifyWebhook reports whether authorization (the request's Authorization
// header) is TikTok's signature of body for the client's app; see the
// package-level VerifyWebhook.
func (cl *Client) VerifyWebhook(authorization string, body []byte) bool {
	return VerifyWebhook(cl.appKey, cl.appSecret, authorization, body)
}
