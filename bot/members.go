package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/rules"
)

// Who may see which shop on the Home tab: the members of a shop's channel
// see the shop, the members of the admin channel see every shop, the same
// authorization as the slash command's. Members come from
// conversations.members, kept for memberTTL per channel.

// memberTTL is how long a channel's member list is trusted. Someone who
// joins a shop's channel sees the shop on the Home within this long.
const memberTTL = 5 * time.Minute

// memberLister lists a channel's members; *slack.Client is one.
type memberLister interface {
	GetUsersInConversationContext(ctx context.Context, params *slack.GetUsersInConversationParameters) ([]string, string, error)
}

// members caches channel member lists.
type members struct {
	api   memberLister
	clock clockwork.Clock
	log   *slog.Logger

	mu   sync.Mutex
	byCh map[string]memberList
}

type memberList struct {
	users map[string]bool
	at    time.Time
}

func newMembers(api memberLister, clock clockwork.Clock, log *slog.Logger) *members {
	return &members{api: api, clock: clock, log: log, byCh: map[string]memberList{}}
}

// of returns the members of channel, from the cache while it is fresh.
// When Slack fails, an older list is better than none: it is used, and
// the failure logged.
func (m *members) of(ctx context.Context, channel string) (map[string]bool, error) {
	m.mu.Lock()
	cached, ok := m.byCh[channel]
	m.mu.Unlock()
	if ok && m.clock.Now().Sub(cached.at) < memberTTL {
		return cached.users, nil
	}
	users := map[string]bool{}
	params := &slack.GetUsersInConversationParameters{ChannelID: channel, Limit: 1000}
	for {
		page, next, err := m.api.GetUsersInConversationContext(ctx, params)
		if err != nil {
			if ok {
				m.log.Warn("conversations.members failed: using the list from before", "channel", channel, "age", m.clock.Now().Sub(cached.at), "err", err)
				return cached.users, nil
			}
			return nil, fmt.Errorf("conversations.members %s: %w", channel, err)
		}
		for _, u := range page {
			users[u] = true
		}
		if next == "" {
			break
		}
		params.Cursor = next
	}
	m.mu.Lock()
	m.byCh[channel] = memberList{users: users, at: m.clock.Now()}
	m.mu.Unlock()
	return users, nil
}

// visibleShops returns the shops user may see, in config order, and
// whether that is every shop (a member of the admin channel). A channel
// whose members cannot be listed shows none of its shops (and is logged);
// when no channel can be listed at all, that is an error.
func (s *Server) visibleShops(ctx context.Context, user string) (shops []*rules.Shop, all bool, err error) {
	cfg := s.h.cfg
	var channels []string
	seen := map[string]bool{}
	if cfg.AdminChannel != "" {
		channels, seen[cfg.AdminChannel] = append(channels, cfg.AdminChannel), true
	}
	for _, sh := range cfg.Shops() {
		if sh.Channel != "" && !seen[sh.Channel] {
			channels, seen[sh.Channel] = append(channels, sh.Channel), true
		}
	}
	in := map[string]bool{}
	var failed []error
	for _, ch := range channels {
		users, err := s.members.of(ctx, ch)
		if err != nil {
			s.log.Warn("home: channel members unknown", "channel", ch, "err", err)
			failed = append(failed, err)
			continue
		}
		in[ch] = users[user]
	}
	if len(channels) > 0 && len(failed) == len(channels) {
		return nil, false, fmt.Errorf("home: no channel's members could be listed, e.g. %w", failed[0])
	}
	if cfg.AdminChannel != "" && in[cfg.AdminChannel] {
		return cfg.Shops(), true, nil
	}
	for _, sh := range cfg.Shops() {
		if sh.Channel != "" && in[sh.Channel] {
			shops = append(shops, sh)
		}
	}
	return shops, false, nil
}
