package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestStartupAllocations runs this test binary, which links what shopwatch
// links, with the runtime's init trace, and bounds the heap that package
// initialisation allocates: every page of it is a fault that each short
// command pays before main. gorm's jinzhu/inflection alone allocated 560 KB
// compiling its rules in init, until go.mod replaced it with a copy that
// compiles them on first use (third_party/inflection); the Prometheus
// client allocated 200 KB (1 MB under -race) until /metrics was written by
// internal/promtext. The inits allocate 386 KB now, under -race too.
func TestStartupAllocations(t *testing.T) {
	const perPackage, total = 128 << 10, 512 << 10
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.Bytes())
	}
	sum, n := 0, 0
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init PKG @0.5 ms, 0.1 ms clock, 2600 bytes, 38 allocs
		f := strings.Fields(sc.Text())
		if len(f) < 11 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		b, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("init trace line %q: %v", sc.Text(), err)
		}
		n++
		sum += b
		if b > perPackage {
			t.Errorf("package %s allocates %d KB in its init, over %d KB", f[1], b>>10, perPackage>>10)
		}
		if f[1] == "github.com/jinzhu/inflection" {
			t.Errorf("github.com/jinzhu/inflection has an init (%d bytes): is go.mod's replace gone?", b)
		}
	}
	if n < 50 {
		t.Fatalf("only %d init trace lines: %s", n, stderr.Bytes())
	}
	if sum > total {
		t.Errorf("package inits allocate %d KB, over %d KB", sum>>10, total>>10)
	}
	t.Logf("%d packages' inits allocate %d KB", n, sum>>10)
}
