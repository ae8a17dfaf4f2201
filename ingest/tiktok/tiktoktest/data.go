package tiktoktest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Shop is a fake shop. Empty Cipher, Code and Name are filled in by AddShop.
type Shop struct {
	ID         string
	Name       string
	Region     string
	SellerType string
	Cipher     string
	Code       string
}

// Order is a fake order. A zero DeliveryTime means not delivered yet.
type Order struct {
	ID           string
	Status       string
	CreateTime   time.Time
	UpdateTime   time.Time
	PaidTime     time.Time
	DeliveryTime time.Time
	UserID       string
	LineItems    []LineItem
}

// LineItem is one unit of a fake order.
type LineItem struct {
	ID          string
	ProductID   string
	ProductName string
	SkuID       string
	SkuName     string
	SellerSku   string
}

// Return is a fake return or refund request.
type Return struct {
	ID                string
	OrderID           string
	Reason            string
	ReasonText        string
	Type              string
	Status            string
	ArbitrationStatus string
	Role              string
	CreateTime        time.Time
	UpdateTime        time.Time
	LineItems         []ReturnLineItem
}

// ReturnLineItem is one returned unit, pointing at an order line item.
type ReturnLineItem struct {
	ID              string
	OrderLineItemID string
	SkuID           string
	SkuName         string
	SellerSku       string
	ProductName     string
}

// Conversation is a fake buyer–shop conversation.
type Conversation struct {
	ID           string
	CreateTime   time.Time
	Participants []Participant
}

// Participant is a member of a fake conversation.
type Participant struct {
	Role     string
	Nickname string
	IMUserID string
	UserID   string
}

// Message is a fake chat message. With Content empty, Text becomes the
// content {"content": Text}. Type defaults to TEXT and IsVisible to true
// unless Hidden.
type Message struct {
	ID         string
	Type       string
	Text       string
	Content    string
	CreateTime time.Time
	Hidden     bool
	// Role is BUYER, SHOP, CUSTOMER_SERVICE, SYSTEM or ROBOT.
	Role     string
	Nickname string
	IMUserID string
}

// ---- storage ----

// key orders records for keyset paging: by time, then id.
type key struct {
	t  int64
	id string
}

