package store

import (
	"context"
	"fmt"
	"time"
)

// migrations are applied in order, each once, each in its own transaction.
// A migration is never edited after it has shipped: add a new one.
//
// Times are Unix milliseconds; *_day columns are the shop-local calendar date
// as days since 1970-01-01 (rules.Day), derived on import from the shop's
// time zone and recomputed when the zone changes. This is the SQLite schema;
// WITHOUT ROWID keeps the natural keys as the tables' only b-tree.
var migrations = []string{
	1: `
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE shops (
	id       INTEGER PRIMARY KEY,
	shop_id  TEXT NOT NULL UNIQUE,
	name     TEXT NOT NULL,
	timezone TEXT NOT NULL
);
-- One row per order. Its lines (SPEC's order_id + product_id) are the set
-- of product ids in products, one per line of text; re-importing a line
-- replaces the order's dates and status and adds the product if new.
CREATE TABLE orders (
	order_id      TEXT PRIMARY KEY,
	shop          INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	created_day   INTEGER NOT NULL,
	delivered_at  INTEGER,
	delivered_day INTEGER,
	status        TEXT NOT NULL,
	products      TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE products (
	shop       INTEGER NOT NULL,
	product_id TEXT NOT NULL,
	name       TEXT NOT NULL,
	PRIMARY KEY (shop, product_id)
) WITHOUT ROWID;
-- Daily rollup of orders, kept exact by every import: orders created and
-- delivered per shop and local date.
CREATE TABLE shop_days (
	shop      INTEGER NOT NULL,
	day       INTEGER NOT NULL,
	created   INTEGER NOT NULL,
	delivered INTEGER NOT NULL,
	PRIMARY KEY (shop, day)
) WITHOUT ROWID;
-- One index serves both per-product bases of breakdowns: orders created in a
-- window were delivered in it, later, or not yet (NULL sorts first).
CREATE INDEX orders_shop_delivered ON orders (shop, delivered_day, created_day);
CREATE TABLE reviews (
	review_id   TEXT PRIMARY KEY,
	order_id    TEXT NOT NULL,
	shop        INTEGER NOT NULL,
	product_id  TEXT NOT NULL,
	rating      INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	created_day INTEGER NOT NULL,
	text        TEXT NOT NULL,
	tags        TEXT NOT NULL,
	causes      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX reviews_shop_created ON reviews (shop, created_day, rating, order_id, causes);
CREATE TABLE returns (
	return_id   TEXT PRIMARY KEY,
	order_id    TEXT NOT NULL,
	shop        INTEGER NOT NULL,
	product_id  TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	created_day INTEGER NOT NULL,
	reason      TEXT NOT NULL,
	type        TEXT NOT NULL,
	status      TEXT NOT NULL,
	fault       INTEGER NOT NULL,
	category    TEXT NOT NULL,
	classified  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX returns_shop_created ON returns (shop, created_day, order_id, status, fault);
CREATE TABLE chat_messages (
	message_id      TEXT PRIMARY KEY,
	conversation_id TEXT NOT NULL,
	shop            INTEGER NOT NULL,
	sender          TEXT NOT NULL,
	sent_at         INTEGER NOT NULL,
	text            TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX chat_messages_conversation ON chat_messages (conversation_id, sent_at, sender, shop);
CREATE TABLE chat_turns (
	conversation_id TEXT NOT NULL,
	seq             INTEGER NOT NULL,
	shop            INTEGER NOT NULL,
	start_at        INTEGER NOT NULL,
	start_day       INTEGER NOT NULL,
	reply_at        INTEGER,
	PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
CREATE INDEX chat_turns_shop_start ON chat_turns (shop, start_day, start_at, reply_at);
`,
	2: `
-- /shopwatch mute: a shop's metric (or "all") is muted until until_at (Unix
-- ms). Alerts are still evaluated but not posted while a mute holds.
CREATE TABLE mutes (
	shop       INTEGER NOT NULL,
	metric     TEXT NOT NULL,
	until_at   INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	channel    TEXT NOT NULL,
	PRIMARY KEY (shop, metric)
) WITHOUT ROWID;
`,
	3: `
-- The monitor (SPEC section 4). alert_states: each shop's alert state per
-- metric (metric 'data': the freshness of its records) after each evaluated
-- local date; the next date starts from the latest earlier one.
CREATE TABLE alert_states (
	shop        INTEGER NOT NULL,
	metric      TEXT NOT NULL,
	day         INTEGER NOT NULL,
	level       TEXT NOT NULL,
	since       INTEGER NOT NULL,
	observed    TEXT NOT NULL,
	fresh       INTEGER NOT NULL,
	announced   TEXT NOT NULL,
	notified_on INTEGER NOT NULL,
	root        TEXT NOT NULL,
	value       REAL,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (shop, metric, day)
) WITHOUT ROWID;
-- Scheduled runs that are done, keyed by shop (0: all shops) and business
-- date, so that no run happens twice.
CREATE TABLE monitor_runs (
	shop    INTEGER NOT NULL,
	kind    TEXT NOT NULL,
	day     INTEGER NOT NULL,
	done_at INTEGER NOT NULL,
	PRIMARY KEY (shop, kind, day)
) WITHOUT ROWID;
-- The durable outbox: every notification is written here, with its key,
-- before it is sent, and marked when Slack accepts it.
CREATE TABLE outbox (
	id          INTEGER PRIMARY KEY,
	msg_key     TEXT NOT NULL UNIQUE,
	shop        INTEGER NOT NULL,
	channel     TEXT NOT NULL,
	kind        TEXT NOT NULL,
	thread_key  TEXT NOT NULL,
	payload     TEXT NOT NULL,
	status      TEXT NOT NULL,
	uncertain   INTEGER NOT NULL,
	attempts    INTEGER NOT NULL,
	next_at     INTEGER NOT NULL,
	lease_until INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	sent_at     INTEGER,
	ts          TEXT NOT NULL,
	thread_ts   TEXT NOT NULL,
	last_error  TEXT NOT NULL
);
CREATE INDEX outbox_status ON outbox (status, channel, id);
CREATE TABLE delivery_attempts (
	outbox_id INTEGER NOT NULL,
	attempt   INTEGER NOT NULL,
	at        INTEGER NOT NULL,
	millis    INTEGER NOT NULL,
	outcome   TEXT NOT NULL,
	error     TEXT NOT NULL,
	PRIMARY KEY (outbox_id, attempt)
) WITHOUT ROWID;
`,
	4: `
-- TikTok Shop sync (SPEC section 7). tiktok_grants: a seller's OAuth token
-- pair, sealed (AES-GCM) by the sync before it reaches the database; the
-- expiry times are kept in the clear so that refreshes can be planned
-- without opening it. tiktok_shops links a configured shop to the grant
-- that covers it and to its shop_cipher.
CREATE TABLE tiktok_grants (
	open_id            TEXT PRIMARY KEY,
	sealed             BLOB NOT NULL,
	access_expires_at  INTEGER NOT NULL,
	refresh_expires_at INTEGER NOT NULL,
	seller_name        TEXT NOT NULL,
	updated_at         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE tiktok_shops (
	shop          INTEGER PRIMARY KEY,
	open_id       TEXT NOT NULL REFERENCES tiktok_grants (open_id),
	cipher        TEXT NOT NULL,
	authorized_at INTEGER NOT NULL
);
-- Per shop and record kind: the sync's cursor (records updated before it
-- are in the database) and the outcome of the latest runs.
CREATE TABLE sync_state (
	shop            INTEGER NOT NULL,
	kind            TEXT NOT NULL,
	cursor_at       INTEGER,
	last_attempt_at INTEGER,
	last_success_at INTEGER,
	last_failure_at INTEGER,
	error           TEXT NOT NULL DEFAULT '',
	records         INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (shop, kind)
) WITHOUT ROWID;
-- Synced records the import rejected at their latest sync; a record leaves
-- the list when a later sync imports it.
CREATE TABLE sync_rejects (
	shop      INTEGER NOT NULL,
	kind      TEXT NOT NULL,
	record_id TEXT NOT NULL,
	problem   TEXT NOT NULL,
	seen_at   INTEGER NOT NULL,
	PRIMARY KEY (shop, kind, record_id)
) WITHOUT ROWID;
-- Webhook deliveries seen, by tts_notification_id, to drop repeats.
CREATE TABLE tiktok_notifications (
	id          TEXT PRIMARY KEY,
	shop_id     TEXT NOT NULL,
	type        INTEGER NOT NULL,
	received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tiktok_notifications_received ON tiktok_notifications (received_at);
`,
	5: `
-- Breakdowns count each product's own base over the window's orders: with
-- the products in the index, that read never leaves it for the table.
DROP INDEX IF EXISTS orders_shop_delivered;
CREATE INDEX orders_shop_delivered ON orders (shop, delivered_day, created_day, products);
`,
	6: `
-- How many times each shop's records or mutes have changed: a cache of
-- answers (the bot's) drops only the shops whose count moved. Writes that
-- answers do not read (alerts, the outbox, sync state) leave it.
ALTER TABLE shops ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;
`,
	7: `
-- alert_states.since becomes the date the alert episode first opened (its
-- first move from ok to warn or critical), kept through worsening and
-- improving; changed is the first date at the level, which since used to
-- be. Open episodes of earlier versions keep their last change as opening.
ALTER TABLE alert_states ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
UPDATE alert_states SET changed = since;
`,
	8: `
-- Per shop and record kind: when an import (CSV, inbox or TikTok sync)
-- last brought records of the kind, and the newest record's local date
-- after it. Written in the import's transaction.
CREATE TABLE record_imports (
	shop        INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	imported_at INTEGER NOT NULL,
	newest_day  INTEGER,
	PRIMARY KEY (shop, kind)
) WITHOUT ROWID;
`,
	9: `
-- The Slack users who opened shopwatch's App Home tab: their Home is
-- published again after each evaluation. opened_at is their last opening.
CREATE TABLE home_users (
	user_id   TEXT PRIMARY KEY,
	opened_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
	10: `
-- Who acknowledged an alert episode, and when: keyed by shop, metric and
-- the key of the episode's first message (alert_states.root). The first
-- acknowledgement stays; an evaluation that ends the episode removes it.
CREATE TABLE alert_acks (
	shop       INTEGER NOT NULL,
	metric     TEXT NOT NULL,
	root       TEXT NOT NULL,
	by_user    TEXT NOT NULL,
	channel    TEXT NOT NULL,
	at         INTEGER NOT NULL,
	PRIMARY KEY (shop, metric, root)
) WITHOUT ROWID;
-- The messages of an episode are found by their thread.
CREATE INDEX outbox_thread ON outbox (thread_key);
`,
	11: `
-- PostgreSQL only (pgOnly): an index entry there holds at most 2,704
-- bytes, which the product list of an order with a hundred-odd lines
-- passes, failing its import. Its orders index leaves the products out
-- (pgschema.go); this rebuilds the index of databases made before.
DROP INDEX IF EXISTS orders_shop_delivered;
CREATE INDEX orders_shop_delivered ON orders (shop, delivered_day, created_day, products);
`,
	12: `
-- Conversations whose chat_turns may no longer match their messages: the
-- statement that changes a conversation's messages appends its id here, and
-- the rebuild of their turns (store/chats.go) removes the rows it covered
-- once all their conversations are rebuilt. Rows left by an interrupted
-- import are rebuilt by the next open of the store, import or evaluation.
-- Appended in id order, one row per changed message, not kept unique: a
-- b-tree keyed by conversation would take one more scattered page per
-- mixed-order row in each of the import's commits. AUTOINCREMENT: an id is
-- never reused while a rebuild that read the ids up to it runs. The
-- triggers append only rows that changed in what turns are made of (an
-- upsert that leaves a row as it is fires none); they are SQLite's:
-- PostgreSQL's import appends the conversations it merges itself.
CREATE TABLE chat_turns_stale (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	conversation_id TEXT NOT NULL
);
CREATE TRIGGER chat_messages_stale_insert AFTER INSERT ON chat_messages
BEGIN
	INSERT INTO chat_turns_stale (conversation_id) VALUES (NEW.conversation_id);
END;
CREATE TRIGGER chat_messages_stale_update AFTER UPDATE ON chat_messages
WHEN NEW.conversation_id IS NOT OLD.conversation_id OR NEW.shop IS NOT OLD.shop
	OR NEW.sender IS NOT OLD.sender OR NEW.sent_at IS NOT OLD.sent_at
BEGIN
	INSERT INTO chat_turns_stale (conversation_id) VALUES (NEW.conversation_id);
	INSERT INTO chat_turns_stale (conversation_id) VALUES (OLD.conversation_id);
END;
CREATE TRIGGER chat_messages_stale_delete AFTER DELETE ON chat_messages
BEGIN
	INSERT INTO chat_turns_stale (conversation_id) VALUES (OLD.conversation_id);
END;
`,
	13: `
-- SQLite only (sqliteOnly). Conversations new to the store whose turns an
-- import writes itself, in the transaction that writes their messages
-- (store/chatinline.go): the inserts of their messages list nothing stale.
-- The import empties it before each batch and before each commit: every
-- other statement finds it empty.
CREATE TABLE chat_turns_inline (conversation_id TEXT PRIMARY KEY) WITHOUT ROWID;
DROP TRIGGER chat_messages_stale_insert;
CREATE TRIGGER chat_messages_stale_insert AFTER INSERT ON chat_messages
WHEN NOT EXISTS (SELECT 1 FROM chat_turns_inline WHERE conversation_id = NEW.conversation_id)
BEGIN
	INSERT INTO chat_turns_stale (conversation_id) VALUES (NEW.conversation_id);
END;
`,
	14: `
-- PostgreSQL only (pgOnly): text compares by its bytes, as SQLite's does,
-- whatever the database's locale (pgschema.go). The tables a database
-- made before had the locale's order; this moves each of their text
-- columns to "C", one ALTER TABLE per table, which rebuilds its indexes.
DO $$
DECLARE t record;
BEGIN
	FOR t IN SELECT c.table_name, string_agg(format('ALTER COLUMN %I TYPE text COLLATE "C"', c.column_name), ', ') AS alter
		FROM information_schema.columns c JOIN information_schema.tables b
			ON b.table_schema = c.table_schema AND b.table_name = c.table_name AND b.table_type = 'BASE TABLE'
		WHERE c.table_schema = current_schema() AND c.data_type = 'text' AND c.collation_name IS DISTINCT FROM 'C'
		GROUP BY c.table_name
	LOOP
		EXECUTE format('ALTER TABLE %I ', t.table_name) || t.alter;
	END LOOP;
END $$;
`,
	15: `
-- PostgreSQL only (pgOnly): a window query reads the records' index alone
-- (an index-only scan) where the table's pages are marked all visible,
-- which a vacuum does, and else reads each row from the table as well: a
-- shop's review days took 10-14 ms against 0.7-1.1 ms. Autovacuum
-- vacuums a table for its inserts once they pass a fifth of its rows: in
-- a store of 180 days the last 36, the window's, waited. These tables are
-- vacuumed for every 1,000 rows inserted (the threshold's default): a
-- vacuum after inserts reads only the pages they filled.
ALTER TABLE orders SET (autovacuum_vacuum_insert_scale_factor = 0);
ALTER TABLE reviews SET (autovacuum_vacuum_insert_scale_factor = 0);
ALTER TABLE returns SET (autovacuum_vacuum_insert_scale_factor = 0);
ALTER TABLE chat_messages SET (autovacuum_vacuum_insert_scale_factor = 0);
ALTER TABLE chat_turns SET (autovacuum_vacuum_insert_scale_factor = 0);
`,
}

// pgOnly are the migrations that change nothing on SQLite: they are
// recorded as applied there without running.
var pgOnly = map[int]bool{11: true, 14: true, 15: true}

// sqliteOnly are the migrations that change nothing on PostgreSQL, whose
// import lists the conversations it merges itself (pgimport.go).
var sqliteOnly = map[int]bool{13: true}

// ddl returns schema text in the database's dialect (pgschema.go).
func (db *DB) ddl(sqlite string) string {
	if db.pg {
		return pgMigration(sqlite)
	}
	return sqlite
}

// migrate applies the migrations the database has not had. Unless locked,
// it returns errSetupLock instead of applying any (underSetupLock), and
// reads the version only: the table of versions may not exist yet (an
// error, which the locked run then makes).
func (db *DB) migrate(ctx context.Context, locked bool) error {
	if !locked {
		var current int
		err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
		switch {
		case err != nil || current < len(migrations)-1:
			return errSetupLock
		case current == len(migrations)-1:
			return nil
		} // newer than this version: refused below
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, db.ddl(`CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
)`)); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	var current int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if current > len(migrations)-1 {
		return fmt.Errorf("store: the database is at schema version %d, newer than this shopwatch (%d)", current, len(migrations)-1)
	}
	if current > 0 && current < len(migrations)-1 {
		db.log.Warn("upgrading the database schema: on a large database this takes a minute", "from", current, "to", len(migrations)-1)
	}
	for v := current + 1; v < len(migrations); v++ {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migrate %d: %w", v, err)
		}
		if (db.pg && !sqliteOnly[v]) || (!db.pg && !pgOnly[v]) {
			if _, err := tx.ExecContext(ctx, db.ddl(migrations[v])); err != nil {
				tx.Rollback()
				return fmt.Errorf("store: migrate %d: %w", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, time.Now().UnixMilli()); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migrate %d: %w", v, err)
		}
		db.log.Info("applied migration", "version", v)
	}
	return nil
}
