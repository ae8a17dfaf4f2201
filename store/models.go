package store

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The gorm models of the monitor's and the sync's tables (alerts, runs,
// acknowledgements, mutes, App Home users, outbox, TikTok grants and
// cursors): their reads and writes are small and go through gorm. Times are
// Unix milliseconds, as in the schema (migrate.go), which stays the source
// of truth: the models declare no schema of their own.

type alertStateRow struct {
	Shop       int64  `gorm:"column:shop;primaryKey"`
	Metric     string `gorm:"column:metric;primaryKey"`
	Day        int64  `gorm:"column:day;primaryKey"`
	Level      string `gorm:"column:level"`
	Since      int64  `gorm:"column:since"`
	Changed    int64  `gorm:"column:changed"`
	Observed   string `gorm:"column:observed"`
	Fresh      bool   `gorm:"column:fresh"`
	Announced  string `gorm:"column:announced"`
	NotifiedOn int64  `gorm:"column:notified_on"`
	Root       string `gorm:"column:root"`
	Value      *float64
	UpdatedAt  int64 `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (alertStateRow) TableName() string { return "alert_states" }

type runRow struct {
	Shop   int64  `gorm:"column:shop;primaryKey"`
	Kind   string `gorm:"column:kind;primaryKey"`
	Day    int64  `gorm:"column:day;primaryKey"`
	DoneAt int64  `gorm:"column:done_at"`
}

func (runRow) TableName() string { return "monitor_runs" }

type ackRow struct {
	Shop    int64  `gorm:"column:shop;primaryKey"`
	Metric  string `gorm:"column:metric;primaryKey"`
	Root    string `gorm:"column:root;primaryKey"`
	ByUser  string `gorm:"column:by_user"`
	Channel string `gorm:"column:channel"`
	At      int64  `gorm:"column:at"`
}

func (ackRow) TableName() string { return "alert_acks" }

type muteRow struct {
	Shop      int64  `gorm:"column:shop;primaryKey"`
	Metric    string `gorm:"column:metric;primaryKey"`
	UntilAt   int64  `gorm:"column:until_at"`
	CreatedAt int64  `gorm:"column:created_at;autoCreateTime:false"`
	CreatedBy string `gorm:"column:created_by"`
	Channel   string `gorm:"column:channel"`
}

func (muteRow) TableName() string { return "mutes" }

type homeUserRow struct {
	UserID   string `gorm:"column:user_id;primaryKey"`
	OpenedAt int64  `gorm:"column:opened_at"`
}

func (homeUserRow) TableName() string { return "home_users" }

type outboxRow struct {
	ID         int64  `gorm:"column:id;primaryKey"`
	MsgKey     string `gorm:"column:msg_key"`
	Shop       int64  `gorm:"column:shop"`
	Channel    string `gorm:"column:channel"`
	Kind       string `gorm:"column:kind"`
	ThreadKey  string `gorm:"column:thread_key"`
	Payload    string `gorm:"column:payload"`
	Status     string `gorm:"column:status"`
	Uncertain  bool   `gorm:"column:uncertain"`
	Attempts   int    `gorm:"column:attempts"`
	NextAt     int64  `gorm:"column:next_at"`
	LeaseUntil int64  `gorm:"column:lease_until"`
	CreatedAt  int64  `gorm:"column:created_at;autoCreateTime:false"`
	SentAt     *int64 `gorm:"column:sent_at"`
	TS         string `gorm:"column:ts"`
	ThreadTS   string `gorm:"column:thread_ts"`
	LastError  string `gorm:"column:last_error"`
}

func (outboxRow) TableName() string { return "outbox" }

type attemptRow struct {
	OutboxID int64  `gorm:"column:outbox_id;primaryKey;autoIncrement:false"`
	Attempt  int    `gorm:"column:attempt;primaryKey;autoIncrement:false"`
	At       int64  `gorm:"column:at"`
	Millis   int64  `gorm:"column:millis"`
	Outcome  string `gorm:"column:outcome"`
	Error    string `gorm:"column:error"`
}

func (attemptRow) TableName() string { return "delivery_attempts" }

type grantRow struct {
	OpenID           string `gorm:"column:open_id;primaryKey"`
	Sealed           []byte `gorm:"column:sealed"`
	AccessExpiresAt  int64  `gorm:"column:access_expires_at"`
	RefreshExpiresAt int64  `gorm:"column:refresh_expires_at"`
	SellerName       string `gorm:"column:seller_name"`
	UpdatedAt        int64  `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (grantRow) TableName() string { return "tiktok_grants" }

type tiktokShopRow struct {
	Shop         int64  `gorm:"column:shop;primaryKey;autoIncrement:false"`
	OpenID       string `gorm:"column:open_id"`
	Cipher       string `gorm:"column:cipher"`
	AuthorizedAt int64  `gorm:"column:authorized_at"`
}

func (tiktokShopRow) TableName() string { return "tiktok_shops" }

type syncStateRow struct {
	Shop          int64  `gorm:"column:shop;primaryKey;autoIncrement:false"`
	Kind          string `gorm:"column:kind;primaryKey"`
	CursorAt      *int64 `gorm:"column:cursor_at"`
	LastAttemptAt *int64 `gorm:"column:last_attempt_at"`
	LastSuccessAt *int64 `gorm:"column:last_success_at"`
	LastFailureAt *int64 `gorm:"column:last_failure_at"`
	Error         string `gorm:"column:error"`
	Records       int    `gorm:"column:records"`
}

func (syncStateRow) TableName() string { return "sync_state" }

type syncRejectRow struct {
	Shop     int64  `gorm:"column:shop;primaryKey;autoIncrement:false"`
	Kind     string `gorm:"column:kind;primaryKey"`
	RecordID string `gorm:"column:record_id;primaryKey"`
	Problem  string `gorm:"column:problem"`
	SeenAt   int64  `gorm:"column:seen_at"`
}

func (syncRejectRow) TableName() string { return "sync_rejects" }

type notificationRow struct {
	ID         string `gorm:"column:id;primaryKey"`
	ShopID     string `gorm:"column:shop_id"`
	Type       int    `gorm:"column:type"`
	ReceivedAt int64  `gorm:"column:received_at"`
}

func (notificationRow) TableName() string { return "tiktok_notifications" }

// orm is gorm for the models' reads and writes. Without PrepareStmt: the
// SQLite driver prepares every statement anew on each call whatever
// database/sql holds (see sqliteraw.go), and gorm's prepared-statement
// cache only added a Tx.StmtContext per call inside transactions and a
// cache goroutine per database (measured with BenchmarkEvaluationRoundTrip:
// no gain).
func (db *conn) orm(ctx context.Context) *gorm.DB { return db.gorm.WithContext(ctx) }

// upsert is ON CONFLICT (keys) DO UPDATE SET each of cols to the new value.
func upsert(keys []string, cols ...string) clause.OnConflict {
	c := clause.OnConflict{DoUpdates: clause.AssignmentColumns(cols)}
	for _, k := range keys {
		c.Columns = append(c.Columns, clause.Column{Name: k})
	}
	return c
}

// ignoreDup is ON CONFLICT DO NOTHING.
var ignoreDup = clause.OnConflict{DoNothing: true}

// touchShopsTx is touchShops in a gorm transaction.
func touchShopsTx(tx *gorm.DB, keys ...int64) error {
	return tx.Model(&shopRow{}).Where("id IN ?", keys).UpdateColumn("changes", gorm.Expr("changes + 1")).Error
}
