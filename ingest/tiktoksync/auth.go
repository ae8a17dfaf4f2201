package tiktoksync

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
	"github.com/shopwatch/shopwatch/store"
)

// Authorization is what Authorize stored.
type Authorization struct {
	SellerName string
	// Linked are the configured shops the grant covers, now linked to it.
	Linked []tiktok.Shop
	// Others are shops the grant covers that are not in the config.
	Others           []tiktok.Shop
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
}

// Authorize exchanges an authorization code (single use) for a token pair,
// finds the ciphers of the shops it covers, and stores the sealed tokens
// linked to every configured shop among them. It fails when shopID is not
// one of them (the other configured shops it covers are linked all the
// same).
func (s *Syncer) Authorize(ctx context.Context, shopID, code string) (Authorization, error) {
	if _, ok := s.db.Config().Shop(shopID); !ok {
		return Authorization{}, fmt.Errorf("unknown shop %q (not in the config)", shopID)
	}
	tok, err := s.client.GetToken(ctx, code)
	if err != nil {
		return Authorization{}, fmt.Errorf("exchange the authorization code: %w", err)
	}
	shops, err := s.client.AuthorizedShops(ctx, tok.AccessToken)
	if err != nil {
		return Authorization{}, fmt.Errorf("list the authorized shops: %w", err)
	}
	now := s.now()
	a := Authorization{SellerName: tok.SellerName, AccessExpiresAt: tok.AccessTokenExpiresAt, RefreshExpiresAt: tok.RefreshTokenExpiresAt}
	var links []store.TikTokShop
	for _, sh := range shops {
		if _, ok := s.db.Config().Shop(sh.ID); ok && sh.Cipher != "" {
			a.Linked = append(a.Linked, sh)
			links = append(links, store.TikTokShop{ShopID: sh.ID, Cipher: sh.Cipher, AuthorizedAt: now})
		} else {
			a.Others = append(a.Others, sh)
		}
	}
	if len(links) > 0 {
		g, err := s.sealGrant(tok, now)
		if err != nil {
			return a, err
		}
		if err := s.db.SaveTikTokGrant(ctx, g, links); err != nil {
			return a, err
		}
		s.log.Info("TikTok authorization stored", "seller", tok.SellerName, "token", tok, "shops", len(links))
	}
	if !slices.ContainsFunc(a.Linked, func(sh tiktok.Shop) bool { return sh.ID == shopID }) {
		var covered []string
		for _, sh := range shops {
			covered = append(covered, fmt.Sprintf("%s (%s)", sh.ID, sh.Name))
		}
		if len(covered) == 0 {
			covered = []string{"none"}
		}
		return a, fmt.Errorf("the authorization does not cover shop %s; it covers: %s", shopID, strings.Join(covered, ", "))
	}
	return a, nil
}

// grantID is the store's key of a token's grant.
func grantID(tok tiktok.Token) string { return tok.OpenID }

func (s *Syncer) sealGrant(tok tiktok.Token, now time.Time) (store.TikTokGrant, error) {
	if tok.OpenID == "" {
		return store.TikTokGrant{}, errors.New("the token has no open_id: cannot tell whose it is")
	}
	plain, err := json.Marshal(tok)
	if err != nil {
		return store.TikTokGrant{}, err
	}
	sealed := s.sealer.seal(plain, aadOf(grantID(tok)))
	clear(plain)
	return store.TikTokGrant{
		OpenID:           grantID(tok),
		Sealed:           sealed,
		AccessExpiresAt:  tok.AccessTokenExpiresAt,
		RefreshExpiresAt: tok.RefreshTokenExpiresAt,
		SellerName:       tok.SellerName,
		UpdatedAt:        now,
	}, nil
}

func aadOf(openID string) string { return "shopwatch tiktok grant " + openID }

