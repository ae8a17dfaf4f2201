package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// feed produces the records of one import, in one or more named inputs
// (files): each hands them to the sink, input by input. An import runs it
// twice, to check and then to write, so it must give the same records
// each time.
type feed struct {
	names []string
	size  int64 // bytes of input, for progress reports; 0: unknown
	rows  int64 // at most how many rows it holds (newSeenSet); 0: unknown
	each  func(*sink) error
}

// sink checks the records a feed produces and gathers the valid ones into
// batches for the writer (bulk.go). Its checks are the import's rules for
// records whoever built them; a producer with checks of its own (the CSV
// adapter's, which quote the text of the file) runs them first through the
// same helpers.
type sink struct {
	ctx  context.Context
	db   *DB
	spec *kindSpec
	res  *ImportResult
	file *FileStats // the input being read
	out  chan<- *batch
	free chan *batch
	b    *batch

	names  map[string]string // product names written by this import, by shop and product
	latest time.Time         // the latest timestamp accepted
	only   string            // ImportOptions.Shop
	ref    Ref               // the record being checked
	err    *RowError         // its first problem

	progress func(rows int) // called after each batch, if set
	rows     int            // valid rows sent
	read     int64          // bytes of input read, when the feed counts them
}

func (db *DB) newSink(ctx context.Context, spec *kindSpec, res *ImportResult, only string, out chan<- *batch, free chan *batch) *sink {
	return &sink{ctx: ctx, db: db, spec: spec, res: res, out: out, free: free, names: map[string]string{},
		latest: db.now().AddDate(1, 0, 0), only: only}
}

// startFile starts input i of the feed.
func (s *sink) startFile(i int) {
	s.file = &s.res.Files[i]
	s.b = s.get()
}

// endFile sends the input's last batch.
func (s *sink) endFile() {
	if s.b.n > 0 {
		s.send()
	}
}

func (s *sink) get() *batch {
	select {
	case b := <-s.free:
		return b
	default:
		return newBatch(s.spec.targets)
	}
}

func (s *sink) send() {
	s.rows += s.b.n
	select {
	case s.out <- s.b:
	case <-s.ctx.Done():
	}
	s.b = s.get()
	if s.progress != nil {
		s.progress(s.rows)
	}
}

// added counts a valid record into the batch.
func (s *sink) added() {
	s.b.n++
	if s.b.n >= batchRows {
		s.send()
	}
}

// reject counts a rejected row of the current input.
func (s *sink) reject(e RowError) {
	s.file.Rejected++
	s.res.reject(e)
}

// begin starts checking a record; ok reports whether it passed.
func (s *sink) begin(ref Ref) { s.ref, s.err = ref, nil }

func (s *sink) ok() bool {
	if s.err != nil {
		s.reject(*s.err)
		return false
	}
	return true
}

func (s *sink) fail(field, format string, args ...any) {
	if s.err == nil {
		s.err = &RowError{Ref: s.ref, Field: field, Problem: fmt.Sprintf(format, args...)}
	}
}

// req checks a required text field.
func (s *sink) req(field, v string) {
	if v == "" {
		s.fail(field, "is required")
		return
	}
	s.text(field, v)
}

// text checks an optional text field.
func (s *sink) text(field, v string) {
	if problem := valueProblem(v, MaxFieldBytes); problem != "" {
		s.fail(field, "%s", problem)
	}
}

// when checks a time; ok is false when it is zero or out of range.
func (s *sink) when(field string, t time.Time, required bool) bool {
	switch {
	case t.IsZero():
		if required {
			s.fail(field, "is required")
		}
		return false
	case !inRange(t, s.latest):
		s.fail(field, "%q is out of range: want a time from 2000-01-01 to one year from now (%s)", t.Format(time.RFC3339), s.latest.UTC().Format("2006-01-02"))
		return false
	}
	return true
}

// earliest is the earliest timestamp accepted: anything before is a typo or
// a zero value, not a TikTok Shop record.
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// inRange reports whether t is a timestamp an import accepts.
func inRange(t, latest time.Time) bool { return !t.Before(earliest) && !t.After(latest) }

// shop resolves a record's shop and counts it as read.
func (s *sink) shop(id string) shopRef {
	if id == "" {
		s.fail("shop_id", "is required")
		return shopRef{}
	}
	ref, problem := s.db.importShop(id, s.only, s.res.touched)
	if problem != "" {
		s.fail("shop_id", "%s", problem)
	}
	return ref
}

// importShop resolves the shop id of a row against the config; only is
// ImportOptions.Shop. The shops found are marked in touched.
func (db *DB) importShop(id, only string, touched map[int64]bool) (shopRef, string) {
	ref, ok := db.index().byID[id]
	if !ok {
		return ref, fmt.Sprintf("unknown shop %q (not in the config)", id)
	}
	touched[ref.key] = true
	if only != "" && id != only {
		return ref, fmt.Sprintf("%q is not the shop this import is for (%s)", id, only)
	}
	return ref, ""
}

