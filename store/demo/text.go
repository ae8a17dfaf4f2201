package demo

// cause is a cause of negative feedback (SPEC 2.1); causeNone is a review
// whose text names no recognisable cause.
type cause uint8

const (
	causeNone cause = iota
	causeProductQuality
	causeNotAsDescribed
	causeCounterfeit
	causeSafety
	causeCompliance
	causeWrongItem
	causeMissingItem
	causeDamaged
	causeOutOfStock
	causeSlowResponse
	causeRudeService
	causeLateDelivery
	causeCourier
	numCauses
)

// causeNames are the SPEC 2.1 cause names, the values of the reviews.tags column.
var causeNames = [numCauses]string{
	"", "product_quality", "not_as_described", "counterfeit", "safety", "compliance",
	"wrong_item", "missing_item", "damaged", "out_of_stock", "slow_response",
	"rude_service", "late_delivery", "courier",
}

// The text pools below hold CSV-encoded fields (csvTexts), ready to append
// to a row.

// negativeTexts are 1-2 star review texts per cause, worded so that the
// built-in keyword rules find the cause (and, for causeNone, find nothing).
var negativeTexts = [numCauses][]string{
	causeNone: csvTexts(
		"Not happy.", "Very disappointed.", "Would not buy again", "1 star", "Meh",
		"Expected more for the price", "Just no.",
	),
	causeProductQuality: csvTexts(
		"Poor quality, stopped working after two days.",
		"Cheaply made and flimsy. Waste of money.",
		"Doesn't work at all",
		"Fell apart after the first wash",
		"Low quality, the stitching is already coming off",
		"Product is defective, won't turn on",
	),
	causeNotAsDescribed: csvTexts(
		"Not as described, the colour looks different from the pictures",
		"Nothing like the photos. Misleading listing!",
		`Much smaller than expected, the listing says "large"`,
		"Says 100% cotton but feels like plastic, false advertising",
	),
	causeCounterfeit: csvTexts(
		"Fake product, not original",
		"Smells different from the one I buy in the mall, I think it's counterfeit",
		"Not authentic, the logo is printed crooked",
	),
	causeSafety: csvTexts(
		"Gave me a rash after one use",
		"Caused skin irritation and itching, be careful",
		"The charger overheated after ten minutes, dangerous",
	),
	causeCompliance: csvTexts(
		"Expired product, arrived past expiry",
		"No expiry date and no ingredients list on the box",
		"The seal was broken, looks like it was already opened",
	),
	causeWrongItem: csvTexts(
		"Wrong colour sent",
		"Ordered size M but received the wrong size",
		"Not what I ordered, they sent a different model",
		"Sent me the wrong item, I ordered the blue one",
	),
	causeMissingItem: csvTexts(
		"Only got one of the two items I paid for",
		"No free gift even though the live said there would be one",
		"Incomplete set, parts missing",
	),
	causeDamaged: csvTexts(
		"Arrived broken, the bottle was cracked",
		"Box was crushed and the product leaked everywhere",
		"Came scratched and chipped",
		"Arrived late and the box was crushed",
		"Poorly packed, everything was damaged",
	),
	causeOutOfStock: csvTexts(
		"Half my order was out of stock and the seller said nothing",
		"Told me the colour was sold out after I paid",
	),
	causeSlowResponse: csvTexts(
		"Seller never replied to my messages",
		"Asked a question 3 days ago, still no reply",
		"Slow response from the shop, took days to reply",
		"Customer service is unhelpful",
	),
	causeRudeService: csvTexts(
		"Seller was rude when I asked for a refund",
		"They asked me to change my review, very unprofessional",
		"Bad attitude, refused to help me",
	),
	causeLateDelivery: csvTexts(
		"Took 3 weeks to arrive",
		"Delivery was very late, needed it for a birthday",
		"Shipping took forever",
	),
	causeCourier: csvTexts(
		"Courier threw the parcel over the fence",
		"Marked as delivered but I had to chase the rider for two days",
		"Lost in transit, finally arrived a week late",
	),
}

// localNegative are negative texts in the shop's market language that the
// English rules do not understand (cause other), by market.
var localNegative = map[string][]string{
	"TH": csvTexts("ไม่ประทับใจเลย", "ของไม่ตรงปก ผิดหวังมาก"),
	"VN": csvTexts("Không hài lòng, chất lượng kém", "Hàng không giống hình"),
	"ID": csvTexts("Kecewa, tidak sesuai", "Barang jelek"),
	"MY": csvTexts("Tak puas hati langsung"),
	"PH": csvTexts("Hindi maganda, sayang pera"),
}