func (s *Syncer) openGrant(g store.TikTokGrant) (tiktok.Token, error) {
	plain, err := s.sealer.open(g.Sealed, aadOf(g.OpenID))
	if err != nil {
		return tiktok.Token{}, fmt.Errorf("seller %q: %w", g.SellerName, err)
	}
	var tok tiktok.Token
	err = json.Unmarshal(plain, &tok)
	clear(plain)
	if err != nil {
		return tiktok.Token{}, fmt.Errorf("seller %q: stored token: %w", g.SellerName, err)
	}
	return tok, nil
}

// grantLock returns the mutex that serialises refreshes of one grant.
func (s *Syncer) grantLock(openID string) *sync.Mutex {
	s.grantMu.Lock()
	defer s.grantMu.Unlock()
	mu := s.grants[openID]
	if mu == nil {
		mu = &sync.Mutex{}
		s.grants[openID] = mu
	}
	return mu
}

// shopAuth returns the credentials of a shop-scoped call. The grant's token
// is refreshed first when it expires within RefreshMargin, or when rejected
// is its current access token (TikTok just refused it).
func (s *Syncer) shopAuth(ctx context.Context, shopID, rejected string) (tiktok.ShopAuth, error) {
	link, err := s.db.TikTokShop(ctx, shopID)
	if errors.Is(err, store.ErrNotFound) {
		return tiktok.ShopAuth{}, ErrNotAuthorized
	}
	if err != nil {
		return tiktok.ShopAuth{}, err
	}
	tok, err := s.token(ctx, link.OpenID, rejected)
	if err != nil {
		return tiktok.ShopAuth{}, err
	}
	return tiktok.ShopAuth{ID: shopID, Cipher: link.Cipher, AccessToken: tok.AccessToken}, nil
}

// token returns the grant's token, refreshed if due (see shopAuth).
func (s *Syncer) token(ctx context.Context, openID, rejected string) (tiktok.Token, error) {
	mu := s.grantLock(openID)
	mu.Lock()
	defer mu.Unlock()
	g, err := s.db.TikTokGrant(ctx, openID)
	if err != nil {
		return tiktok.Token{}, err
	}
	tok, err := s.openGrant(g)
	if err != nil {
		return tiktok.Token{}, err
	}
	now := s.now()
	if !tok.NeedsRefresh(now, s.opts.RefreshMargin) && (rejected == "" || tok.AccessToken != rejected) {
		return tok, nil
	}
	if !tok.RefreshTokenExpiresAt.IsZero() && !now.Before(tok.RefreshTokenExpiresAt) {
		return tiktok.Token{}, fmt.Errorf("the TikTok authorization of seller %q expired on %s: the seller must authorize again (shopwatch tiktok authorize --shop ID --code AUTH_CODE)",
			g.SellerName, tok.RefreshTokenExpiresAt.Format(time.DateOnly))
	}
	fresh, err := s.client.RefreshToken(ctx, tok.RefreshToken)
	if err != nil {
		return tiktok.Token{}, fmt.Errorf("refresh the TikTok access token of seller %q: %w", g.SellerName, err)
	}
	// The refresh answer identifies the same seller; keep what it leaves out.
	fresh.OpenID = openID
	fresh.SellerName = cmp.Or(fresh.SellerName, tok.SellerName)
	fresh.SellerBaseRegion = cmp.Or(fresh.SellerBaseRegion, tok.SellerBaseRegion)
	if fresh.RefreshToken == "" {
		fresh.RefreshToken, fresh.RefreshTokenExpiresAt = tok.RefreshToken, tok.RefreshTokenExpiresAt
	}
	ng, err := s.sealGrant(fresh, now)
	if err != nil {
		return tiktok.Token{}, err
	}
	if err := s.db.UpdateTikTokGrant(ctx, ng); err != nil {
		// The new token works now but is lost on restart; the refresh
		// token still gets another.
		s.log.Error("store the refreshed TikTok token", "seller", g.SellerName, "err", err)
	}
	s.log.Info("TikTok access token refreshed", "token", fresh)
	return fresh, nil
}
