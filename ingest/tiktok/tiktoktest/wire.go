package tiktoktest

import (
	"encoding/json"
	"fmt"
	"time"
)

// The records' wire shapes, as in the 202309 reference. They are written
// apart from the client's own (ingest/tiktok), from the reference: a fake
// that shared them would agree with the client's mistakes.

type wireOrder struct {
	ID           string         `json:"id"`
	Status       string         `json:"status"`
	CreateTime   int64          `json:"create_time"`
	UpdateTime   int64          `json:"update_time"`
	PaidTime     int64          `json:"paid_time,omitempty"`
	DeliveryTime int64          `json:"delivery_time,omitempty"`
	UserID       string         `json:"user_id,omitempty"`
	LineItems    []wireLineItem `json:"line_items"`
}

type wireLineItem struct {
	ID            string `json:"id"`
	ProductID     string `json:"product_id"`
	ProductName   string `json:"product_name"`
	SkuID         string `json:"sku_id"`
	SkuName       string `json:"sku_name"`
	SellerSku     string `json:"seller_sku"`
	DisplayStatus string `json:"display_status"`
	IsGift        bool   `json:"is_gift"`
	Currency      string `json:"currency"`
	SalePrice     string `json:"sale_price"`
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(u int64) time.Time {
	if u == 0 {
		return time.Time{}
	}
	return time.Unix(u, 0).UTC()
}

func orderRec(o Order) *rec {
	w := wireOrder{
		ID: o.ID, Status: o.Status, UserID: o.UserID,
		CreateTime: unix(o.CreateTime), UpdateTime: unix(o.UpdateTime),
		PaidTime: unix(o.PaidTime), DeliveryTime: unix(o.DeliveryTime),
		LineItems: make([]wireLineItem, len(o.LineItems)),
	}
	for i, li := range o.LineItems {
		w.LineItems[i] = wireLineItem{ID: li.ID, ProductID: li.ProductID, ProductName: li.ProductName,
			SkuID: li.SkuID, SkuName: li.SkuName, SellerSku: li.SellerSku, DisplayStatus: o.Status,
			Currency: "THB", SalePrice: "199"}
	}
	raw, _ := json.Marshal(w)
	return &rec{key: key{w.UpdateTime, o.ID}, created: w.CreateTime, status: o.Status, raw: raw}
}

func (w wireOrder) order() Order {
	o := Order{ID: w.ID, Status: w.Status, UserID: w.UserID,
		CreateTime: fromUnix(w.CreateTime), UpdateTime: fromUnix(w.UpdateTime),
		PaidTime: fromUnix(w.PaidTime), DeliveryTime: fromUnix(w.DeliveryTime)}
	for _, li := range w.LineItems {
		o.LineItems = append(o.LineItems, LineItem{ID: li.ID, ProductID: li.ProductID, ProductName: li.ProductName,
			SkuID: li.SkuID, SkuName: li.SkuName, SellerSku: li.SellerSku})
	}
	return o
}

type wireReturn struct {
	ReturnID          string               `json:"return_id"`
	OrderID           string               `json:"order_id"`
	ReturnReason      string               `json:"return_reason"`
	ReturnReasonText  string               `json:"return_reason_text"`
	ReturnType        string               `json:"return_type"`
	ReturnStatus      string               `json:"return_status"`
	ArbitrationStatus string               `json:"arbitration_status,omitempty"`
	Role              string               `json:"role"`
	CreateTime        int64                `json:"create_time"`
	UpdateTime        int64                `json:"update_time"`
	ReturnLineItems   []wireReturnLineItem `json:"return_line_items"`
}

type wireReturnLineItem struct {
	ReturnLineItemID string `json:"return_line_item_id"`
	OrderLineItemID  string `json:"order_line_item_id"`
	SkuID            string `json:"sku_id"`
	SkuName          string `json:"sku_name"`
	SellerSku        string `json:"seller_sku"`
	ProductName      string `json:"product_name"`
}

func returnRec(r Return) *rec {
	role := r.Role
	if role == "" {
		role = "BUYER"
	}
	w := wireReturn{
		ReturnID: r.ID, OrderID: r.OrderID, ReturnReason: r.Reason, ReturnReasonText: r.ReasonText,
		ReturnType: r.Type, ReturnStatus: r.Status, ArbitrationStatus: r.ArbitrationStatus, Role: role,
		CreateTime: unix(r.CreateTime), UpdateTime: unix(r.UpdateTime),
		ReturnLineItems: make([]wireReturnLineItem, len(r.LineItems)),
	}
	for i, li := range r.LineItems {
		w.ReturnLineItems[i] = wireReturnLineItem{ReturnLineItemID: li.ID, OrderLineItemID: li.OrderLineItemID,
			SkuID: li.SkuID, SkuName: li.SkuName, SellerSku: li.SellerSku, ProductName: li.ProductName}
	}
	raw, _ := json.Marshal(w)
	return &rec{key: key{w.UpdateTime, r.ID}, created: w.CreateTime, orderID: r.OrderID, raw: raw}
}

type wireSender struct {
	Role     string `json:"role"`
	Nickname string `json:"nickname"`
	IMUserID string `json:"im_user_id"`
	Avatar   string `json:"avatar"`
}

type wireMessage struct {
	ID         string     `json:"id"`
	Index      string     `json:"index"`
	Type       string     `json:"type"`
	Content    string     `json:"content"`
	CreateTime int64      `json:"create_time"`
	IsVisible  bool       `json:"is_visible"`
	Sender     wireSender `json:"sender"`
}

func wireMessageOf(m *msg) wireMessage {
	return wireMessage{
		ID: m.info.ID, Index: fmt.Sprintf("%d%s", m.key.t, m.key.id[14:]), Type: m.info.Type,
		Content: m.info.Content, CreateTime: m.key.t, IsVisible: !m.info.Hidden,
		Sender: wireSender{Role: m.info.Role, Nickname: m.info.Nickname, IMUserID: m.info.IMUserID},
	}
}

type wireParticipant struct {
	Role     string `json:"role"`
	Nickname string `json:"nickname"`
	IMUserID string `json:"im_user_id"`
	UserID   string `json:"user_id"`
	Avatar   string `json:"avatar"`
}

type wireConversation struct {
	ID               string            `json:"id"`
	CreateTime       int64             `json:"create_time"`
	ParticipantCount int               `json:"participant_count"`
	UnreadCount      int               `json:"unread_count"`
	CanSendMessage   bool              `json:"can_send_message"`
	Participants     []wireParticipant `json:"participants"`
	LatestMessage    *json.RawMessage  `json:"latest_message,omitempty"`
}

func (c *conv) wire() wireConversation {
	w := wireConversation{
		ID: c.info.ID, CreateTime: unix(c.info.CreateTime), ParticipantCount: len(c.info.Participants),
		CanSendMessage: true, Participants: make([]wireParticipant, len(c.info.Participants)),
	}
	for i, p := range c.info.Participants {
		w.Participants[i] = wireParticipant{Role: p.Role, Nickname: p.Nickname, IMUserID: p.IMUserID, UserID: p.UserID}
	}
	if c.latest != nil {
		w.LatestMessage = &c.latest.raw
	}
	return w
}
