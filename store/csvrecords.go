package store

import (
	"io"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
)

// The CSV adapter: files in SPEC section 2's layout, or Seller Center's
// exports of the kind (sellercenter.go), become typed records. Its own
// checks quote the file's text and name the header's columns; the import
// then checks the records as it checks any (sink.go).

// minCSVRow is fewer bytes than any valid row of any kind holds: its
// required fields, the time alone 20 of them, and their commas.
const minCSVRow = 24

// csvFeed reads the sources as CSV files of the spec's kind; shop is
// ImportOptions.Shop.
func (db *DB) csvFeed(spec *kindSpec, sources []Source, shop string) feed {
	names := make([]string, len(sources))
	var size int64
	for i, src := range sources {
		names[i] = src.Name
		size += src.Size
	}
	for _, src := range sources {
		if src.Size <= 0 {
			size = 0 // one unknown size makes the total unknown
		}
	}
	return feed{names: names, size: size, rows: size / minCSVRow, each: func(s *sink) error {
		for i, src := range sources {
			s.startFile(i)
			p := &rowParser{db: db, file: src.Name, touched: s.res.touched, latest: s.latest, only: shop}
			fileErr, err := p.each(s.ctx, &countingReader{r: src.R, n: &s.read}, spec, func(rec []string, line int) {
				s.file.Rows++
				p.rec, p.line, p.err = rec, line, nil
				spec.decode(p, s)
			}, func(e RowError) {
				s.file.Rows++
				s.reject(e)
			})
			if fileErr != nil {
				s.res.unusable++
				s.res.reject(*fileErr)
			}
			s.endFile()
			if err != nil {
				return err
			}
			if s.ctx.Err() != nil {
				return s.ctx.Err()
			}
		}
		return nil
	}}
}

// ref is the reference of the row being read.
func (p *rowParser) ref() Ref { return Ref{Source: p.file, Line: p.line} }

// rejected hands the row's problem, if any, to s.
func (p *rowParser) rejected(s *sink) bool {
	if p.err != nil {
		s.reject(*p.err)
		return true
	}
	return false
}

func decodeOrder(p *rowParser, s *sink) {
	r := OrderLine{Ref: p.ref()}
	r.OrderID, r.ProductID = p.id("order_id", true), p.product()
	if strings.ContainsAny(r.ProductID, "\r\n") {
		p.fail("product_id", "contains a line break")
	}
	r.ShopID = p.shop()
	r.CreatedAt, _ = p.time("created_at", true)
	var isDelivered bool
	r.DeliveredAt, isDelivered = p.time("delivered_at", false)
	if isDelivered && r.DeliveredAt.Before(r.CreatedAt) {
		p.fail("delivered_at", "%s is before %s %s", p.opt("delivered_at"), p.label("created_at"), p.opt("created_at"))
	}
	if p.rejected(s) {
		return
	}
	r.ProductName, r.Status = p.opt("product_name"), p.orderStatus()
	s.order(&r)
}

func decodeReview(p *rowParser, s *sink) {
	r := Review{Ref: p.ref()}
	r.ReviewID = p.id("review_id", !p.seller)
	r.OrderID, r.ProductID = p.id("order_id", true), p.product()
	if r.ReviewID == "" {
		r.ReviewID = derivedKey(r.OrderID, r.ProductID)
	}
	r.ShopID = p.shop()
	r.Rating = p.rating()
	r.CreatedAt, _ = p.time("created_at", true)
	r.Tags = p.opt("tags")
	if _, err := rules.ParseTags(r.Tags); err != nil {
		p.fail("tags", "%v", err)
	}
	if p.rejected(s) {
		return
	}
	r.Text = p.opt("text")
	s.review(&r)
}

func decodeReturn(p *rowParser, s *sink) {
	r := Return{Ref: p.ref()}
	r.ReturnID = p.id("return_id", !p.seller)
	r.OrderID, r.ProductID = p.id("order_id", true), p.product()
	if r.ReturnID == "" {
		r.ReturnID = derivedKey(r.OrderID, r.ProductID)
	}
	r.ShopID = p.shop()
	r.CreatedAt, _ = p.time("created_at", true)
	r.Reason = p.req("reason")
	if p.seller {
		r.Type, r.Status = sellerReturnType[strings.ToLower(p.opt("type"))], sellerReturnStatus[strings.ToLower(p.opt("status"))]
	} else {
		r.Type, r.Status = p.oneOf("type", rules.ReturnTypes), p.oneOf("status", rules.ReturnStatuses)
	}
	if p.rejected(s) {
		return
	}
	s.returned(&r)
}

func decodeChat(p *rowParser, s *sink) {
	r := ChatMessage{Ref: p.ref()}
	r.MessageID, r.ConversationID = p.req("message_id"), p.req("conversation_id")
	r.ShopID = p.shop()
	r.Sender = p.req("sender")
	if r.Sender != "" {
		if _, err := rules.ParseSender(r.Sender); err != nil {
			p.fail("sender", "%v", err)
		}
	}
	r.SentAt, _ = p.time("sent_at", true)
	if p.rejected(s) {
		return
	}
	r.Text = p.opt("text")
	s.chat(&r)
}

// countingReader counts the bytes read through it, for progress reports.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	*c.n += int64(n)
	return n, err
}
