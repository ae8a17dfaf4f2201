package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The TikTok Shop sync's memory (SPEC section 7, migration tiktok_grants ..
// tiktok_notifications): sealed authorizations, the shops they cover, a
// cursor and the latest outcome per shop and record kind, the records the
// import rejected, and the webhook deliveries already seen.
//
// The store never sees a token in the clear: the sync seals it before
// SaveTikTokGrant and opens it after TikTokGrant.

// TikTokGrant is a seller's authorization of the app as stored.
type TikTokGrant struct {
	// OpenID identifies the seller account that granted access.
	OpenID string
	// Sealed is the token pair, encrypted by the caller.
	Sealed []byte
	// AccessExpiresAt and RefreshExpiresAt are the tokens' expiry times,
	// kept in the clear to plan refreshes.
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	SellerName       string
	UpdatedAt        time.Time
}

// TikTokShop links a configured shop to the grant that covers it.
type TikTokShop struct {
	ShopID string
	OpenID string
	// Cipher is the shop_cipher of shop-scoped API calls.
	Cipher       string
	AuthorizedAt time.Time
}

// SaveTikTokGrant stores g (replacing a grant with the same OpenID) and
// links the given shops to it, in one transaction. Every shop must be in
// the config.
func (db *DB) SaveTikTokGrant(ctx context.Context, g TikTokGrant, shops []TikTokShop) error {
	if g.OpenID == "" || len(g.Sealed) == 0 {
		return errors.New("store: save TikTok grant: OpenID and Sealed are required")
	}
	keys := make([]int64, len(shops))
	for i, s := range shops {
		ref, err := db.shop(s.ShopID)
		if err != nil {
			return fmt.Errorf("store: save TikTok grant: %w", err)
		}
		if s.Cipher == "" {
			return fmt.Errorf("store: save TikTok grant: shop %s: empty cipher", s.ShopID)
		}
		keys[i] = ref.key
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tiktok_grants (open_id, sealed, access_expires_at, refresh_expires_at, seller_name, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (open_id) DO UPDATE SET sealed = excluded.sealed, access_expires_at = excluded.access_expires_at,
	refresh_expires_at = excluded.refresh_expires_at, seller_name = excluded.seller_name, updated_at = excluded.updated_at`,
			g.OpenID, g.Sealed, g.AccessExpiresAt.UnixMilli(), g.RefreshExpiresAt.UnixMilli(), g.SellerName, g.UpdatedAt.UnixMilli()); err != nil {
			return fmt.Errorf("store: save TikTok grant: %w", err)
		}
		for i, s := range shops {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tiktok_shops (shop, open_id, cipher, authorized_at) VALUES (?, ?, ?, ?)
ON CONFLICT (shop) DO UPDATE SET open_id = excluded.open_id, cipher = excluded.cipher, authorized_at = excluded.authorized_at`,
				keys[i], g.OpenID, s.Cipher, s.AuthorizedAt.UnixMilli()); err != nil {
				return fmt.Errorf("store: link shop %s to TikTok grant: %w", s.ShopID, err)
			}
		}
		return nil
	})
}

// UpdateTikTokGrant replaces the sealed tokens and expiry times of a stored
// grant, after a refresh. It returns ErrNotFound when there is none.
func (db *DB) UpdateTikTokGrant(ctx context.Context, g TikTokGrant) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE tiktok_grants SET sealed = ?, access_expires_at = ?, refresh_expires_at = ?, updated_at = ?
WHERE open_id = ?`, g.Sealed, g.AccessExpiresAt.UnixMilli(), g.RefreshExpiresAt.UnixMilli(), g.UpdatedAt.UnixMilli(), g.OpenID)
	if err != nil {
		return fmt.Errorf("store: update TikTok grant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: update TikTok grant %s: %w", g.OpenID, ErrNotFound)
	}
	return nil
}

// TikTokGrant returns the grant with the given OpenID, or ErrNotFound.
func (db *DB) TikTokGrant(ctx context.Context, openID string) (TikTokGrant, error) {
	g := TikTokGrant{OpenID: openID}
	var access, refresh, updated int64
	err := db.sql.QueryRowContext(ctx, `SELECT sealed, access_expires_at, refresh_expires_at, seller_name, updated_at
