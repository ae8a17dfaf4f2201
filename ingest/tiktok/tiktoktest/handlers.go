package tiktoktest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ---- page tokens: opaque to clients, keyset cursors inside ----

func encodeToken(kind string, k key) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s|%d|%s", kind, k.t, k.id))
}

func decodeToken(kind, tok string) (*key, *apiError) {
	if tok == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	parts := strings.SplitN(string(raw), "|", 3)
	if err != nil || len(parts) != 3 || parts[0] != kind {
		return nil, badParam("Invalid page_token.")
	}
	t, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, badParam("Invalid page_token.")
	}
	return &key{t, parts[2]}, nil
}

// intParam reads a query integer in [lo, hi]; def is used when absent, and
// def < 0 makes it required.
func intParam(q map[string][]string, name string, def, lo, hi int) (int, *apiError) {
	vs := q[name]
	if len(vs) == 0 || vs[0] == "" {
		if def < 0 {
			return 0, badParam("%s is required.", name)
		}
		return def, nil
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil || n < lo || n > hi {
		return 0, badParam("Invalid %s %q. Valid range: [%d-%d].", name, vs[0], lo, hi)
	}
	return n, nil
}

// checkUpdateSort accepts only what the fake implements for searches.
func checkUpdateSort(q map[string][]string) *apiError {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if get("sort_field") != "update_time" || get("sort_order") != "ASC" {
		return badParam("tiktoktest implements only sort_field=update_time&sort_order=ASC (got %q %q).", get("sort_field"), get("sort_order"))
	}
	return nil
}

// ---- filters and paging over a table ----

type searchBody struct {
	CreateTimeGE *int64   `json:"create_time_ge"`
	CreateTimeLT *int64   `json:"create_time_lt"`
	UpdateTimeGE *int64   `json:"update_time_ge"`
	UpdateTimeLT *int64   `json:"update_time_lt"`
	OrderStatus  string   `json:"order_status"`
	OrderIDs     []string `json:"order_ids"`
	ReturnIDs    []string `json:"return_ids"`
}

func (b *searchBody) simple() bool {
	return b.CreateTimeGE == nil && b.CreateTimeLT == nil && b.OrderStatus == "" && len(b.OrderIDs) == 0 && len(b.ReturnIDs) == 0
}

func (b *searchBody) match(r *rec) bool {
	switch {
	case b.CreateTimeGE != nil && r.created < *b.CreateTimeGE,
		b.CreateTimeLT != nil && r.created >= *b.CreateTimeLT,
		b.OrderStatus != "" && r.status != b.OrderStatus,
		len(b.OrderIDs) > 0 && !slices.Contains(b.OrderIDs, r.orderID),
		len(b.ReturnIDs) > 0 && !slices.Contains(b.ReturnIDs, r.key.id):
		return false
	}
	return true
}

// page returns up to size records matching b after cursor, the key to
// continue from (nil on the last page) and the total number of matches.
func (t *table) page(b *searchBody, cursor *key, size int) (items []*rec, next *key, total int) {
	lo, hi := 0, len(t.sorted)
	if b.UpdateTimeGE != nil {
		lo = t.search(key{*b.UpdateTimeGE, ""})
	}
	if b.UpdateTimeLT != nil {
		hi = t.search(key{*b.UpdateTimeLT, ""})
	}
	start := lo
	if cursor != nil {
		i := t.search(*cursor)
		if i < len(t.sorted) && t.sorted[i].key == *cursor {
			i++
		}
		start = max(start, i)
	}
	for i := start; i < hi; i++ {
		r := t.sorted[i]
		if !b.match(r) {
			continue
		}
		if len(items) == size {
			k := items[len(items)-1].key
			next = &k
			break
		}
		items = append(items, r)
	}
	if b.simple() {
		total = max(hi-lo, 0)
	} else {
		for i := lo; i < hi; i++ {
			if b.match(t.sorted[i]) {
				total++
			}
		}
	}
	return items, next, total
}

// pageJSON assembles {"next_page_token":..,"total_count":..,"<field>":[raw...]}.
func pageJSON(kind, field string, items []*rec, next *key, total int) []byte {
	size := 64
	for _, r := range items {
		size += len(r.raw) + 1
	}
	var b bytes.Buffer
	b.Grow(size)
	tok := ""
	if next != nil {
		tok = encodeToken(kind, *next)
	}
	fmt.Fprintf(&b, `{"next_page_token":%q,"total_count":%d,%q:[`, tok, total, field)
	for i, r := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(r.raw)
	}
	b.WriteString("]}")
	return b.Bytes()
}

