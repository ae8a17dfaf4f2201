package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/shopwatch/shopwatch/rules"
)

// PostgreSQL rebuilds the turns of the stale conversations inside the
// import's transaction (pgimport.go), which no one else sees before the
// commit: it needs neither SQLite's short transactions nor their steps.
// One cursor reads the messages of every listed conversation, in
// conversation order, from one plan; each fetch's turns go in by COPY. A
// first load lists nothing: every conversation of chat_messages is new,
// so the cursor reads the whole table, and chat_turns, which can hold no
// turn of a stored message, is emptied and filled without its indexes
// (pgindexes.go). On the 1M demo's 585k messages, the 281 steps of 512
// conversations (a keyset over the list, a range read, a delete and a
// COPY each) took 3.0 s of the server's time, and the lists 1.6 s more.

// pgTurnFetch is how many messages one FETCH of the rebuild reads.
const pgTurnFetch = 65536

// listStale appends to chat_turns_stale, before the merge, the
// conversations whose turns it changes, as SQLite's triggers do: that of
// each staged message new to the store, and those a stored message is in
// before and after the merge when it changes in what turns are made of
// (conversation, shop, sender, time). A re-import of the same messages, or
// of new texts, lists none. (Of a message staged twice the later row
// wins; the earlier one may list its conversation for nothing.) On the 1M
// demo's 585k messages, listing every staged conversation rebuilt all of
// them at every re-import: 9.5 s, against 5.3 s then (one run each). After
// a first load (firstLoad: the table was empty, and holds the messages
// seen first) it lists nothing, and the rebuild takes every conversation.
func (r *turnRebuilder) listStale(ctx context.Context, tx *sql.Tx, m pgMerge) error {
	r.all, r.byIndex = m.firstLoad, m.byIndex
	if m.firstLoad {
		return nil
	}
	// By index probes, the rebuild deletes and reads the turns of the
	// listed conversations by joining chat_turns and chat_messages with
	// their list, which has an index of its own: without statistics of the
	// two tables, the planner turns those joins around (withStatistics).
	if m.byIndex {
		if err := withStatistics(ctx, tx, "chat_messages", turnsTarget.name); err != nil {
			return err
		}
	}
	if err := execJoins(ctx, tx, m.byIndex, `INSERT INTO chat_turns_stale (conversation_id)
SELECT DISTINCT v.conversation_id
FROM (SELECT message_id, conversation_id, shop, sender, sent_at FROM stage_chat_messages
	UNION ALL SELECT message_id, conversation_id, shop, sender, sent_at FROM stage_chat_messages_again) s
LEFT JOIN chat_messages m ON m.message_id = s.message_id
CROSS JOIN LATERAL (VALUES (s.conversation_id), (m.conversation_id)) v(conversation_id)
WHERE v.conversation_id IS NOT NULL AND (m.message_id IS NULL
	OR (m.conversation_id, m.shop, m.sender, m.sent_at) IS DISTINCT FROM (s.conversation_id, s.shop, s.sender, s.sent_at))`); err != nil {
		return fmt.Errorf("list stale conversations: %w", err)
	}
	return nil
}

// rebuildPG rebuilds in tx the turns of every stale conversation, or of
// every conversation after a first load (r.all).
func (r *turnRebuilder) rebuildPG(ctx context.Context, tx *sql.Tx) error {
	load, ok, err := r.clearPG(ctx, tx)
	if err != nil || !ok {
		return err
	}
	// The cursor's plan is made here: by index when few messages were
	// staged, as for the delete of their turns (clearPG).
	if err := execJoins(ctx, tx, r.byIndex, `DECLARE chat_turns_source NO SCROLL CURSOR FOR `+pgTurnSource(r.all)); err != nil {
		return fmt.Errorf("read conversations: %w", err)
	}
	if err := r.copyCursor(ctx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CLOSE chat_turns_source`); err != nil {
		return fmt.Errorf("read conversations: %w", err)
	}
	if load != nil {
		return load.rebuild(ctx, tx)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM chat_turns_stale WHERE id <= ?`, r.upTo); err != nil {
		return fmt.Errorf("clear stale conversations: %w", err)
	}
	return nil
}

