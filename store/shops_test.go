package store

import (
	"path/filepath"
	"testing"
)

// Reopening with another config keeps each shop's database key, adds new
// shops, updates names and zones, and leaves shops no longer configured in
// the table.
func TestReopenSyncsShops(t *testing.T) {
	const renamed = `shops:
  - id: "7495002"
    name: "Acme USA"
    timezone: America/Chicago
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
    profile: sea
`
	const added = `shops:
  - id: "7495003"
    name: "New Shop"
    timezone: Asia/Jakarta
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
`
	tests := []struct {
		name, config string
		want         map[string]string // shop id: "name/timezone" as stored
	}{
		{"same config", testConfig, map[string]string{"7495001": "Acme Beauty TH/Asia/Bangkok", "7495002": "Acme US/America/New_York"}},
		{"renamed and moved, listed in another order", renamed, map[string]string{"7495001": "Acme Beauty TH/Asia/Bangkok", "7495002": "Acme USA/America/Chicago"}},
		{"one added, one no longer configured", added, map[string]string{"7495001": "Acme Beauty TH/Asia/Bangkok", "7495002": "Acme US/America/New_York", "7495003": "New Shop/Asia/Jakarta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shops.db")
			first := MustOpenAt(t, path, testConfig)
			keys := map[string]int64{}
			for id, ref := range first.shops {
				keys[id] = ref.key
			}
			first.Close()

			db := MustOpenAt(t, path, tt.config)
			rows, err := db.sql.Query(`SELECT id, shop_id, name || '/' || timezone FROM shops`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			got := map[string]string{}
			for rows.Next() {
				var key int64
				var id, nameZone string
				if err := rows.Scan(&key, &id, &nameZone); err != nil {
					t.Fatal(err)
				}
				got[id] = nameZone
				if k, ok := keys[id]; ok && k != key {
					t.Errorf("shop %s: key %d, was %d", id, key, k)
				}
				if ref, ok := db.shops[id]; ok && ref.key != key {
					t.Errorf("shop %s: opened with key %d, stored %d", id, ref.key, key)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("stored shops %v, want %v", got, tt.want)
			}
			for id, w := range tt.want {
				if got[id] != w {
					t.Errorf("shop %s stored as %q, want %q", id, got[id], w)
				}
			}
			for _, s := range db.cfg.Shops {
				ref, err := db.shop(s.ID)
				if err != nil || db.byKey[ref.key] != s {
					t.Errorf("shop %s: not opened under its key (%v)", s.ID, err)
				}
			}
		})
	}
}
