package tiktoksync

import (
	"context"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// Store is what the syncer reads and writes, by need; *store.DB
// implements it.
type Store interface {
	Config() *rules.Config
	RecordStore
	GrantStore
}

// RecordStore is where synced records go, and the stored orders a return
// or review is matched with.
type RecordStore interface {
	ImportOrders(ctx context.Context, name string, recs []store.OrderLine, opts store.ImportOptions) (*store.ImportResult, error)
	ImportReturns(ctx context.Context, name string, recs []store.Return, opts store.ImportOptions) (*store.ImportResult, error)
	ImportChats(ctx context.Context, name string, recs []store.ChatMessage, opts store.ImportOptions) (*store.ImportResult, error)
	OrderProducts(ctx context.Context, orderID string) ([]string, error)
}

// GrantStore is the sync's memory: grants, the shops they cover, cursors,
// run outcomes, rejected records and webhook deliveries (store.Grants).
type GrantStore interface {
	SaveTikTokGrant(ctx context.Context, g store.TikTokGrant, shops []store.TikTokShop) error
	UpdateTikTokGrant(ctx context.Context, g store.TikTokGrant) error
	TikTokGrant(ctx context.Context, openID string) (store.TikTokGrant, error)
	TikTokShop(ctx context.Context, shopID string) (store.TikTokShop, error)
	TikTokShops(ctx context.Context) ([]store.TikTokShop, error)
	SyncCursor(ctx context.Context, shopID string, kind store.Kind) (time.Time, error)
	AdvanceSyncCursor(ctx context.Context, shopID string, kind store.Kind, t time.Time) error
	RecordSyncRun(ctx context.Context, r store.SyncRun) error
	UpdateSyncRejects(ctx context.Context, shopID string, kind store.Kind, rejected []store.SyncReject, imported []string) error
	FirstNotification(ctx context.Context, id, shopID string, typ int, at time.Time) (bool, error)
	PruneNotifications(ctx context.Context, before time.Time) (int, error)
}

var (
	_ Store      = (*store.DB)(nil)
	_ GrantStore = (*store.Grants)(nil)
)
