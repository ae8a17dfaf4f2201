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
