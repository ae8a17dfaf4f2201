package store

import (
	"context"
	"database/sql"
	"slices"

	"github.com/shopwatch/shopwatch/rules"
)

// kindSpec describes how one record kind is parsed and written.
type kindSpec struct {
	kind Kind
	// columns are the kind's CSV columns in SPEC section 2's order;
	// required are those a file must have.
	columns  []string
	required []string
	// seller is the layout of Seller Center's own export of the kind
	// (sellercenter.go); sellerRequired are the fields it must have, where
	// "product_id" is met by a SKU ID or a Product ID column.
	seller         []sellerColumn
	sellerRequired []string
	targets        []target
	// decode reads the CSV row in p into a record and hands it to s.
	decode func(p *rowParser, s *sink)
	// begin runs first, on the import's connection, and returns the kind's
	// other steps, if any.
	begin func(ctx context.Context, db *DB, conn *sql.Conn) (importSteps, error)
}

// importSteps are what a kind does besides upserting its rows. prepare and
// flush run in the transaction of each batch (chunk.go); settle runs after
// the last batch, in short transactions of its own, as long as it reports
// more to do (chats.go).
type importSteps struct {
	prepare func(ctx context.Context, tx *sql.Tx, b *batch) error // before the batch is written
	flush   func(ctx context.Context, tx *sql.Tx) error           // after it, before the commit
	// premerge runs before PostgreSQL's import merges its staged rows.
	premerge func(ctx context.Context, tx *sql.Tx, m pgMerge) error
	settle   func(ctx context.Context, conn *sql.Conn, p *pause, committed func() error) error
	close    func()
}

var kindSpecs = map[Kind]*kindSpec{
	Orders: {
		kind:     Orders,
		columns:  []string{"order_id", "shop_id", "product_id", "created_at", "product_name", "delivered_at", "status"},
		required: []string{"order_id", "shop_id", "product_id", "created_at"},
		targets: []target{
			targetOrders:   {name: "orders", cols: []string{"order_id", "shop", "created_at", "created_day", "delivered_at", "delivered_day", "status", "products"}, keys: 1},
			targetProducts: {name: "products", cols: []string{"shop", "product_id", "name"}, keys: 2},
		},
		decode: decodeOrder,
		begin:  beginOrders,
		seller: []sellerColumn{
			{"order_id", []string{"Order ID"}},
			{"sku_id", []string{"SKU ID"}},
			{"product_id", []string{"Product ID"}},
			{"product_name", []string{"Product Name"}},
			{"created_at", []string{"Created Time", "Create Time", "Order Created Time"}},
			{"delivered_at", []string{"Delivered Time"}},
			{"status", []string{"Order Status"}},
		},
		sellerRequired: []string{"order_id", "product_id", "created_at"},
	},
	Reviews: {
		kind:     Reviews,
		columns:  []string{"review_id", "order_id", "shop_id", "product_id", "rating", "created_at", "text", "tags"},
		required: []string{"review_id", "order_id", "shop_id", "product_id", "rating", "created_at"},
		targets: []target{
			{name: "reviews", cols: []string{"review_id", "order_id", "shop", "product_id", "rating", "created_at", "created_day", "text", "tags", "causes"}, keys: 1},
		},
		decode: decodeReview,
		seller: []sellerColumn{
			{"review_id", []string{"Review ID"}},
			{"order_id", []string{"Order ID"}},
			{"sku_id", []string{"SKU ID"}},
			{"product_id", []string{"Product ID"}},
			{"rating", []string{"Star Rating", "Rating", "Product Rating", "Stars"}},
			{"text", []string{"Review Content", "Review Text", "Review", "Content"}},
			{"created_at", []string{"Review Time", "Review Date", "Reviewed Time", "Review Created Time"}},
		},
		sellerRequired: []string{"order_id", "product_id", "rating", "created_at"},
	},
	Returns: {
		kind:     Returns,
		columns:  []string{"return_id", "order_id", "shop_id", "product_id", "created_at", "reason", "type", "status"},
		required: []string{"return_id", "order_id", "shop_id", "product_id", "created_at", "reason"},
		targets: []target{
			{name: "returns", cols: []string{"return_id", "order_id", "shop", "product_id", "created_at", "created_day", "reason", "type", "status", "fault", "category", "classified"}, keys: 1},
		},
		decode: decodeReturn,
		seller: []sellerColumn{
			{"return_id", []string{"Return Order ID", "Return ID", "Return/Refund ID", "Reverse Order ID"}},
			{"order_id", []string{"Order ID"}},
			{"sku_id", []string{"SKU ID"}},
			{"product_id", []string{"Product ID"}},
			{"created_at", []string{"Time Requested", "Request Time", "Requested Time", "Return Created Time", "Apply Time"}},
			{"reason", []string{"Return Reason", "Refund Reason", "Return/Refund Reason", "Reason"}},
			{"type", []string{"Return Type", "Return/Refund Type", "Request Type"}},
			{"status", []string{"Return Status", "Return/Refund Status", "Refund Status", "Status"}},
		},
		sellerRequired: []string{"order_id", "product_id", "created_at", "reason"},
	},
	Chats: {
		kind:     Chats,
		columns:  []string{"message_id", "conversation_id", "shop_id", "sender", "sent_at", "text"},
		required: []string{"message_id", "conversation_id", "shop_id", "sender", "sent_at"},
		targets: []target{
			{name: "chat_messages", cols: []string{"message_id", "conversation_id", "shop", "sender", "sent_at", "text"}, keys: 1},
		},
		decode: decodeChat,
		begin:  beginChats,
	},
}

