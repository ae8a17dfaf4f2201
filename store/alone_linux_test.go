package store

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLocksHeldByOthers(t *testing.T) {
	const file, pid = "fe:00:9978317", "100"
	for _, tt := range []struct {
		name, locks string
		want        bool
	}{
		{"none", "", false},
		{"only ours", "1: POSIX  ADVISORY  READ 100 fe:00:9978317 128 128\n", false},
		{"another process", "1: POSIX  ADVISORY  READ 100 fe:00:9978317 128 128\n2: POSIX  ADVISORY  READ 4242 fe:00:9978317 128 128\n", true},
		{"another, unpadded", "2: POSIX  ADVISORY  READ 4242 fe:0:9978317 128 128\n", true},
		{"another, waiting", "2: -> POSIX  ADVISORY  WRITE 4242 fe:00:9978317 128 128\n", true},
		{"another, to the end of the file", "2: POSIX  ADVISORY  WRITE 4242 fe:00:9978317 120 EOF\n", true},
		{"another, other bytes", "2: POSIX  ADVISORY  READ 4242 fe:00:9978317 120 127\n3: POSIX  ADVISORY  READ 4242 fe:00:9978317 129 200\n", false},
		{"another file", "2: POSIX  ADVISORY  READ 4242 fe:00:9978318 128 128\n2: POSIX  ADVISORY  READ 4242 fe:01:9978317 128 128\n", false},
		{"an unreadable line", "garbage\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := locksHeldByOthers(bufio.NewScanner(strings.NewReader(tt.locks)), file, pid); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestOthersOpen opens a database in this process, then in another (this
// test binary again, TestOthersOpenHelper), and asks othersOpen, which
// reads /proc/locks.
func TestOthersOpen(t *testing.T) {
	if os.Getenv("SHOPWATCH_OTHERS_DB") != "" {
		t.Skip("the helper's own run")
	}
	path := filepath.Join(t.TempDir(), "shopwatch.db")
	db := MustOpenAt(t, path, testConfig)
	if _, err := db.sql.ExecContext(context.Background(), `SELECT COUNT(*) FROM orders`); err != nil {
		t.Fatal(err)
	}
	if othersOpen(path) {
		t.Fatal("othersOpen: true with the database open in this process only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOthersOpenHelper$")
	cmd.Env = append(os.Environ(), "SHOPWATCH_OTHERS_DB="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "open" {
	}
	if !othersOpen(path) {
		t.Error("othersOpen: false with the database open in another process")
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	if othersOpen(path) {
		t.Error("othersOpen: true after the other process closed the database")
	}
	if !othersOpen(filepath.Join(t.TempDir(), "none.db")) {
		t.Error("othersOpen: false for a database it cannot look at")
	}
}

// TestOthersOpenHelper is the other process of TestOthersOpen: it opens
// the database, says so, and keeps it open until its stdin closes.
func TestOthersOpenHelper(t *testing.T) {
	path := os.Getenv("SHOPWATCH_OTHERS_DB")
	if path == "" {
		t.Skip("run by TestOthersOpen")
	}
	db := MustOpenAt(t, path, testConfig)
	if _, err := db.sql.ExecContext(context.Background(), `SELECT COUNT(*) FROM orders`); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("open\n")
	os.Stdin.Read(make([]byte, 1))
}

// An import alone with the database takes the lock back at once and holds
// it for soloHold; otherwise it holds it for holdBudget and leaves it free
// as long as it held it.
func TestPauseAlone(t *testing.T) {
	alone := true
	p := pause{alone: func() bool { return alone }}
	wait := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		return p.wait(ctx)
	}
	p.held()
	p.released()
	p.gap = time.Hour // as if it had held the lock that long
	if err := wait(); err != nil {
		t.Errorf("alone: wait = %v, want no wait", err)
	}
	p.since = time.Now().Add(-2 * holdBudget)
	if p.due() {
		t.Error("alone: due after twice the hold budget, before soloHold")
	}
	p.released()
	p.gap = time.Hour
	alone = false
	if err := wait(); err == nil {
		t.Error("not alone: wait did not wait for the gap")
	}
	p.since = time.Now().Add(-2 * holdBudget)
	if !p.due() {
		t.Error("not alone: not due after twice the hold budget")
	}
}
