package tiktok_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/ingest/tiktok/tiktoktest"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name string
		opts tiktok.Options
	}{
		{"no app key", tiktok.Options{AppSecret: "s"}},
		{"no app secret", tiktok.Options{AppKey: "k"}},
		{"relative api url", tiktok.Options{AppKey: "k", AppSecret: "s", APIURL: "open-api.example"}},
		{"bad auth url", tiktok.Options{AppKey: "k", AppSecret: "s", AuthURL: "ftp://x"}},
		{"negative attempts", tiktok.Options{AppKey: "k", AppSecret: "s", MaxAttempts: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tiktok.New(tt.opts); err == nil {
				t.Fatal("New succeeded")
			}
		})
	}
	if _, err := tiktok.New(tiktok.Options{AppKey: "k", AppSecret: "s"}); err != nil {
		t.Fatalf("New with defaults: %v", err)
	}
}

func TestTokenGetRefreshAndExpiry(t *testing.T) {
	clk := clockwork.NewFakeClockAt(t0)
	srv := tiktoktest.New(t, tiktoktest.Options{Clock: clk, AccessTokenTTL: time.Hour, RefreshTokenTTL: 24 * time.Hour})
	srv.AddShop(tiktoktest.Shop{ID: "7495001", Name: "Acme Beauty TH"})
	srv.AddAuthCode("code-1", "7495001")
	c := MustClient(t, srv, nil)
	ctx := t.Context()

	tok, err := c.GetToken(ctx, "code-1")
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.OpenID == "" || tok.SellerName != "Acme Beauty TH" {
		t.Fatalf("token = %#v", tok)
	}
	if !tok.AccessTokenExpiresAt.Equal(t0.Add(time.Hour)) || !tok.RefreshTokenExpiresAt.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("expiries = %v, %v", tok.AccessTokenExpiresAt, tok.RefreshTokenExpiresAt)
	}
	if tok.NeedsRefresh(t0, 10*time.Minute) || !tok.NeedsRefresh(t0.Add(55*time.Minute), 10*time.Minute) {
		t.Fatal("NeedsRefresh is wrong")
	}

	t.Run("code is single use", func(t *testing.T) {
		_, err := c.GetToken(ctx, "code-1")
		var ae *tiktok.APIError
		if !errors.As(err, &ae) || ae.Code != tiktok.CodeInvalidParam {
			t.Fatalf("second GetToken: err = %v, want APIError 36009004", err)
		}
	})

	shops, err := c.AuthorizedShops(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("AuthorizedShops: %v", err)
	}
	shop := tiktok.ShopAuth{ID: shops[0].ID, Cipher: shops[0].Cipher, AccessToken: tok.AccessToken}
	if _, err := c.SearchOrders(ctx, shop, tiktok.OrderSearch{}); err != nil {
		t.Fatalf("SearchOrders with fresh token: %v", err)
	}

	t.Run("expired token is ErrTokenExpired", func(t *testing.T) {
		clk.Advance(time.Hour + time.Second)
		_, err := c.SearchOrders(ctx, shop, tiktok.OrderSearch{})
		if !errors.Is(err, tiktok.ErrTokenExpired) {
			t.Fatalf("err = %v, want ErrTokenExpired", err)
		}
		var ae *tiktok.APIError
		if !errors.As(err, &ae) || ae.Code != tiktok.CodeExpiredAccessToken || ae.HTTPStatus != http.StatusUnauthorized {
			t.Fatalf("err = %#v, want code 105002 HTTP 401", err)
		}
	})

	t.Run("refresh gives a working token", func(t *testing.T) {
		fresh, err := c.RefreshToken(ctx, tok.RefreshToken)
		if err != nil {
			t.Fatalf("RefreshToken: %v", err)
		}
		if fresh.AccessToken == tok.AccessToken || !fresh.AccessTokenExpiresAt.After(clk.Now()) {
			t.Fatalf("refreshed token = %#v", fresh)
		}
		shop.AccessToken = fresh.AccessToken
		if _, err := c.SearchOrders(ctx, shop, tiktok.OrderSearch{}); err != nil {
			t.Fatalf("SearchOrders after refresh: %v", err)
		}
	})

	t.Run("expired refresh token fails", func(t *testing.T) {
		clk.Advance(24 * time.Hour)
		_, err := c.RefreshToken(ctx, tok.RefreshToken)
		var ae *tiktok.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("err = %v, want APIError", err)
		}
	})

	t.Run("unknown token is ErrTokenExpired", func(t *testing.T) {
		shop.AccessToken = "ROW_not_a_token"
		_, err := c.AuthorizedShops(ctx, shop.AccessToken)
		var ae *tiktok.APIError
		if !errors.Is(err, tiktok.ErrTokenExpired) || !errors.As(err, &ae) || ae.Code != tiktok.CodeInvalidAccessToken {
			t.Fatalf("err = %v, want ErrTokenExpired with code 105001", err)
		}
	})
}

