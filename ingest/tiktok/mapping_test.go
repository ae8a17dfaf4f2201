package tiktok_test

import (
	"testing"

	"github.com/shopwatch/shopwatch/ingest/tiktok"
)

func TestSenderFromRole(t *testing.T) {
	tests := []struct {
		role, want string
		known      bool
	}{
		{"BUYER", "buyer", true},
		{"SHOP", "shop", true},
		{"CUSTOMER_SERVICE", "agent", true},
		{"SYSTEM", "system", true},
		{"ROBOT", "robot", true},
		{"robot", "robot", true},
		{"", "system", false},
		{"MERCHANT_BOT", "system", false},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			got, known := tiktok.SenderFromRole(tt.role)
			if got != tt.want || known != tt.known {
				t.Fatalf("SenderFromRole(%q) = %q, %v; want %q, %v", tt.role, got, known, tt.want, tt.known)
			}
		})
	}
}

func TestReturnStatusToSpec(t *testing.T) {
	tests := []struct {
		name, status, arbitration, want string
		known                           bool
	}{
		{"pending", "RETURN_OR_REFUND_REQUEST_PENDING", "", "requested", true},
		{"awaiting buyer response", "AWAITING_BUYER_RESPONSE", "", "requested", true},
		{"seller rejected, not arbitrated", "REFUND_OR_RETURN_REQUEST_REJECT", "", "requested", true},
		{"seller rejected parcel", "REJECT_RECEIVE_PACKAGE", "", "requested", true},
		{"awaiting buyer ship", "AWAITING_BUYER_SHIP", "", "approved", true},
		{"buyer shipped", "BUYER_SHIPPED_ITEM", "", "approved", true},
		{"success", "RETURN_OR_REFUND_REQUEST_SUCCESS", "", "approved", true},
		{"complete", "RETURN_OR_REFUND_REQUEST_COMPLETE", "", "completed", true},
		{"cancelled", "RETURN_OR_REFUND_REQUEST_CANCEL", "", "cancelled", true},
		{"arbitration for seller", "REFUND_OR_RETURN_REQUEST_REJECT", "SUPPORT_SELLER", "seller_won", true},
		{"arbitration for seller after completion", "RETURN_OR_REFUND_REQUEST_COMPLETE", "SUPPORT_SELLER", "seller_won", true},
		{"arbitration for seller but cancelled", "RETURN_OR_REFUND_REQUEST_CANCEL", "SUPPORT_SELLER", "cancelled", true},
		{"arbitration for buyer", "RETURN_OR_REFUND_REQUEST_COMPLETE", "SUPPORT_BUYER", "completed", true},
		{"arbitration in progress", "REFUND_OR_RETURN_REQUEST_REJECT", "IN_PROGRESS", "requested", true},
		{"unknown status counts as requested", "SOMETHING_NEW", "", "requested", false},
		{"empty status", "", "", "requested", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := tiktok.ReturnStatusToSpec(tt.status, tt.arbitration)
			if got != tt.want || known != tt.known {
				t.Fatalf("ReturnStatusToSpec(%q, %q) = %q, %v; want %q, %v", tt.status, tt.arbitration, got, known, tt.want, tt.known)
			}
		})
	}
}

func TestReturnTypeToSpec(t *testing.T) {
	tests := []struct {
		in, want string
		known    bool
	}{
		{"REFUND", "refund", true},
		{"RETURN_AND_REFUND", "return_and_refund", true},
		{"REPLACEMENT", "replacement", true},
		{"PARTIAL_REFUND", "refund", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, known := tiktok.ReturnTypeToSpec(tt.in)
			if got != tt.want || known != tt.known {
				t.Fatalf("ReturnTypeToSpec(%q) = %q, %v; want %q, %v", tt.in, got, known, tt.want, tt.known)
			}
		})
	}
}
