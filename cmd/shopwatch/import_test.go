package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportInItsOwnProcess runs `shopwatch import` as main does, in a
// process of its own, where the import sets up its page pool before it
// opens the database (usePagePool): each kind imports without a warning,
// and the metrics match those of the same files imported in the tests'
// process, which has no pool.
func TestImportInItsOwnProcess(t *testing.T) {
	env, demo := demoEnv(t)
	own := map[string]string{"SHOPWATCH_CONFIG": env["SHOPWATCH_CONFIG"], "SHOPWATCH_DB": filepath.Join(t.TempDir(), "own.db")}
	for _, kind := range []string{"orders", "reviews", "returns", "chats"} {
		file := filepath.Join(demo, kind+".csv")
		cmd := exec.Command(os.Args[0], "--", "import", kind, file)
		cmd.Env = append(os.Environ(), mainChildEnv+"=1", "SHOPWATCH_CONFIG="+own["SHOPWATCH_CONFIG"], "SHOPWATCH_DB="+own["SHOPWATCH_DB"])
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 || !strings.Contains(string(out), " 0 rejected") {
			t.Fatalf("import %s in its own process: %v\n%s%s", kind, err, out, stderr.String())
		}
		if r := MustRunMain(t, env, "import", kind, file); r.code != 0 {
			t.Fatalf("import %s: %s", kind, r.stderr)
		}
	}
	want := MustRunMain(t, env, "metrics", "--date", "2026-11-20", "--json")
	got := MustRunMain(t, own, "metrics", "--date", "2026-11-20", "--json")
	if got.code != 0 || want.code != 0 || got.stdout != want.stdout || !strings.Contains(want.stdout, `"nrr"`) {
		t.Errorf("metrics of the imports in their own processes:\n%s%s\nin the tests' process:\n%s%s", got.stdout, got.stderr, want.stdout, want.stderr)
	}
}