func TestAuthorizedShopsAndCipher(t *testing.T) {
	srv := tiktoktest.New(t, tiktoktest.Options{})
	a := srv.AddShop(tiktoktest.Shop{ID: "1001", Name: "A", Region: "TH"})
	b := srv.AddShop(tiktoktest.Shop{ID: "1002", Name: "B", Region: "MY"})
	srv.AddShop(tiktoktest.Shop{ID: "1003", Name: "C"})
	c := MustClient(t, srv, nil)
	tok := srv.IssueToken("1001", "1002")
	ctx := t.Context()

	shops, err := c.AuthorizedShops(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]tiktok.Shop{}
	for _, s := range shops {
		got[s.ID] = s
	}
	if len(got) != 2 || got["1001"].Cipher != a.Cipher || got["1002"].Cipher != b.Cipher ||
		got["1002"].Region != "MY" || got["1001"].Name != "A" || got["1001"].Code == "" {
		t.Fatalf("shops = %+v", shops)
	}

	tests := []struct {
		name     string
		cipher   string
		wantCode int
	}{
		{"own cipher", a.Cipher, 0},
		{"second shop", b.Cipher, 0},
		{"shop not authorized", srv.ShopAuth("1003", tok).Cipher, tiktok.CodeInvalidShopCipher},
		{"made-up cipher", "ROW_nope", tiktok.CodeInvalidShopCipher},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.SearchOrders(ctx, tiktok.ShopAuth{ID: "x", Cipher: tt.cipher, AccessToken: tok.AccessToken}, tiktok.OrderSearch{})
			var ae *tiktok.APIError
			switch {
			case tt.wantCode == 0 && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantCode != 0 && (!errors.As(err, &ae) || ae.Code != tt.wantCode):
				t.Fatalf("err = %v, want code %d", err, tt.wantCode)
			}
		})
	}
	if _, err := c.SearchOrders(ctx, tiktok.ShopAuth{ID: "x", AccessToken: tok.AccessToken}, tiktok.OrderSearch{}); err == nil {
		t.Fatal("empty cipher accepted")
	}
}

