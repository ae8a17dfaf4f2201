package tiktoksync_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
	"github.com/shopwatch/shopwatch/store"
)

const (
	routeOrders   = "/order/202309/orders/search"
	routeDetail   = "/order/202309/orders"
	routeReturns  = "/return_refund/202309/returns/search"
	routeRefresh  = "/api/v2/token/refresh"
	routeMessages = "/customer_service/202309/conversations/{conversation_id}/messages"
)

// addChats adds a conversation answered late and one answered on time.
func addChats(f *fixture, base time.Time) {
	f.srv.AddMessages(shopID, "conv-1",
		tiktoktest.Message{ID: "m1", Role: "BUYER", Text: "Where is my parcel?\nIt is late.", CreateTime: base},
		tiktoktest.Message{ID: "m2", Role: "ROBOT", Text: "We will reply soon", CreateTime: base.Add(time.Second), Hidden: true},
		tiktoktest.Message{ID: "m3", Role: "CUSTOMER_SERVICE", Text: "It ships today", CreateTime: base.Add(13 * time.Hour)},
	)
	f.srv.AddMessages(shopID, "conv-2",
		tiktoktest.Message{ID: "m4", Role: "BUYER", Text: "Do you have red?", CreateTime: base.Add(time.Hour)},
		tiktoktest.Message{ID: "m5", Role: "SHOP", Text: "Yes", CreateTime: base.Add(2 * time.Hour)},
	)
}