func (a key) cmp(b key) int {
	if c := cmp.Compare(a.t, b.t); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// rec is a stored record: its sort key, filter fields and encoded JSON.
type rec struct {
	key     key    // update time + id
	created int64  // create time
	status  string // order status
	orderID string // for returns
	raw     json.RawMessage
}

// table is a set of records sorted by key, with an id index.
type table struct {
	sorted []*rec
	byID   map[string]*rec
}

func newTable() *table { return &table{byID: map[string]*rec{}} }

func (t *table) search(k key) int {
	i, _ := slices.BinarySearchFunc(t.sorted, k, func(r *rec, k key) int { return r.key.cmp(k) })
	return i
}

// put inserts or replaces r.
func (t *table) put(r *rec) {
	if old := t.byID[r.key.id]; old != nil {
		i := t.search(old.key)
		t.sorted = slices.Delete(t.sorted, i, i+1)
	}
	t.byID[r.key.id] = r
	if n := len(t.sorted); n == 0 || t.sorted[n-1].key.cmp(r.key) < 0 {
		t.sorted = append(t.sorted, r) // the common case: newest last
		return
	}
	t.sorted = slices.Insert(t.sorted, t.search(r.key), r)
}

type shop struct {
	info    Shop
	orders  *table
	returns *table
	convs   map[string]*conv
}

type conv struct {
	info   Conversation
	msgs   []*msg // by create time, then sequence
	seq    int64
	latest *msg
}

type msg struct {
	key  key // create time + 20-digit sequence, so ids need not sort
	info Message
	raw  json.RawMessage
}

// AddShop adds a shop and returns it with defaults filled in.
func (s *Server) AddShop(sh Shop) Shop {
	s.tb.Helper()
	if sh.ID == "" {
		s.tb.Fatalf("tiktoktest: AddShop: empty shop id")
	}
	if sh.Name == "" {
		sh.Name = "Shop " + sh.ID
	}
	if sh.Region == "" {
		sh.Region = "TH"
	}
	if sh.SellerType == "" {
		sh.SellerType = "LOCAL"
	}
	if sh.Cipher == "" {
		sh.Cipher = "ROW_" + sh.ID + "_" + newToken("")[:12]
	}
	if sh.Code == "" {
		sh.Code = sh.Region + "LC" + sh.ID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.shops[sh.ID]; dup {
		s.tb.Fatalf("tiktoktest: AddShop: shop %q exists", sh.ID)
	}
	st := &shop{info: sh, orders: newTable(), returns: newTable(), convs: map[string]*conv{}}
	s.shops[sh.ID] = st
	s.byCipher[sh.Cipher] = st
	return sh
}

func (s *Server) shopLocked(id string) *shop {
	s.tb.Helper()
	sh := s.shops[id]
	if sh == nil {
		s.tb.Fatalf("tiktoktest: unknown shop %q", id)
	}
	return sh
}

// PutOrders adds or replaces orders of a shop. Give a changed order a later
// UpdateTime, as TikTok would.
func (s *Server) PutOrders(shopID string, orders ...Order) {
	s.tb.Helper()
	recs := make([]*rec, len(orders))
	for i, o := range orders {
		recs[i] = orderRec(o)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shopLocked(shopID)
	for _, r := range recs {
		sh.orders.put(r)
	}
}

// UpdateOrder changes a stored order with fn and stamps its UpdateTime with
// at. It fails the test if the order does not exist.
func (s *Server) UpdateOrder(shopID, orderID string, at time.Time, fn func(*Order)) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shopLocked(shopID)
	old := sh.orders.byID[orderID]
	if old == nil {
		s.tb.Fatalf("tiktoktest: shop %s has no order %q", shopID, orderID)
	}
	var w wireOrder
	if err := json.Unmarshal(old.raw, &w); err != nil {
		s.tb.Fatalf("tiktoktest: %v", err)
	}
	o := w.order()
	fn(&o)
	o.UpdateTime = at
	sh.orders.put(orderRec(o))
}

// AddGeneratedOrders adds n synthetic orders to a shop: created and updated
// at start, start+step, ...; ids "57" followed by 15 digits from first;
// every order has one or two line items over 50 products, and two in three
// are delivered a day after creation.
func (s *Server) AddGeneratedOrders(shopID string, first, n int, start time.Time, step time.Duration) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shopLocked(shopID)
	for i := first; i < first+n; i++ {
		t := start.Add(time.Duration(i-first) * step)
		o := Order{
			ID:         fmt.Sprintf("57%015d", i),
			Status:     "AWAITING_SHIPMENT",
			CreateTime: t,
			UpdateTime: t,
			PaidTime:   t,
			UserID:     fmt.Sprintf("7%018d", i%5000),
		}
		if i%3 != 0 {
			o.Status = "DELIVERED"
			o.DeliveryTime = t.Add(24 * time.Hour)
		}
		for j := range 1 + i%2 {
			p := (i + j) % 50
			o.LineItems = append(o.LineItems, LineItem{
				ID:          fmt.Sprintf("57%015d%d", i, j),
				ProductID:   fmt.Sprintf("1729%011d", p),
				ProductName: fmt.Sprintf("Product %d", p),
				SkuID:       fmt.Sprintf("1730%011d", p),
				SkuName:     "Default",
				SellerSku:   fmt.Sprintf("SKU-%03d", p),
			})
		}
		sh.orders.put(orderRec(o))
	}
}

// PutReturns adds or replaces returns of a shop.
func (s *Server) PutReturns(shopID string, returns ...Return) {
	s.tb.Helper()
	recs := make([]*rec, len(returns))
	for i, r := range returns {
		recs[i] = returnRec(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shopLocked(shopID)
	for _, r := range recs {
		sh.returns.put(r)
	}
}

// PutConversation adds or replaces a conversation's details; its messages
// are kept.
func (s *Server) PutConversation(shopID string, c Conversation) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shopLocked(shopID)
	if cv := sh.convs[c.ID]; cv != nil {
		cv.info = c
		return
	}
	sh.convs[c.ID] = &conv{info: c}
}

// AddMessages appends messages to a conversation, creating the
// conversation if needed. Messages need not arrive in time order.
func (s *Server) AddMessages(shopID, conversationID string, msgs ...Message) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shopLocked(shopID)
	cv := sh.convs[conversationID]
	if cv == nil {
		cv = &conv{info: Conversation{ID: conversationID}}
		sh.convs[conversationID] = cv
	}
	for _, m := range msgs {
		if m.Type == "" {
			m.Type = "TEXT"
		}
		if m.Content == "" {
			b, _ := json.Marshal(map[string]string{"content": m.Text})
			m.Content = string(b)
		}
		if cv.info.CreateTime.IsZero() || m.CreateTime.Before(cv.info.CreateTime) {
			cv.info.CreateTime = m.CreateTime
		}
		cv.seq++
		mm := &msg{key: key{m.CreateTime.Unix(), fmt.Sprintf("%020d", cv.seq)}, info: m}
		mm.raw, _ = json.Marshal(wireMessageOf(mm))
		i, _ := slices.BinarySearchFunc(cv.msgs, mm.key, func(x *msg, k key) int { return x.key.cmp(k) })
		cv.msgs = slices.Insert(cv.msgs, i, mm)
		cv.latest = cv.msgs[len(cv.msgs)-1]
	}
}