func TestFakeRejectsBadRequests(t *testing.T) {
	srv, _, shop := MustShop(t, tiktoktest.Options{}, nil)
	tests := []struct {
		name     string
		edit     func(*tiktok.Options)
		wantCode int
	}{
		{"wrong app secret", func(o *tiktok.Options) { o.AppSecret = "not-the-secret" }, tiktok.CodeInvalidSign},
		{"wrong app key", func(o *tiktok.Options) { o.AppKey = "not-the-key" }, tiktok.CodeInvalidParam},
		{"clock 6 minutes slow", func(o *tiktok.Options) { o.Clock = clockwork.NewFakeClockAt(time.Now().Add(-6 * time.Minute)) }, tiktok.CodeInvalidParam},
		{"clock 6 minutes fast", func(o *tiktok.Options) { o.Clock = clockwork.NewFakeClockAt(time.Now().Add(6 * time.Minute)) }, tiktok.CodeInvalidParam},
		{"clock 4 minutes off is fine", func(o *tiktok.Options) { o.Clock = clockwork.NewFakeClockAt(time.Now().Add(-4 * time.Minute)) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetCounts()
			c := MustClient(t, srv, tt.edit)
			_, err := c.SearchOrders(t.Context(), shop, tiktok.OrderSearch{})
			if tt.wantCode == 0 {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var ae *tiktok.APIError
			if !errors.As(err, &ae) || ae.Code != tt.wantCode {
				t.Fatalf("err = %v, want code %d", err, tt.wantCode)
			}
			if n := srv.Total(); n != 1 {
				t.Fatalf("fake saw %d requests, want 1 (rejections are not retried)", n)
			}
		})
	}
}

func TestEachOrderPagesEverything(t *testing.T) {
	srv, c, shop := MustShop(t, tiktoktest.Options{}, nil)
	const n = 1234
	srv.AddGeneratedOrders(shop.ID, 0, n, t0, time.Minute)

	seen := map[string]bool{}
	lines := 0
	last, err := c.EachOrder(t.Context(), shop, t0, t0.Add(30*24*time.Hour), func(o tiktok.Order) error {
		if seen[o.ID] {
			t.Errorf("order %s handed over twice", o.ID)
		}
		seen[o.ID] = true
		if len(o.LineItems) == 0 || o.LineItems[0].ProductID == "" || o.LineItems[0].ProductName == "" || o.CreateTime.IsZero() {
			t.Errorf("order %s incomplete: %+v", o.ID, o)
		}
		lines += len(o.Products())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("got %d orders, want %d", len(seen), n)
	}
	if want := t0.Add((n - 1) * time.Minute); !last.Equal(want) {
		t.Fatalf("lastUpdate = %v, want %v", last, want)
	}
	if got, want := srv.Count("/order/202309/orders/search"), (n+99)/100; got != want {
		t.Fatalf("%d search requests, want %d", got, want)
	}

	page, err := c.SearchOrders(t.Context(), shop, tiktok.OrderSearch{UpdateTimeGE: t0, PageSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 7 || page.TotalCount != n || page.NextPageToken == "" {
		t.Fatalf("page of 7: %d orders, total %d, token %q", len(page.Orders), page.TotalCount, page.NextPageToken)
	}
	delivered := page.Orders[1]
	if delivered.Status != "DELIVERED" || !delivered.DeliveryTime.Equal(delivered.CreateTime.Add(24*time.Hour)) {
		t.Fatalf("delivered order = %+v", delivered)
	}
	if !page.Orders[0].DeliveryTime.IsZero() {
		t.Fatalf("undelivered order has delivery time %v", page.Orders[0].DeliveryTime)
	}

	if _, err := c.SearchOrders(t.Context(), shop, tiktok.OrderSearch{PageSize: 101}); err == nil {
		t.Fatal("page size 101 accepted")
	}
}

func TestEachOrderIncremental(t *testing.T) {
	clk := clockwork.NewFakeClockAt(t0.Add(10 * 24 * time.Hour))
	srv, c, shop := MustShop(t, tiktoktest.Options{Clock: clk}, nil)
	srv.AddGeneratedOrders(shop.ID, 0, 500, t0, time.Minute)
	ctx := t.Context()

	count := func(since time.Time) ([]string, time.Time) {
		t.Helper()
		var ids []string
		last, err := c.EachOrder(ctx, shop, since, time.Time{}, func(o tiktok.Order) error {
			ids = append(ids, o.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids, last
	}
	all, cursor := count(time.Time{})
	if len(all) != 500 {
		t.Fatalf("first sync: %d orders", len(all))
	}

	// Three orders change and two are new, all after the cursor.
	later := clk.Now().Add(-time.Hour)
	for _, id := range []string{all[3], all[100], all[499]} {
		srv.UpdateOrder(shop.ID, id, later, func(o *tiktoktest.Order) { o.Status = "COMPLETED" })
	}
	srv.AddGeneratedOrders(shop.ID, 500, 2, later.Add(time.Minute), time.Minute)

	got, cursor2 := count(cursor) // since is inclusive: the last order may come again
	want := map[string]bool{all[3]: true, all[100]: true, all[499]: true, fmt.Sprintf("57%015d", 500): true, fmt.Sprintf("57%015d", 501): true}
	for _, id := range got {
		if !want[id] {
			t.Errorf("incremental sync returned unchanged order %s", id)
		}
		delete(want, id)
	}
	if len(want) != 0 {
		t.Errorf("incremental sync missed %v", want)
	}
	if !cursor2.Equal(later.Add(2 * time.Minute)) {
		t.Errorf("cursor = %v, want %v", cursor2, later.Add(2*time.Minute))
	}

	t.Run("ErrStopPaging ends early without error", func(t *testing.T) {
		n := 0
		var handed time.Time
		last, err := c.EachOrder(ctx, shop, time.Time{}, time.Time{}, func(o tiktok.Order) error {
			if n == 150 {
				return tiktok.ErrStopPaging
			}
			n++
			handed = o.UpdateTime
			return nil
		})
		if err != nil || n != 150 || !last.Equal(handed) {
			t.Fatalf("n = %d, last = %v (want %v), err = %v", n, last, handed, err)
		}
	})

	t.Run("callback error is returned with the cursor so far", func(t *testing.T) {
		boom := errors.New("store is down")
		var handed time.Time
		n := 0
		last, err := c.EachOrder(ctx, shop, time.Time{}, time.Time{}, func(o tiktok.Order) error {
			if n == 142 {
				return boom
			}
			if o.UpdateTime.Before(handed) {
				t.Errorf("order %s out of update-time order", o.ID)
			}
			n++
			handed = o.UpdateTime
			return nil
		})
		if !errors.Is(err, boom) || !last.Equal(handed) {
			t.Fatalf("last = %v (want %v), err = %v", last, handed, err)
		}
	})

	t.Run("GetOrders by id", func(t *testing.T) {
		orders, err := c.GetOrders(ctx, shop, []string{all[3], "nope", all[7]})
		if err != nil {
			t.Fatal(err)
		}
		if len(orders) != 2 || orders[0].ID != all[3] || orders[0].Status != "COMPLETED" || orders[1].ID != all[7] {
			t.Fatalf("orders = %+v", orders)
		}
	})
}

func TestSecretsStayOutOfLogsAndErrors(t *testing.T) {
	var buf syncBuffer
	srv, c, shop := MustShop(t, tiktoktest.Options{}, func(o *tiktok.Options) {
		o.Logger = debugLogger(&buf)
		o.MaxAttempts = 2
	})
	srv.AddAuthCode("code-9", shop.ID)
	srv.RateLimit(1, 0)
	tok, err := c.GetToken(t.Context(), "code-9")
	if err != nil {
		t.Fatal(err)
	}
	srv.Unavailable(1)
	shop.AccessToken = tok.AccessToken
	if _, err := c.SearchOrders(t.Context(), shop, tiktok.OrderSearch{}); err != nil {
		t.Fatal(err)
	}

	// A transport error on the auth host: the URL carries the app secret.
	opts := srv.ClientOptions()
	opts.AuthURL = "http://127.0.0.1:1"
	opts.MaxAttempts = 1
	opts.Logger = debugLogger(&buf)
	bad, _ := tiktok.New(opts)
	_, err = bad.RefreshToken(t.Context(), tok.RefreshToken)
	if err == nil {
		t.Fatal("refresh against a closed port succeeded")
	}

	logged := buf.String() + fmt.Sprint(shop, tok) + fmt.Sprintf("%+v %#v %#v", shop, shop, tok) + err.Error()
	if !strings.Contains(buf.String(), "retrying") {
		t.Fatalf("expected retry warnings in the log:\n%s", buf.String())
	}
	for name, secret := range map[string]string{"app secret": srv.AppSecret(), "access token": tok.AccessToken, "refresh token": tok.RefreshToken} {
		if strings.Contains(logged, secret) {
			t.Errorf("%s leaked:\n%s", name, logged)
		}
	}
}
