package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/shopwatch/shopwatch/rules"
)

// Turns written with their messages. A conversation new to the store, all
// of whose messages a batch of an import brings, has its turns made from
// that batch alone: nothing stored could change them. So the batch writes
// them itself, in its own transaction, and lists the conversation in
// chat_turns_inline first, which keeps the insert trigger of chat_messages
// from listing it stale (migration 13): it is neither read back nor
// rebuilt after the import. chat_turns_inline is emptied before the next
// batch and before the commit, so that it is empty for every other
// statement, of this import or of any other writer.
//
// A conversation with stored messages, or one whose messages come in more
// than one batch (its first batch finds it new, the next ones stored),
// takes the path of chats.go: its messages list it stale, and the import's
// settle rebuilds it from all of its stored messages. A message moved from
// another conversation lists both stale (the update trigger), which
// rebuilds the new one again, to the same turns.
//
// The turns a batch writes for a conversation that a later batch brings
// more of are written again by the rebuild: wasted. When conversations
// come back in later batches (an export in time order whose message ids
// follow time, so that conversations interleave), that waste made the
// import slower than without these turns (585k messages: 9.9-12.8 s
// against 8.3-8.7 s). So the import watches how many of the conversations
// it wrote turns for come back (splitWatch), and once a quarter of at
// least splitProbe of them have, it stops writing turns with the batches
// and lists every conversation stale, as before.
//
// On the 1M-line demo (585k messages in mixed order, sorted by message id
// when staged, which keeps a conversation's messages together there),
// every conversation was new and the listing and the rebuild of the
// stale ones had taken 1.7 s of a 5.1 s import.

// inline writes the turns of the conversations new to the store among
// b's messages, before b is written (importSteps.prepare).
func (r *turnRebuilder) inline(ctx context.Context, tx *sql.Tx, b *batch) error {
	if err := r.clearInline(ctx, tx); err != nil {
		return err
	}
	msgs := &b.targets[0]
	if msgs.len() == 0 || r.split.off {
		return nil
	}
	clear(r.groups)
	r.convs = r.convs[:0]
	for i := range msgs.len() {
		conv, _ := msgs.row(i)[1].(string)
		if _, ok := r.groups[conv]; !ok {
			r.convs = append(r.convs, conv)
		}
		r.groups[conv] = append(r.groups[conv], i)
	}
	stored, err := r.storedConversations(ctx, tx)
	if err != nil {
		return fmt.Errorf("chat turns: %w", err)
	}
	turns := &r.turns.targets[0]
	turns.reset()
	fresh := r.convs[:0]
	for _, conv := range r.convs {
		if stored[conv] {
			r.split.back(conv)
			continue
		}
		r.split.wrote(conv)
		fresh = append(fresh, conv)
		var last []any // the row the rebuild would read last (compareIndexed)
		for _, i := range r.groups[conv] {
			row := msgs.row(i)
			id, _ := row[0].(string)
			sender, _ := row[3].(string)
			sentAt, _ := row[4].(int64)
			m := rules.ChatMessage{ID: id, SentAt: sentAt}
			m.Sender, _ = rules.ParseSender(sender)
			r.msgs = append(r.msgs, m)
			if last == nil || compareIndexed(row, last) > 0 {
				last = row
			}
		}
		shop, _ := last[2].(int64)
		r.addTurns(turns, conv, shop)
	}
	if len(fresh) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO chat_turns_inline (conversation_id) SELECT value FROM json_each(?)`, jsonStrings(fresh)); err != nil {
		return fmt.Errorf("chat turns: %w", err)
	}
	r.inlined = true
	r.db.inlineTurns.Add(int64(len(fresh)))
	return r.writeTurns(ctx, tx)
}

// splitProbe is how many conversations an import writes turns for with
// their batch before it may decide that too many come back (splitWatch).
const splitProbe = 2048

// splitWatch counts the conversations an import wrote turns for with their
// batch, and those of them a later batch brought more of. It remembers
// the conversations by a 64-bit hash in a fixed table, one per slot: a
// conversation whose slot was taken since is not seen coming back, which
// only delays the decision.
type splitWatch struct {
	seed         maphash.Seed
	slots        []uint64
	inline, came int
	off          bool // too many came back: no more turns with the batches
}

func (w *splitWatch) hash(conv string) uint64 {
	if w.slots == nil {
		w.seed, w.slots = maphash.MakeSeed(), make([]uint64, 1<<16)
	}
	return maphash.String(w.seed, conv) | 1 // 0 is an empty slot
}

// wrote notes a conversation whose turns a batch writes.
func (w *splitWatch) wrote(conv string) {
	h := w.hash(conv)
	w.slots[h&uint64(len(w.slots)-1)] = h
	w.inline++
}

// back notes a stored conversation in a later batch; one the import wrote
// turns for counts once.
func (w *splitWatch) back(conv string) {
	if w.slots == nil {
		return
	}
	h := w.hash(conv)
	if i := h & uint64(len(w.slots)-1); w.slots[i] == h {
		w.slots[i] = 0
		w.came++
		w.off = w.inline >= splitProbe && 4*w.came > w.inline
	}
}

// clearInline empties chat_turns_inline, before the next batch and before
// the commit (importSteps.flush).
func (r *turnRebuilder) clearInline(ctx context.Context, tx *sql.Tx) error {
	if !r.inlined {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM chat_turns_inline`); err != nil {
		return fmt.Errorf("chat turns: %w", err)
	}
	r.inlined = false
	return nil
}

// qStoredConversations lists which conversations of a JSON array have
// stored messages.
const qStoredConversations = `SELECT value FROM json_each(?) j
WHERE EXISTS (SELECT 1 FROM chat_messages m WHERE m.conversation_id = j.value)`

// storedConversations returns which of r.convs have stored messages, in
// one statement (a seek of chat_messages_conversation each).
func (r *turnRebuilder) storedConversations(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	clear(r.stored)
	rows, err := tx.QueryContext(ctx, qStoredConversations, jsonStrings(r.convs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var conv string
		if err := rows.Scan(&conv); err != nil {
			return nil, err
		}
		r.stored[conv] = true
	}
	return r.stored, rows.Err()
}

// compareIndexed orders two chat_messages rows (message_id,
// conversation_id, shop, sender, sent_at, ...) of one conversation as
// chat_messages_conversation does: by sent_at, sender, shop, then
// message_id. The rebuild takes a conversation's shop from the last row
// it reads in that order (addRows); the turns written here take it from
// the same row.
func compareIndexed(a, b []any) int {
	at, _ := a[4].(int64)
	bt, _ := b[4].(int64)
	if c := cmp.Compare(at, bt); c != 0 {
		return c
	}
	as, _ := a[3].(string)
	bs, _ := b[3].(string)
	if c := strings.Compare(as, bs); c != 0 {
		return c
	}
	ash, _ := a[2].(int64)
	bsh, _ := b[2].(int64)
	if c := cmp.Compare(ash, bsh); c != 0 {
		return c
	}
	ai, _ := a[0].(string)
	bi, _ := b[0].(string)
	return strings.Compare(ai, bi)
}

// jsonStrings encodes ss as a JSON array.
func jsonStrings(ss []string) string {
	buf := []byte{'['}
	for i, s := range ss {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, s)
	}
	return string(append(buf, ']'))
}