func TestFullLoad(t *testing.T) {
	f := MustFixture(t, fixtureOptions{sync: func(o *tiktoksync.Options) { o.ChunkSize = 300 }})
	a := f.MustAuthorize(t, shopID, otherShop)
	if len(a.Linked) != 2 {
		t.Fatalf("Authorize linked %+v, want both configured shops", a.Linked)
	}
	now := f.now()
	start := now.Add(-5 * 24 * time.Hour)
	const n = 2000
	f.srv.AddGeneratedOrders(shopID, 0, n, start, time.Minute)
	// Generated order i has line items "57%015d%d" over products i%50 and
	// (i+1)%50 (odd i have two).
	f.srv.PutReturns(shopID,
		tiktoktest.Return{ID: "r1", OrderID: "57000000000000001", Reason: "ecom_order_delivered_refund_reason_damaged", Type: "RETURN_AND_REFUND",
			Status: "RETURN_OR_REFUND_REQUEST_COMPLETE", CreateTime: start.Add(3 * 24 * time.Hour), UpdateTime: start.Add(3 * 24 * time.Hour),
			LineItems: []tiktoktest.ReturnLineItem{{ID: "rl1", OrderLineItemID: "570000000000000011"}}},
		tiktoktest.Return{ID: "r2", OrderID: "57000000000000003", Reason: "some_new_code", ReasonText: "Wrong item was sent", Type: "REFUND",
			Status: "RETURN_OR_REFUND_REQUEST_PENDING", ArbitrationStatus: "SUPPORT_SELLER", CreateTime: start.Add(3 * 24 * time.Hour), UpdateTime: start.Add(3 * 24 * time.Hour),
			LineItems: []tiktoktest.ReturnLineItem{{ID: "rl2", OrderLineItemID: "570000000000000030"}, {ID: "rl3", OrderLineItemID: "570000000000000031"}}},
	)
	addChats(f, now.Add(-2*24*time.Hour))

	res := f.MustSync(t)
	got := records(res)
	if got[store.Orders] != n || got[store.Returns] != 2 || got[store.Chats] != 5 {
		t.Fatalf("records = %v, want %d orders, 2 returns, 5 messages", got, n)
	}
	if c := f.count(t, `SELECT COUNT(*) FROM orders`); c != n {
		t.Fatalf("%d orders stored, want %d", c, n)
	}
	if lines := f.orderLines(t); lines != n+n/2 {
		t.Fatalf("%d order lines stored, want %d", lines, n+n/2)
	}
	if c := f.count(t, `SELECT COUNT(*) FROM orders WHERE delivered_at IS NOT NULL`); c != n-(n+2)/3 {
		t.Fatalf("%d delivered orders, want %d", c, n-(n+2)/3)
	}
	f.rollupExact(t)

	// r1 is one product, r2 two (the second keyed return_id/product_id);
	// r2's unknown code falls back to its text, and arbitration won it.
	var product, reason, typ, status string
	if err := f.raw.QueryRow(`SELECT product_id, reason, type, status FROM returns WHERE return_id = 'r1'`).Scan(&product, &reason, &typ, &status); err != nil {
		t.Fatal(err)
	}
	if product != "172900000000002" || reason != "ecom_order_delivered_refund_reason_damaged" || typ != "return_and_refund" || status != "completed" {
		t.Fatalf("r1 = %s %s %s %s", product, reason, typ, status)
	}
	if err := f.raw.QueryRow(`SELECT product_id, reason, status FROM returns WHERE return_id = 'r2'`).Scan(&product, &reason, &status); err != nil {
		t.Fatal(err)
	}
	if product != "172900000000003" || reason != "Wrong item was sent" || status != "seller_won" {
		t.Fatalf("r2 = %s %s %s", product, reason, status)
	}
	if c := f.count(t, `SELECT COUNT(*) FROM returns WHERE return_id = 'r2/172900000000004' AND order_id = '57000000000000003'`); c != 1 {
		t.Fatal("r2's second product has no row")
	}

	// Chats: roles mapped, the hidden robot message is a system message
	// (so conv-1's reply is 13 hours late), text with a line break kept.
	var sender, text string
	if err := f.raw.QueryRow(`SELECT sender, text FROM chat_messages WHERE message_id = 'm1'`).Scan(&sender, &text); err != nil {
		t.Fatal(err)
	}
	if sender != "buyer" || text != "Where is my parcel?\nIt is late." {
		t.Fatalf("m1 = %q %q", sender, text)
	}
	for id, want := range map[string]string{"m2": "system", "m3": "agent", "m5": "shop"} {
		if err := f.raw.QueryRow(`SELECT sender FROM chat_messages WHERE message_id = ?`, id).Scan(&sender); err != nil || sender != want {
			t.Fatalf("%s sender = %q, %v; want %q", id, sender, err, want)
		}
	}
	if c := f.count(t, `SELECT COUNT(*) FROM chat_turns WHERE conversation_id = 'conv-1' AND reply_at - start_at = 13 * 3600 * 1000`); c != 1 {
		t.Fatal("conv-1's turn is not answered by the agent 13 hours later")
	}

	for _, kind := range tiktoksync.SyncedKinds {
		st := f.status(t, kind)
		if st.Failing() || st.LastSuccess.IsZero() || st.Cursor.Unix() < now.Unix()-1 {
			t.Fatalf("%s status = %+v, want a success with the cursor at the run's start", kind, st)
		}
	}
	// The second shop was authorized by the same code but never synced.
	if sts, _ := f.db.SyncStatuses(t.Context(), otherShop); len(sts) != 0 {
		t.Fatalf("status of a shop never synced: %+v", sts)
	}
}