// clearPG deletes the turns the rebuild makes again, and reports whether
// there are any to make: after a first load, every turn, and chat_turns'
// indexes go too, to be rebuilt from load; else those of the conversations
// of chat_turns_stale, listed in chat_turns_work (start).
func (r *turnRebuilder) clearPG(ctx context.Context, tx *sql.Tx) (load *pgIndexes, ok bool, err error) {
	// The planner plans a cursor for its first tenth unless told it
	// will be read to its end, and knows nothing of a temporary table
	// it has not analyzed (a few listed conversations want their index).
	stmts := []string{`SET LOCAL cursor_tuple_fraction = 1`}
	if r.all {
		stmts = append(stmts, `DELETE FROM chat_turns`)
	} else {
		if ok, err = r.start(ctx, tx); err != nil || !ok {
			return nil, false, err
		}
		stmts = append(stmts, `ANALYZE chat_turns_work`)
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, false, fmt.Errorf("clear turns: %w", err)
		}
	}
	if r.all {
		if load, err = dropIndexes(ctx, tx, turnsTarget.name); err != nil {
			return nil, false, err
		}
	} else if err := execJoins(ctx, tx, r.byIndex, `DELETE FROM chat_turns t USING chat_turns_work w WHERE t.conversation_id = w.conversation_id`); err != nil {
		return nil, false, fmt.Errorf("clear turns: %w", err)
	}
	return load, true, nil
}

// pgTurnSource is the query of the messages to rebuild the turns of, in
// conversation order: every message (all), or those of the conversations
// chat_turns_work lists.
func pgTurnSource(all bool) string {
	source := `chat_turns_work w JOIN chat_messages m ON m.conversation_id = w.conversation_id`
	if all {
		source = `chat_messages m`
	}
	return `SELECT m.conversation_id, m.shop, m.message_id, m.sender, m.sent_at FROM ` + source + ` ORDER BY m.conversation_id`
}

// copyCursor reads chat_turns_source to its end, pgTurnFetch messages at a
// time, and copies the turns of each fetch's whole conversations (the last
// one waits for the next fetch).
func (r *turnRebuilder) copyCursor(ctx context.Context) error {
	return r.conn.Raw(func(dc any) error {
		c, ok := pgxConn(dc)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", dc)
		}
		fetch := cmp.Or(r.db.turnFetch, pgTurnFetch)
		var conv string
		var shop int64
		var turns copyBuf
		for {
			rows, err := c.Query(ctx, fmt.Sprintf(`FETCH %d FROM chat_turns_source`, fetch), pgx.QueryExecModeSimpleProtocol)
			if err != nil {
				return fmt.Errorf("read conversations: %w", err)
			}
			n := 0
			for rows.Next() {
				n++
				raw := rows.RawValues()
				if string(raw[0]) != conv {
					r.appendTurns(&turns, conv, shop)
					conv = string(raw[0])
				}
				var m rules.ChatMessage
				var sender string
				if err := rows.Scan(nil, &shop, &m.ID, &sender, &m.SentAt); err != nil {
					rows.Close()
					return fmt.Errorf("read conversations: %w", err)
				}
				m.Sender, _ = rules.ParseSender(sender)
				r.msgs = append(r.msgs, m)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("read conversations: %w", err)
			}
			if n < fetch { // the end: the last conversation is whole
				r.appendTurns(&turns, conv, shop)
			}
			if err := copyRows(ctx, c, turnsTarget.name, turnsTarget.cols, &turns); err != nil {
				return fmt.Errorf("write turns: %w", err)
			}
			if n < fetch {
				return nil
			}
		}
	})
}

// appendTurns adds to turns the rows of the turns of the conversation
// whose messages r.msgs holds, if any, and empties r.msgs.
func (r *turnRebuilder) appendTurns(turns *copyBuf, conv string, shop int64) {
	if len(r.msgs) > 0 {
		r.db.rebuiltTurns.Add(1)
	}
	for seq, t := range r.turnsOf(shop) {
		turns.addValues(turnRow(conv, seq, shop, t)) // turnRow's values all encode
	}
}
