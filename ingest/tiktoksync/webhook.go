package tiktoksync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/store"
)

// note is a verified webhook notification waiting for the worker.
type note struct {
	n   tiktok.Notification
	key string // what repeats are recognised by: the notification id, or a hash of the body
	at  time.Time
}

// noteKey is the de-duplication key of a notification: its id, or for a
// body without one, a hash of the body.
func noteKey(n tiktok.Notification, body []byte) string {
	if n.ID != "" {
		return n.ID
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// maxNoteBatch is how many queued notifications the worker takes at once.
const maxNoteBatch = 200

// WebhookHandler returns the handler of POST /tiktok/webhook. It answers at
// once: 401 for a missing or bad signature (and does nothing else), 400 for
// a body that is not a notification or is dated more than
// tiktok.WebhookWindow from now (a replay; the scheduled sync fetches
// whatever a refused notification was about), 503 when the queue is full
// (TikTok delivers again later), and 200 otherwise. Notifications are handled by
// Run's worker, so the handler is only useful while Run runs.
func (s *Syncer) WebhookHandler() http.Handler { return http.HandlerFunc(s.serveWebhook) }

func (s *Syncer) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if !s.client.VerifyWebhook(r.Header.Get("Authorization"), body) {
		s.log.Warn("TikTok webhook with a bad signature rejected", "remote", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	n, err := tiktok.ParseNotification(body)
	if err != nil {
		s.log.Warn("TikTok webhook body rejected", "err", err)
		http.Error(w, "not a notification", http.StatusBadRequest)
		return
	}
	now := s.now()
	if err := n.CheckTime(now); err != nil {
		s.log.Warn("TikTok webhook outside the time window rejected", "shop", n.ShopID, "notification", n.ID, "err", err)
		http.Error(w, "timestamp outside the accepted window", http.StatusBadRequest)
		return
	}
	switch n.Type {
	case tiktok.OrderStatusChange, tiktok.ReturnStatusChange, tiktok.NewMessage:
		select {
		case s.notes <- note{n: n, key: noteKey(n, body), at: now}:
		default:
			s.log.Warn("TikTok webhook queue full: asking TikTok to deliver again later", "shop", n.ShopID, "type", n.Type)
			w.Header().Set("Retry-After", "60")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
	default:
		s.log.Debug("TikTok webhook of a type shopwatch does not use", "shop", n.ShopID, "type", n.Type)
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"code":0,"message":"success"}`)
}

// work handles queued notifications until ctx is done.
func (s *Syncer) work(ctx context.Context) {
	for {
		var batch []note
		select {
		case <-ctx.Done():
			return
		case n := <-s.notes:
			batch = append(batch, n)
		}
	more:
		for len(batch) < maxNoteBatch {
			select {
			case n := <-s.notes:
				batch = append(batch, n)
			default:
				break more
			}
		}
		s.handle(ctx, batch)
		if s.afterBatch != nil {
			s.afterBatch(len(batch))
		}
	}
}

// changes is what a batch of notifications asks of one shop.
type changes struct {
	orders   []string
	returns  []string
	messages []tiktok.NewMessageData
}

// handle drops repeated notifications and applies the others, grouped by
// shop.
func (s *Syncer) handle(ctx context.Context, batch []note) {
	byShop := map[string]*changes{}
	var shops []string
	for _, nt := range batch {
		n := nt.n
		log := s.log.With("shop", n.ShopID, "notification", n.ID, "type", n.Type)
		if first, err := s.db.FirstNotification(ctx, nt.key, n.ShopID, int(n.Type), nt.at); err != nil {
			log.Warn("TikTok webhook de-duplication", "err", err) // handled anyway: it is idempotent
		} else if !first {
			log.Debug("repeated TikTok webhook dropped")
			continue
		}
		if _, ok := s.db.Config().Shop(n.ShopID); !ok {
			log.Warn("TikTok webhook for a shop not in the config ignored")
			continue
		}
		c := byShop[n.ShopID]
		if c == nil {
			c = &changes{}
			byShop[n.ShopID] = c
			shops = append(shops, n.ShopID)
		}
		var err error
		switch n.Type {
		case tiktok.OrderStatusChange:
			var d tiktok.OrderStatusChangeData
			if d, err = n.OrderStatusChange(); err == nil && d.OrderID != "" && !slices.Contains(c.orders, d.OrderID) {
				c.orders = append(c.orders, d.OrderID)
			}
		case tiktok.ReturnStatusChange:
			var d tiktok.ReturnStatusChangeData
			if d, err = n.ReturnStatusChange(); err == nil && d.ReturnID != "" && !slices.Contains(c.returns, d.ReturnID) {
				c.returns = append(c.returns, d.ReturnID)
			}
		case tiktok.NewMessage:
			var d tiktok.NewMessageData
			if d, err = n.NewMessage(); err == nil && d.MessageID != "" && d.ConversationID != "" {
				c.messages = append(c.messages, d)
			}
		}
		if err != nil {
			log.Warn("TikTok webhook data unreadable", "err", err)
		}
	}
	for _, shopID := range shops {
		if err := s.apply(ctx, shopID, byShop[shopID]); err != nil && ctx.Err() == nil {
			// The next scheduled sync fetches whatever this missed.
			s.log.Error("TikTok webhook", "shop", shopID, "err", err)
		}
	}
}

// apply records new messages and fetches and imports changed orders and
// returns of one shop. It does not move cursors: polling is what keeps them.
func (s *Syncer) apply(ctx context.Context, shopID string, c *changes) error {
	var errs []error
	if len(c.messages) > 0 {
		j := &job{shopID: shopID, kind: store.Chats}
		ch := newChunk(store.Chats, sourceName("webhook", shopID, store.Chats))
		for _, d := range c.messages {
			s.addMessage(ch, shopID, d.ConversationID, d.Message())
		}
		errs = append(errs, s.flush(ctx, ch, j))
	}
	if len(c.orders) == 0 && len(c.returns) == 0 {
		return errors.Join(errs...)
	}
	auth, err := s.shopAuth(ctx, shopID, "")
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if len(c.orders) > 0 {
		j := &job{shopID: shopID, kind: store.Orders, auth: auth}
		ch := newChunk(store.Orders, sourceName("webhook", shopID, store.Orders))
		for ids := range slices.Chunk(c.orders, tiktok.MaxOrderDetailIDs) {
			orders, err := withAuth(ctx, s, j, func(a tiktok.ShopAuth) ([]tiktok.Order, error) { return s.client.GetOrders(ctx, a, ids) })
			if err != nil {
				errs = append(errs, err)
				break
			}
			for _, o := range orders {
				s.addOrder(ch, shopID, o)
			}
		}
		errs = append(errs, s.flush(ctx, ch, j))
		auth = j.auth
	}
	if len(c.returns) > 0 {
		j := &job{shopID: shopID, kind: store.Returns, auth: auth}
		ch := newChunk(store.Returns, sourceName("webhook", shopID, store.Returns))
		for ids := range slices.Chunk(c.returns, tiktok.MaxReturnPageSize) {
			req := tiktok.ReturnSearch{ReturnIDs: ids, PageSize: tiktok.MaxReturnPageSize}
			for {
				page, err := withAuth(ctx, s, j, func(a tiktok.ShopAuth) (tiktok.ReturnPage, error) { return s.client.SearchReturns(ctx, a, req) })
				if err == nil {
					err = s.addReturns(ctx, ch, j, page.Returns)
				}
				if err != nil {
					errs = append(errs, err)
					break
				}
				if page.NextPageToken == "" || len(page.Returns) == 0 {
					break
				}
				req.PageToken = page.NextPageToken
			}
		}
		errs = append(errs, s.flush(ctx, ch, j))
	}
	return errors.Join(errs...)
}