func TestIncrementalSync(t *testing.T) {
	f := MustFixture(t, fixtureOptions{})
	f.MustAuthorize(t, shopID)
	now := f.now()
	start := now.Add(-3 * 24 * time.Hour)
	f.srv.AddGeneratedOrders(shopID, 0, 500, start, time.Minute)
	f.MustSync(t)
	deliveredBefore := f.count(t, `SELECT COUNT(*) FROM orders WHERE delivered_at IS NOT NULL`)

	// An order is delivered, two new orders come in, a buyer writes.
	// (Changes in the second a run starts belong to the next run: TikTok's
	// times are whole seconds.)
	f.srv.UpdateOrder(shopID, "57000000000000000", f.now().Add(-2*time.Second), func(o *tiktoktest.Order) {
		o.Status = "DELIVERED"
		o.DeliveryTime = f.now().Add(-time.Hour)
	})
	f.srv.AddGeneratedOrders(shopID, 500, 2, f.now().Add(-time.Minute), time.Second)
	f.srv.AddMessages(shopID, "conv-9", tiktoktest.Message{ID: "m9", Role: "BUYER", Text: "hello", CreateTime: f.now().Add(-time.Minute)})
	f.srv.ResetCounts()

	got := records(f.MustSync(t))
	// The overlap (10 minutes) hands over again what changed just before
	// the last run; nothing older.
	if got[store.Orders] < 3 || got[store.Orders] > 20 || got[store.Chats] != 1 {
		t.Fatalf("records = %v, want the 3 changed orders (and few others) and 1 message", got)
	}
	if p := f.srv.Count(routeOrders); p != 1 {
		t.Fatalf("%d orders search requests, want 1 page", p)
	}
	if c := f.count(t, `SELECT COUNT(*) FROM orders`); c != 502 {
		t.Fatalf("%d orders, want 502", c)
	}
	if c := f.count(t, `SELECT COUNT(*) FROM orders WHERE delivered_at IS NOT NULL`); c != deliveredBefore+2 {
		t.Fatalf("%d delivered orders, want %d (one delivered since, one new)", c, deliveredBefore+2)
	}
	if c := f.count(t, `SELECT COUNT(*) FROM orders WHERE order_id = '57000000000000000' AND status = 'DELIVERED'`); c != 1 {
		t.Fatal("the delivered order was not updated")
	}
	f.rollupExact(t)
}

func TestCrashAndResume(t *testing.T) {
	f := MustFixture(t, fixtureOptions{
		fake: tiktoktest.Options{PageLatency: 2 * time.Millisecond},
		sync: func(o *tiktoksync.Options) { o.ChunkSize = 200 },
	})
	f.MustAuthorize(t, shopID)
	const n = 3000
	f.srv.AddGeneratedOrders(shopID, 0, n, f.now().Add(-10*24*time.Hour), time.Minute)

	// Stop the first run once some chunks are in.
	ctx, cancel := context.WithCancel(t.Context())
	chunks := 0
	tiktoksync.SetAfterFlush(f.s, func() {
		if chunks++; chunks == 3 {
			cancel()
		}
	})
	_, err := f.s.SyncShop(ctx, shopID)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v, want context.Canceled", err)
	}
	partial := f.count(t, `SELECT COUNT(*) FROM orders`)
	cursor, _ := f.db.SyncCursor(t.Context(), shopID, store.Orders)
	if partial < 600 || partial >= n || cursor.IsZero() {
		t.Fatalf("after the stop: %d orders, cursor %v; want some but not all, and a cursor", partial, cursor)
	}
	if sts, _ := f.db.SyncStatuses(t.Context(), shopID); len(sts) != 1 || sts[0].Failing() || !sts[0].LastAttempt.IsZero() {
		t.Fatalf("a stopped run is recorded as %+v; want no outcome, only the cursor", sts)
	}

	tiktoksync.SetAfterFlush(f.s, nil)
	f.srv.ResetCounts()
	got := records(f.MustSync(t))
	pages := f.srv.Count(routeOrders)
	if c := f.count(t, `SELECT COUNT(*) FROM orders`); c != n {
		t.Fatalf("after the resumed run: %d orders, want %d", c, n)
	}
	if lines := f.orderLines(t); lines != n+n/2 {
		t.Fatalf("%d order lines, want %d", lines, n+n/2)
	}
	f.rollupExact(t)
	// It went on from the cursor (minus the overlap), not from scratch.
	if pages >= n/100 || got[store.Orders] > n-partial+100 {
		t.Fatalf("resumed run read %d pages and %d orders; a run from scratch reads %d pages", pages, got[store.Orders], n/100+1)
	}
	t.Logf("stopped after %d of %d orders; the resumed run read %d orders in %d pages", partial, n, got[store.Orders], pages)
}

