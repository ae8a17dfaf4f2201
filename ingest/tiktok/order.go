package tiktok

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Order is one order from orders search or order detail (202309). Only the
// fields shopwatch uses are decoded.
type Order struct {
	ID string
	// Status is TikTok's order status: UNPAID, ON_HOLD, AWAITING_SHIPMENT,
	// PARTIALLY_SHIPPING, AWAITING_COLLECTION, IN_TRANSIT, DELIVERED,
	// COMPLETED or CANCELLED.
	Status     string
	CreateTime time.Time
	UpdateTime time.Time
	PaidTime   time.Time
	// DeliveryTime is zero until the order is delivered; it gives SPEC's
	// delivered_at.
	DeliveryTime time.Time
	CancelTime   time.Time
	UserID       string
	// LineItems has one entry per unit sold: two of one SKU are two line
	// items. Products folds them to one line per product.
	LineItems []LineItem
}

// LineItem is one unit of an order.
type LineItem struct {
	// ID is the order line item id; returns point at it
	// (ReturnLineItem.OrderLineItemID).
	ID            string
	ProductID     string
	ProductName   string
	SkuID         string
	SkuName       string
	SellerSku     string
	DisplayStatus string
	PackageStatus string
	IsGift        bool
	CancelReason  string
}

// Products returns one line item per distinct product id, in first-seen
// order: SPEC's order lines (order_id + product_id).
func (o Order) Products() []LineItem {
	out := make([]LineItem, 0, len(o.LineItems))
	seen := make(map[string]bool, len(o.LineItems))
	for _, li := range o.LineItems {
		if seen[li.ProductID] {
			continue
		}
		seen[li.ProductID] = true
		out = append(out, li)
	}
	return out
}

// ProductOf returns the product id of the order line item with the given id,
// and whether there is one. Return line items carry no product id, only the
// order line item id, so this is how a return is tied to its product.
func (o Order) ProductOf(lineItemID string) (string, bool) {
	for _, li := range o.LineItems {
		if li.ID == lineItemID {
			return li.ProductID, true
		}
	}
	return "", false
}

// wireOrder is Order202309GetOrderListResponseDataOrders (and the identical
// GetOrderDetail shape), reduced to the fields used.
type wireOrder struct {
	ID           string         `json:"id"`
	Status       string         `json:"status"`
	CreateTime   int64          `json:"create_time"`
	UpdateTime   int64          `json:"update_time"`
	PaidTime     int64          `json:"paid_time"`
	DeliveryTime int64          `json:"delivery_time"`
	CancelTime   int64          `json:"cancel_time"`
	UserID       string         `json:"user_id"`
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
	PackageStatus string `json:"package_status"`
	IsGift        bool   `json:"is_gift"`
	CancelReason  string `json:"cancel_reason"`
}

func (w wireOrder) order() Order {
	o := Order{
		ID:           w.ID,
		Status:       w.Status,
		CreateTime:   unixTime(w.CreateTime),
		UpdateTime:   unixTime(w.UpdateTime),
		PaidTime:     unixTime(w.PaidTime),
		DeliveryTime: unixTime(w.DeliveryTime),
		CancelTime:   unixTime(w.CancelTime),
		UserID:       w.UserID,
		LineItems:    make([]LineItem, len(w.LineItems)),
	}
	for i, li := range w.LineItems {
		o.LineItems[i] = LineItem(li)
	}
	return o
}

// MaxOrderPageSize is the largest page_size orders search accepts.
const MaxOrderPageSize = 100

// OrderSearch filters POST /order/202309/orders/search. Results come sorted
// by update_time ascending, so a sync can resume from the last update time
// it saw.
type OrderSearch struct {
	// UpdateTimeGE and UpdateTimeLT bound update_time: [GE, LT). Zero
	// leaves a bound open (TikTok then defaults LT to now).
	UpdateTimeGE time.Time
	UpdateTimeLT time.Time
	// CreateTimeGE and CreateTimeLT bound create_time the same way.
	CreateTimeGE time.Time
	CreateTimeLT time.Time
	// Status, when set, keeps only orders in that status.
	Status string
	// PageSize is 1..100; 0 means 100.
	PageSize int
	// PageToken is the previous page's NextPageToken; "" for the first.
	PageToken string
}

// orderSearchBody is the request body of orders search.
type orderSearchBody struct {
	CreateTimeGE int64  `json:"create_time_ge,omitempty"`
	CreateTimeLT int64  `json:"create_time_lt,omitempty"`
	UpdateTimeGE int64  `json:"update_time_ge,omitempty"`
	UpdateTimeLT int64  `json:"update_time_lt,omitempty"`
	OrderStatus  string `json:"order_status,omitempty"`
}

// OrderPage is one page of orders search.
type OrderPage struct {
	Orders []Order
	// NextPageToken is "" on the last page.
	NextPageToken string
	// TotalCount is the number of orders matching the search.
	TotalCount int
}

