package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// Chat turns (chat_turns) are derived from a conversation's messages
// (rules.Turns), and metrics, breakdowns and the hourly chat sweep read
// them. An import brings a conversation's messages in any order and over
// many of its short transactions (chunk.go); rebuilding the turns of the
// touched conversations at every commit re-read each conversation once per
// batch that brought one of its messages. So turns are rebuilt once per
// import, after its last batch, and crash-safe:
//
//   - The statement that writes a conversation's messages also appends
//     its id to chat_turns_stale (SQLite: triggers, migrations 12 and 13),
//     when a message was added or changed in what turns are made of: a
//     re-import of the same rows, or of new texts, rebuilds nothing. A
//     conversation new to the store that one batch brings whole gets its
//     turns from that batch instead, and is not listed (chatinline.go).
//   - After the last batch (also after a failure, for what was committed),
//     settle notes the last id of chat_turns_stale, lists the distinct
//     conversations up to it in a temporary table (chat_turns_work, outside
//     any write transaction), rebuilds their turns in conversation order, a
//     few hundred at a time, in short transactions of their own, and only
//     then deletes the rows up to the noted id. A kill at any point leaves
//     every conversation either rebuilt or still listed as stale; rows
//     appended meanwhile, by another writer, stay for its own rebuild.
//   - Whatever was left stale (a killed import) is rebuilt by the next
//     store.Open (every command and serve's start open the store: the
//     cheapest point that precedes every read of turns by another process)
//     and at the start of every later import of any kind (serve's inbox,
//     TikTok sync), before the import writes (settlePendingTurns).
//
// PostgreSQL imports in one transaction (pgimport.go): its chats import
// rebuilds every stale conversation in that transaction, before the commit
// (pgturns.go).

// turnChunk is how many conversations one rebuild step reads, and
// staleChunk how many chat_turns_stale rows one step deletes.
const (
	turnChunk  = 512
	staleChunk = 16384
)

// turnListCacheKiB is the page cache of the list of conversations to
// rebuild (a temporary table in a file: see settle).
const turnListCacheKiB = 4 << 10

func beginChats(ctx context.Context, db *DB, conn *sql.Conn) (importSteps, error) {
	r, err := db.newTurnRebuilder(ctx, conn)
	if err != nil {
		return importSteps{}, err
	}
	if db.pg {
		return importSteps{premerge: r.listStale, flush: r.rebuildPG, close: r.close}, nil
	}
	return importSteps{prepare: r.inline, flush: r.clearInline, settle: r.settle, close: r.close}, nil
}

// turnRebuilder rebuilds the turns of stale conversations on one connection.
type turnRebuilder struct {
	db    *DB
	conn  *sql.Conn    // the connection of the rebuild's transactions
	raw   *rawUpserter // nil: the turns go as one JSON array per step (or PostgreSQL)
	turns *batch
	msgs  []rules.ChatMessage
	upTo  int64  // the last chat_turns_stale id the rebuild covers
	after string // the last conversation rebuilt
	all   bool   // PostgreSQL after a first load: rebuild every conversation (pgturns.go)
	// byIndex: PostgreSQL's import staged few messages (pgMerge).
	byIndex bool
	shops   map[int64]*rules.Shop
	// ids and listed are the conversations of a step; sparse is set once
	// a range held conversations not listed (step).
	ids    []string
	listed map[string]struct{}
	sparse bool
	// The conversations of a batch whose turns it writes itself
	// (chatinline.go): their rows in the batch, which have stored
	// messages, and whether chat_turns_inline lists any.
	convs   []string
	groups  map[string][]int
	stored  map[string]bool
	inlined bool
	split   splitWatch
}

func (db *DB) newTurnRebuilder(ctx context.Context, conn *sql.Conn) (*turnRebuilder, error) {
	idx, err := db.ensureAll(ctx)
	if err != nil {
		return nil, err
	}
	r := &turnRebuilder{db: db, conn: conn, turns: newBatch([]target{turnsTarget}), shops: idx.byKey,
		listed: make(map[string]struct{}, turnChunk), groups: map[string][]int{}, stored: map[string]bool{}}
	if !db.pg && !db.portableImport {
		raw, err := newRawUpserter(conn, []target{turnsTarget})
		if err != nil {
			return nil, fmt.Errorf("chat turns: %w", err)
		}
		r.raw = raw
	}
	return r, nil
}

func (r *turnRebuilder) close() {
	if r.raw != nil {
		r.raw.close()
		r.raw = nil
	}
}