// oneOf checks an optional field with a fixed set of values.
func (s *sink) oneOf(field, v string, allowed []string) {
	if v != "" && !slices.Contains(allowed, v) {
		s.fail(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func (s *sink) order(r *OrderLine) {
	s.begin(r.Ref)
	s.req("order_id", r.OrderID)
	s.req("product_id", r.ProductID)
	if strings.ContainsAny(r.ProductID, "\r\n") {
		s.fail("product_id", "contains a line break")
	}
	shop := s.shop(r.ShopID)
	s.when("created_at", r.CreatedAt, true)
	isDelivered := s.when("delivered_at", r.DeliveredAt, false)
	if isDelivered && r.DeliveredAt.Before(r.CreatedAt) {
		s.fail("delivered_at", "%s is before created_at %s", r.DeliveredAt.Format(time.RFC3339), r.CreatedAt.Format(time.RFC3339))
	}
	s.text("product_name", r.ProductName)
	s.text("status", r.Status)
	if !s.ok() {
		return
	}
	b, loc := s.b, shop.shop.Location
	o := b.orders[r.OrderID]
	if o == nil {
		o = &orderFact{}
		b.orders[r.OrderID] = o
	}
	// All lines of an order share its dates: the last line read wins.
	o.shop, o.createdAt, o.created, o.hasDeliv = shop.key, r.CreatedAt.UnixMilli(), rules.DayOf(r.CreatedAt, loc), isDelivered
	if isDelivered {
		o.deliveredAt, o.delivered = r.DeliveredAt.UnixMilli(), rules.DayOf(r.DeliveredAt, loc)
	}
	o.status = r.Status
	if !slices.Contains(o.products, r.ProductID) {
		o.products = append(o.products, r.ProductID)
	}
	if name := r.ProductName; name != "" {
		key := strconv.FormatInt(shop.key, 10) + "\x00" + r.ProductID
		if s.names[key] != name { // write each product's name once per import, unless it changes
			s.names[key] = name
			b.add(targetProducts, key, shop.key, r.ProductID, name)
		}
	}
	s.added()
}

func (s *sink) review(r *Review) {
	s.begin(r.Ref)
	s.req("review_id", r.ReviewID)
	s.req("order_id", r.OrderID)
	s.req("product_id", r.ProductID)
	shop := s.shop(r.ShopID)
	if r.Rating < 1 || r.Rating > 5 {
		s.fail("rating", "%d is not an integer from 1 to 5", r.Rating)
	}
	s.when("created_at", r.CreatedAt, true)
	tags, err := rules.ParseTags(r.Tags)
	if err != nil {
		s.fail("tags", "%v", err)
	}
	s.text("text", r.Text)
	if !s.ok() {
		return
	}
	causes := s.db.causes.Classify(tags, r.Text)
	s.b.add(0, r.ReviewID, r.ReviewID, r.OrderID, shop.key, r.ProductID, int64(r.Rating), r.CreatedAt.UnixMilli(),
		int64(rules.DayOf(r.CreatedAt, shop.shop.Location)), r.Text, r.Tags, int64(causes))
	s.added()
}

// returned adds a return (return is Go's).
func (s *sink) returned(r *Return) {
	s.begin(r.Ref)
	s.req("return_id", r.ReturnID)
	s.req("order_id", r.OrderID)
	s.req("product_id", r.ProductID)
	shop := s.shop(r.ShopID)
	s.when("created_at", r.CreatedAt, true)
	s.req("reason", r.Reason)
	s.oneOf("type", r.Type, rules.ReturnTypes)
	s.oneOf("status", r.Status, rules.ReturnStatuses)
	if !s.ok() {
		return
	}
	c := s.db.faults.Classify(r.Reason)
	s.b.add(0, r.ReturnID, r.ReturnID, r.OrderID, shop.key, r.ProductID, r.CreatedAt.UnixMilli(), int64(rules.DayOf(r.CreatedAt, shop.shop.Location)),
		r.Reason, r.Type, r.Status, int64(c.Fault), c.Category, c.Classified)
	s.added()
}

func (s *sink) chat(m *ChatMessage) {
	s.begin(m.Ref)
	s.req("message_id", m.MessageID)
	s.req("conversation_id", m.ConversationID)
	shop := s.shop(m.ShopID)
	s.req("sender", m.Sender)
	if m.Sender != "" {
		if _, err := rules.ParseSender(m.Sender); err != nil {
			s.fail("sender", "%v", err)
		}
	}
	s.when("sent_at", m.SentAt, true)
	s.text("text", m.Text)
	if !s.ok() {
		return
	}
	s.b.add(0, m.MessageID, m.MessageID, m.ConversationID, shop.key, m.Sender, m.SentAt.UnixMilli(), m.Text)
	s.added()
}
