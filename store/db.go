// Package store keeps shopwatch's records in a SQL database (SQLite by
// default) and answers the queries the metrics are computed from.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/shopwatch/shopwatch/rules"
)

// ErrNotFound is returned when a requested record does not exist.
var ErrNotFound = errors.New("not found")

// Options configure Open.
type Options struct {
	// DSN is a SQLite file path (or "file:" URI), or a postgres:// URL.
	DSN    string
	Config *rules.Config
	Logger *slog.Logger
	// Clock is the clock of imports (timestamps more than a year ahead are
	// rejected); default the real clock.
	Clock clockwork.Clock
	// Shops, when not empty, limits what Open reads and syncs of the shops
	// table to these configured shops: a short command about one shop need
	// not read a 1,000-shop table first. A later use of another shop
	// registers the rest then (shops.go): it changes the cost, not what
	// the store answers.
	Shops []string
	// MapFile makes SQLite read the database file through a memory map
	// (PRAGMA mmap_size, up to the driver's 2 GB) rather than copying each
	// page it reads into a page cache of fresh memory: for a short-lived
	// process, whose every fresh page is a fault (sqliteDSN). An I/O error
	// while reading the map is a crash rather than an error: serve and
	// imports read as before. PostgreSQL ignores it.
	MapFile bool
}

