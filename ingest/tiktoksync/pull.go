package tiktoksync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/store"
)

func sourceName(via, shopID string, kind store.Kind) string {
	return fmt.Sprintf("tiktok %s %s %s", via, shopID, kind)
}

// pullOrders imports the shop's orders updated in [j.since, j.until), a
// chunk at a time.
func (s *Syncer) pullOrders(ctx context.Context, j *job) error {
	c := newChunk(store.Orders, sourceName("sync", j.shopID, store.Orders))
	req := tiktok.OrderSearch{UpdateTimeGE: j.since, UpdateTimeLT: j.until, PageSize: tiktok.MaxOrderPageSize}
	for {
		page, err := withAuth(ctx, s, j, func(a tiktok.ShopAuth) (tiktok.OrderPage, error) { return s.client.SearchOrders(ctx, a, req) })
		if err != nil {
			return s.keep(ctx, c, j, err)
		}
		for _, o := range page.Orders {
			s.addOrder(c, j.shopID, o)
		}
		if s.full(c) {
			if err := s.flush(ctx, c, j); err != nil {
				return err
			}
		}
		if page.NextPageToken == "" || len(page.Orders) == 0 {
			return s.flush(ctx, c, j)
		}
		req.PageToken = page.NextPageToken
	}
}

// keep imports what a failed run has gathered, unless the run was stopped,
// and returns the run's error.
func (s *Syncer) keep(ctx context.Context, c *chunk, j *job, err error) error {
	if ctx.Err() != nil {
		return err
	}
	if ferr := s.flush(ctx, c, j); ferr != nil {
		return errors.Join(err, ferr)
	}
	return err
}

// addOrder writes an order's lines: one row per product (SPEC section 2).
func (s *Syncer) addOrder(c *chunk, shopID string, o tiktok.Order) {
	c.updated(o.UpdateTime)
	products := o.Products()
	if len(products) == 0 {
		c.reject(o.ID, "the order has no line items", s.now())
		return
	}
	for _, li := range products {
		c.addOrder(store.OrderLine{
			Ref:     store.Ref{Source: orderSource, ID: o.ID},
			OrderID: o.ID, ShopID: shopID, ProductID: li.ProductID, ProductName: strings.TrimSpace(li.ProductName),
			CreatedAt: o.CreateTime, DeliveredAt: o.DeliveryTime, Status: o.Status,
		})
	}
}

// pullReturns imports the shop's returns updated in [j.since, j.until). A
// return's line items name order line items, not products, so each page's
// orders are fetched to find the products.
func (s *Syncer) pullReturns(ctx context.Context, j *job) error {
	c := newChunk(store.Returns, sourceName("sync", j.shopID, store.Returns))
	req := tiktok.ReturnSearch{UpdateTimeGE: j.since, UpdateTimeLT: j.until, PageSize: tiktok.MaxReturnPageSize}
	for {
		page, err := withAuth(ctx, s, j, func(a tiktok.ShopAuth) (tiktok.ReturnPage, error) { return s.client.SearchReturns(ctx, a, req) })
		if err != nil {
			return s.keep(ctx, c, j, err)
		}
		if err := s.addReturns(ctx, c, j, page.Returns); err != nil {
			return s.keep(ctx, c, j, err)
		}
		if s.full(c) {
			if err := s.flush(ctx, c, j); err != nil {
				return err
			}
		}
		if page.NextPageToken == "" || len(page.Returns) == 0 {
			return s.flush(ctx, c, j)
		}
		req.PageToken = page.NextPageToken
	}
}

// addReturns writes returns, fetching their orders.
func (s *Syncer) addReturns(ctx context.Context, c *chunk, j *job, returns []tiktok.Return) error {
	var ids []string
	for _, r := range returns {
		if r.OrderID != "" && !slices.Contains(ids, r.OrderID) {
			ids = append(ids, r.OrderID)
		}
	}
	orders := make(map[string]tiktok.Order, len(ids))
	for chunk := range slices.Chunk(ids, tiktok.MaxOrderDetailIDs) {
		got, err := withAuth(ctx, s, j, func(a tiktok.ShopAuth) ([]tiktok.Order, error) { return s.client.GetOrders(ctx, a, chunk) })
		if err != nil {
			return fmt.Errorf("fetch the orders of returns: %w", err)
		}
		for _, o := range got {
			orders[o.ID] = o
		}
	}
	for _, r := range returns {
		o, ok := orders[r.OrderID]
		s.addReturn(ctx, c, j.shopID, r, o, ok)
	}
	return nil
}

