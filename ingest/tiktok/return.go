package tiktok

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Return is one return or refund request from returns search (202309).
type Return struct {
	// ID is the return_id.
	ID      string
	OrderID string
	// Reason is TikTok's reason code, e.g.
	// ecom_order_delivered_refund_reason_damaged (SPEC's returns.reason).
	Reason string
	// ReasonText is the buyer-facing reason text.
	ReasonText string
	// Type is REFUND, RETURN_AND_REFUND or REPLACEMENT; see SpecType.
	Type string
	// Status is TikTok's return_status; see SpecStatus.
	Status string
	// ArbitrationStatus is IN_PROGRESS, SUPPORT_BUYER, SUPPORT_SELLER,
	// CLOSED or "".
	ArbitrationStatus string
	// Role is who initiated the request (BUYER, SELLER, OPERATOR, SYSTEM).
	Role       string
	CreateTime time.Time
	UpdateTime time.Time
	LineItems  []ReturnLineItem
}

// ReturnLineItem is one returned unit. TikTok gives no product id here:
// join OrderLineItemID with the order's line items (Order.ProductOf, or
// Return.ProductIDs).
type ReturnLineItem struct {
	// ID is the return_line_item_id.
	ID              string
	OrderLineItemID string
	SkuID           string
	SkuName         string
	SellerSku       string
	ProductName     string
}

// SpecStatus maps the return's status and arbitration status to SPEC's
// returns.status; see ReturnStatusToSpec.
func (r Return) SpecStatus() (status string, known bool) {
	return ReturnStatusToSpec(r.Status, r.ArbitrationStatus)
}

// SpecType maps the return's type to SPEC's returns.type; see
// ReturnTypeToSpec.
func (r Return) SpecType() (typ string, known bool) { return ReturnTypeToSpec(r.Type) }

// ProductIDs returns the distinct product ids of the return's line items,
// looked up in order (the return's order). Line items whose order line item
// is not in order are skipped; missing reports how many.
func (r Return) ProductIDs(order Order) (ids []string, missing int) {
	seen := make(map[string]bool, len(r.LineItems))
	for _, li := range r.LineItems {
		pid, ok := order.ProductOf(li.OrderLineItemID)
		if !ok {
			missing++
			continue
		}
		if !seen[pid] {
			seen[pid] = true
			ids = append(ids, pid)
		}
	}
	return ids, missing
}

// wireReturn is ReturnRefund202309SearchReturnsResponseDataReturnOrders,
// reduced to the fields used.
type wireReturn struct {
	ReturnID          string               `json:"return_id"`
	OrderID           string               `json:"order_id"`
	ReturnReason      string               `json:"return_reason"`
	ReturnReasonText  string               `json:"return_reason_text"`
	ReturnType        string               `json:"return_type"`
	ReturnStatus      string               `json:"return_status"`
	ArbitrationStatus string               `json:"arbitration_status"`
	Role              string               `json:"role"`
	CreateTime        int64                `json:"create_time"`
	UpdateTime        int64                `json:"update_time"`
	ReturnLineItems   []wireReturnLineItem `json:"return_line_items"`
}

// wireReturnLineItem is
// ReturnRefund202309SearchReturnsResponseDataReturnOrdersReturnLineItems.
type wireReturnLineItem struct {
	ReturnLineItemID string `json:"return_line_item_id"`
	OrderLineItemID  string `json:"order_line_item_id"`
	SkuID            string `json:"sku_id"`
	SkuName          string `json:"sku_name"`
	SellerSku        string `json:"seller_sku"`
	ProductName      string `json:"product_name"`
}

func (w wireReturn) ret() Return {
	r := Return{
		ID:                w.ReturnID,
		OrderID:           w.OrderID,
		Reason:            w.ReturnReason,
		ReasonText:        w.ReturnReasonText,
		Type:              w.ReturnType,
		Status:            w.ReturnStatus,
		ArbitrationStatus: w.ArbitrationStatus,
		Role:              w.Role,
		CreateTime:        unixTime(w.CreateTime),
		UpdateTime:        unixTime(w.UpdateTime),
		LineItems:         make([]ReturnLineItem, len(w.ReturnLineItems)),
	}
	for i, li := range w.ReturnLineItems {
		r.LineItems[i] = ReturnLineItem{
			ID:              li.ReturnLineItemID,
			OrderLineItemID: li.OrderLineItemID,
			SkuID:           li.SkuID,
			SkuName:         li.SkuName,
			SellerSku:       li.SellerSku,
			ProductName:     li.ProductName,
		}
	}
	return r
}

// Page-size range of returns search ("Valid range: [10-50]").
const (
	MinReturnPageSize = 10
	MaxReturnPageSize = 50
)

