package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shopwatch/shopwatch/rules"
)

// The TikTok Shop sync's memory (SPEC section 7, migration tiktok_grants ..
// tiktok_notifications): sealed authorizations, the shops they cover, a
// cursor and the latest outcome per shop and record kind, the records the
// import rejected, and the webhook deliveries already seen.
//
// The store never sees a token in the clear: the sync seals it before
// SaveTikTokGrant and opens it after TikTokGrant.

// Grants is the TikTok Shop sync's memory: grants, the shops they cover,
// sync cursors and statuses, rejected records and webhook deliveries.
type Grants struct{ *conn }

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
func (db *Grants) SaveTikTokGrant(ctx context.Context, g TikTokGrant, shops []TikTokShop) error {
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
	return db.orm(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(upsert([]string{"open_id"}, "sealed", "access_expires_at", "refresh_expires_at", "seller_name", "updated_at")).
			Create(&grantRow{OpenID: g.OpenID, Sealed: g.Sealed, AccessExpiresAt: g.AccessExpiresAt.UnixMilli(),
				RefreshExpiresAt: g.RefreshExpiresAt.UnixMilli(), SellerName: g.SellerName, UpdatedAt: g.UpdatedAt.UnixMilli()}).Error
		if err != nil {
			return fmt.Errorf("store: save TikTok grant: %w", err)
		}
		for i, s := range shops {
			err := tx.Clauses(upsert([]string{"shop"}, "open_id", "cipher", "authorized_at")).
				Create(&tiktokShopRow{Shop: keys[i], OpenID: g.OpenID, Cipher: s.Cipher, AuthorizedAt: s.AuthorizedAt.UnixMilli()}).Error
			if err != nil {
				return fmt.Errorf("store: link shop %s to TikTok grant: %w", s.ShopID, err)
			}
		}
		return nil
	})
}

// UpdateTikTokGrant replaces the sealed tokens and expiry times of a stored
// grant, after a refresh. It returns ErrNotFound when there is none.
func (db *Grants) UpdateTikTokGrant(ctx context.Context, g TikTokGrant) error {
	res := db.orm(ctx).Model(&grantRow{}).Where("open_id = ?", g.OpenID).Updates(map[string]any{"sealed": g.Sealed,
		"access_expires_at": g.AccessExpiresAt.UnixMilli(), "refresh_expires_at": g.RefreshExpiresAt.UnixMilli(), "updated_at": g.UpdatedAt.UnixMilli()})
	if res.Error != nil {
		return fmt.Errorf("store: update TikTok grant: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update TikTok grant %s: %w", g.OpenID, ErrNotFound)
	}
	return nil
}

// TikTokGrant returns the grant with the given OpenID, or ErrNotFound.
func (db *Grants) TikTokGrant(ctx context.Context, openID string) (TikTokGrant, error) {
	var r grantRow
	err := db.orm(ctx).Where("open_id = ?", openID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return TikTokGrant{}, fmt.Errorf("store: TikTok grant %s: %w", openID, ErrNotFound)
	}
	if err != nil {
		return TikTokGrant{}, fmt.Errorf("store: TikTok grant: %w", err)
	}
	return TikTokGrant{OpenID: openID, Sealed: r.Sealed, AccessExpiresAt: time.UnixMilli(r.AccessExpiresAt),
		RefreshExpiresAt: time.UnixMilli(r.RefreshExpiresAt), SellerName: r.SellerName, UpdatedAt: time.UnixMilli(r.UpdatedAt)}, nil
}

// TikTokShop returns how the shop is linked to TikTok, or ErrNotFound when
// it has not been authorized.
func (db *Grants) TikTokShop(ctx context.Context, shopID string) (TikTokShop, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return TikTokShop{}, err
	}
	var r tiktokShopRow
	err = db.orm(ctx).Where("shop = ?", ref.key).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return TikTokShop{}, fmt.Errorf("store: shop %s is not authorized for TikTok: %w", shopID, ErrNotFound)
	}
	if err != nil {
		return TikTokShop{}, fmt.Errorf("store: TikTok shop %s: %w", shopID, err)
	}
	return TikTokShop{ShopID: shopID, OpenID: r.OpenID, Cipher: r.Cipher, AuthorizedAt: time.UnixMilli(r.AuthorizedAt)}, nil
}

