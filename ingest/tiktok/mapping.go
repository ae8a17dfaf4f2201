package tiktok

import "strings"

// SPEC's chat senders (chats.sender).
const (
	SenderBuyer  = "buyer"
	SenderShop   = "shop"
	SenderAgent  = "agent"
	SenderSystem = "system"
	SenderRobot  = "robot"
)

// SenderFromRole maps a message's sender.role to SPEC's sender:
//
//	TikTok role        SPEC sender
//	BUYER              buyer
//	SHOP               shop
//	CUSTOMER_SERVICE   agent
//	SYSTEM             system
//	ROBOT              robot
//	anything else      system   (known = false)
//
// The default is system because system messages neither start a buyer turn
// nor answer one, so an unrecognised role can never make a late reply look
// on time. Callers should report known == false (EachMessage and
// EachChatMessage log it).
func SenderFromRole(role string) (sender string, known bool) {
	switch strings.ToUpper(strings.TrimSpace(role)) {
	case "BUYER":
		return SenderBuyer, true
	case "SHOP":
		return SenderShop, true
	case "CUSTOMER_SERVICE":
		return SenderAgent, true
	case "SYSTEM":
		return SenderSystem, true
	case "ROBOT":
		return SenderRobot, true
	}
	return SenderSystem, false
}

// SPEC's return statuses (returns.status).
const (
	ReturnRequested = "requested"
	ReturnApproved  = "approved"
	ReturnCompleted = "completed"
	ReturnCancelled = "cancelled"
	ReturnSellerWon = "seller_won"
)

// ReturnStatusToSpec maps TikTok's return_status (and arbitration_status) to
// SPEC's returns.status. The statuses are those listed for returns search,
// 202309:
//
//	arbitration_status SUPPORT_SELLER     seller_won (whatever return_status
//	                                      says, unless it is a cancel)
//	RETURN_OR_REFUND_REQUEST_PENDING      requested
//	AWAITING_BUYER_RESPONSE               requested  (seller offered another
//	                                      return type; still open)
//	REFUND_OR_RETURN_REQUEST_REJECT       requested  (seller rejected; the
//	                                      buyer may still escalate)
//	REJECT_RECEIVE_PACKAGE                requested  (seller rejected the
//	                                      returned parcel; same)
//	AWAITING_BUYER_SHIP                   approved
//	BUYER_SHIPPED_ITEM                    approved
//	RETURN_OR_REFUND_REQUEST_SUCCESS      approved   (buyer will be refunded)
//	RETURN_OR_REFUND_REQUEST_COMPLETE     completed
//	RETURN_OR_REFUND_REQUEST_CANCEL       cancelled  (buyer or system
//	                                      withdrew it)
//	anything else                         requested  (known = false)
//
// A seller's own rejection is not seller_won: SPEC reserves that for
// arbitration decided for the seller, so a rejected request keeps counting
// until arbitration says otherwise. The default is requested because it
// keeps an unrecognised return counted in SFRR rather than silently dropping
// it; callers should report known == false (EachReturn logs it).
func ReturnStatusToSpec(returnStatus, arbitrationStatus string) (status string, known bool) {
	rs := strings.ToUpper(strings.TrimSpace(returnStatus))
	if strings.EqualFold(strings.TrimSpace(arbitrationStatus), "SUPPORT_SELLER") && rs != "RETURN_OR_REFUND_REQUEST_CANCEL" {
		return ReturnSellerWon, true
	}
	switch rs {
	case "RETURN_OR_REFUND_REQUEST_PENDING", "AWAITING_BUYER_RESPONSE",
		"REFUND_OR_RETURN_REQUEST_REJECT", "REJECT_RECEIVE_PACKAGE":
		return ReturnRequested, true
	case "AWAITING_BUYER_SHIP", "BUYER_SHIPPED_ITEM", "RETURN_OR_REFUND_REQUEST_SUCCESS":
		return ReturnApproved, true
	case "RETURN_OR_REFUND_REQUEST_COMPLETE":
		return ReturnCompleted, true
	case "RETURN_OR_REFUND_REQUEST_CANCEL":
		return ReturnCancelled, true
	}
	return ReturnRequested, false
}

// SPEC's return types (returns.type).
const (
	ReturnTypeRefund          = "refund"
	ReturnTypeReturnAndRefund = "return_and_refund"
	ReturnTypeReplacement     = "replacement"
)

// ReturnTypeToSpec maps TikTok's return_type to SPEC's returns.type:
//
//	REFUND             refund
//	RETURN_AND_REFUND  return_and_refund
//	REPLACEMENT        replacement
//	anything else      refund   (known = false)
//
// The type does not enter any metric; refund is merely the most common one.
func ReturnTypeToSpec(returnType string) (typ string, known bool) {
	switch strings.ToUpper(strings.TrimSpace(returnType)) {
	case "REFUND":
		return ReturnTypeRefund, true
	case "RETURN_AND_REFUND":
		return ReturnTypeReturnAndRefund, true
	case "REPLACEMENT":
		return ReturnTypeReplacement, true
	}
	return ReturnTypeRefund, false
}
