// Package tiktoksync keeps each authorized shop's orders, returns and chat
// messages current from the TikTok Shop Open API (SPEC section 7, issue 5):
// by polling, on a schedule and on demand, and by webhooks.
//
// Records enter the database only through store.Import, as SPEC-format CSV,
// so that validation, idempotent upserts, daily rollups and chat turns are
// the same as for a CSV import. A sync imports with skip-invalid semantics:
// a bad record does not hold up the shop's others, but it is kept in the
// shop's sync status (store.SyncStatus.Rejected) until a later sync imports
// it.
//
// # Polling
//
// Per shop and kind (orders, returns, chats) the store keeps a cursor:
// records updated before it are in the database. A run asks TikTok for
// records updated since cursor minus an overlap (late writes on TikTok's
// side), up to the run's start, and imports them in chunks of a few thousand,
// each in its own short transaction (the network is never waited on while
// the database is locked). Orders and returns come in update-time order, so
// the cursor moves after every chunk and a run that stops (a crash, a
// shutdown, an error) resumes where it stopped; chat messages do not, so
// their cursor moves only when a run completes. The first run of a shop
// starts Backfill before now. The outcome of every run, with the error text
// of a failure, is recorded for the bot's status answer, /metrics and the
// monitor's stale-data alert (store.SyncStatuses).
//
// # Tokens
//
// Tokens are sealed with AES-256-GCM under a key derived from
// SHOPWATCH_SECRET_KEY before they reach the database, refreshed
// RefreshMargin before they expire, and refreshed again (once) when TikTok
// rejects one as expired. They are never logged.
//
// # Webhooks
//
// WebhookHandler serves POST /tiktok/webhook: it verifies the signature (401
// and nothing else otherwise), queues the notification and answers at once;
// Run's worker then drops repeats (by tts_notification_id, in the store),
// fetches changed orders and returns by id and records new messages from the
// notification itself. Polling still runs: TikTok advises against relying
// on webhooks alone.
package tiktoksync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"golang.org/x/sync/errgroup"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// Defaults of Options.
const (
	DefaultEvery         = 15 * time.Minute
	DefaultOverlap       = 10 * time.Minute
	DefaultBackfill      = 90 * 24 * time.Hour
	DefaultChunkSize     = 5000
	DefaultRefreshMargin = 24 * time.Hour
	DefaultWorkers       = 4
	// NotificationRetention is how long webhook ids are remembered for
	// de-duplication.
	NotificationRetention = 30 * 24 * time.Hour
)

// SyncedKinds are the record kinds the sync pulls, in the order it pulls
// them: orders first, so that returns find their orders.
var SyncedKinds = []store.Kind{store.Orders, store.Returns, store.Chats}

// ErrNotAuthorized is returned for a shop that has no TikTok authorization
// (see Authorize).
var ErrNotAuthorized = errors.New("the shop is not authorized for TikTok: run `shopwatch tiktok authorize --shop ID --code AUTH_CODE`")

// Options configure a Syncer. DB, Client and SecretKey are required.
type Options struct {
	DB     Store
	Client *tiktok.Client
	// SecretKey seals tokens at rest (SHOPWATCH_SECRET_KEY).
	SecretKey string
	Logger    *slog.Logger
	Clock     clockwork.Clock // default: the real clock

	// Every is how often Run syncs every authorized shop; default 15 min.
	Every time.Duration
	// Overlap is how far before its cursor a run starts; default 10 min.
	Overlap time.Duration
	// Backfill is how far back a shop's first run reaches; default 90 days.
	Backfill time.Duration
	// ChunkSize is how many records are imported per transaction; default
	// 5,000.
	ChunkSize int
	// RefreshMargin: an access token expiring within it is refreshed before
	// use; default 24 hours.
	RefreshMargin time.Duration
	// Workers is how many shops SyncAll syncs at once; default 4.
	Workers int
	// Progress, when set, is called after each chunk a run imports, with
	// the run's records so far (cmd's progress line). Runs of several
	// shops call it at once.
	Progress func(shopID string, kind store.Kind, records int)
}