// execer is a connection or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// start lists the conversations of chat_turns_stale, up to its last id,
// in chat_turns_work, and reports whether there are any.
func (r *turnRebuilder) start(ctx context.Context, q execer) (bool, error) {
	var upTo sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(id) FROM chat_turns_stale`).Scan(&upTo); err != nil {
		return false, fmt.Errorf("read stale conversations: %w", err)
	}
	if !upTo.Valid {
		return false, nil
	}
	r.upTo, r.after, r.sparse = upTo.Int64, "", false
	for _, s := range []string{
		r.db.ddl(`CREATE TEMP TABLE IF NOT EXISTS chat_turns_work (conversation_id TEXT PRIMARY KEY)`),
		`DELETE FROM chat_turns_work`,
	} {
		if _, err := q.ExecContext(ctx, s); err != nil {
			return false, fmt.Errorf("list stale conversations: %w", err)
		}
	}
	// The list's key drops the repeats (a row per message of a listed
	// conversation), rather than a DISTINCT, which would sort them in a
	// b-tree of its own first: 585k rows took 0.29 s against 0.43 s in the
	// sqlite3 shell. (Both SQLite and PostgreSQL read ON CONFLICT.)
	if _, err := q.ExecContext(ctx, `INSERT INTO chat_turns_work (conversation_id)
SELECT conversation_id FROM chat_turns_stale WHERE id <= ? ON CONFLICT DO NOTHING`, r.upTo); err != nil {
		return false, fmt.Errorf("list stale conversations: %w", err)
	}
	return true, nil
}

// settle rebuilds every stale conversation in short transactions on conn
// (SQLite), spaced by p; committed runs after each commit.
func (r *turnRebuilder) settle(ctx context.Context, conn *sql.Conn, p *pause, committed func() error) error {
	// The list holds every conversation of the import: kept in memory, as
	// the connection's other temporary data is (temp_store, db.go), it
	// grew the process with the file (5M order lines' demo chats, 3M
	// messages: 240 MB peak RSS, 126 MB in a file). In a temporary file it
	// takes a small cache of its own. Changing temp_store drops the
	// connection's temporary tables: the list goes with the change back.
	for _, q := range []string{`PRAGMA temp_store = FILE`, fmt.Sprintf(`PRAGMA temp.cache_size = -%d`, turnListCacheKiB)} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("list stale conversations: %w", err)
		}
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA temp_store = MEMORY`)
	// Outside a write transaction: the list is the connection's own.
	ok, err := r.start(ctx, conn)
	if err != nil || !ok {
		return err
	}
	return settleLoop(ctx, conn, p, r.step, committed)
}

// step rebuilds the turns of the next turnChunk listed conversations, in
// tx, from all of their stored messages (readRange, else readListed); once
// none is left, it deletes the chat_turns_stale rows the rebuild covers
// (clearStale). It reports whether there is more to do.
func (r *turnRebuilder) step(ctx context.Context, tx *sql.Tx) (more bool, err error) {
	ids, err := r.nextConversations(ctx, tx)
	if err != nil {
		return false, err
	}
	if len(ids) == 0 {
		return r.clearStale(ctx, tx)
	}
	r.db.rebuiltTurns.Add(int64(len(ids)))
	last := ids[len(ids)-1]
	turns := &r.turns.targets[0]
	whole := false
	if !r.sparse {
		if whole, err = r.readRange(ctx, tx, ids, last, turns); err != nil {
			return false, err
		}
		r.sparse = !whole
	}
	if !whole {
		if err := r.readListed(ctx, tx, last, turns); err != nil {
			return false, err
		}
	}

	clearTurns := `DELETE FROM chat_turns WHERE conversation_id IN (SELECT conversation_id FROM chat_turns_work WHERE conversation_id > ? AND conversation_id <= ?)`
	if whole {
		// Every conversation of the range is listed: one with turns and
		// no messages left is listed too (its messages' removal listed it).
		clearTurns = `DELETE FROM chat_turns WHERE conversation_id > ? AND conversation_id <= ?`
	}
	if _, err := tx.ExecContext(ctx, clearTurns, r.after, last); err != nil {
		return false, fmt.Errorf("clear turns: %w", err)
	}
	if err := r.writeTurns(ctx, tx); err != nil {
		return false, err
	}
	r.after = last
	return true, nil
}

// writeTurns writes the turns made into r.turns, if any.
func (r *turnRebuilder) writeTurns(ctx context.Context, tx *sql.Tx) error {
	turns := &r.turns.targets[0]
	if turns.len() == 0 {
		return nil
	}
	var err error
	switch {
	case r.raw != nil:
		err = r.raw.upsert(ctx, tx, r.turns)
	default: // SQLite without the direct path (portableImport): one JSON array
		_, err = tx.ExecContext(ctx, turnsTarget.upsertSQL(), string(turns.json(nil)))
	}
	if err != nil {
		return fmt.Errorf("write turns: %w", err)
	}
	return nil
}