FROM tiktok_grants WHERE open_id = ?`, openID).Scan(&g.Sealed, &access, &refresh, &g.SellerName, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return TikTokGrant{}, fmt.Errorf("store: TikTok grant %s: %w", openID, ErrNotFound)
	}
	if err != nil {
		return TikTokGrant{}, fmt.Errorf("store: TikTok grant: %w", err)
	}
	g.AccessExpiresAt, g.RefreshExpiresAt, g.UpdatedAt = time.UnixMilli(access), time.UnixMilli(refresh), time.UnixMilli(updated)
	return g, nil
}

// TikTokShop returns how the shop is linked to TikTok, or ErrNotFound when
// it has not been authorized.
func (db *DB) TikTokShop(ctx context.Context, shopID string) (TikTokShop, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return TikTokShop{}, err
	}
	s := TikTokShop{ShopID: shopID}
	var at int64
	err = db.sql.QueryRowContext(ctx, `SELECT open_id, cipher, authorized_at FROM tiktok_shops WHERE shop = ?`, ref.key).Scan(&s.OpenID, &s.Cipher, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return TikTokShop{}, fmt.Errorf("store: shop %s is not authorized for TikTok: %w", shopID, ErrNotFound)
	}
	if err != nil {
		return TikTokShop{}, fmt.Errorf("store: TikTok shop %s: %w", shopID, err)
	}
	s.AuthorizedAt = time.UnixMilli(at)
	return s, nil
}

// TikTokShops returns the configured shops that are authorized for TikTok,
// in config order.
func (db *DB) TikTokShops(ctx context.Context) ([]TikTokShop, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT shop, open_id, cipher, authorized_at FROM tiktok_shops`)
	if err != nil {
		return nil, fmt.Errorf("store: TikTok shops: %w", err)
	}
	defer rows.Close()
	byKey := map[int64]TikTokShop{}
	for rows.Next() {
		var key, at int64
		var s TikTokShop
		if err := rows.Scan(&key, &s.OpenID, &s.Cipher, &at); err != nil {
			return nil, fmt.Errorf("store: TikTok shops: %w", err)
		}
		s.AuthorizedAt = time.UnixMilli(at)
		byKey[key] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: TikTok shops: %w", err)
	}
	var out []TikTokShop
	for _, cs := range db.cfg.Shops {
		if s, ok := byKey[db.shops[cs.ID].key]; ok {
			s.ShopID = cs.ID
			out = append(out, s)
		}
	}
	return out, nil
}

// ---- cursors and sync status ----

// SyncCursor returns the shop's sync cursor for kind: records of that kind
// updated before it are in the database. It is the zero time before the
// first successful sync.
func (db *DB) SyncCursor(ctx context.Context, shopID string, kind Kind) (time.Time, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return time.Time{}, err
	}
	var at sql.NullInt64
	err = db.sql.QueryRowContext(ctx, `SELECT cursor_at FROM sync_state WHERE shop = ? AND kind = ?`, ref.key, string(kind)).Scan(&at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("store: sync cursor %s %s: %w", shopID, kind, err)
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	return time.UnixMilli(at.Int64), nil
}

// AdvanceSyncCursor moves the shop's cursor for kind forward to t; a t
// before the stored cursor leaves it unchanged, so that concurrent runs
// never move it back.
func (db *DB) AdvanceSyncCursor(ctx context.Context, shopID string, kind Kind, t time.Time) error {
	ref, err := db.shop(shopID)
	if err != nil {
		return err
	}
	_, err = db.sql.ExecContext(ctx, `INSERT INTO sync_state (shop, kind, cursor_at) VALUES (?, ?, ?)
ON CONFLICT (shop, kind) DO UPDATE SET cursor_at = CASE WHEN COALESCE(sync_state.cursor_at, 0) > excluded.cursor_at THEN sync_state.cursor_at ELSE excluded.cursor_at END`,
		ref.key, string(kind), t.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: advance sync cursor %s %s: %w", shopID, kind, err)
	}
	return nil
}

// ResetSyncCursor forgets the shop's cursor for kind, so that the next sync
// loads everything again.
func (db *DB) ResetSyncCursor(ctx context.Context, shopID string, kind Kind) error {
	ref, err := db.shop(shopID)
	if err != nil {
		return err
	}
	if _, err := db.sql.ExecContext(ctx, `UPDATE sync_state SET cursor_at = NULL WHERE shop = ? AND kind = ?`, ref.key, string(kind)); err != nil {
		return fmt.Errorf("store: reset sync cursor %s %s: %w", shopID, kind, err)
	}
	return nil
}