// TikTokShops returns the configured shops that are authorized for TikTok,
// in config order.
func (db *Grants) TikTokShops(ctx context.Context) ([]TikTokShop, error) {
	var rows []tiktokShopRow
	if err := db.orm(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: TikTok shops: %w", err)
	}
	byKey := map[int64]TikTokShop{}
	for _, r := range rows {
		byKey[r.Shop] = TikTokShop{OpenID: r.OpenID, Cipher: r.Cipher, AuthorizedAt: time.UnixMilli(r.AuthorizedAt)}
	}
	idx, err := db.ensureAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: TikTok shops: %w", err)
	}
	var out []TikTokShop
	for _, cs := range db.cfg.Shops() {
		if s, ok := byKey[idx.byID[cs.ID].key]; ok {
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
func (db *Grants) SyncCursor(ctx context.Context, shopID string, kind Kind) (time.Time, error) {
	ref, err := db.shop(shopID)
	if err != nil {
		return time.Time{}, err
	}
	var rows []syncStateRow
	err = db.orm(ctx).Where("shop = ? AND kind = ?", ref.key, string(kind)).Limit(1).Find(&rows).Error
	if err != nil {
		return time.Time{}, fmt.Errorf("store: sync cursor %s %s: %w", shopID, kind, err)
	}
	if len(rows) == 0 {
		return time.Time{}, nil
	}
	return msTime(rows[0].CursorAt), nil
}

// AdvanceSyncCursor moves the shop's cursor for kind forward to t; a t
// before the stored cursor leaves it unchanged, so that concurrent runs
// never move it back.
func (db *Grants) AdvanceSyncCursor(ctx context.Context, shopID string, kind Kind, t time.Time) error {
	ref, err := db.shop(shopID)
	if err != nil {
		return err
	}
	at := t.UnixMilli()
	// The later of the two, in SQL both SQLite and PostgreSQL speak.
	later := clause.Expr{SQL: "CASE WHEN sync_state.cursor_at IS NULL OR sync_state.cursor_at < excluded.cursor_at THEN excluded.cursor_at ELSE sync_state.cursor_at END"}
	err = db.orm(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "shop"}, {Name: "kind"}},
		DoUpdates: clause.Set{{Column: clause.Column{Name: "cursor_at"}, Value: later}}}).
		Create(&syncStateRow{Shop: ref.key, Kind: string(kind), CursorAt: &at}).Error
	if err != nil {
		return fmt.Errorf("store: advance sync cursor %s %s: %w", shopID, kind, err)
	}
	return nil
}