var positiveTexts = csvTexts(
	"Love it!", "Great quality, fast delivery. Thank you!", "Exactly as described",
	`Works great, my daughter says it's "the best gift ever"`, "Good value for money",
	"Second time buying, still happy", "Packed well, arrived quickly", "Smells amazing",
	"Fits perfectly", "5 stars", "ok", "Will order again :)", "Nice", "Super cute!",
	"Good seller, answered all my questions",
)

var neutralTexts = csvTexts(
	"It's ok, nothing special", "Decent for the price", "Average, expected a bit more",
	"Colour is slightly lighter, but fine",
)

var localPositive = map[string][]string{
	"TH": csvTexts("ของดีมาก ส่งไว แพ็คดี", "ชอบมากค่ะ"),
	"VN": csvTexts("Sản phẩm tốt, giao hàng nhanh", "Rất đáng tiền"),
	"ID": csvTexts("Barang bagus, pengiriman cepat", "Mantap, sesuai pesanan"),
	"MY": csvTexts("Barang sampai dengan selamat, terima kasih"),
	"PH": csvTexts("Ang ganda, salamat po!", "Sulit, mabilis dumating"),
}

// taggedCauses are extra tags often given with a cause's tag.
var extraTag = [numCauses]cause{
	causeCourier:        causeLateDelivery,
	causeLateDelivery:   causeCourier,
	causeNotAsDescribed: causeProductQuality,
	causeDamaged:        causeCourier,
}

// Return reasons.

type fault uint8

const (
	faultSeller fault = iota
	faultLogistics
	faultBuyer
	faultUnknown // matches no rule
)

type returnReason struct {
	text  string // CSV-encoded
	fault fault
	// when: 'd' created after delivery, 'n' not received (after delivery,
	// shortly), 'l' late (before delivery).
	when byte
}

var (
	reasonDamagedCode   = newReason("ecom_order_delivered_refund_reason_damaged", faultSeller, 'd')
	reasonDamagedRR     = newReason("ecom_order_delivered_refund_and_return_reason_damaged", faultSeller, 'd')
	reasonDamagedText   = newReason("Package or product is damaged", faultSeller, 'd')
	reasonDefective     = newReason("ecom_order_delivered_refund_reason_defective", faultSeller, 'd')
	reasonNotMatch      = newReason("ecom_order_delivered_refund_reason_not_match_description", faultSeller, 'd')
	reasonNotMatchText  = newReason("Product doesn't match description", faultSeller, 'd')
	reasonWrong         = newReason("ecom_order_delivered_refund_reason_wrong_product_1", faultSeller, 'd')
	reasonMissing       = newReason("ecom_order_delivered_refund_reason_missing_product", faultSeller, 'd')
	reasonMissingParts  = newReason("ecom_order_delivered_refund_reason_missing_broken_parts", faultSeller, 'd')
	reasonMissingText   = newReason("Received parcel, but some items were missing", faultSeller, 'd')
	reasonCounterfeit   = newReason("Suspected counterfeit", faultSeller, 'd')
	reasonExpired       = newReason("Product expired", faultSeller, 'd')
	reasonNotReceived   = newReason("ecom_order_delivered_refund_reason_not_received", faultLogistics, 'n')
	reasonLate          = newReason("ecom_order_shipped_refund_reason_not_arrive_on_time", faultLogistics, 'l')
	reasonNoLonger      = newReason("ecom_order_delivered_refund_and_return_reason_no_longer_needed", faultBuyer, 'd')
	reasonNoLongerText  = newReason("No longer needed", faultBuyer, 'd')
	reasonChangedMind   = newReason("Changed my mind", faultBuyer, 'd')
	reasonSize          = newReason("Item too big/small", faultBuyer, 'd')
	reasonBetterPrice   = newReason("Found a better price", faultBuyer, 'd')
	reasonOther         = newReason("Other", faultUnknown, 'd')
	reasonOtherNotes    = newReason("See photos in chat", faultUnknown, 'd')
	reasonCancelledTalk = newReason("ecom_order_delivered_refund_and_return_reason_others", faultSeller, 'd')
)

func newReason(text string, f fault, when byte) returnReason {
	return returnReason{csvField(text), f, when}
}

// weightedReason is an entry of a reason mix.
type weightedReason struct {
	r returnReason
	w float64
}

