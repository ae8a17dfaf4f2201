package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/internal/backoff"
)

// Publishing the Home tab. A user's Home is drawn and published
// (views.publish) when they open it, and again after each evaluation for
// every user who ever opened it (kept in the store). One worker publishes,
// a user at a time, off the request path: an evaluation or an event
// handler only queues. A failed publication is tried homeAttempts times.

// homeAttempts is how many times a publication is tried.
const homeAttempts = 3

// homeQueue is the users waiting for their Home, each once.
type homeQueue struct {
	mu      sync.Mutex
	users   []string
	pending map[string]bool
	kick    chan struct{} // a user was queued
	all     chan struct{} // every stored user is to be queued
}

func newHomeQueue() *homeQueue {
	return &homeQueue{pending: map[string]bool{}, kick: make(chan struct{}, 1), all: make(chan struct{}, 1)}
}

func (q *homeQueue) add(user string) {
	q.mu.Lock()
	if !q.pending[user] {
		q.pending[user] = true
		q.users = append(q.users, user)
	}
	q.mu.Unlock()
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// next pops the first queued user. A user queued again while their Home
// is being drawn is drawn once more, with what changed since.
func (q *homeQueue) next() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.users) == 0 {
		return "", false
	}
	u := q.users[0]
	q.users = q.users[1:]
	delete(q.pending, u)
	return u, true
}

// homeEnabled reports whether the Home can be published: views.publish
// needs the bot token.
func (s *Server) homeEnabled() bool { return s.opts.BotToken != "" }

// RefreshHome republishes the Home of every user who opened it, in the
// background: the monitor calls it after each evaluation. It never blocks.
func (s *Server) RefreshHome() {
	if !s.homeEnabled() {
		return
	}
	select {
	case s.home.all <- struct{}{}:
	default: // a refresh is already due
	}
}

// homeOpened handles app_home_opened: the user is remembered for later
// refreshes and their Home queued.
func (s *Server) homeOpened(user, tab, transport string) {
	if tab != "" && tab != "home" {
		return // the Messages tab: nothing to draw
	}
	if !s.homeEnabled() {
		s.log.Debug("app_home_opened ignored: SLACK_BOT_TOKEN is not set", "user", user)
		return
	}
	if !reUserID().MatchString(user) {
		s.log.Warn("app_home_opened: not a user id", "user", truncateRunes(user, 20))
		return
	}
	ctx, cancel := context.WithTimeout(s.base, 5*time.Second)
	defer cancel()
	if err := s.h.db.SaveHomeUser(ctx, user, s.h.now()); err != nil {
		s.log.Error("home: remember the user", "user", user, "err", err) // this opening is still answered
	}
	s.log.Info("home opened", "transport", transport, "user", user)
	s.home.add(user)
}

// runHome publishes queued Homes until ctx is done.
func (s *Server) runHome(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.home.all:
			users, err := s.h.db.HomeUsers(ctx)
			if err != nil {
				s.log.Error("home: list the users to refresh", "err", err)
				continue
			}
			s.log.Info("home: refreshing", "users", len(users))
			for _, u := range users {
				s.home.add(u)
			}
		case <-s.home.kick:
			for ctx.Err() == nil {
				u, ok := s.home.next()
				if !ok {
					break
				}
				s.publishHome(ctx, u)
			}
		}
	}
}

// publishHome draws and publishes user's Home, trying again on failures
// that may pass (rate limits, server errors, timeouts).
func (s *Server) publishHome(ctx context.Context, user string) {
	start := time.Now()
	view, shops := s.drawHome(ctx, user)
	var err error
	for attempt := range homeAttempts {
		if attempt > 0 {
			wait := backoff.Exponential(attempt, s.opts.homeRetry, time.Minute)
			if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
				wait = rl.RetryAfter
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return
			}
		}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err = s.api.PublishViewContext(pctx, slack.PublishViewContextRequest{UserID: user, View: view})
		cancel()
		if err == nil {
			s.log.Info("home published", "user", user, "shops", shops, "duration", time.Since(start))
			return
		}
		if _, final := errors.AsType[slack.SlackErrorResponse](err); final {
			break // Slack refused it (a bad token, a bad view): trying again won't help
		}
	}
	s.log.Error("home: views.publish failed", "user", user, "err", err)
}

// drawHome draws user's Home, or when that fails a short apology; shops
// is how many shops it lists.
func (s *Server) drawHome(ctx context.Context, user string) (slack.HomeTabViewRequest, int) {
	shops, all, err := s.visibleShops(ctx, user)
	if err == nil {
		var view slack.HomeTabViewRequest
		dctx, cancel := context.WithTimeout(ctx, s.opts.AnswerTimeout)
		view, err = s.h.homeView(dctx, shops, all, s.h.now())
		cancel()
		if err == nil {
			return view, len(shops)
		}
	}
	s.log.Error("home: draw", "user", user, "err", err)
	return homeFailure(s.h.command), 0
}

// homePress answers a Home button for the user who pressed it, in a
// direct message from the app (a Home has no channel nor response_url),
// as of the instant the Home was drawn. The user must still see the shop;
// the answer is the one its channel (or the admin channel) would get.
func (s *Server) homePress(ctx context.Context, cb slack.InteractionCallback, value, transport string) {
	var v homeValue
	if err := json.Unmarshal([]byte(value), &v); err != nil || v.Text == "" || v.Shop == "" {
		s.log.Warn("home button: bad value", "err", err)
		return
	}
	user := cb.User.ID
	shops, all, err := s.visibleShops(ctx, user)
	if err != nil {
		s.log.Error("home button: channel members", "user", user, "err", err)
		s.dm(ctx, user, s.h.failure())
		return
	}
	channel := ""
	for _, sh := range shops {
		if sh.ID == v.Shop {
			channel = sh.Channel
		}
	}
	if all {
		channel = s.h.cfg.AdminChannel
	}
	if channel == "" {
		s.log.Warn("home button: shop not visible to the user", "shop", truncateRunes(v.Shop, 30), "user", user)
		s.dm(ctx, user, textReply(KindRefusal, fmt.Sprintf("Sorry, you can't see shop `%s` any more: it is shown to the members of its channel. Open the Home tab again to see your shops.", esc(truncateRunes(v.Shop, 30)))))
		s.home.add(user)
		return
	}
	req := Request{Command: s.opts.Command, Text: v.Text, ChannelID: channel, UserID: user, At: time.Unix(v.At, 0)}
	if name, _ := parse(v.Text); !shareable[name] {
		s.log.Warn("home button: not a button's command", "command", truncateRunes(name, 20), "user", user)
		return
	}
	r := s.h.Answer(ctx, req)
	s.log.Info("home button", "transport", transport, "user", user, "command", firstWord(v.Text), "kind", r.Kind)
	s.dm(ctx, user, r)
}

// dm sends r to user in the app's direct messages.
func (s *Server) dm(ctx context.Context, user string, r Reply) {
	_, _, err := s.api.PostMessageContext(ctx, user, slack.MsgOptionBlocks(r.Blocks...), slack.MsgOptionText(r.Text, true))
	if err != nil {
		s.log.Error("home button: direct message", "user", user, "err", err)
	}
}