// ResetSyncCursor forgets the shop's cursor for kind, so that the next sync
// loads everything again.
func (db *Grants) ResetSyncCursor(ctx context.Context, shopID string, kind Kind) error {
	ref, err := db.shop(shopID)
	if err != nil {
		return err
	}
	err = db.orm(ctx).Model(&syncStateRow{}).Where("shop = ? AND kind = ?", ref.key, string(kind)).Update("cursor_at", nil).Error
	if err != nil {
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
func (db *Grants) RecordSyncRun(ctx context.Context, r SyncRun) error {
	ref, err := db.shop(r.ShopID)
	if err != nil {
		return err
	}
	at := r.At.UnixMilli()
	row := syncStateRow{Shop: ref.key, Kind: string(r.Kind), LastAttemptAt: &at}
	var set clause.OnConflict
	if r.Err == nil {
		row.LastSuccessAt, row.Records = &at, r.Records
		set = upsert([]string{"shop", "kind"}, "last_attempt_at", "last_success_at", "error", "records")
	} else {
		row.LastFailureAt, row.Error = &at, cmp.Or(r.Err.Error(), "failed")
		set = upsert([]string{"shop", "kind"}, "last_attempt_at", "last_failure_at", "error")
	}
	// cursor_at is left alone on conflict and NULL on a first insert.
	if err := db.orm(ctx).Clauses(set).Create(&row).Error; err != nil {
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
func (db *Grants) UpdateSyncRejects(ctx context.Context, shopID string, kind Kind, rejected []SyncReject, imported []string) error {
	ref, err := db.shop(shopID)
	if err != nil {
		return err
	}
	return db.orm(ctx).Transaction(func(tx *gorm.DB) error {
		if len(imported) > 0 {
			var n int64
			if err := tx.Model(&syncRejectRow{}).Where("shop = ? AND kind = ?", ref.key, string(kind)).Count(&n).Error; err != nil {
				return fmt.Errorf("store: sync rejects: %w", err)
			}
			// In chunks that stay under any database's limit of bound
			// parameters.
			for ids := range slices.Chunk(imported, 500) {
				if n == 0 {
					break
				}
				if err := tx.Where("shop = ? AND kind = ? AND record_id IN ?", ref.key, string(kind), ids).Delete(&syncRejectRow{}).Error; err != nil {
					return fmt.Errorf("store: sync rejects: %w", err)
				}
			}
		}
		for _, r := range rejected {
			err := tx.Clauses(upsert([]string{"shop", "kind", "record_id"}, "problem", "seen_at")).
				Create(&syncRejectRow{Shop: ref.key, Kind: string(kind), RecordID: r.RecordID, Problem: r.Problem, SeenAt: r.At.UnixMilli()}).Error
			if err != nil {
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

// The sync status reads, plain SQL (as the slash commands' other reads):
// gorm's reflection over the rows cost more than the reads.
const (
	qSyncStates       = `SELECT shop, kind, cursor_at, last_attempt_at, last_success_at, last_failure_at, error, records FROM sync_state`
	qSyncRejectCounts = `SELECT shop, kind, COUNT(*) FROM sync_rejects`
	qSyncRejects      = `SELECT record_id, problem, seen_at FROM sync_rejects WHERE shop = ? AND kind = ? ORDER BY seen_at DESC, record_id LIMIT ?`
)

// SyncStatuses returns the sync status of every configured shop that has
// one (shopID "") or of one shop, by shop in config order and then by kind
// (orders, returns, chats). Shops that never synced have no entries.
func (db *Grants) SyncStatuses(ctx context.Context, shopID string) ([]SyncStatus, error) {
	where, args, shops := "", []any(nil), []*rules.Shop(nil)
	if shopID == "" {
		shops = db.cfg.Shops()
	} else {
		ref, err := db.shop(shopID)
		if err != nil {
			return nil, err
		}
		where, args, shops = " WHERE shop = ?", []any{ref.key}, []*rules.Shop{ref.shop}
	}
	type skey struct {
		shop int64
		kind Kind
	}
	byKey := map[skey]*SyncStatus{}
	err := db.eachRow(ctx, qSyncStates+where, args, func(rows *sql.Rows) error {
		var shop int64
		var kind string
		var cursor, attempt, success, failure *int64
		s := &SyncStatus{}
		if err := rows.Scan(&shop, &kind, &cursor, &attempt, &success, &failure, &s.Error, &s.Records); err != nil {
			return err
		}
		s.Kind, s.Cursor, s.LastAttempt, s.LastSuccess, s.LastFailure = Kind(kind), msTime(cursor), msTime(attempt), msTime(success), msTime(failure)
		byKey[skey{shop, s.Kind}] = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: sync statuses: %w", err)
	}
	// The rejected records' counts, in one read.
	err = db.eachRow(ctx, qSyncRejectCounts+where+" GROUP BY shop, kind", args, func(rows *sql.Rows) error {
		var shop int64
		var kind string
		var n int
		if err := rows.Scan(&shop, &kind, &n); err != nil {
			return err
		}
		if s, ok := byKey[skey{shop, Kind(kind)}]; ok {
			s.Rejected = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: sync rejects: %w", err)
	}
	var out []SyncStatus
	for _, cs := range shops {
		ref, err := db.shop(cs.ID)
		if err != nil {
			return nil, err
		}
		key := ref.key
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
func (db *Grants) syncRejects(ctx context.Context, shop int64, s *SyncStatus) error {
	if s.Rejected == 0 {
		return nil
	}
	err := db.eachRow(ctx, qSyncRejects, []any{shop, string(s.Kind), maxRejectsListed}, func(rows *sql.Rows) error {
		var r SyncReject
		var at int64
		if err := rows.Scan(&r.RecordID, &r.Problem, &at); err != nil {
			return err
		}
		r.At = time.UnixMilli(at)
		s.RejectedRecords = append(s.RejectedRecords, r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: sync rejects: %w", err)
	}
	return nil
}

// msTime is the time of a nullable Unix-milliseconds column.
func msTime(ms *int64) time.Time {
	if ms == nil {
		return time.Time{}
	}
	return time.UnixMilli(*ms)
}

// ---- orders ----

// OrderProducts returns the product ids of a stored order (its lines), or
// ErrNotFound.
func (db *Records) OrderProducts(ctx context.Context, orderID string) ([]string, error) {
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
func (db *Grants) FirstNotification(ctx context.Context, id, shopID string, typ int, at time.Time) (bool, error) {
	res := db.orm(ctx).Clauses(ignoreDup).Create(&notificationRow{ID: id, ShopID: shopID, Type: typ, ReceivedAt: at.UnixMilli()})
	if res.Error != nil {
		return false, fmt.Errorf("store: record notification: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// PruneNotifications forgets webhook deliveries received before t and
// returns how many.
func (db *Grants) PruneNotifications(ctx context.Context, before time.Time) (int, error) {
	res := db.orm(ctx).Where("received_at < ?", before.UnixMilli()).Delete(&notificationRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune notifications: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}