func parseSearchBody(raw []byte) (*searchBody, *apiError) {
	var b searchBody
	if len(bytes.TrimSpace(raw)) == 0 {
		return &b, nil
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, badParam("Invalid request body: %v", err)
	}
	return &b, nil
}

// ---- handlers (called with s.mu read-locked) ----

func (s *Server) handleShops(_ *shop, g *grant, _ *request) ([]byte, *apiError) {
	type wireShop struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Region     string `json:"region"`
		SellerType string `json:"seller_type"`
		Cipher     string `json:"cipher"`
		Code       string `json:"code"`
	}
	out := struct {
		Shops []wireShop `json:"shops"`
	}{Shops: []wireShop{}}
	for _, id := range g.shopIDs {
		if sh := s.shops[id]; sh != nil {
			i := sh.info
			out.Shops = append(out.Shops, wireShop(i))
		}
	}
	b, _ := json.Marshal(out)
	return b, nil
}

func (s *Server) handleOrderSearch(sh *shop, _ *grant, r *request) ([]byte, *apiError) {
	size, aerr := intParam(r.query, "page_size", -1, 1, 100)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkUpdateSort(r.query); aerr != nil {
		return nil, aerr
	}
	cursor, aerr := decodeToken("o", first(r.query["page_token"]))
	if aerr != nil {
		return nil, aerr
	}
	body, aerr := parseSearchBody(r.body)
	if aerr != nil {
		return nil, aerr
	}
	if len(body.OrderIDs) > 0 || len(body.ReturnIDs) > 0 {
		return nil, badParam("order_ids and return_ids are not orders search filters.")
	}
	items, next, total := sh.orders.page(body, cursor, size)
	return pageJSON("o", "orders", items, next, total), nil
}