func TestTokenRefresh(t *testing.T) {
	t.Run("before it expires", func(t *testing.T) {
		f := MustFixture(t, fixtureOptions{fake: tiktoktest.Options{AccessTokenTTL: time.Hour}})
		f.MustAuthorize(t, shopID)
		f.srv.AddGeneratedOrders(shopID, 0, 10, f.now().Add(-time.Hour), time.Second)
		f.MustSync(t)
		if c := f.srv.Count(routeRefresh); c != 1 {
			t.Fatalf("%d refreshes, want 1 (the token expires within the margin)", c)
		}
		f.MustSync(t)
		if c := f.srv.Count(routeRefresh); c != 2 {
			t.Fatalf("%d refreshes after a second run, want 2 (a one-hour token is always within a 24-hour margin)", c)
		}
	})
	t.Run("when TikTok rejects it", func(t *testing.T) {
		f := MustFixture(t, fixtureOptions{})
		f.MustAuthorize(t, shopID)
		f.srv.AddGeneratedOrders(shopID, 0, 10, f.now().Add(-time.Hour), time.Second)
		f.srv.ExpireAccessTokens()
		got := records(f.MustSync(t))
		if got[store.Orders] != 10 {
			t.Fatalf("records = %v", got)
		}
		if c := f.srv.Count(routeRefresh); c != 1 {
			t.Fatalf("%d refreshes, want 1: the new token serves every kind", c)
		}
		// The refreshed token was stored: a new syncer (a restart) uses it.
		s2, err := tiktoksync.New(tiktoksync.Options{DB: f.db, Client: f.client, SecretKey: secretKey})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s2.SyncShop(t.Context(), shopID); err != nil {
			t.Fatal(err)
		}
		if c := f.srv.Count(routeRefresh); c != 1 {
			t.Fatalf("%d refreshes after a restart, want still 1", c)
		}
	})
	t.Run("refresh token expired", func(t *testing.T) {
		clk := clockwork.NewFakeClockAt(time.Now())
		f := MustFixture(t, fixtureOptions{fake: tiktoktest.Options{Clock: clk, AccessTokenTTL: time.Hour, RefreshTokenTTL: 24 * time.Hour}})
		f.MustAuthorize(t, shopID)
		clk.Advance(25 * time.Hour)
		if _, err := f.s.SyncShop(t.Context(), shopID); err == nil || !strings.Contains(err.Error(), "authorize again") {
			t.Fatalf("sync with an expired authorization: %v", err)
		}
		for _, kind := range tiktoksync.SyncedKinds {
			if st := f.status(t, kind); !st.Failing() || !strings.Contains(st.Error, "authorize again") {
				t.Fatalf("%s status = %+v, want a failure asking to authorize again", kind, st)
			}
		}
	})
}

func TestRateLimit(t *testing.T) {
	f := MustFixture(t, fixtureOptions{client: func(o *tiktok.Options) { o.MaxAttempts = 3 }})
	f.MustAuthorize(t, shopID)
	f.srv.AddGeneratedOrders(shopID, 0, 150, f.now().Add(-time.Hour), time.Second)

	// A short burst is retried inside the client.
	f.srv.RateLimit(2, 0)
	if got := records(f.MustSync(t)); got[store.Orders] != 150 {
		t.Fatalf("records = %v", got)
	}

	// A long one fails the run, visibly, and changes no cursor.
	before := f.status(t, store.Orders)
	f.srv.AddGeneratedOrders(shopID, 150, 5, f.now().Add(-time.Minute), time.Second)
	f.srv.RateLimit(100, 0)
	f.srv.ResetCounts()
	res, err := f.s.SyncShop(t.Context(), shopID)
	if !errors.Is(err, tiktok.ErrRateLimited) {
		t.Fatalf("SyncShop: %v, want ErrRateLimited", err)
	}
	for _, r := range res {
		if !errors.Is(r.Err, tiktok.ErrRateLimited) {
			t.Fatalf("%s: %v, want ErrRateLimited", r.Kind, r.Err)
		}
	}
	// Orders used up their retries; returns and chats did not try.
	if c := f.srv.Count(routeReturns); c != 0 {
		t.Fatalf("%d returns searches after orders hit the rate limit, want 0", c)
	}
	if st := f.status(t, store.Chats); !strings.Contains(st.Error, "not tried in this run: the orders sync hit TikTok's rate limit") {
		t.Fatalf("chats status = %+v", st)
	}
	st := f.status(t, store.Orders)
	if !st.Failing() || !strings.Contains(st.Error, "rate limit") || !st.LastSuccess.Equal(before.LastSuccess) || !st.Cursor.Equal(before.Cursor) {
		t.Fatalf("status after the failure = %+v (before: %+v)", st, before)
	}

	// It recovers on the next run.
	f.srv.ClearFaults()
	f.MustSync(t)
	if st := f.status(t, store.Orders); st.Failing() {
		t.Fatalf("status after recovery = %+v", st)
	}
	if c := f.count(t, `SELECT COUNT(*) FROM orders`); c != 155 {
		t.Fatalf("%d orders, want 155", c)
	}
}

