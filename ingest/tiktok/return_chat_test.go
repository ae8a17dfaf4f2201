package tiktok_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
)

func TestEachReturn(t *testing.T) {
	var logs syncBuffer
	srv, c, shop := MustShop(t, tiktoktest.Options{}, func(o *tiktok.Options) { o.Logger = debugLogger(&logs) })
	srv.AddGeneratedOrders(shop.ID, 0, 3, t0, time.Minute)
	statuses := []string{"RETURN_OR_REFUND_REQUEST_PENDING", "RETURN_OR_REFUND_REQUEST_COMPLETE", "RETURN_OR_REFUND_REQUEST_CANCEL", "BRAND_NEW_STATUS"}
	var rets []tiktoktest.Return
	for i := range 123 {
		order := i % 3
		rets = append(rets, tiktoktest.Return{
			ID: fmt.Sprintf("40%013d", i), OrderID: fmt.Sprintf("57%015d", order),
			Reason: "ecom_order_delivered_refund_reason_damaged", ReasonText: "Package or product is damaged",
			Type: "RETURN_AND_REFUND", Status: statuses[i%len(statuses)],
			CreateTime: t0.Add(time.Duration(i) * time.Hour), UpdateTime: t0.Add(time.Duration(i) * time.Hour),
			LineItems: []tiktoktest.ReturnLineItem{{ID: fmt.Sprintf("41%013d", i), OrderLineItemID: fmt.Sprintf("57%015d0", order),
				SkuID: "s", ProductName: "p"}},
		})
	}
	rets[5].ArbitrationStatus = "SUPPORT_SELLER"
	srv.PutReturns(shop.ID, rets...)
	ctx := t.Context()

	orders, err := c.GetOrders(ctx, shop, []string{fmt.Sprintf("57%015d", 0), fmt.Sprintf("57%015d", 1), fmt.Sprintf("57%015d", 2)})
	if err != nil || len(orders) != 3 {
		t.Fatalf("GetOrders: %d, %v", len(orders), err)
	}
	byID := map[string]tiktok.Order{}
	for _, o := range orders {
		byID[o.ID] = o
	}

	var got []tiktok.Return
	last, err := c.EachReturn(ctx, shop, t0, t0.Add(365*24*time.Hour), func(r tiktok.Return) error {
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 123 || !last.Equal(t0.Add(122*time.Hour)) {
		t.Fatalf("%d returns, last %v", len(got), last)
	}
	if n := srv.Count("/return_refund/202309/returns/search"); n != 3 {
		t.Fatalf("%d search requests, want 3 pages of 50", n)
	}
	r := got[5]
	if r.Reason != "ecom_order_delivered_refund_reason_damaged" || r.ReasonText != "Package or product is damaged" || r.OrderID == "" {
		t.Fatalf("return = %+v", r)
	}
	if st, _ := r.SpecStatus(); st != tiktok.ReturnSellerWon {
		t.Fatalf("status = %q, want seller_won", st)
	}
	if typ, _ := r.SpecType(); typ != tiktok.ReturnTypeReturnAndRefund {
		t.Fatalf("type = %q", typ)
	}
	ids, missing := r.ProductIDs(byID[r.OrderID])
	if len(ids) != 1 || missing != 0 || ids[0] != byID[r.OrderID].LineItems[0].ProductID {
		t.Fatalf("ProductIDs = %v, %d missing", ids, missing)
	}
	if !strings.Contains(logs.String(), "BRAND_NEW_STATUS") {
		t.Fatalf("unknown status was not reported:\n%s", logs.String())
	}

	t.Run("filters by update time and order", func(t *testing.T) {
		page, err := c.SearchReturns(ctx, shop, tiktok.ReturnSearch{
			UpdateTimeGE: t0.Add(10 * time.Hour), UpdateTimeLT: t0.Add(20 * time.Hour), OrderIDs: []string{fmt.Sprintf("57%015d", 1)}})
		if err != nil {
			t.Fatal(err)
		}
		// Hours 10..19 whose index is 1 mod 3: 10, 13, 16, 19.
		if len(page.Returns) != 4 || page.TotalCount != 4 || page.NextPageToken != "" {
			t.Fatalf("page = %d returns, total %d, token %q", len(page.Returns), page.TotalCount, page.NextPageToken)
		}
	})
	t.Run("page size below 10 is refused", func(t *testing.T) {
		if _, err := c.SearchReturns(ctx, shop, tiktok.ReturnSearch{PageSize: 5}); err == nil {
			t.Fatal("page size 5 accepted")
		}
	})
}

func TestChat(t *testing.T) {
	var logs syncBuffer
	srv, c, shop := MustShop(t, tiktoktest.Options{}, func(o *tiktok.Options) { o.Logger = debugLogger(&logs) })
	roles := []string{"BUYER", "SHOP", "CUSTOMER_SERVICE", "ROBOT", "SYSTEM", "BUYER"}
	// 45 conversations; conversation i has 3+i%20 messages a minute apart,
	// starting i hours after t0.
	total := 0
	for i := range 45 {
		id := fmt.Sprintf("conv-%02d", i)
		srv.PutConversation(shop.ID, tiktoktest.Conversation{ID: id, Participants: []tiktoktest.Participant{
			{Role: "BUYER", Nickname: "buyer", IMUserID: "b" + id}, {Role: "SHOP", Nickname: "Acme", IMUserID: "s"}}})
		n := 3 + i%20
		total += n
		var msgs []tiktoktest.Message
		for j := range n {
			msgs = append(msgs, tiktoktest.Message{ID: fmt.Sprintf("%s-m%02d", id, j), Text: fmt.Sprintf("hello %d", j),
				Role: roles[j%len(roles)], CreateTime: t0.Add(time.Duration(i)*time.Hour + time.Duration(j)*time.Minute)})
		}
		slices.Reverse(msgs) // arrival order must not matter
		srv.AddMessages(shop.ID, id, msgs...)
	}
	srv.AddMessages(shop.ID, "conv-weird", tiktoktest.Message{ID: "w1", Role: "MERCHANT_BOT", CreateTime: t0.Add(100 * time.Hour)})
	total++
	ctx := t.Context()

	page, err := c.Conversations(ctx, shop, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Conversations) != 20 || page.NextPageToken == "" {
		t.Fatalf("first page: %d conversations, token %q", len(page.Conversations), page.NextPageToken)
	}
	first := page.Conversations[0]
	if first.ID != "conv-weird" || first.LatestMessage == nil || first.LatestMessage.ID != "w1" {
		t.Fatalf("first conversation = %+v", first)
	}
	second := page.Conversations[1]
	if second.ID != "conv-44" || len(second.Participants) != 2 || second.Participants[0].Role != "BUYER" || second.CreateTime.IsZero() {
		t.Fatalf("second conversation = %+v", second)
	}

	t.Run("messages newest first with text and sender", func(t *testing.T) {
		mp, err := c.Messages(ctx, shop, "conv-02", "", 4)
		if err != nil {
			t.Fatal(err)
		}
		// conv-02 has 5 messages m00..m04.
		if len(mp.Messages) != 4 || mp.Messages[0].ID != "conv-02-m04" || mp.Messages[3].ID != "conv-02-m01" || mp.NextPageToken == "" {
			t.Fatalf("page = %+v", mp)
		}
		m := mp.Messages[0]
		if m.Text() != "hello 4" || m.Type != "TEXT" || !m.IsVisible || m.Sender.Role != "SYSTEM" || m.Index == "" {
			t.Fatalf("message = %+v", m)
		}
		if s, ok := mp.Messages[1].SpecSender(); s != tiktok.SenderRobot || !ok {
			t.Fatalf("sender = %q", s)
		}
		mp2, err := c.Messages(ctx, shop, "conv-02", mp.NextPageToken, 4)
		if err != nil || len(mp2.Messages) != 1 || mp2.Messages[0].ID != "conv-02-m00" || mp2.NextPageToken != "" {
			t.Fatalf("second page = %+v, %v", mp2, err)
		}
		if _, err := c.Messages(ctx, shop, "conv-02", "", 11); err == nil {
			t.Fatal("page size 11 accepted")
		}
	})

	t.Run("all messages", func(t *testing.T) {
		seen := map[string]bool{}
		latest, err := c.EachChatMessage(ctx, shop, time.Time{}, func(cv tiktok.Conversation, m tiktok.Message) error {
			if seen[m.ID] {
				t.Errorf("message %s twice", m.ID)
			}
			if !strings.HasPrefix(m.ID, cv.ID) && cv.ID != "conv-weird" {
				t.Errorf("message %s handed with conversation %s", m.ID, cv.ID)
			}
			seen[m.ID] = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != total || !latest.Equal(t0.Add(100*time.Hour)) {
			t.Fatalf("%d messages (want %d), latest %v", len(seen), total, latest)
		}
		if !strings.Contains(logs.String(), "MERCHANT_BOT") {
			t.Fatal("unknown sender role was not reported")
		}
	})

	t.Run("ErrStopPaging ends the chat scan", func(t *testing.T) {
		n := 0
		_, err := c.EachChatMessage(ctx, shop, time.Time{}, func(tiktok.Conversation, tiktok.Message) error {
			if n == 30 {
				return tiktok.ErrStopPaging
			}
			n++
			return nil
		})
		if err != nil || n != 30 {
			t.Fatalf("n = %d, err = %v", n, err)
		}
	})

	t.Run("only messages since", func(t *testing.T) {
		since := t0.Add(40*time.Hour + 5*time.Minute)
		srv.ResetCounts()
		var got []string
		_, err := c.EachChatMessage(ctx, shop, since, func(cv tiktok.Conversation, m tiktok.Message) error {
			if m.CreateTime.Before(since) {
				t.Errorf("message %s at %v is before %v", m.ID, m.CreateTime, since)
			}
			got = append(got, m.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Conversation i has 3+i%20 messages from i hours on: conv-40's
		// three end before 40h05m; conv-41..44 count 4, 5, 6, 7; plus w1.
		want := 0 + 4 + 5 + 6 + 7 + 1
		if len(got) != want {
			t.Fatalf("%d messages since %v, want %d: %v", len(got), since, want, got)
		}
		if n := srv.Count("/customer_service/202309/conversations/{conversation_id}/messages"); n > 6 {
			t.Fatalf("read messages of %d conversations; the old ones should be skipped", n)
		}
	})
}
