// Package tiktok is a client for the parts of the TikTok Shop Open API
// (Partner Center, API version 202309) that shopwatch needs to keep a shop's
// feedback records current: orders, returns and customer-service chats, the
// OAuth token exchange on the auth host, and webhook verification.
//
// The package does no storage, scheduling or HTTP serving of its own. The sync
// layer drives it through the typed methods (SearchOrders, SearchReturns,
// Conversations, Messages) or the paging helpers (EachOrder, EachReturn,
// EachConversation, EachMessage, EachChatMessage), which keep memory flat by
// handing records to a callback one page at a time.
//
// # Use in a sync
//
// A per-shop, per-kind sync built on this package looks like this:
//
//   - Keep each shop's Token (encrypted at rest) and refresh it with
//     RefreshToken before Token.NeedsRefresh says it is due, and also
//     whenever a call fails with errors.Is(err, ErrTokenExpired); then
//     retry the call once.
//   - Orders: lastUpdate, err := c.EachOrder(ctx, shop, cursor-overlap,
//     time.Time{}, upsert). Store lastUpdate as the new cursor even when err
//     is non-nil: everything before it was handed over, so a crash resumes
//     where it stopped. Returns: the same with EachReturn.
//   - Chats: latest, err := c.EachChatMessage(ctx, shop, cursor-overlap,
//     upsert); advance the cursor only when err is nil.
//   - Upserts must be idempotent: the overlap, and the inclusive lower
//     bounds, hand some records over again.
//   - Rate limits and 5xx answers are retried inside each call; an error
//     that reaches the caller after that (errors.Is(err, ErrRateLimited))
//     should mark the shop's sync as failed, not be swallowed.
//   - Webhooks: VerifyWebhook on the raw body (401 if false), then
//     ParseNotification, de-duplicate on Notification.ID, and fetch what
//     changed with GetOrders, SearchReturns{ReturnIDs} or the message data
//     itself (NewMessageData.Message).
//
// # References
//
// Request and response field names follow TikTok's published API reference for
// version 202309, as mirrored in public copies generated from the official
// spec:
//
//   - github.com/mixos-go/tiktok-shop, references/api/{order,return_refund,
//     customer_service,authorization}/*.md (paths, methods, query and body
//     parameters, page-size limits, enumerations such as return_status and
//     sender.role) and sdk/src/client.ts (the signing steps);
//   - the official Node SDK's generated models
//     (Order202309GetOrderDetailResponseDataOrders, ...LineItems,
//     ReturnRefund202309SearchReturnsResponseDataReturnOrders, ...ReturnLineItems)
//     for nested fields the markdown copy leaves out (orders[].id, status,
//     create_time, update_time, delivery_time, line_items[]; return line items);
//   - github.com/david-yappeter/go-tiktok (auth.go) for the auth host's
//     GET /api/v2/token/get and /api/v2/token/refresh parameters, and the
//     token response published in the Partner Center guide (absolute Unix
//     times in access_token_expire_in and refresh_token_expire_in).
//
// Error codes come from TikTok's common-error tables as quoted in public code:
// 36009002 "Too many requests", 36009003 "Internal error", 36009004 "invalid
// param error" (also used for a stale timestamp or a bad app_key), 105001
// invalid access token, 105002 "Expired credentials", 105005 scope not
// granted, 106001 invalid sign. Note that 36009009 is "Invalid path", not a
// rate limit.
//
// Secrets (app secret, access and refresh tokens) are never logged: the
// Token and ShopAuth types redact themselves in logs and fmt output, and
// transport errors are stripped of the request URL, which for the auth host
// carries the app secret.
package tiktok