func TestRejectedRecordsAreVisible(t *testing.T) {
	f := MustFixture(t, fixtureOptions{})
	f.MustAuthorize(t, shopID)
	now := f.now()
	good := tiktoktest.Order{ID: "o-good", Status: "DELIVERED", CreateTime: now.Add(-2 * time.Hour), UpdateTime: now.Add(-time.Hour),
		DeliveryTime: now.Add(-time.Hour), LineItems: []tiktoktest.LineItem{{ID: "l1", ProductID: "p1"}}}
	bad := good
	bad.ID, bad.DeliveryTime = "o-bad", now.Add(-3*time.Hour) // delivered before it was created
	bare := good
	bare.ID, bare.LineItems = "o-bare", nil
	f.srv.PutOrders(shopID, good, bad, bare)
	f.srv.PutReturns(shopID, tiktoktest.Return{ID: "r-lost", OrderID: "o-unknown", Reason: "damaged", CreateTime: now.Add(-time.Hour), UpdateTime: now.Add(-time.Hour)})

	res := f.MustSync(t)
	if got := records(res); got[store.Orders] != 1 {
		t.Fatalf("records = %v, want the one good order", got)
	}
	st := f.status(t, store.Orders)
	if st.Failing() || st.Rejected != 2 {
		t.Fatalf("orders status = %+v, want a success with 2 rejected", st)
	}
	problems := map[string]string{}
	for _, r := range st.RejectedRecords {
		problems[r.RecordID] = r.Problem
	}
	if !strings.Contains(problems["o-bad"], "delivered_at") || !strings.Contains(problems["o-bare"], "no line items") {
		t.Fatalf("rejected = %+v", st.RejectedRecords)
	}
	if rs := f.status(t, store.Returns); rs.Rejected != 1 || !strings.Contains(rs.RejectedRecords[0].Problem, "o-unknown") {
		t.Fatalf("returns status = %+v", rs)
	}

	// TikTok corrects the order: the next sync imports it and the reject goes.
	f.srv.UpdateOrder(shopID, "o-bad", f.now().Add(-2*time.Second), func(o *tiktoktest.Order) { o.DeliveryTime = o.CreateTime.Add(time.Minute) })
	f.MustSync(t)
	if st := f.status(t, store.Orders); st.Rejected != 1 || st.RejectedRecords[0].RecordID != "o-bare" {
		t.Fatalf("orders status after the fix = %+v", st)
	}
}

// TestRejectedMessages: a message from a sender role shopwatch does not
// know, or dated far ahead, is rejected and listed, not stored.
func TestRejectedMessages(t *testing.T) {
	f := MustFixture(t, fixtureOptions{})
	f.MustAuthorize(t, shopID)
	now := f.now()
	f.srv.AddMessages(shopID, "conv-r",
		tiktoktest.Message{ID: "m-ok", Role: "BUYER", Text: "hello", CreateTime: now.Add(-time.Hour)},
		tiktoktest.Message{ID: "m-mod", Role: "MODERATOR", Text: "warning", CreateTime: now.Add(-time.Hour + time.Minute)},
		tiktoktest.Message{ID: "m-2100", Role: "SHOP", Text: "from the future", CreateTime: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)},
	)
	f.MustSync(t)
	st := f.status(t, store.Chats)
	problems := map[string]string{}
	for _, r := range st.RejectedRecords {
		problems[r.RecordID] = r.Problem
	}
	if st.Rejected != 2 || !strings.Contains(problems["m-mod"], `sender: unknown sender "MODERATOR"`) || !strings.Contains(problems["m-2100"], "sent_at: ") || !strings.Contains(problems["m-2100"], "out of range") {
		t.Fatalf("chats status = %+v", st)
	}
	if c := f.count(t, `SELECT COUNT(*) FROM chat_messages`); c != 1 {
		t.Fatalf("%d chat messages stored, want only m-ok", c)
	}
}