// SyncRun is the outcome of one sync of one shop's records of one kind.
type SyncRun struct {
	ShopID string
	Kind   Kind
	// At is when the run started.
	At time.Time
	// Records is how many records the run imported.
	Records int
	// Err is why the run failed, or nil. Its text is shown to users: it
	// must not carry secrets.
	Err error
}

// RecordSyncRun records the outcome of a sync run in the shop's status.
func (db *DB) RecordSyncRun(ctx context.Context, r SyncRun) error {
	ref, err := db.shop(r.ShopID)
	if err != nil {
		return err
	}
	at := r.At.UnixMilli()
	if r.Err == nil {
		_, err = db.sql.ExecContext(ctx, `INSERT INTO sync_state (shop, kind, last_attempt_at, last_success_at, error, records) VALUES (?, ?, ?, ?, '', ?)
ON CONFLICT (shop, kind) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, last_success_at = excluded.last_success_at,
	error = '', records = excluded.records`, ref.key, string(r.Kind), at, at, r.Records)
	} else {
		msg := r.Err.Error()
		if msg == "" {
			msg = "failed"
		}
		_, err = db.sql.ExecContext(ctx, `INSERT INTO sync_state (shop, kind, last_attempt_at, last_failure_at, error) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (shop, kind) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, last_failure_at = excluded.last_failure_at,
	error = excluded.error`, ref.key, string(r.Kind), at, at, msg)
	}
	if err != nil {
		return fmt.Errorf("store: record sync run %s %s: %w", r.ShopID, r.Kind, err)
	}
	return nil
}

// SyncReject is a synced record the import rejected.
type SyncReject struct {
	// RecordID is the TikTok id of the record: an order, return or
	// message id.
	RecordID string
	// Problem says what is wrong, as the import put it ("created_at: ...").
	Problem string
	// At is when the sync that rejected it ran.
	At time.Time
}

// UpdateSyncRejects adds rejected records to the shop's list for kind and
// removes the imported ones from it, in one transaction.
func (db *DB) UpdateSyncRejects(ctx context.Context, shopID string, kind Kind, rejected []SyncReject, imported []string) error {
	ref, err := db.shop(shopID)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if len(imported) > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM sync_rejects WHERE shop = ? AND kind = ? LIMIT 1) AS any_reject`, ref.key, string(kind)).Scan(&n); err != nil {
				return fmt.Errorf("store: sync rejects: %w", err)
			}
			if n > 0 {
				ids, err := json.Marshal(imported)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM sync_rejects WHERE shop = ? AND kind = ? AND `+db.idsIn("record_id"),
					ref.key, string(kind), string(ids)); err != nil {
					return fmt.Errorf("store: sync rejects: %w", err)
				}
			}
		}
		for _, r := range rejected {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sync_rejects (shop, kind, record_id, problem, seen_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (shop, kind, record_id) DO UPDATE SET problem = excluded.problem, seen_at = excluded.seen_at`,
				ref.key, string(kind), r.RecordID, r.Problem, r.At.UnixMilli()); err != nil {
				return fmt.Errorf("store: sync rejects: %w", err)
			}
		}
		return nil
	})
}

// SyncStatus is the state of the sync of one shop's records of one kind:
// what the bot's status answer, /metrics and the monitor's stale-data alert
// read.
type SyncStatus struct {
	ShopID string
	Kind   Kind
	// Cursor: records updated before it are in the database; zero before
	// the first sync.
	Cursor time.Time
	// LastAttempt, LastSuccess and LastFailure are when the latest run,
	// the latest successful run and the latest failed run started; zero
	// when there was none.
	LastAttempt time.Time
	LastSuccess time.Time
	LastFailure time.Time
	// Error is why the latest run failed; "" when it succeeded.
	Error string
	// Records is how many records the latest successful run imported.
	Records int
	// Rejected counts the records the import rejected at their latest sync
	// (bad data from TikTok, such as a delivery before the order);
	// RejectedRecords lists the latest few.
	Rejected        int
	RejectedRecords []SyncReject
}

// Failing reports whether the latest run failed.
func (s SyncStatus) Failing() bool { return s.Error != "" }

// Stale reports whether the records have not been brought up to date
// successfully within maxAge of now (never synced counts as stale).
func (s SyncStatus) Stale(now time.Time, maxAge time.Duration) bool {
	return s.LastSuccess.IsZero() || now.Sub(s.LastSuccess) > maxAge
}

// maxRejectsListed bounds SyncStatus.RejectedRecords.
const maxRejectsListed = 10

// SyncStatuses returns the sync status of every configured shop that has
// one (shopID "") or of one shop, by shop in config order and then by kind
// (orders, returns, chats). Shops that never synced have no entries.
func (db *DB) SyncStatuses(ctx context.Context, shopID string) ([]SyncStatus, error) {
	var where string
	var args []any
	if shopID != "" {
		ref, err := db.shop(shopID)
		if err != nil {
			return nil, err
		}
		where = ` WHERE shop = ?`
		args = append(args, ref.key)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT shop, kind, cursor_at, last_attempt_at, last_success_at, last_failure_at, error, records FROM sync_state`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sync statuses: %w", err)
	}
	type skey struct {
		shop int64
		kind Kind
	}
	byKey := map[skey]*SyncStatus{}
	for rows.Next() {
		var key int64
		var kind string
		var cursor, attempt, success, failure sql.NullInt64
		s := &SyncStatus{}
		if err := rows.Scan(&key, &kind, &cursor, &attempt, &success, &failure, &s.Error, &s.Records); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: sync statuses: %w", err)
		}
		s.Kind = Kind(kind)
		s.Cursor, s.LastAttempt, s.LastSuccess, s.LastFailure = msTime(cursor), msTime(attempt), msTime(success), msTime(failure)
		byKey[skey{key, s.Kind}] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sync statuses: %w", err)
	}
	// The rejected records' counts, in one read.
	rows, err = db.sql.QueryContext(ctx, `SELECT shop, kind, COUNT(*) FROM sync_rejects`+where+` GROUP BY shop, kind`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sync rejects: %w", err)
	}
	for rows.Next() {
		var key int64
		var kind string
		var n int
		if err := rows.Scan(&key, &kind, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: sync rejects: %w", err)
		}
		if s, ok := byKey[skey{key, Kind(kind)}]; ok {
			s.Rejected = n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sync rejects: %w", err)
	}
	var out []SyncStatus
	for _, cs := range db.cfg.Shops {
		if shopID != "" && cs.ID != shopID {
			continue
		}
		key := db.shops[cs.ID].key
		for _, kind := range Kinds {
			s, ok := byKey[skey{key, kind}]
			if !ok {
				continue
			}
			s.ShopID = cs.ID
			if err := db.syncRejects(ctx, key, s); err != nil {
				return nil, err
			}
			out = append(out, *s)
		}
	}
	return out, nil
}

