package store

import (
	"strings"
	"testing"
)

func TestKindOfHeader(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   Kind
		err    string
	}{
		{"orders", "order_id,shop_id,product_id,created_at,delivered_at", Orders, ""},
		{"orders with a BOM and spaces", "\ufefforder_id, shop_id ,product_id,created_at", Orders, ""},
		{"reviews hold every orders column", "review_id,order_id,shop_id,product_id,rating,created_at,text", Reviews, ""},
		{"returns", "return_id,order_id,shop_id,product_id,created_at,reason,type,status", Returns, ""},
		{"chats", "message_id,conversation_id,shop_id,sender,sent_at,text", Chats, ""},
		{"nothing", "id,name", "", "names no record kind"},
		{"reviews missing rating is orders", "review_id,order_id,shop_id,product_id,created_at", Orders, ""},
		{"both reviews and returns", "review_id,return_id,order_id,shop_id,product_id,rating,created_at,reason", "", "both"},
		{"Seller Center orders", "\ufeffOrder ID,Order Status,Order Substatus,SKU ID,Seller SKU,Product Name,Quantity,Created Time,Paid Time,Delivered Time", Orders, ""},
		{"Seller Center orders in another case", " order id ,product id,CREATED TIME", Orders, ""},
		{"Seller Center reviews", "Order ID,Product ID,Product Name,SKU ID,Star Rating,Review Content,Review Time", Reviews, ""},
		{"Seller Center returns", "Return Order ID,Order ID,SKU ID,Return Type,Return Reason,Return Status,Time Requested", Returns, ""},
		{"Seller Center returns with a Created Time too", "Order ID,SKU ID,Created Time,Return Reason,Time Requested", Returns, ""},
		{"Seller Center reviews and returns", "Order ID,SKU ID,Rating,Review Time,Return Reason,Time Requested", "", "both a Seller Center reviews and a Seller Center returns file"},
		{"SPEC columns win", "order_id,shop_id,product_id,created_at,Order ID,SKU ID,Time Requested,Return Reason", Orders, ""},
		{"nothing lists both layouts", "Order Number", "", "or those of a Seller Center order export: Order ID, SKU ID or Product ID, Created Time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := KindOfHeader(strings.Split(tt.header, ","))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("KindOfHeader = %q, %v; want error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("KindOfHeader = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
