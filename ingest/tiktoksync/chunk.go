package tiktoksync

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/store"
)

// headers are the SPEC section 2 columns the sync writes, per kind.
var headers = map[store.Kind][]string{
	store.Orders:  {"order_id", "shop_id", "product_id", "created_at", "product_name", "delivered_at", "status"},
	store.Returns: {"return_id", "order_id", "shop_id", "product_id", "created_at", "reason", "type", "status"},
	store.Chats:   {"message_id", "conversation_id", "shop_id", "sender", "sent_at", "text"},
}

// chunk is SPEC-format CSV of some synced records, held in memory until it
// is imported in one transaction. It remembers which record each CSV row
// came from, so that a rejected row is reported by the record's TikTok id
// rather than by a line of a file nobody sees.
type chunk struct {
	kind store.Kind
	name string
	buf  bytes.Buffer
	w    *csv.Writer
	line int // the line the next row starts on (the header is line 1)

	rows    []rowRef           // per CSV row, in order
	records int                // distinct records
	last    string             // the latest record id added
	direct  []store.SyncReject // records the sync itself could not write
	// maxUpdate is the latest update time of the records in the chunk.
	maxUpdate time.Time
}

type rowRef struct {
	line int
	id   string
}

func newChunk(kind store.Kind, name string) *chunk {
	c := &chunk{kind: kind, name: name}
	c.w = csv.NewWriter(&c.buf)
	c.reset()
	return c
}

func (c *chunk) reset() {
	c.buf.Reset()
	c.w.Write(headers[c.kind])
	c.line = 2
	c.rows = c.rows[:0]
	c.records, c.last = 0, ""
	c.direct = c.direct[:0]
	c.maxUpdate = time.Time{}
}

// add writes one CSV row for record id; rows of one record are added
// together.
func (c *chunk) add(id string, fields ...string) {
	if id != c.last || c.records == 0 {
		c.records++
		c.last = id
	}
	c.rows = append(c.rows, rowRef{c.line, id})
	c.w.Write(fields)
	c.line++
	for _, f := range fields {
		c.line += strings.Count(f, "\n") // a quoted field keeps its line breaks
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

func (c *chunk) empty() bool { return len(c.rows) == 0 && len(c.direct) == 0 }

// idAt returns the record of the row starting at line.
func (c *chunk) idAt(line int) (string, bool) {
	i := sort.Search(len(c.rows), func(i int) bool { return c.rows[i].line > line }) - 1
	if i < 0 {
		return "", false
	}
	return c.rows[i].id, true
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
	if len(c.rows) > 0 {
		c.w.Flush()
		if err := c.w.Error(); err != nil {
			return fmt.Errorf("write %s CSV: %w", c.kind, err)
		}
		s.importMu.Lock()
		res, err := s.db.Import(ctx, c.kind, []store.Source{{Name: c.name, R: bytes.NewReader(c.buf.Bytes())}}, store.ImportOptions{SkipInvalid: true})
		s.importMu.Unlock()
		if err != nil {
			return err
		}
		bad := map[string]bool{}
		for _, re := range res.Rejected {
			id, ok := c.idAt(re.Line)
			if !ok {
				return fmt.Errorf("import %s: %s", c.kind, re.Error()) // the header: a bug here
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
			for _, r := range c.rows {
				if !bad[r.id] && !seen[r.id] {
					seen[r.id] = true
					imported = append(imported, r.id)
				}
			}
		}
		j.records += c.records - len(bad)
	}
	j.rejected += len(rejected)
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

// rfc3339 formats a time for a CSV field; the zero time is "".
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