func (o *Options) validate() error {
	if o.DB == nil {
		return errors.New("tiktoksync: DB is required")
	}
	if o.Client == nil {
		return errors.New("tiktoksync: Client is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Every < 0 || o.Overlap < 0 || o.Backfill < 0 || o.ChunkSize < 0 || o.RefreshMargin < 0 || o.Workers < 0 {
		return errors.New("tiktoksync: settings must not be negative")
	}
	o.Every = cmp.Or(o.Every, DefaultEvery)
	o.Overlap = cmp.Or(o.Overlap, DefaultOverlap)
	o.Backfill = cmp.Or(o.Backfill, DefaultBackfill)
	o.ChunkSize = cmp.Or(o.ChunkSize, DefaultChunkSize)
	o.RefreshMargin = cmp.Or(o.RefreshMargin, DefaultRefreshMargin)
	o.Workers = cmp.Or(o.Workers, DefaultWorkers)
	return nil
}

// Syncer pulls TikTok Shop records into the store. It is safe for
// concurrent use.
type Syncer struct {
	opts    Options
	db      Store
	client  *tiktok.Client
	log     *slog.Logger
	clock   clockwork.Clock
	sealer  *sealer
	reasons *rules.ReasonClassifier

	grantMu sync.Mutex
	grants  map[string]*sync.Mutex // per OpenID: one refresh at a time

	// importMu keeps this process's imports from waiting on each other's
	// transactions (SQLite has one writer).
	importMu sync.Mutex

	notes chan note // webhook notifications waiting for the worker
	// afterBatch, when set (tests), is called after the worker has handled
	// a batch of notifications.
	afterBatch func(n int)
	// afterFlush, when set (tests), is called after each chunk is imported.
	afterFlush func()
}

// now is the time on the Syncer's clock.
func (s *Syncer) now() time.Time { return s.clock.Now() }

// New returns a Syncer for opts.
func New(opts Options) (*Syncer, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	sl, err := newSealer(opts.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("tiktoksync: %w", err)
	}
	reasons, err := rules.NewReasonClassifier(opts.DB.Config().ReasonKeywords)
	if err != nil {
		return nil, fmt.Errorf("tiktoksync: reason_keywords: %w", err)
	}
	return &Syncer{
		opts:    opts,
		db:      opts.DB,
		client:  opts.Client,
		log:     opts.Logger.With("component", "tiktoksync"),
		clock:   opts.Clock,
		sealer:  sl,
		reasons: reasons,
		grants:  map[string]*sync.Mutex{},
		notes:   make(chan note, webhookQueue),
	}, nil
}

// Result is the outcome of one shop's sync of one kind.
type Result struct {
	ShopID string
	Kind   store.Kind
	// Records is how many records were imported.
	Records int
	// Rejected is how many records the import rejected.
	Rejected int
	Took     time.Duration
	Err      error
}

// Run syncs every authorized shop at once and then every Options.Every, and
// handles the webhook notifications WebhookHandler queues, until ctx is
// done. Failures are recorded in the shops' sync status and logged; Run
// itself only returns when ctx is done.
func (s *Syncer) Run(ctx context.Context) error {
	var g errgroup.Group
	g.Go(func() error { s.work(ctx); return nil }) // the webhook worker
	defer func() { _ = g.Wait() }()
	t := s.clock.NewTicker(s.opts.Every)
	defer t.Stop()
	for {
		s.tick(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.Chan():
		}
	}
}

// tick is one scheduled run.
func (s *Syncer) tick(ctx context.Context) {
	start := s.now()
	results, err := s.SyncAll(ctx)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		s.log.Error("TikTok sync", "err", err)
	}
	records, failed := 0, 0
	for _, r := range results {
		records += r.Records
		if r.Err != nil {
			failed++
		}
	}
	s.log.Info("TikTok sync done", "results", len(results), "records", records, "failed", failed, "took", s.now().Sub(start).Round(time.Millisecond))
	if _, err := s.db.PruneNotifications(ctx, s.now().Add(-NotificationRetention)); err != nil {
		s.log.Warn("prune webhook ids", "err", err)
	}
}

// SyncAll syncs every authorized shop, Options.Workers at a time, and
// returns the results by shop in config order. The error is only about
// finding the shops; each shop's failures are in its results (and its sync
// status).
func (s *Syncer) SyncAll(ctx context.Context) ([]Result, error) {
	shops, err := s.db.TikTokShops(ctx)
	if err != nil {
		return nil, err
	}
	out := make([][]Result, len(shops))
	// A shop's failure is in its results: the others go on. When ctx ends,
	// the shops not started yet are left out.
	var g errgroup.Group
	g.SetLimit(s.opts.Workers)
	for i, sh := range shops {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			out[i], _ = s.SyncShop(ctx, sh.ShopID)
			return nil
		})
	}
	_ = g.Wait()
	var all []Result
	for _, rs := range out {
		all = append(all, rs...)
	}
	return all, ctx.Err()
}