// reasonMix is the usual mix of return reasons: about half seller fault,
// some logistics, a third buyer's own, and rarely one no rule matches.
var reasonMix = []weightedReason{
	{reasonDamagedCode, 9}, {reasonDamagedRR, 5}, {reasonDamagedText, 6},
	{reasonDefective, 8}, {reasonNotMatch, 6}, {reasonNotMatchText, 4},
	{reasonWrong, 5}, {reasonMissing, 3}, {reasonMissingParts, 2}, {reasonMissingText, 3},
	{reasonCounterfeit, 1.5}, {reasonExpired, 0.5}, {reasonCancelledTalk, 0.5},
	{reasonNotReceived, 8}, {reasonLate, 7},
	{reasonNoLonger, 12}, {reasonNoLongerText, 6}, {reasonChangedMind, 7},
	{reasonSize, 6}, {reasonBetterPrice, 2},
	{reasonOther, 1.2}, {reasonOtherNotes, 0.5},
}

// causeReasons are the return reasons that go with a bad product's cause.
var causeReasons = [numCauses][]returnReason{
	causeProductQuality: {reasonDefective, reasonDefective, reasonDamagedRR},
	causeNotAsDescribed: {reasonNotMatch, reasonNotMatchText},
	causeCounterfeit:    {reasonCounterfeit, reasonNotMatch},
	causeSafety:         {reasonDefective, reasonNotMatchText},
	causeCompliance:     {reasonExpired, reasonNotMatch},
	causeWrongItem:      {reasonWrong, reasonSize},
	causeMissingItem:    {reasonMissing, reasonMissingParts, reasonMissingText},
	causeDamaged:        {reasonDamagedCode, reasonDamagedRR, reasonDamagedText},
}

// badCauses are the causes a shop's bad products suffer from.
var badCauses = []cause{
	causeProductQuality, causeDamaged, causeNotAsDescribed, causeCounterfeit,
	causeWrongItem, causeMissingItem,
}

// Chats.

var (
	systemTexts = csvTexts("Order card shared", "Buyer shared a product card")

	buyerBefore = csvTexts(
		"Hi, when will my order be shipped?",
		"Hello, can I change the colour to black?",
		"Is this original?",
		"Can you send it before Friday? It's a gift",
		"Tracking hasn't updated for 3 days, is everything ok?",
		"Can I add one more to the same order?",
		"Hi! Do you ship on weekends?",
	)
	buyerAfter = csvTexts(
		"The item arrived damaged, what can I do?",
		"I received the wrong size, can I exchange it?",
		"One item is missing from my parcel",
		"The product doesn't work, please help",
		"Hi, the bottle leaked in the box 😞",
		"How do I use this with the toner?",
		"Thank you, received!",
		`Do you have this in a bigger size? The "L" is a bit tight`,
	)
	buyerLocal = map[string][]string{
		"TH": csvTexts("สวัสดีค่ะ ส่งของวันไหนคะ", "ของได้รับแล้วค่ะ ขอบคุณค่ะ"),
		"VN": csvTexts("Shop ơi, khi nào giao hàng vậy?", "Mình nhận được hàng rồi, cảm ơn shop"),
		"ID": csvTexts("Kak, kapan dikirim?", "Kak, barangnya sudah sampai ya"),
		"MY": csvTexts("Hi, bila boleh pos?"),
		"PH": csvTexts("Hi po, may stock pa ba?", "Natanggap ko na po, salamat"),
	}
	buyerFollowUp = csvTexts(
		"Hello?", "Any update?", "Please reply", "Hello, I'm still waiting for an answer", "??",
		"I need a real person please",
	)
	shopReplies = csvTexts(
		"Hi! Thanks for reaching out, let me check that for you.",
		"Your parcel was shipped today, you can track it in the order page.",
		"So sorry about that! Please send us a photo and we'll send a replacement.",
		"Yes, it's 100% original, we're an authorised seller.",
		"You're welcome, enjoy!",
		"We've approved your refund, it should reach you in 3-5 days.",
		"Hi, sorry for the wait. Could you share your order number?",
	)
	shopFollowUps = csvTexts(
		"Is there anything else we can help with?", "Have a nice day!",
		"Thank you for your patience, we really appreciate it.",
	)
	robotTexts = csvTexts(
		"Hi! Thanks for your message. Our team is online 9:00-21:00 and will reply as soon as possible.",
		"This is an automatic reply: we have received your message.",
	)
	sellerOpeners = csvTexts(
		"Hi! Thanks for your order, it will be shipped within 24 hours.",
		"Hello, the colour you ordered is out of stock, would you like white instead?",
		"Hi, we noticed your parcel is delayed, sorry! It should arrive in 2 days.",
	)
	buyerAnswers = csvTexts("OK thanks", "White is fine", "Ok noted", "No problem")
)