// ReturnSearch filters POST /return_refund/202309/returns/search. Results
// come sorted by update_time ascending.
type ReturnSearch struct {
	// UpdateTimeGE and UpdateTimeLT bound update_time: [GE, LT); zero
	// leaves a bound open.
	UpdateTimeGE time.Time
	UpdateTimeLT time.Time
	// CreateTimeGE and CreateTimeLT bound create_time the same way.
	CreateTimeGE time.Time
	CreateTimeLT time.Time
	// OrderIDs and ReturnIDs, when set, keep only those orders' returns or
	// those returns (e.g. for a RETURN_STATUS_CHANGE webhook).
	OrderIDs  []string
	ReturnIDs []string
	// PageSize is 10..50; 0 means 50.
	PageSize int
	// PageToken is the previous page's NextPageToken; "" for the first.
	PageToken string
}

type returnSearchBody struct {
	CreateTimeGE int64    `json:"create_time_ge,omitempty"`
	CreateTimeLT int64    `json:"create_time_lt,omitempty"`
	UpdateTimeGE int64    `json:"update_time_ge,omitempty"`
	UpdateTimeLT int64    `json:"update_time_lt,omitempty"`
	OrderIDs     []string `json:"order_ids,omitempty"`
	ReturnIDs    []string `json:"return_ids,omitempty"`
}

// ReturnPage is one page of returns search.
type ReturnPage struct {
	Returns []Return
	// NextPageToken is "" on the last page.
	NextPageToken string
	// TotalCount is the number of returns matching the search.
	TotalCount int
}

// SearchReturns returns one page of the shop's returns matching req.
func (cl *Client) SearchReturns(ctx context.Context, shop ShopAuth, req ReturnSearch) (ReturnPage, error) {
	q, err := shopQuery(shop)
	if err != nil {
		return ReturnPage{}, err
	}
	size, err := checkPageSize(req.PageSize, MinReturnPageSize, MaxReturnPageSize)
	if err != nil {
		return ReturnPage{}, fmt.Errorf("tiktok: SearchReturns: %w", err)
	}
	q.Set("page_size", strconv.Itoa(size))
	q.Set("sort_field", "update_time")
	q.Set("sort_order", "ASC")
	if req.PageToken != "" {
		q.Set("page_token", req.PageToken)
	}
	body := returnSearchBody{
		CreateTimeGE: unixSeconds(req.CreateTimeGE),
		CreateTimeLT: unixSeconds(req.CreateTimeLT),
		UpdateTimeGE: unixSeconds(req.UpdateTimeGE),
		UpdateTimeLT: unixSeconds(req.UpdateTimeLT),
		OrderIDs:     req.OrderIDs,
		ReturnIDs:    req.ReturnIDs,
	}
	const path = "/return_refund/202309/returns/search"
	d, err := do[struct {
		ReturnOrders  []wireReturn `json:"return_orders"`
		NextPageToken string       `json:"next_page_token"`
		TotalCount    int          `json:"total_count"`
	}](ctx, cl, cl.apiCall(http.MethodPost, path, "", q, body, shop.AccessToken))
	if err != nil {
		return ReturnPage{}, err
	}
	page := ReturnPage{Returns: make([]Return, len(d.ReturnOrders)), NextPageToken: d.NextPageToken, TotalCount: d.TotalCount}
	for i, w := range d.ReturnOrders {
		page.Returns[i] = w.ret()
	}
	return page, nil
}

// EachReturn pages through every return of shop updated in [since, until)
// (until zero means now), oldest update first, calling fn for each. It logs
// a warning for a status or type that ReturnStatusToSpec or ReturnTypeToSpec
// does not know. lastUpdate and ErrStopPaging work as in EachOrder.
func (cl *Client) EachReturn(ctx context.Context, shop ShopAuth, since, until time.Time, fn func(Return) error) (lastUpdate time.Time, err error) {
	if until.IsZero() {
		until = cl.now()
	}
	req := ReturnSearch{UpdateTimeGE: since, UpdateTimeLT: until, PageSize: MaxReturnPageSize}
	err = eachItem(func(token string) ([]Return, string, error) {
		req.PageToken = token
		page, err := cl.SearchReturns(ctx, shop, req)
		return page.Returns, page.NextPageToken, err
	}, func(r Return) error {
		if _, ok := r.SpecStatus(); !ok {
			cl.log.WarnContext(ctx, "unknown TikTok return status, mapped to default",
				"shop", shop, "return_id", r.ID, "return_status", r.Status, "arbitration_status", r.ArbitrationStatus)
		}
		if _, ok := r.SpecType(); !ok {
			cl.log.WarnContext(ctx, "unknown TikTok return type, mapped to default",
				"shop", shop, "return_id", r.ID, "return_type", r.Type)
		}
		if err := fn(r); err != nil {
			return err
		}
		lastUpdate = later(lastUpdate, r.UpdateTime)
		return nil
	})
	return lastUpdate, err
}