// addReturn writes one row per product of the return (SPEC's returns have
// one product each). The first keeps TikTok's return_id; any further
// product gets return_id/product_id, so that re-syncs replace the same rows.
// SFRR counts orders, so the extra rows change no rate, while breakdowns
// see every returned product.
func (s *Syncer) addReturn(ctx context.Context, c *chunk, shopID string, r tiktok.Return, o tiktok.Order, found bool) {
	c.updated(r.UpdateTime)
	products, _ := r.ProductIDs(o)
	if len(products) == 0 {
		// Without line items, or without the order from TikTok: the
		// order's one product, if it has only one.
		switch {
		case found && len(o.Products()) == 1:
			products = []string{o.Products()[0].ProductID}
		case found:
			c.reject(r.ID, fmt.Sprintf("the return's line items name no product of order %s", r.OrderID), s.now())
			return
		default:
			stored, err := s.db.OrderProducts(ctx, r.OrderID)
			if err != nil || len(stored) != 1 {
				c.reject(r.ID, fmt.Sprintf("order %s of the return was not found, so its product is unknown", r.OrderID), s.now())
				return
			}
			products = stored
		}
	}
	reason := r.Reason
	if reason == "" || (!s.reasons.Classify(reason).Classified && r.ReasonText != "" && s.reasons.Classify(r.ReasonText).Classified) {
		reason = r.ReasonText // the code is missing or unknown, the text says it
	}
	typ, _ := r.SpecType()
	status, _ := r.SpecStatus()
	for i, p := range products {
		id := r.ID
		if i > 0 {
			id = r.ID + "/" + p
		}
		c.addReturn(store.Return{
			Ref:      store.Ref{Source: returnSource, ID: r.ID},
			ReturnID: id, OrderID: r.OrderID, ShopID: shopID, ProductID: p,
			CreatedAt: r.CreateTime, Reason: strings.TrimSpace(reason), Type: typ, Status: status,
		})
	}
}

// pullChats imports the shop's chat messages created since j.since. They
// do not come in time order, so the chunks do not move the cursor; the run
// moves it when it completes.
func (s *Syncer) pullChats(ctx context.Context, j *job) error {
	c := newChunk(store.Chats, sourceName("sync", j.shopID, store.Chats))
	j.cursor = false
	var flushErr error
	_, err := withAuth(ctx, s, j, func(a tiktok.ShopAuth) (struct{}, error) {
		_, err := s.client.EachChatMessage(ctx, a, j.since, func(conv tiktok.Conversation, m tiktok.Message) error {
			s.addMessage(c, j.shopID, conv.ID, m)
			if s.full(c) {
				if flushErr = s.flush(ctx, c, j); flushErr != nil {
					return flushErr
				}
			}
			return nil
		})
		return struct{}{}, err
	})
	if flushErr != nil {
		return flushErr
	}
	if err != nil {
		return s.keep(ctx, c, j, err)
	}
	return s.flush(ctx, c, j)
}

// addMessage writes one chat message. Messages TikTok marks invisible (such
// as the rating request at the end) are written as system messages, which
// neither start nor answer a buyer turn. A visible message from a sender
// role SenderFromRole does not know keeps the role as its sender, so that
// the import rejects it (and `tiktok status` lists it) rather than storing
// a guess.
func (s *Syncer) addMessage(c *chunk, shopID, conversationID string, m tiktok.Message) {
	sender, known := m.SpecSender()
	if !known {
		sender = m.Sender.Role
	}
	if !m.IsVisible {
		sender = tiktok.SenderSystem
	}
	c.addMessage(store.ChatMessage{
		Ref:       store.Ref{Source: messageSource, ID: m.ID},
		MessageID: m.ID, ConversationID: conversationID, ShopID: shopID,
		Sender: sender, SentAt: m.CreateTime, Text: strings.TrimSpace(m.Text()),
	})
}