func TestNotAuthorized(t *testing.T) {
	f := MustFixture(t, fixtureOptions{})
	if _, err := f.s.SyncShop(t.Context(), shopID); !errors.Is(err, tiktoksync.ErrNotAuthorized) {
		t.Fatalf("SyncShop of a shop never authorized: %v", err)
	}
	if _, err := f.s.SyncShop(t.Context(), "999"); err == nil || !strings.Contains(err.Error(), "not in the config") {
		t.Fatalf("SyncShop of an unknown shop: %v", err)
	}
	res, err := f.s.SyncAll(t.Context())
	if err != nil || len(res) != 0 {
		t.Fatalf("SyncAll with no authorized shop = %v, %v", res, err)
	}
	// A code for another seller's shop is refused, and links nothing.
	f.srv.AddAuthCode("other", otherShop)
	if _, err := f.s.Authorize(t.Context(), shopID, "other"); err == nil || !strings.Contains(err.Error(), "does not cover shop 7495001") {
		t.Fatalf("Authorize with a code for another shop: %v", err)
	}
	if _, err := f.db.TikTokShop(t.Context(), shopID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("shop linked after a refused authorization: %v", err)
	}
}

func TestTokensNeverInTheClear(t *testing.T) {
	f := MustFixture(t, fixtureOptions{fake: tiktoktest.Options{AccessTokenTTL: time.Hour}})
	f.MustAuthorize(t, shopID)
	f.srv.AddGeneratedOrders(shopID, 0, 10, f.now().Add(-time.Hour), time.Second)
	f.MustSync(t) // refreshes: a second token
	// The fake's tokens are ROW_ (access) or ROW_R (refresh) and 48 hex
	// digits; none may appear in the database files or the logs.
	token := regexp.MustCompile(`ROW_R?[0-9a-f]{48}`)
	if tok := f.srv.IssueToken(shopID); !token.MatchString(tok.AccessToken) || !token.MatchString(tok.RefreshToken) {
		t.Fatal("the pattern does not match the fake's tokens")
	}
	var files []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(f.path + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		files = append(files, b...)
	}
	for _, hay := range []struct {
		name string
		b    []byte
	}{{"database", files}, {"logs", []byte(f.logs.String())}} {
		if tok := token.Find(hay.b); tok != nil {
			t.Fatalf("the %s hold a token: %q", hay.name, tok)
		}
	}
	if !strings.Contains(f.logs.String(), "TikTok access token refreshed") {
		t.Fatal("no refresh logged: the test saw no second token")
	}
}

func TestSecretKey(t *testing.T) {
	f := MustFixture(t, fixtureOptions{})
	f.MustAuthorize(t, shopID)
	for _, tt := range []struct{ name, key, err string }{
		{"none", "", "SHOPWATCH_SECRET_KEY is not set"},
		{"short", "short", "too short"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tiktoksync.New(tiktoksync.Options{DB: f.db, Client: f.client, SecretKey: tt.key})
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("New with key %q: %v", tt.key, err)
			}
		})
	}
	t.Run("another key", func(t *testing.T) {
		s2, err := tiktoksync.New(tiktoksync.Options{DB: f.db, Client: f.client, SecretKey: "a different key, also long enough"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s2.SyncShop(t.Context(), shopID); err == nil || !strings.Contains(err.Error(), "cannot decrypt") {
			t.Fatalf("sync with another key: %v", err)
		}
	})
}