// SearchOrders returns one page of the shop's orders matching req.
func (cl *Client) SearchOrders(ctx context.Context, shop ShopAuth, req OrderSearch) (OrderPage, error) {
	q, err := shopQuery(shop)
	if err != nil {
		return OrderPage{}, err
	}
	size, err := checkPageSize(req.PageSize, 1, MaxOrderPageSize)
	if err != nil {
		return OrderPage{}, fmt.Errorf("tiktok: SearchOrders: %w", err)
	}
	q.Set("page_size", strconv.Itoa(size))
	q.Set("sort_field", "update_time")
	q.Set("sort_order", "ASC")
	if req.PageToken != "" {
		q.Set("page_token", req.PageToken)
	}
	body := orderSearchBody{
		CreateTimeGE: unixSeconds(req.CreateTimeGE),
		CreateTimeLT: unixSeconds(req.CreateTimeLT),
		UpdateTimeGE: unixSeconds(req.UpdateTimeGE),
		UpdateTimeLT: unixSeconds(req.UpdateTimeLT),
		OrderStatus:  req.Status,
	}
	const path = "/order/202309/orders/search"
	d, err := do[struct {
		Orders        []wireOrder `json:"orders"`
		NextPageToken string      `json:"next_page_token"`
		TotalCount    int         `json:"total_count"`
	}](ctx, cl, cl.apiCall(http.MethodPost, path, "", q, body, shop.AccessToken))
	if err != nil {
		return OrderPage{}, err
	}
	page := OrderPage{Orders: make([]Order, len(d.Orders)), NextPageToken: d.NextPageToken, TotalCount: d.TotalCount}
	for i, w := range d.Orders {
		page.Orders[i] = w.order()
	}
	return page, nil
}

// MaxOrderDetailIDs is how many order ids one GetOrders call takes.
const MaxOrderDetailIDs = 50

// GetOrders fetches orders by id (GET /order/202309/orders?ids=...), e.g. for
// an ORDER_STATUS_CHANGE webhook. At most MaxOrderDetailIDs ids.
func (cl *Client) GetOrders(ctx context.Context, shop ShopAuth, ids []string) ([]Order, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > MaxOrderDetailIDs {
		return nil, fmt.Errorf("tiktok: GetOrders: %d ids, at most %d", len(ids), MaxOrderDetailIDs)
	}
	q, err := shopQuery(shop)
	if err != nil {
		return nil, err
	}
	q.Set("ids", strings.Join(ids, ","))
	const path = "/order/202309/orders"
	d, err := do[struct {
		Orders []wireOrder `json:"orders"`
	}](ctx, cl, cl.apiCall(http.MethodGet, path, "", q, nil, shop.AccessToken))
	if err != nil {
		return nil, err
	}
	out := make([]Order, len(d.Orders))
	for i, w := range d.Orders {
		out[i] = w.order()
	}
	return out, nil
}

// EachOrder pages through every order of shop updated in [since, until)
// (until zero means now), oldest update first, calling fn for each; only one
// page is held in memory at a time.
//
// lastUpdate is the latest update time handed to fn. Because orders come in
// update-time order, every order updated before lastUpdate has been handed to
// fn even when err is non-nil, so a sync that stores lastUpdate as its cursor
// and next asks for since = lastUpdate (inclusive, minus an overlap for late
// writes) misses nothing. fn may return ErrStopPaging to end early without an
// error; any other error from fn is returned as is.
func (cl *Client) EachOrder(ctx context.Context, shop ShopAuth, since, until time.Time, fn func(Order) error) (lastUpdate time.Time, err error) {
	if until.IsZero() {
		until = cl.now()
	}
	req := OrderSearch{UpdateTimeGE: since, UpdateTimeLT: until, PageSize: MaxOrderPageSize}
	err = eachItem(func(token string) ([]Order, string, error) {
		req.PageToken = token
		page, err := cl.SearchOrders(ctx, shop, req)
		return page.Orders, page.NextPageToken, err
	}, func(o Order) error {
		if err := fn(o); err != nil {
			return err
		}
		lastUpdate = later(lastUpdate, o.UpdateTime)
		return nil
	})
	return lastUpdate, err
}

// eachItem pages through a listing: next fetches the page of a token (""
// for the first) and returns its items and the next page's token. fn is
// called for each item until the last page, one without a next token or
// without items. fn may return ErrStopPaging to end early without an error;
// any other error it returns is returned as is.
func eachItem[T any](next func(token string) ([]T, string, error), fn func(T) error) error {
	token := ""
	for {
		items, nextToken, err := next(token)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := fn(it); err != nil {
				if errors.Is(err, ErrStopPaging) {
					return nil
				}
				return err
			}
		}
		if nextToken == "" || len(items) == 0 {
			return nil
		}
		token = nextToken
	}
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// checkPageSize validates a requested page size against an API's range; 0 means
// the largest.
func checkPageSize(n, lo, hi int) (int, error) {
	switch {
	case n == 0:
		return hi, nil
	case n < lo || n > hi:
		return 0, fmt.Errorf("page size %d out of range %d..%d", n, lo, hi)
	}
	return n, nil
}
