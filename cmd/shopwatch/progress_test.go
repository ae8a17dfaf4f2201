package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestRenderProgress(t *testing.T) {
	tests := []struct {
		name       string
		rows       int
		done, size int64
		elapsed    time.Duration
		want       string
	}{
		{"start", 0, 0, 1000, 0, "importing orders: 0 rows"},
		{"size unknown", 1234567, 5000, 0, 10 * time.Second, "importing orders: 1,234,567 rows, 123,456 rows/s"},
		{"a quarter", 250000, 25, 100, 5 * time.Second, "importing orders: 250,000 rows, 50,000 rows/s, 25%, ETA 15s"},
		{"done", 1000, 100, 100, 2 * time.Second, "importing orders: 1,000 rows, 500 rows/s, 100%"},
		{"more than the size", 1000, 120, 100, 2 * time.Second, "importing orders: 1,000 rows, 500 rows/s, 100%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := renderProgress("importing orders", tt.rows, tt.done, tt.size, tt.elapsed); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// The line is drawn only on a terminal: not into a buffer, a file or a pipe.
func TestProgressQuietWhenNotATerminal(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, out := range map[string]interface{ Write([]byte) (int, error) }{"buffer": &bytes.Buffer{}, "file": file, "pipe": w} {
		if p := newProgressLine(out, clockwork.NewRealClock()); p != nil {
			t.Errorf("%s: a progress line, want none", name)
		}
	}
	var p *progressLine // what newProgressLine gives off a terminal
	p.update("importing", 1, 1, 1)
	p.clear()
	if st, _ := file.Stat(); st.Size() != 0 {
		t.Errorf("the file got %d bytes", st.Size())
	}
}

// On a terminal the line is redrawn at most every progressEvery, at once
// when the phase changes, and cleared at the end.
func TestProgressThrottles(t *testing.T) {
	clock := clockwork.NewFakeClock()
	var out bytes.Buffer
	p := &progressLine{w: &out, clock: clock}
	p.update("checking", 512, 10, 100)
	clock.Advance(progressEvery / 2)
	p.update("checking", 1024, 20, 100) // too soon
	clock.Advance(progressEvery / 2)
	p.update("checking", 1536, 30, 100)
	p.update("importing", 512, 10, 100) // a new phase
	p.clear()
	draws := strings.Split(out.String(), "\r\x1b[K")
	want := []string{"", "checking: 512 rows, 10%", "checking: 1,536 rows, 6,144 rows/s, 30%, ETA 1s", "importing: 512 rows, 10%", ""}
	if strings.Join(draws, "|") != strings.Join(want, "|") {
		t.Errorf("drew %q, want %q", draws, want)
	}
}
