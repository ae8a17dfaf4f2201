package bot

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// cacheEntries bounds the cache (at least 8 entries a shop); when full it
// starts over.
const cacheEntries = 20000

// Changes tells the answer cache when the database has changed and for
// which shops: *store.ChangeWatcher.
type Changes interface {
	// Version returns a number that moves whenever the data may have
	// changed, in any process.
	Version(context.Context) (uint64, error)
	// ShopChanges returns each shop's count of changes to what its answers
	// read, by shop id.
	ShopChanges(context.Context) (map[string]int64, error)
}

// cachedStore answers reports, feedback, breakdowns and mutes from memory
// while the shop's data is unchanged: when the data version moves, it
// drops the entries of the shops whose change count moved. Cached values
// are shared: callers only read them.
type cachedStore struct {
	Store
	changes Changes

	// compute bounds the reads computed at once, so that they leave
	// database connections (and cores) to the answers served from memory.
	compute chan struct{}

	refresh sync.Mutex // held while the counts are read
	mu      sync.Mutex
	ver     uint64
	counts  map[string]int64 // each shop's change count at ver; nil: not known
	entries map[cacheKey]any
	max     int
}

type cacheKey struct {
	kind   byte // 'r' report, 'f' feedback, 'b' breakdown, 'm' mutes, 'e' evidence (metric: the product)
	shop   string
	metric string
	day    rules.Day
	days   int
}

func newCachedStore(s Store, changes Changes) *cachedStore {
	return &cachedStore{Store: s, changes: changes, entries: map[cacheKey]any{},
		max: max(cacheEntries, 8*len(s.Config().Shops())), compute: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))}
}

// current returns the data version and shop's change count at it, first
// dropping the entries of the shops that changed since the version last
// moved. ok is false when the cache cannot be trusted: serve and keep
// nothing then.
func (c *cachedStore) current(ctx context.Context, shop string) (ver uint64, n int64, ok bool) {
	ver, ok = c.version(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	return ver, c.counts[shop], ok
}

func (c *cachedStore) version(ctx context.Context) (ver uint64, ok bool) {
	v, err := c.changes.Version(ctx)
	if err != nil {
		return 0, false
	}
	if c.caughtUp(v) {
		return v, true
	}
	// One request reads the counts; the others wait for it rather than
	// read them again.
	c.refresh.Lock()
	defer c.refresh.Unlock()
	if c.caughtUp(v) {
		return v, true
	}
	counts, err := c.changes.ShopChanges(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil:
		clear(c.entries)
		c.ver, c.counts = v, nil
		return 0, false
	case c.counts == nil:
		clear(c.entries)
	default:
		for key := range c.entries {
			if counts[key.shop] != c.counts[key.shop] {
				delete(c.entries, key)
			}
		}
	}
	c.ver, c.counts = v, counts
	return v, true
}

// caughtUp reports whether the entries are those of data version v or
// later (a request that read v before another moved on).
func (c *cachedStore) caughtUp(v uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts != nil && v <= c.ver
}

func (c *cachedStore) lookup(key cacheKey) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.entries[key]
	return v, ok
}

// keep keeps val, computed from the data of version ver, at which the
// shop's change count was n.
func (c *cachedStore) keep(ver uint64, n int64, key cacheKey, val any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The version moved while val was computed: val still holds if the
	// shop's count did not (any write moves the version; on PostgreSQL any
	// transaction on the server does, most of them about other data).
	// Counts only grow, and val was read after n was.
	if ver != c.ver && (c.counts == nil || c.counts[key.shop] != n) {
		return
	}
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[key] = val
}

