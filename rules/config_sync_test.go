package rules

import (
	"strings"
	"testing"
	"time"
)

func TestParseConfigInboxAndSync(t *testing.T) {
	const shops = "shops:\n  - {id: \"1\", name: A, timezone: UTC}\n"
	tests := []struct {
		name  string
		yaml  string
		inbox string
		sync  SyncSettings
		err   string
	}{
		{"absent", "", "", SyncSettings{}, ""},
		{"inbox", "inbox: /var/lib/shopwatch/inbox\n", "/var/lib/shopwatch/inbox", SyncSettings{}, ""},
		{"all sync settings", "sync: {every: 5m, overlap: 30m, backfill: 60d}\n", "", SyncSettings{Every: 5 * time.Minute, Overlap: 30 * time.Minute, Backfill: 60 * 24 * time.Hour}, ""},
		{"some", "sync:\n  backfill: 36h\n", "", SyncSettings{Backfill: 36 * time.Hour}, ""},
		{"too often", "sync: {every: 10s}\n", "", SyncSettings{}, "sync: every 10s: want at least 1m"},
		{"not a duration", "sync:\n  overlap: soon\n", "", SyncSettings{}, `line 4: "soon": want a duration`},
		{"negative", "sync: {overlap: -5m}\n", "", SyncSettings{}, `"-5m": want a duration`},
		{"backfill too long", "sync: {backfill: 400d}\n", "", SyncSettings{}, "backfill 9600h0m0s: want 1h to 366d"},
		{"unknown key", "sync: {evry: 5m}\n", "", SyncSettings{}, `unknown key "evry"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(shops + tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Inbox != tt.inbox || c.Sync != tt.sync {
				t.Fatalf("inbox %q, sync %+v; want %q, %+v", c.Inbox, c.Sync, tt.inbox, tt.sync)
			}
		})
	}
}
