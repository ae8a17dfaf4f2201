package tiktok

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Message is one customer-service chat message (202309).
type Message struct {
	ID string
	// Index orders messages within a conversation; newer is larger.
	Index string
	// Type is TEXT, IMAGE, ORDER_CARD, PRODUCT_CARD, NOTIFICATION, ... .
	Type string
	// Content is the message's JSON-serialised content, e.g.
	// {"content":"simple text"} for TEXT; see Text.
	Content    string
	CreateTime time.Time
	// IsVisible is false for messages not meant for the seller's agents,
	// such as the rating request the system sends at the end.
	IsVisible bool
	Sender    Sender
}

// Sender is who sent a message.
type Sender struct {
	// Role is BUYER, SHOP, CUSTOMER_SERVICE, SYSTEM or ROBOT; see
	// SenderFromRole.
	Role     string
	Nickname string
	// IMUserID is the sender's IM id; it cannot be used to query orders.
	IMUserID string
}

// SpecSender maps the message's sender role to SPEC's chats.sender.
func (m Message) SpecSender() (sender string, known bool) { return SenderFromRole(m.Sender.Role) }

// Text returns the text of a message whose content carries one (TEXT,
// NOTIFICATION, ALLOCATED_SERVICE, ...: {"content": "..."}), or "".
func (m Message) Text() string {
	if m.Content == "" {
		return ""
	}
	var c struct {
		Content string `json:"content"`
	}
	if json.Unmarshal([]byte(m.Content), &c) != nil {
		return ""
	}
	return c.Content
}