func (s *Server) handleOrderDetail(sh *shop, _ *grant, r *request) ([]byte, *apiError) {
	ids := strings.Split(first(r.query["ids"]), ",")
	if len(ids) == 0 || ids[0] == "" {
		return nil, badParam("Ids is a required field.")
	}
	if len(ids) > 50 {
		return nil, badParam("At most 50 ids.")
	}
	var b bytes.Buffer
	b.WriteString(`{"orders":[`)
	n := 0
	for _, id := range ids {
		if rc := sh.orders.byID[id]; rc != nil {
			if n > 0 {
				b.WriteByte(',')
			}
			b.Write(rc.raw)
			n++
		}
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

func (s *Server) handleReturnSearch(sh *shop, _ *grant, r *request) ([]byte, *apiError) {
	size, aerr := intParam(r.query, "page_size", 10, 10, 50)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkUpdateSort(r.query); aerr != nil {
		return nil, aerr
	}
	cursor, aerr := decodeToken("r", first(r.query["page_token"]))
	if aerr != nil {
		return nil, aerr
	}
	body, aerr := parseSearchBody(r.body)
	if aerr != nil {
		return nil, aerr
	}
	if body.OrderStatus != "" {
		return nil, badParam("order_status is not a returns search filter.")
	}
	items, next, total := sh.returns.page(body, cursor, size)
	return pageJSON("r", "return_orders", items, next, total), nil
}

// conversations sort newest latest message first, then by id.
func convOrder(a, b *conv) int {
	if c := -cmpInt(convTime(a), convTime(b)); c != 0 {
		return c
	}
	return strings.Compare(a.info.ID, b.info.ID)
}

func convTime(c *conv) int64 {
	if c.latest != nil {
		return c.latest.key.t
	}
	return unix(c.info.CreateTime)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Server) handleConversations(sh *shop, _ *grant, r *request) ([]byte, *apiError) {
	size, aerr := intParam(r.query, "page_size", -1, 1, 20)
	if aerr != nil {
		return nil, aerr
	}
	cursor, aerr := decodeToken("c", first(r.query["page_token"]))
	if aerr != nil {
		return nil, aerr
	}
	all := make([]*conv, 0, len(sh.convs))
	for _, c := range sh.convs {
		all = append(all, c)
	}
	slices.SortFunc(all, convOrder)
	start := 0
	if cursor != nil {
		probe := &conv{info: Conversation{ID: cursor.id}, latest: &msg{key: key{t: cursor.t}}}
		start, _ = slices.BinarySearchFunc(all, probe, convOrder)
		if start < len(all) && all[start].info.ID == cursor.id {
			start++
		}
	}
	end := min(start+size, len(all))
	out := struct {
		Conversations []wireConversation `json:"conversations"`
		NextPageToken string             `json:"next_page_token"`
	}{Conversations: make([]wireConversation, 0, end-start)}
	for _, c := range all[start:end] {
		out.Conversations = append(out.Conversations, c.wire())
	}
	if end < len(all) {
		last := all[end-1]
		out.NextPageToken = encodeToken("c", key{convTime(last), last.info.ID})
	}
	b, _ := json.Marshal(out)
	return b, nil
}

func (s *Server) handleMessages(sh *shop, _ *grant, r *request) ([]byte, *apiError) {
	size, aerr := intParam(r.query, "page_size", -1, 1, 10)
	if aerr != nil {
		return nil, aerr
	}
	desc := true
	switch first(r.query["sort_order"]) {
	case "", "DESC":
	case "ASC":
		desc = false
	default:
		return nil, badParam("Invalid sort_order.")
	}
	switch first(r.query["sort_field"]) {
	case "", "create_time", "index":
	default:
		return nil, badParam("Invalid sort_field.")
	}
	kind := "ma" // cursors of one direction are no good for the other
	if desc {
		kind = "md"
	}
	cursor, aerr := decodeToken(kind, first(r.query["page_token"]))
	if aerr != nil {
		return nil, aerr
	}
	cv := sh.convs[r.param]
	if cv == nil {
		return nil, badParam("Conversation %s not found.", r.param)
	}
	// Walk cv.msgs (ascending) forwards or backwards from the cursor.
	n := len(cv.msgs)
	var idx []int
	if desc {
		i := n - 1
		if cursor != nil {
			j, _ := slices.BinarySearchFunc(cv.msgs, *cursor, func(m *msg, k key) int { return m.key.cmp(k) })
			i = j - 1
		}
		for ; i >= 0 && len(idx) < size; i-- {
			idx = append(idx, i)
		}
	} else {
		i := 0
		if cursor != nil {
			j, found := slices.BinarySearchFunc(cv.msgs, *cursor, func(m *msg, k key) int { return m.key.cmp(k) })
			i = j
			if found {
				i++
			}
		}
		for ; i < n && len(idx) < size; i++ {
			idx = append(idx, i)
		}
	}
	var b bytes.Buffer
	b.WriteString(`{"messages":[`)
	for k, i := range idx {
		if k > 0 {
			b.WriteByte(',')
		}
		b.Write(cv.msgs[i].raw)
	}
	tok := ""
	if len(idx) > 0 {
		lastI := idx[len(idx)-1]
		if (desc && lastI > 0) || (!desc && lastI < n-1) {
			tok = encodeToken(kind, cv.msgs[lastI].key)
		}
	}
	fmt.Fprintf(&b, `],"next_page_token":%q,"unsupported_msg_tips":"Please check this message in Seller Center."}`, tok)
	return b.Bytes(), nil
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