func cached[T any](ctx context.Context, c *cachedStore, key cacheKey, compute func() (T, error)) (T, error) {
	ver, n, ok := c.current(ctx, key.shop)
	if ok {
		if v, hit := c.lookup(key); hit {
			return v.(T), nil
		}
	}
	select {
	case c.compute <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	val, err := compute()
	<-c.compute
	if err == nil && ok {
		c.keep(ver, n, key, val)
	}
	return val, err
}

func (c *cachedStore) Report(ctx context.Context, shopID string, day rules.Day) (rules.Report, error) {
	return cached(ctx, c, cacheKey{kind: 'r', shop: shopID, day: day}, func() (rules.Report, error) {
		return c.Store.Report(ctx, shopID, day)
	})
}

func (c *cachedStore) ReportDays(ctx context.Context, shopID string, days ...rules.Day) ([]rules.Report, error) {
	ver, n, ok := c.current(ctx, shopID)
	out := make([]rules.Report, len(days))
	var missing []rules.Day
	var at []int
	for i, d := range days {
		if v, hit := c.lookup(cacheKey{kind: 'r', shop: shopID, day: d}); ok && hit {
			out[i] = v.(rules.Report)
			continue
		}
		missing, at = append(missing, d), append(at, i)
	}
	if len(missing) == 0 {
		return out, nil
	}
	select {
	case c.compute <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	got, err := c.Store.ReportDays(ctx, shopID, missing...)
	<-c.compute
	if err != nil {
		return nil, err
	}
	for j, r := range got {
		out[at[j]] = r
		if ok {
			c.keep(ver, n, cacheKey{kind: 'r', shop: shopID, day: missing[j]}, r)
		}
	}
	return out, nil
}

// Mutes caches every stored mute of the shop (a mute moves the shop's
// change count) and keeps those that hold at now.
func (c *cachedStore) Mutes(ctx context.Context, shopID string, now time.Time) ([]store.Mute, error) {
	all, err := cached(ctx, c, cacheKey{kind: 'm', shop: shopID}, func() ([]store.Mute, error) {
		return c.Store.Mutes(ctx, shopID, time.Time{})
	})
	if err != nil {
		return nil, err
	}
	var out []store.Mute
	for _, m := range all {
		if m.Until.After(now) {
			out = append(out, m)
		}
	}
	return out, nil
}

func (c *cachedStore) Feedback(ctx context.Context, shopID string, day rules.Day) (*store.Feedback, error) {
	return cached(ctx, c, cacheKey{kind: 'f', shop: shopID, day: day}, func() (*store.Feedback, error) {
		return c.Store.Feedback(ctx, shopID, day)
	})
}

// Evidence caches an appeal's evidence per shop, product and day.
func (c *cachedStore) Evidence(ctx context.Context, shopID, productID string, day rules.Day) (*store.Evidence, error) {
	return cached(ctx, c, cacheKey{kind: 'e', shop: shopID, metric: productID, day: day}, func() (*store.Evidence, error) {
		return c.Store.Evidence(ctx, shopID, productID, day)
	})
}

// A breakdown's top entries (a digest's) are cut from the whole
// breakdown, which the cache keeps once for both (and warms).
func (c *cachedStore) BreakdownWindow(ctx context.Context, shopID, metric string, day rules.Day, days, top int) (*store.Breakdown, error) {
	key := cacheKey{kind: 'b', shop: shopID, metric: metric, day: day, days: days}
	b, err := cached(ctx, c, key, func() (*store.Breakdown, error) {
		return c.Store.BreakdownWindow(ctx, shopID, metric, day, days, 0)
	})
	if err != nil {
		return nil, err
	}
	return b.Top(top), nil
}

// warmEvery is how often the warmer looks for answers to compute ahead.
const warmEvery = time.Minute

// warm keeps the cache filled ahead of requests: every warmEvery, and so
// after every data change and every shop's midnight, it computes what
// status, tips, appeals, digests and breakdowns read for each shop's
// yesterday (entries already cached cost a look-up). One worker, so that
// requests keep the other cores. warmed is closed after the first pass.
func (c *cachedStore) warm(ctx context.Context, shops []*rules.Shop, clock clockwork.Clock, log *slog.Logger, warmed chan<- struct{}) {
	ticker := time.NewTicker(warmEvery)
	defer ticker.Stop()
	for pass := 0; ; pass++ {
		start, computed := time.Now(), 0
		for _, s := range shops {
			if ctx.Err() != nil {
				return
			}
			n, err := c.warmShop(ctx, s, shopDay(s, clock.Now()))
			computed += n
			if err != nil && ctx.Err() == nil {
				log.Warn("cache: warming a shop failed", "shop", s.ID, "err", err)
			}
		}
		if computed > 0 {
			log.Info("cache: warmed", "shops", len(shops), "computed", computed, "duration", time.Since(start).Round(time.Millisecond))
		}
		if pass == 0 && warmed != nil {
			close(warmed)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// warmShop computes one shop's entries and returns how many it computed.
func (c *cachedStore) warmShop(ctx context.Context, s *rules.Shop, day rules.Day) (int, error) {
	computed := 0
	for _, key := range []cacheKey{
		{kind: 'r', shop: s.ID, day: day}, {kind: 'r', shop: s.ID, day: day - 7}, {kind: 'f', shop: s.ID, day: day},
		{kind: 'b', shop: s.ID, metric: "nrr", day: day}, {kind: 'b', shop: s.ID, metric: "sfrr", day: day}, {kind: 'b', shop: s.ID, metric: "chat", day: day},
		{kind: 'm', shop: s.ID}, {kind: 'e', shop: s.ID, day: day},
	} {
		if _, hit := c.lookup(key); hit {
			continue
		}
		computed++
		var err error
		switch key.kind {
		case 'r':
			_, err = c.ReportDays(ctx, s.ID, day, day-7)
		case 'f':
			_, err = c.Feedback(ctx, s.ID, day)
		case 'b':
			_, err = c.BreakdownWindow(ctx, s.ID, key.metric, day, 0, 0)
		case 'm':
			_, err = c.Mutes(ctx, s.ID, time.Time{})
		case 'e':
			_, err = c.Evidence(ctx, s.ID, "", day)
		}
		if err != nil {
			return computed, err
		}
	}
	return computed, nil
}

// PrepareStore readies db for serving with opts: a connection pool sized
// for concurrent answers, and an answer cache that a change watcher keeps
// true to the database. Call the returned function when done.
func PrepareStore(ctx context.Context, db *store.DB, opts *Options) (func(), error) {
	db.SetConnections(max(4, 2*runtime.GOMAXPROCS(0)) + 1) // +1: the watcher's
	w, err := db.WatchChanges(ctx)
	if err != nil {
		return nil, err
	}
	opts.DB = db
	opts.Changes = w
	return func() { w.Close() }, nil
}