// clearStale deletes the chat_turns_stale rows the rebuild covered,
// staleChunk at a time, and reports whether more are left. When no row
// came after them (no other writer listed one meanwhile), it empties the
// table in one statement: SQLite then frees its pages whole instead of
// deleting row by row (a 1M-line chats import lists 585k rows).
func (r *turnRebuilder) clearStale(ctx context.Context, tx *sql.Tx) (bool, error) {
	var upTo sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM chat_turns_stale`).Scan(&upTo); err != nil {
		return false, fmt.Errorf("clear stale conversations: %w", err)
	}
	if !upTo.Valid {
		return false, nil
	}
	if upTo.Int64 == r.upTo {
		_, err := tx.ExecContext(ctx, `DELETE FROM chat_turns_stale`)
		if err != nil {
			return false, fmt.Errorf("clear stale conversations: %w", err)
		}
		return false, nil
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM chat_turns_stale WHERE id IN (SELECT id FROM chat_turns_stale WHERE id <= ? ORDER BY id LIMIT ?)`, r.upTo, staleChunk)
	if err != nil {
		return false, fmt.Errorf("clear stale conversations: %w", err)
	}
	n, err := res.RowsAffected()
	return n == staleChunk, err
}

// nextConversations returns the next turnChunk listed conversations, in
// order, after the last one rebuilt.
func (r *turnRebuilder) nextConversations(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT conversation_id FROM chat_turns_work WHERE conversation_id > ? ORDER BY conversation_id LIMIT ?`, r.after, turnChunk)
	if err != nil {
		return nil, fmt.Errorf("read stale conversations: %w", err)
	}
	defer rows.Close()
	r.ids = r.ids[:0]
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read stale conversations: %w", err)
		}
		r.ids = append(r.ids, id)
	}
	return r.ids, rows.Err()
}

// readRange adds the turns of the listed conversations ids, up to last,
// from one read of chat_messages_conversation over their range, and
// reports whether every conversation with messages in the range is listed
// (the rebuild of a first load, or of new conversations, is). At the first
// message of a conversation not listed it stops and reports false: the
// range holds conversations the import did not touch, and readListed reads
// the listed ones alone, from scratch. A range read has no seek per
// conversation: over the 1M-line demo's 585k messages, the sqlite3 shell
// ran it in 0.18 s against 0.50 s for readListed's query.
func (r *turnRebuilder) readRange(ctx context.Context, tx *sql.Tx, ids []string, last string, turns *rows) (bool, error) {
	clear(r.listed)
	for _, id := range ids {
		r.listed[id] = struct{}{}
	}
	return r.addRows(ctx, tx, turns, `SELECT conversation_id, shop, message_id, sender, sent_at FROM chat_messages
WHERE conversation_id > ? AND conversation_id <= ? ORDER BY conversation_id`, r.after, last)
}

// readListed adds the turns of the listed conversations up to last, read
// through chat_messages_conversation one conversation at a time. CROSS
// JOIN keeps the list outside: SQLite would otherwise read the index's
// whole prefix up to last.
func (r *turnRebuilder) readListed(ctx context.Context, tx *sql.Tx, last string, turns *rows) error {
	clear(r.listed) // every row is of a listed conversation
	_, err := r.addRows(ctx, tx, turns, `SELECT m.conversation_id, m.shop, m.message_id, m.sender, m.sent_at
FROM chat_turns_work s CROSS JOIN chat_messages m
WHERE m.conversation_id = s.conversation_id AND s.conversation_id > ? AND s.conversation_id <= ?
ORDER BY s.conversation_id`, r.after, last)
	return err
}

// addRows adds the turns of the conversations of query's messages
// (conversation_id, shop, message_id, sender, sent_at, in conversation
// order: addTurns orders each conversation's own, an ORDER BY sent_at made
// SQLite sort every conversation again). When r.listed is not empty, it
// stops at the first message of a conversation not in it, drops the
// messages it holds, and reports false (the turns it added are dropped by
// the next call's reset).
func (r *turnRebuilder) addRows(ctx context.Context, tx *sql.Tx, turns *rows, query string, args ...any) (bool, error) {
	turns.reset()
	check := len(r.listed) > 0
	conv, shop, whole := "", int64(0), true
	add := func(id string, sh int64, m rules.ChatMessage, sender string) bool {
		if id != conv {
			if _, ok := r.listed[id]; check && !ok {
				clear(r.msgs)
				r.msgs = r.msgs[:0]
				whole = false
				return false
			}
			r.addTurns(turns, conv, shop)
			conv = id
		}
		m.Sender, _ = rules.ParseSender(sender)
		shop = sh // a conversation belongs to the shop of its messages
		r.msgs = append(r.msgs, m)
		return true
	}
	if err := r.eachMessage(ctx, tx, query, args, add); err != nil {
		return false, fmt.Errorf("read conversations: %w", err)
	}
	if whole {
		r.addTurns(turns, conv, shop)
	}
	return whole, nil
}

// eachMessage runs query on tx and calls add with each row until add
// returns false: on the SQLite handle of the rebuild's connection when it
// has one (sqliteraw.go: in alternated runs of a 585k-message import, the
// rebuild took 1.0-1.1 s this way, 1.2-1.9 s through database/sql), else
// through database/sql.
func (r *turnRebuilder) eachMessage(ctx context.Context, tx *sql.Tx, query string, args []any, add func(conv string, shop int64, m rules.ChatMessage, sender string) bool) error {
	if r.raw != nil {
		err := r.raw.conn.Raw(func(any) error {
			return r.raw.c.each(ctx, query, args, func(s *rawStmt) error {
				conv, _ := s.column(0).(string)
				shop, _ := s.column(1).(int64)
				id, _ := s.column(2).(string)
				sender, _ := s.column(3).(string)
				sentAt, _ := s.column(4).(int64)
				if !add(conv, shop, rules.ChatMessage{ID: id, SentAt: sentAt}, sender) {
					return errStopRows
				}
				return nil
			})
		})
		if errors.Is(err, errStopRows) {
			return nil
		}
		return err
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var conv, sender string
		var shop int64
		var m rules.ChatMessage
		if err := rows.Scan(&conv, &shop, &m.ID, &sender, &m.SentAt); err != nil {
			return err
		}
		if !add(conv, shop, m, sender) {
			return nil
		}
	}
	return rows.Err()
}

// errStopRows ends a raw read early (rawConn.each).
var errStopRows = errors.New("stop reading rows")

// addTurns adds the turns of the conversation whose messages r.msgs holds.
func (r *turnRebuilder) addTurns(turns *rows, conv string, shop int64) {
	for seq, t := range r.turnsOf(shop) {
		turns.add(conv+"\x00"+strconv.Itoa(seq), turnRow(conv, seq, shop, t))
	}
}

// turnsOf returns the turns of the conversation whose messages r.msgs
// holds, of shop, and empties r.msgs.
func (r *turnRebuilder) turnsOf(shop int64) []rules.Turn {
	if len(r.msgs) == 0 {
		return nil
	}
	loc := time.UTC
	if s, ok := r.shops[shop]; ok {
		loc = s.Location
	}
	rules.SortMessages(r.msgs)
	turns := rules.Turns(r.msgs, loc)
	clear(r.msgs)
	r.msgs = r.msgs[:0]
	return turns
}

// turnRow is the chat_turns row of a conversation's turn number seq.
func turnRow(conv string, seq int, shop int64, t rules.Turn) []any {
	var reply any
	if t.Reply != 0 {
		reply = t.Reply
	}
	return []any{conv, int64(seq), shop, t.Start, int64(t.Day), reply}
}

// settlePendingTurns rebuilds the turns an earlier import left stale (it
// was killed before it rebuilt them): see the top of this file.
func (db *DB) settlePendingTurns(ctx context.Context, conn *sql.Conn) error {
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM chat_turns_stale LIMIT 1) s`).Scan(&n); err != nil {
		return fmt.Errorf("chat turns: %w", err)
	}
	if n == 0 {
		return nil
	}
	db.log.Info("rebuilding the chat turns an interrupted import left stale")
	r, err := db.newTurnRebuilder(ctx, conn)
	if err != nil {
		return err
	}
	defer r.close()
	if db.pg {
		err = inTx(ctx, conn, func(tx *sql.Tx) error { return r.rebuildPG(ctx, tx) })
	} else {
		err = r.settle(ctx, conn, &pause{}, nil)
	}
	if err != nil {
		return fmt.Errorf("chat turns: %w", err)
	}
	return nil
}

// SettleTurns rebuilds the chat turns an interrupted import left stale, if
// any (store.Open and every import do it first): a service that stays up
// calls it before it evaluates, since an import in another process may
// have been killed meanwhile. It costs one indexed read when nothing is
// stale.
func (db *DB) SettleTurns(ctx context.Context) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer conn.Close()
	if err := db.settlePendingTurns(ctx, conn); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