type wireSender struct {
	Role     string `json:"role"`
	Nickname string `json:"nickname"`
	IMUserID string `json:"im_user_id"`
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

func (w wireMessage) message() Message {
	return Message{
		ID:         w.ID,
		Index:      w.Index,
		Type:       w.Type,
		Content:    w.Content,
		CreateTime: unixTime(w.CreateTime),
		IsVisible:  w.IsVisible,
		Sender:     Sender(w.Sender),
	}
}

// Conversation is a buyer–shop conversation (202309).
type Conversation struct {
	ID               string
	CreateTime       time.Time
	ParticipantCount int
	UnreadCount      int
	CanSendMessage   bool
	Participants     []Participant
	// LatestMessage is nil for a conversation without messages.
	LatestMessage *Message
}

// Participant is a member of a conversation.
type Participant struct {
	Role          string
	Nickname      string
	IMUserID      string
	UserID        string
	BuyerPlatform string
}

type wireConversation struct {
	ID               string            `json:"id"`
	CreateTime       int64             `json:"create_time"`
	ParticipantCount int               `json:"participant_count"`
	UnreadCount      int               `json:"unread_count"`
	CanSendMessage   bool              `json:"can_send_message"`
	Participants     []wireParticipant `json:"participants"`
	LatestMessage    *wireMessage      `json:"latest_message"`
}

type wireParticipant struct {
	Role          string `json:"role"`
	Nickname      string `json:"nickname"`
	IMUserID      string `json:"im_user_id"`
	UserID        string `json:"user_id"`
	BuyerPlatform string `json:"buyer_platform"`
}

func (w wireConversation) conversation() Conversation {
	c := Conversation{
		ID:               w.ID,
		CreateTime:       unixTime(w.CreateTime),
		ParticipantCount: w.ParticipantCount,
		UnreadCount:      w.UnreadCount,
		CanSendMessage:   w.CanSendMessage,
		Participants:     make([]Participant, len(w.Participants)),
	}
	for i, p := range w.Participants {
		c.Participants[i] = Participant(p)
	}
	if w.LatestMessage != nil {
		m := w.LatestMessage.message()
		c.LatestMessage = &m
	}
	return c
}

// Page-size limits of the customer-service endpoints.
const (
	MaxConversationPageSize = 20
	MaxMessagePageSize      = 10
)

// ConversationPage is one page of GET /customer_service/202309/conversations.
type ConversationPage struct {
	Conversations []Conversation
	// NextPageToken is "" on the last page.
	NextPageToken string
}

// Conversations returns one page of the shop's conversations. pageSize is
// 1..20 (0 means 20); pageToken is "" for the first page.
func (cl *Client) Conversations(ctx context.Context, shop ShopAuth, pageToken string, pageSize int) (ConversationPage, error) {
	q, err := shopQuery(shop)
	if err != nil {
		return ConversationPage{}, err
	}
	size, err := checkPageSize(pageSize, 1, MaxConversationPageSize)
	if err != nil {
		return ConversationPage{}, fmt.Errorf("tiktok: Conversations: %w", err)
	}
	q.Set("page_size", strconv.Itoa(size))
	q.Set("locale", "en")
	if pageToken != "" {
		q.Set("page_token", pageToken)
	}
	const path = "/customer_service/202309/conversations"
	d, err := do[struct {
		Conversations []wireConversation `json:"conversations"`
		NextPageToken string             `json:"next_page_token"`
	}](ctx, cl, cl.apiCall(http.MethodGet, path, "", q, nil, shop.AccessToken))
	if err != nil {
		return ConversationPage{}, err
	}
	page := ConversationPage{Conversations: make([]Conversation, len(d.Conversations)), NextPageToken: d.NextPageToken}
	for i, w := range d.Conversations {
		page.Conversations[i] = w.conversation()
	}
	return page, nil
}

// MessagePage is one page of a conversation's messages.
type MessagePage struct {
	// Messages come newest first.
	Messages []Message
	// NextPageToken is "" on the last page.
	NextPageToken string
}

// Messages returns one page of a conversation's messages, newest first
// (sort_field=create_time, sort_order=DESC). pageSize is 1..10 (0 means 10);
// pageToken is "" for the first page.
func (cl *Client) Messages(ctx context.Context, shop ShopAuth, conversationID, pageToken string, pageSize int) (MessagePage, error) {
	q, err := shopQuery(shop)
	if err != nil {
		return MessagePage{}, err
	}
	if conversationID == "" || strings.ContainsAny(conversationID, "/?#%") {
		return MessagePage{}, fmt.Errorf("tiktok: Messages: bad conversation id %q", conversationID)
	}
	size, err := checkPageSize(pageSize, 1, MaxMessagePageSize)
	if err != nil {
		return MessagePage{}, fmt.Errorf("tiktok: Messages: %w", err)
	}
	q.Set("page_size", strconv.Itoa(size))
	q.Set("sort_field", "create_time")
	q.Set("sort_order", "DESC")
	q.Set("locale", "en")
	if pageToken != "" {
		q.Set("page_token", pageToken)
	}
	path := "/customer_service/202309/conversations/" + conversationID + "/messages"
	const route = "/customer_service/202309/conversations/{conversation_id}/messages"
	d, err := do[struct {
		Messages      []wireMessage `json:"messages"`
		NextPageToken string        `json:"next_page_token"`
	}](ctx, cl, cl.apiCall(http.MethodGet, path, route, q, nil, shop.AccessToken))
	if err != nil {
		return MessagePage{}, err
	}
	page := MessagePage{Messages: make([]Message, len(d.Messages)), NextPageToken: d.NextPageToken}
	for i, w := range d.Messages {
		page.Messages[i] = w.message()
	}
	return page, nil
}

// EachConversation pages through all of the shop's conversations, calling fn
// for each. fn may return ErrStopPaging to end early without an error.
func (cl *Client) EachConversation(ctx context.Context, shop ShopAuth, fn func(Conversation) error) error {
	return eachItem(func(token string) ([]Conversation, string, error) {
		page, err := cl.Conversations(ctx, shop, token, MaxConversationPageSize)
		return page.Conversations, page.NextPageToken, err
	}, fn)
}

// EachMessage calls fn for each message of the conversation created at or
// after since, newest first, and stops paging at the first older message.
// latest is the newest create time handed to fn. Messages with a sender role
// SenderFromRole does not know are logged. fn may return ErrStopPaging.
func (cl *Client) EachMessage(ctx context.Context, shop ShopAuth, conversationID string, since time.Time, fn func(Message) error) (latest time.Time, err error) {
	err = eachItem(func(token string) ([]Message, string, error) {
		page, err := cl.Messages(ctx, shop, conversationID, token, MaxMessagePageSize)
		return page.Messages, page.NextPageToken, err
	}, func(m Message) error {
		if m.CreateTime.Before(since) {
			return ErrStopPaging
		}
		if _, ok := m.SpecSender(); !ok {
			cl.log.WarnContext(ctx, "unknown TikTok sender role",
				"shop", shop, "conversation_id", conversationID, "message_id", m.ID, "role", m.Sender.Role)
		}
		if err := fn(m); err != nil {
			return err
		}
		latest = later(latest, m.CreateTime)
		return nil
	})
	return latest, err
}

// EachChatMessage calls fn for every message of the shop created at or after
// since: it pages through all conversations, skips those whose latest
// message is older than since, and pages each remaining one newest first
// until it reaches older messages. latest is the newest create time handed
// to fn.
//
// The conversation list has no time filter, so every sync reads it whole
// (20 per page); messages are read only where something changed. The
// reference does not promise an order for conversations, so none is assumed.
// Advance a chat cursor to latest only when err is nil: unlike orders,
// messages are not handed over in time order across conversations. fn may
// return ErrStopPaging.
func (cl *Client) EachChatMessage(ctx context.Context, shop ShopAuth, since time.Time, fn func(Conversation, Message) error) (latest time.Time, err error) {
	stopped := false
	err = cl.EachConversation(ctx, shop, func(c Conversation) error {
		if c.LatestMessage != nil && c.LatestMessage.CreateTime.Before(since) {
			return nil
		}
		l, err := cl.EachMessage(ctx, shop, c.ID, since, func(m Message) error {
			err := fn(c, m)
			if errors.Is(err, ErrStopPaging) {
				stopped = true
			}
			return err
		})
		latest = later(latest, l)
		if err != nil {
			return err
		}
		if stopped {
			return ErrStopPaging
		}
		return nil
	})
	return latest, err
}
