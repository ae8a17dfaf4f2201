package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/term"
)

// progressEvery is how often at most the progress line is redrawn.
const progressEvery = 250 * time.Millisecond

// progressLine draws one line on stderr for long work (import, sync):
// rows, rows/s and, when the input's size is known, an ETA. It is nil, and
// draws nothing, unless stderr is a terminal: logs and pipes stay clean.
type progressLine struct {
	mu    sync.Mutex
	w     io.Writer
	clock clockwork.Clock
	phase string
	start time.Time // when the phase started
	last  time.Time // when the line was last drawn
	drawn bool
}

// newProgressLine returns a progress line on w, or nil when w is not a
// terminal.
func newProgressLine(w io.Writer, clock clockwork.Clock) *progressLine {
	if !isTerminal(w) {
		return nil
	}
	return &progressLine{w: w, clock: clock}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// update redraws the line, unless it was drawn less than progressEvery
// ago in the same phase. size is 0 when unknown.
func (p *progressLine) update(phase string, rows int, done, size int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	if phase != p.phase {
		p.phase, p.start = phase, now
	} else if now.Sub(p.last) < progressEvery {
		return
	}
	p.last, p.drawn = now, true
	fmt.Fprintf(p.w, "\r\x1b[K%s", renderProgress(phase, rows, done, size, now.Sub(p.start)))
}

// clear erases the line, so that what follows starts on a clean one.
func (p *progressLine) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// renderProgress is the text of a progress line: phase, rows, rate and,
// with a known size, the share done and the time left at the rate so far.
func renderProgress(phase string, rows int, done, size int64, elapsed time.Duration) string {
	s := fmt.Sprintf("%s: %s rows", phase, thousands(int64(rows)))
	if elapsed > 0 {
		s += fmt.Sprintf(", %s rows/s", thousands(int64(float64(rows)/elapsed.Seconds())))
	}
	if size > 0 && done > 0 {
		s += fmt.Sprintf(", %d%%", min(done*100/size, 100))
		if elapsed > 0 && done < size {
			left := time.Duration(float64(elapsed) * float64(size-done) / float64(done))
			s += ", ETA " + left.Round(time.Second).String()
		}
	}
	return s
}

// thousands formats n with commas: 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