// SyncShop syncs one shop's orders, returns and chat messages changed since
// their cursors, records the outcome of each in the shop's sync status and
// returns the results; the error joins the failures. A shop without an
// authorization gets ErrNotAuthorized (and no status).
func (s *Syncer) SyncShop(ctx context.Context, shopID string) ([]Result, error) {
	if _, ok := s.db.Config().Shop(shopID); !ok {
		return nil, fmt.Errorf("unknown shop %q (not in the config)", shopID)
	}
	log := s.log.With("shop", shopID)
	started := s.now()
	auth, err := s.shopAuth(ctx, shopID, "")
	if errors.Is(err, ErrNotAuthorized) {
		return nil, fmt.Errorf("shop %s: %w", shopID, err)
	}
	var results []Result
	var errs []error
	var limited error // TikTok's rate limit stopped a kind of this run
	for _, kind := range SyncedKinds {
		r := Result{ShopID: shopID, Kind: kind}
		switch {
		case err != nil:
			r.Err = err // no usable token: every kind fails alike
		case limited != nil:
			// Its retries would only meet the same limit: the next run
			// tries again.
			r.Err = fmt.Errorf("not tried in this run: %w", limited)
		default:
			j := &job{shopID: shopID, kind: kind, auth: auth, until: started}
			r.Err = s.syncKind(ctx, j)
			auth = j.auth // a refreshed token serves the next kinds
			r.Records, r.Rejected = j.records, j.rejected
			if errors.Is(r.Err, tiktok.ErrRateLimited) {
				limited = fmt.Errorf("the %s sync hit TikTok's rate limit: %w", kind, r.Err)
			}
		}
		r.Took = s.now().Sub(started)
		if ctx.Err() != nil && r.Err != nil {
			// Stopped (shutdown): neither a success nor a failure of TikTok's.
			return append(results, r), ctx.Err()
		}
		if rerr := s.db.RecordSyncRun(ctx, store.SyncRun{ShopID: shopID, Kind: kind, At: started, Records: r.Records, Err: r.Err}); rerr != nil {
			log.Error("record sync status", "kind", kind, "err", rerr)
		}
		if r.Err != nil {
			log.Error("TikTok sync failed", "kind", kind, "records", r.Records, "err", r.Err)
			errs = append(errs, fmt.Errorf("shop %s %s: %w", shopID, kind, r.Err))
		} else {
			log.Debug("TikTok sync", "kind", kind, "records", r.Records, "rejected", r.Rejected)
		}
		results = append(results, r)
		started = s.now()
	}
	return results, errors.Join(errs...)
}

// job is one run of one shop and kind.
type job struct {
	shopID string
	kind   store.Kind
	auth   tiktok.ShopAuth
	// since and until bound the update (or create) times asked for.
	since, until time.Time
	// cursor: whether committed chunks move the cursor (polling) or not
	// (webhooks).
	cursor bool

	records, rejected int
}

// syncKind runs j from the stored cursor.
func (s *Syncer) syncKind(ctx context.Context, j *job) error {
	cursor, err := s.db.SyncCursor(ctx, j.shopID, j.kind)
	if err != nil {
		return err
	}
	j.since = cursor.Add(-s.opts.Overlap)
	if cursor.IsZero() {
		j.since = j.until.Add(-s.opts.Backfill)
	}
	j.cursor = true
	switch j.kind {
	case store.Orders:
		err = s.pullOrders(ctx, j)
	case store.Returns:
		err = s.pullReturns(ctx, j)
	case store.Chats:
		err = s.pullChats(ctx, j)
	default:
		err = fmt.Errorf("cannot sync %s", j.kind)
	}
	if err != nil {
		return describe(err)
	}
	// Everything updated before the run started has been imported.
	return s.db.AdvanceSyncCursor(ctx, j.shopID, j.kind, j.until)
}

// describe puts a failure in words for the sync status.
func describe(err error) error {
	switch {
	case errors.Is(err, tiktok.ErrRateLimited):
		return fmt.Errorf("TikTok rate limit: retries used up, the next run continues from here: %w", err)
	case errors.Is(err, tiktok.ErrTokenExpired):
		return fmt.Errorf("TikTok rejected the access token, also after a refresh: %w", err)
	}
	return err
}

// withAuth calls f with j's credentials; when TikTok rejects the access
// token as expired or invalid, it refreshes the token and calls f once more.
func withAuth[T any](ctx context.Context, s *Syncer, j *job, f func(tiktok.ShopAuth) (T, error)) (T, error) {
	v, err := f(j.auth)
	if err == nil || !errors.Is(err, tiktok.ErrTokenExpired) {
		return v, err
	}
	auth, rerr := s.shopAuth(ctx, j.shopID, j.auth.AccessToken)
	if rerr != nil {
		return v, fmt.Errorf("%w (refresh: %v)", err, rerr)
	}
	j.auth = auth
	return f(auth)
}

// Handler-side limits.
const (
	webhookQueue   = 1024
	maxWebhookBody = 1 << 20
)
