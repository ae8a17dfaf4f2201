package store

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/store/storetest"
)

// pagePoolChildEnv names the database file into which the test binary,
// run again by TestPagePool, imports with a page pool: SQLite's
// configuration is the process's, and must come before its first open.
const pagePoolChildEnv = "SHOPWATCH_TEST_PAGE_POOL_CHILD"

// poolTestConfig has the scenario's shops and the synthetic orders'.
var poolTestConfig = testConfig + strings.TrimPrefix(benchConfig(), "shops:\n")

// poolTestImports imports the scenario, 40k synthetic order lines (over
// the staging budget: they go through the staging file) and 3,000 chat
// conversations.
func poolTestImports(tb testing.TB, db *DB) {
	tb.Helper()
	loadScenarioInto(tb, db)
	if _, err := db.Import(context.Background(), Orders, []Source{{Name: "orders.csv", R: &ordersReader{n: 40000}}}, ImportOptions{}); err != nil {
		tb.Fatal(err)
	}
	MustImport(tb, db, Chats, "chats.csv", chatsCSV(3000, 6))
}

// poolTestInput is about the bytes poolTestImports reads.
func poolTestInput(tb testing.TB) int64 {
	n, err := io.Copy(io.Discard, &ordersReader{n: 40000})
	if err != nil {
		tb.Fatal(err)
	}
	return n + int64(len(chatsCSV(3000, 6)))
}

type poolChildResult struct {
	InUse bool
	Use   pagePoolUse
}

// TestPagePool imports with a page pool, in a process of its own, and
// checks that the pool held the page caches, that it overflowed nowhere,
// and that the database holds what an import without it writes. A process
// that has opened SQLite cannot get a pool.
func TestPagePool(t *testing.T) {
	if path := os.Getenv(pagePoolChildEnv); path != "" {
		pagePoolChild(t, path)
		return
	}
	if storetest.OnPostgres() {
		t.Skip("the page pool is SQLite's")
	}
	dir := t.TempDir()
	pooled := filepath.Join(dir, "pooled.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestPagePool$")
	cmd.Env = append(os.Environ(), pagePoolChildEnv+"="+pooled)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	b, err := os.ReadFile(pooled + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var res poolChildResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if !res.InUse {
		t.Skip("no transparent huge pages here: imports run without a page pool")
	}
	t.Logf("page pool use: %+v", res.Use)
	if res.Use.SlotsHigh == 0 || res.Use.OverflowHigh != 0 {
		t.Errorf("page pool use %+v: want slots used and no overflow", res.Use)
	}

	plain := MustOpenAt(t, filepath.Join(dir, "plain.db"), poolTestConfig)
	poolTestImports(t, plain)
	if ok, err := UsePagePool(1 << 20); ok || !errors.Is(err, errSQLiteInUse) {
		t.Errorf("UsePagePool after SQLite's first open = %v, %v; want %v", ok, err, errSQLiteInUse)
	}
	got := MustOpenAt(t, pooled, poolTestConfig)
	for _, q := range importedRows {
		if a, b := dump(t, plain, q), dump(t, got, q); a != b || a == "" {
			t.Errorf("%s: the pooled import differs (%d against %d bytes)", q, len(b), len(a))
		}
	}
}

// pagePoolChild is TestPagePool's child: it sets up the pool, imports into
// path and writes what it found to path.json.
func pagePoolChild(t *testing.T, path string) {
	var res poolChildResult
	var err error
	if res.InUse, err = UsePagePool(ImportPagePool(poolTestInput(t))); err != nil {
		t.Fatal(err)
	}
	db := MustOpenAt(t, path, poolTestConfig)
	poolTestImports(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	res.Use = pagePoolStatus()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".json", b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImportPagePool(t *testing.T) {
	most := importCacheKiB<<10 + 16<<20
	for _, tt := range []struct {
		input int64
		want  int
	}{
		{0, most},
		{-1, most},
		{1 << 20, 6 << 20},
		{2_141_623, 4<<20 + 2*2_141_623},
		{int64(most), most},
		{132 << 20, most},
	} {
		if got := ImportPagePool(tt.input); got != tt.want {
			t.Errorf("ImportPagePool(%d) = %d, want %d", tt.input, got, tt.want)
		}
	}
}