// syncRejects lists the latest of s's rejected records, when it has any.
func (db *DB) syncRejects(ctx context.Context, shop int64, s *SyncStatus) error {
	if s.Rejected == 0 {
		return nil
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT record_id, problem, seen_at FROM sync_rejects WHERE shop = ? AND kind = ?
ORDER BY seen_at DESC, record_id LIMIT ?`, shop, string(s.Kind), maxRejectsListed)
	if err != nil {
		return fmt.Errorf("store: sync rejects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r SyncReject
		var at int64
		if err := rows.Scan(&r.RecordID, &r.Problem, &at); err != nil {
			return fmt.Errorf("store: sync rejects: %w", err)
		}
		r.At = time.UnixMilli(at)
		s.RejectedRecords = append(s.RejectedRecords, r)
	}
	return rows.Err()
}

func msTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

// ---- orders ----

// OrderProducts returns the product ids of a stored order (its lines), or
// ErrNotFound.
func (db *DB) OrderProducts(ctx context.Context, orderID string) ([]string, error) {
	var products string
	err := db.sql.QueryRowContext(ctx, `SELECT products FROM orders WHERE order_id = ?`, orderID).Scan(&products)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: order %s: %w", orderID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: order %s: %w", orderID, err)
	}
	return strings.Split(products, "\n"), nil
}

// ---- webhook deliveries ----

// FirstNotification records a webhook delivery by its tts_notification_id
// and reports whether it is the first with that id.
func (db *DB) FirstNotification(ctx context.Context, id, shopID string, typ int, at time.Time) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `INSERT INTO tiktok_notifications (id, shop_id, type, received_at) VALUES (?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`, id, shopID, typ, at.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: record notification: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: record notification: %w", err)
	}
	return n == 1, nil
}

// PruneNotifications forgets webhook deliveries received before t and
// returns how many.
func (db *DB) PruneNotifications(ctx context.Context, before time.Time) (int, error) {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM tiktok_notifications WHERE received_at < ?`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: prune notifications: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
