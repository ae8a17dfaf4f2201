package store

import "testing"

func TestRebind(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bare placeholders numbered in order", `SELECT a FROM t WHERE x = ? AND y IN (?, ?)`, `SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)`},
		{"numbered placeholders kept", `SELECT ?1, ?2 WHERE z = ?1 AND w >= ?12`, `SELECT $1, $2 WHERE z = $1 AND w >= $12`},
		{"in a string", `SELECT '?' || ? FROM t WHERE s = 'a?b'`, `SELECT '?' || $1 FROM t WHERE s = 'a?b'`},
		{"in a quoted name", `SELECT "what?" FROM t WHERE x = ?`, `SELECT "what?" FROM t WHERE x = $1`},
		{"in comments", "SELECT 1 -- why?\nWHERE x = ? /* or? */ AND y = ?", "SELECT 1 -- why?\nWHERE x = $1 /* or? */ AND y = $2"},
		{"a cast after it", `SELECT json_array_elements_text(?::json)`, `SELECT json_array_elements_text($1::json)`},
		{"gorm's own untouched", `SELECT * FROM shops WHERE shop_id = $1`, `SELECT * FROM shops WHERE shop_id = $1`},
		{"an unterminated string", `SELECT 'a?`, `SELECT 'a?`},
		{"an escaped string", `SELECT E'\n' || ?`, `SELECT E'\n' || $1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rebind(tt.in); got != tt.want {
				t.Errorf("rebind(%q)\n = %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}
