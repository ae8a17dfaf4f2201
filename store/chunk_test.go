package store

import (
	"fmt"
	"strings"
	"testing"
)

// TestImportRestoresConnection checks that the connection an import used
// goes back to the pool with the service's page cache and automatic
// checkpoints.
func TestImportRestoresConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts ImportOptions
	}{
		{name: "imported"},
		{name: "skip-invalid", opts: ImportOptions{SkipInvalid: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpen(t, testConfig)
			db.SetConnections(1) // the import's connection is the one queried after
			csv := ordersHeader + "o1,7495001,p1,2026-10-01T10:00:00+07:00,Item,,\n"
			if tc.opts.SkipInvalid {
				csv += "o2,7495001,p1,not a time,Item,,\n"
			}
			if _, err := db.Import(t.Context(), Orders, []Source{{Name: "orders.csv", R: strings.NewReader(csv)}}, tc.opts); err != nil {
				t.Fatal(err)
			}
			for pragma, want := range map[string]int{
				"cache_size":         -serviceCacheKiB,
				"wal_autocheckpoint": 1000,
			} {
				var got int
				if err := db.sql.QueryRow(fmt.Sprintf("PRAGMA %s", pragma)).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("after the import, %s = %d, want %d", pragma, got, want)
				}
			}
		})
	}
}