// The tables an import updates besides its kind's targets.
var (
	shopDaysTarget = target{name: "shop_days", cols: []string{"shop", "day", "created", "delivered"}, keys: 2, add: true}
	turnsTarget    = target{name: "chat_turns", cols: []string{"conversation_id", "seq", "shop", "start_at", "start_day", "reply_at"}, keys: 2}
)

// Columns returns the CSV columns of a record kind in SPEC section 2's
// order, for whoever writes such files.
func Columns(k Kind) []string {
	if spec, ok := kindSpecs[k]; ok {
		return slices.Clone(spec.columns)
	}
	return nil
}

// Seller Center's status and type names, matched case-insensitively, and
// what they mean here. Only names whose meaning is clear are mapped: an
// order's other statuses are kept as written; a return's other statuses
// (Rejected, in arbitration, ...) and types are stored empty, which the
// metrics count like an open request (SPEC section 3), since the export
// does not say how an appeal ended.
var (
	sellerOrderStatus = map[string]string{
		"delivered":  "delivered",
		"completed":  "delivered",
		"cancelled":  "cancelled",
		"canceled":   "cancelled",
		"shipped":    "shipped",
		"in transit": "shipped",
	}
	sellerReturnStatus = map[string]string{
		"requested":                "requested",
		"request submitted":        "requested",
		"awaiting seller response": "requested",
		"pending":                  "requested",
		"request pending":          "requested",
		"approved":                 "approved",
		"request approved":         "approved",
		"awaiting buyer shipment":  "approved",
		"buyer shipped":            "approved",
		"awaiting buyer ship":      "approved",
		"buyer shipped item":       "approved",
		"return in transit":        "approved",
		"awaiting refund":          "approved",
		"completed":                "completed",
		"refunded":                 "completed",
		"refund completed":         "completed",
		"return completed":         "completed",
		"replacement completed":    "completed",
		"request completed":        "completed",
		"request success":          "completed",
		"cancelled":                rules.ReturnCancelled,
		"canceled":                 rules.ReturnCancelled,
		"request cancelled":        rules.ReturnCancelled,
		"request canceled":         rules.ReturnCancelled,
		"request cancel":           rules.ReturnCancelled,
		"withdrawn":                rules.ReturnCancelled,
		"cancelled by buyer":       rules.ReturnCancelled,
		"canceled by buyer":        rules.ReturnCancelled,
	}
	sellerReturnType = map[string]string{
		"refund":            "refund",
		"refund only":       "refund",
		"return and refund": "return_and_refund",
		"return & refund":   "return_and_refund",
		"return/refund":     "return_and_refund",
		"replacement":       "replacement",
		"exchange":          "replacement",
	}
)

// beginOrders sets up an orders import. The secondary indexes stay in
// place even on a first load: the service reads through them while the
// import commits its batches, and building them at the end would hold the
// write lock for seconds.
func beginOrders(ctx context.Context, db *DB, conn *sql.Conn) (importSteps, error) {
	o := &ordersImport{deltas: map[[2]int64]*[2]int64{}}
	return importSteps{prepare: o.prepare, flush: o.flush}, nil
}
