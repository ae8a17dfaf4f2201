package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Typed records are what an import writes (SPEC section 2). Every producer
// builds them: the CSV adapter (csvrecords.go) for files in SPEC's layout
// and Seller Center's exports, the TikTok sync from the API's records. The
// import checks each record (sink.go) whoever built it, and a rejection
// quotes the record's Ref.

// Ref says where a record came from, for the messages that reject it: a
// file and line ("orders.csv:12"), or a source and the record's id there
// ("tiktok order 5761...").
type Ref struct {
	Source string // a file name, or the system and kind of record ("tiktok order")
	Line   int    // the line the record starts on in Source; 0 when it has none
	ID     string // the record's id in Source, when Line is 0
}

func (r Ref) String() string {
	switch {
	case r.Line > 0:
		return r.Source + ":" + strconv.Itoa(r.Line)
	case r.ID != "":
		return r.Source + " " + r.ID
	}
	return r.Source
}

// OrderLine is one product of an order.
type OrderLine struct {
	Ref         Ref
	OrderID     string
	ShopID      string // the TikTok shop id, as in the config
	ProductID   string
	ProductName string // optional
	CreatedAt   time.Time
	DeliveredAt time.Time // zero: not delivered
	Status      string    // optional, kept as written
}

// Review is a buyer's review of one product of an order.
type Review struct {
	Ref       Ref
	ReviewID  string
	OrderID   string
	ShopID    string
	ProductID string
	Rating    int // 1 to 5
	CreatedAt time.Time
	Text      string // optional
	Tags      string // optional: rules.ParseTags's comma-separated tags
}

// Return is a return or refund request for one product of an order.
type Return struct {
	Ref       Ref
	ReturnID  string
	OrderID   string
	ShopID    string
	ProductID string
	CreatedAt time.Time
	Reason    string
	Type      string // optional: one of rules.ReturnTypes
	Status    string // optional: one of rules.ReturnStatuses
}

// ChatMessage is one message of a buyer conversation.
type ChatMessage struct {
	Ref            Ref
	MessageID      string
	ConversationID string
	ShopID         string
	Sender         string // a rules.ParseSender name
	SentAt         time.Time
	Text           string // optional
}

// ImportOrders writes order lines as Import writes a file of them: checked
// first, then all or nothing unless opts.SkipInvalid, in short
// transactions. name is what ImportResult.Files calls the records.
func (db *DB) ImportOrders(ctx context.Context, name string, recs []OrderLine, opts ImportOptions) (*ImportResult, error) {
	return db.importRecords(ctx, Orders, name, len(recs), opts, func(s *sink) error {
		return eachRecord(s, recs, (*sink).order)
	})
}

// ImportReviews writes reviews; see ImportOrders.
func (db *DB) ImportReviews(ctx context.Context, name string, recs []Review, opts ImportOptions) (*ImportResult, error) {
	return db.importRecords(ctx, Reviews, name, len(recs), opts, func(s *sink) error {
		return eachRecord(s, recs, (*sink).review)
	})
}

// ImportReturns writes returns; see ImportOrders.
func (db *DB) ImportReturns(ctx context.Context, name string, recs []Return, opts ImportOptions) (*ImportResult, error) {
	return db.importRecords(ctx, Returns, name, len(recs), opts, func(s *sink) error {
		return eachRecord(s, recs, (*sink).returned)
	})
}

// ImportChats writes chat messages; see ImportOrders.
func (db *DB) ImportChats(ctx context.Context, name string, recs []ChatMessage, opts ImportOptions) (*ImportResult, error) {
	return db.importRecords(ctx, Chats, name, len(recs), opts, func(s *sink) error {
		return eachRecord(s, recs, (*sink).chat)
	})
}

// eachRecord hands the records to s, stopping when the import is stopped.
func eachRecord[R any](s *sink, recs []R, add func(*sink, *R)) error {
	s.startFile(0)
	for i := range recs {
		if i%batchRows == 0 && s.ctx.Err() != nil {
			return s.ctx.Err()
		}
		s.file.Rows++
		add(s, &recs[i])
	}
	s.endFile()
	return s.ctx.Err()
}

func (db *DB) importRecords(ctx context.Context, kind Kind, name string, rows int, opts ImportOptions, each func(*sink) error) (*ImportResult, error) {
	spec, err := db.importSpec(ctx, kind, opts)
	if err != nil {
		return nil, err
	}
	f := feed{names: []string{name}, rows: int64(rows), each: each}
	if res, staged, err := db.importStaged(ctx, spec, f, opts); staged {
		return res, err
	}
	if err := db.checkFeed(ctx, spec, f, opts); err != nil {
		return nil, fmt.Errorf("import %s: %w", kind, err)
	}
	res := newResult(kind, f)
	return db.load(ctx, spec, res, db.feedSource(spec, f, res, opts), f.rows, opts)
}