func (o *Options) validate() error {
	if o.DSN == "" {
		return errors.New("store: DSN is required")
	}
	if o.Config == nil {
		return errors.New("store: Config is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	return nil
}

// DB is the shopwatch database. Its methods are grouped by aggregate, each
// a type sharing one connection: Records (records and the reports,
// breakdowns and evidence computed from them), Alerts (alert states, runs,
// acknowledgements, mutes and App Home users), Outbox (notifications and
// their delivery) and Grants (TikTok authorizations, sync cursors and
// webhook deliveries). Consumers declare the small part they need.
type DB struct {
	*conn
	*Records
	*Alerts
	*Outbox
	*Grants
}

// conn is what the aggregates share: the connection, the config and the
// shops by id and by database key.
type conn struct {
	gorm   *gorm.DB
	sql    *sql.DB
	cfg    *rules.Config
	log    *slog.Logger
	clock  clockwork.Clock
	causes *rules.Classifier
	faults *rules.ReasonClassifier
	stmts  stmtCache

	// portableImport disables the direct SQLite path of imports (tests).
	portableImport bool
	// unstagedImport makes imports check their input in a first pass and
	// write it in input order, without staging (stage.go; tests).
	unstagedImport bool
	// stageMemBytes and turnFetch, when set, replace the consts
	// stageMemBytes and pgTurnFetch (tests).
	stageMemBytes, turnFetch int
	// crashBeforeSettle makes imports stop after their last commit, as if
	// killed there (tests).
	crashBeforeSettle bool
	// importTx, when set, sees a PostgreSQL import's transaction once
	// begun and just before its commit (tests).
	importTx func(tx *sql.Tx, commit bool)
	// pg is set on PostgreSQL (pgconn.go), where a few statements differ.
	pg bool
	// checkpoints counts the checkpoints imports' checkpointers ran
	// (checkpointer.go), inlineTurns the conversations whose turns chats
	// imports wrote with their batch (chatinline.go), rebuiltTurns those
	// whose turns a rebuild wrote (chats.go; tests).
	checkpoints, inlineTurns, rebuiltTurns atomic.Int64

	shopIdx atomic.Pointer[shopIndex] // shops.go
	shopsMu sync.Mutex                // serialises ensureAll

	replicasOnce sync.Once
	replicas     *Replicas // replicas.go
}

// now is the time on the database's clock.
func (c *conn) now() time.Time { return c.clock.Now() }

// shopRef is a configured shop and its key in the database.
type shopRef struct {
	key  int64
	shop *rules.Shop
}

// Open opens (creating if needed) the database, applies migrations and
// brings the shops table and derived columns in line with the config.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	pg := IsPostgres(opts.DSN)
	dialector := gorm.Dialector(&sqlite.Dialector{DriverName: sqliteDriver, DSN: sqliteDSN(opts.DSN, opts.MapFile)})
	if pg {
		conn, err := openPostgres(opts.DSN)
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", redactDSN(opts.DSN), err)
		}
		dialector = postgres.New(postgres.Config{Conn: conn})
	}
	g, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", redactDSN(opts.DSN), err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	c := &conn{gorm: g, sql: sqlDB, cfg: opts.Config, log: opts.Logger.With("component", "store"), clock: opts.Clock, pg: pg}
	db := &DB{conn: c, Records: &Records{c}, Alerts: &Alerts{c}, Outbox: &Outbox{c}, Grants: &Grants{c}}
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: open %s: %w", redactDSN(opts.DSN), err)
	}
	if db.causes, err = rules.NewClassifier(opts.Config.CauseKeywords); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: cause_keywords: %w", err)
	}
	if db.faults, err = rules.NewReasonClassifier(opts.Config.ReasonKeywords); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: reason_keywords: %w", err)
	}
	err = db.underSetupLock(ctx, func(locked bool) error {
		if err := db.migrate(ctx, locked); err != nil {
			return err
		}
		if err := db.syncShops(ctx, opts.Shops, locked); err != nil {
			return err
		}
		return db.reclassify(ctx, locked)
	})
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	if err := db.SettleTurns(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// serviceCacheKiB is the page cache of each connection, in KiB.
const serviceCacheKiB = 16000

// newDBPageSize is the page size of the SQLite databases shopwatch creates:
// 8 KiB, against SQLite's default of 4 KiB. Every table is WITHOUT ROWID
// (keyed by the records' own ids), and SQLite splits such a b-tree's full
// page by rebalancing it with its siblings, for an append too (rowid tables
// have a fast path for appends); with bigger pages, an import's rows split
// half as many pages. On the 1M-line demo (rows in mixed order, medians of
// 5-10 alternated runs) the imports were 4-6% (orders), 7% (reviews), 2%
// (returns) and 6% (chats) faster, and short commands on the 10M-line
// database unchanged. A database made before keeps its page size: the
// pragma changes only an empty database.
const newDBPageSize = 8192

// mapSize is the mmap_size of a store opened with MapFile: as much of the
// file as the driver maps (its SQLITE_MAX_MMAP_SIZE, 2 GB, caps it); pages
// past it are read as before. On the 2.6 GB database of 1,000 shops and 10M
// order lines, medians of 40 alternated runs of each short command, without
// and with it: metrics 31.1 to 30.4 ms, breakdown 33.4 to 31.1 ms, ask 31.6
// to 30.4 ms (a breakdown reads the most pages).
const mapSize = 1 << 31

// sqliteDSN adds the pragmas shopwatch relies on, and mmap_size when
// mapFile (Options.MapFile). The glebarez driver takes them as _pragma
// parameters; mattn-style ?_journal_mode= is ignored by it.
func sqliteDSN(path string, mapFile bool) string {
	q := url.Values{}
	for _, p := range []string{
		fmt.Sprintf("page_size(%d)", newDBPageSize), // before WAL mode, which fixes it
		"journal_mode(WAL)",
		"busy_timeout(10000)",
		"synchronous(NORMAL)",
		"foreign_keys(ON)",
		fmt.Sprintf("cache_size(-%d)", serviceCacheKiB),
		"temp_store(MEMORY)",           // statement journals of the import's upserts
		"journal_size_limit(67108864)", // truncate the WAL to 64 MB after a checkpoint
	} {
		q.Add("_pragma", p)
	}
	if mapFile {
		q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", mapSize))
	}
	q.Set("_txlock", "immediate")
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + q.Encode()
}

// Close closes the database.
func (db *conn) Close() error {
	if db.replicas != nil {
		db.replicas.Close()
	}
	db.stmts.mu.Lock()
	for _, s := range db.stmts.stmts {
		s.Close()
	}
	db.stmts.stmts = nil
	db.stmts.mu.Unlock()
	return db.sql.Close()
}

// Config returns the configuration the database was opened with.
func (db *conn) Config() *rules.Config { return db.cfg }

// Ping checks that the database answers.
func (db *conn) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

func (db *conn) shop(id string) (shopRef, error) {
	var ref shopRef
	found, err := db.lookup(func(idx *shopIndex) (ok bool) { ref, ok = idx.byID[id]; return ok })
	if err != nil {
		return shopRef{}, fmt.Errorf("shop %q: %w", id, err)
	}
	if !found {
		return shopRef{}, fmt.Errorf("shop %q: %w in the config", id, ErrNotFound)
	}
	return ref, nil
}
