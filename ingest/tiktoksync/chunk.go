package tiktoksync

import (
	"context"
	"fmt"
	"time"

	"github.com/shopwatch/shopwatch/store"
)

// The sources of the sync's records in rejections ("tiktok order 5761...").
const (
	orderSource   = "tiktok order"
	returnSource  = "tiktok return"
	messageSource = "tiktok message"
)

// chunk holds some synced records until they are imported in one
// transaction. Each keeps its TikTok id in its Ref, which the import's
// rejections quote.
type chunk struct {
	kind    store.Kind
	name    string
	orders  []store.OrderLine
	returns []store.Return
	chats   []store.ChatMessage

	records int                // distinct records
	last    string             // the latest record id added
	direct  []store.SyncReject // records the sync itself could not write
	// maxUpdate is the latest update time of the records in the chunk.
	maxUpdate time.Time
}

func newChunk(kind store.Kind, name string) *chunk {
	c := &chunk{kind: kind, name: name}
	c.reset()
	return c
}

func (c *chunk) reset() {
	clear(c.orders)
	clear(c.returns)
	clear(c.chats)
	c.orders, c.returns, c.chats = c.orders[:0], c.returns[:0], c.chats[:0]
	c.records, c.last = 0, ""
	c.direct = c.direct[:0]
	c.maxUpdate = time.Time{}
}

// count notes a row of record id; rows of one record are added together.
func (c *chunk) count(id string) {
	if id != c.last || c.records == 0 {
		c.records++
		c.last = id
	}
}

func (c *chunk) addOrder(r store.OrderLine) {
	c.count(r.Ref.ID)
	c.orders = append(c.orders, r)
}

func (c *chunk) addReturn(r store.Return) {
	c.count(r.Ref.ID)
	c.returns = append(c.returns, r)
}

func (c *chunk) addMessage(r store.ChatMessage) {
	c.count(r.Ref.ID)
	c.chats = append(c.chats, r)
}

// rows is how many rows the chunk holds.
func (c *chunk) rows() int { return len(c.orders) + len(c.returns) + len(c.chats) }

// ids calls fn with the record id of each row, in order.
func (c *chunk) ids(fn func(string)) {
	for i := range c.orders {
		fn(c.orders[i].Ref.ID)
	}
	for i := range c.returns {
		fn(c.returns[i].Ref.ID)
	}
	for i := range c.chats {
		fn(c.chats[i].Ref.ID)
	}
}

// reject notes a record the sync could not turn into a row.
func (c *chunk) reject(id, problem string, at time.Time) {
	c.direct = append(c.direct, store.SyncReject{RecordID: id, Problem: problem, At: at})
}

// updated notes a record's update time.
func (c *chunk) updated(t time.Time) {
	if t.After(c.maxUpdate) {
		c.maxUpdate = t
	}
}

func (c *chunk) empty() bool { return c.rows() == 0 && len(c.direct) == 0 }

// load imports the chunk's rows, skipping invalid ones.
func (s *Syncer) load(ctx context.Context, c *chunk) (*store.ImportResult, error) {
	opts := store.ImportOptions{SkipInvalid: true}
	s.importMu.Lock()
	defer s.importMu.Unlock()
	switch c.kind {
	case store.Orders:
		return s.db.ImportOrders(ctx, c.name, c.orders, opts)
	case store.Returns:
		return s.db.ImportReturns(ctx, c.name, c.returns, opts)
	case store.Chats:
		return s.db.ImportChats(ctx, c.name, c.chats, opts)
	}
	return nil, fmt.Errorf("tiktoksync: no sync of %s", c.kind)
}

// flush imports the chunk (skipping invalid rows), records its rejected
// and imported records in the shop's rejects, moves the cursor when j asks
// for it, and resets the chunk.
func (s *Syncer) flush(ctx context.Context, c *chunk, j *job) error {
	if c.empty() {
		return nil
	}
	now := s.now()
	rejected := append([]store.SyncReject(nil), c.direct...)
	var imported []string
	if c.rows() > 0 {
		res, err := s.load(ctx, c)
		if err != nil {
			return err
		}
		bad := map[string]bool{}
		for _, re := range res.Rejected {
			id := re.ID
			if id == "" {
				return fmt.Errorf("import %s: %s", c.kind, re.Error()) // not a record's: a bug here
			}
			if bad[id] {
				continue
			}
			bad[id] = true
			problem := re.Problem
			if re.Field != "" {
				problem = re.Field + ": " + problem
			}
			rejected = append(rejected, store.SyncReject{RecordID: id, Problem: problem, At: now})
		}
		// With more rejected rows than the import reports, which of the
		// others got in is unknown: leave the earlier rejects as they are.
		if res.Total == len(res.Rejected) {
			seen := map[string]bool{}
			c.ids(func(id string) {
				if !bad[id] && !seen[id] {
					seen[id] = true
					imported = append(imported, id)
				}
			})
		}
		j.records += c.records - len(bad)
	}
	j.rejected += len(rejected)
	if s.opts.Progress != nil {
		s.opts.Progress(j.shopID, j.kind, j.records)
	}
	if len(rejected) > 0 || len(imported) > 0 {
		if err := s.db.UpdateSyncRejects(ctx, j.shopID, j.kind, rejected, imported); err != nil {
			return err
		}
	}
	if j.cursor && !c.maxUpdate.IsZero() {
		if err := s.db.AdvanceSyncCursor(ctx, j.shopID, j.kind, c.maxUpdate); err != nil {
			return err
		}
	}
	c.reset()
	if s.afterFlush != nil {
		s.afterFlush()
	}
	return nil
}

// full reports whether the chunk should be imported now.
func (s *Syncer) full(c *chunk) bool { return c.records >= s.opts.ChunkSize }
