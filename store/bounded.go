package store

import (
	"fmt"
	"io"
)

// Size limits of CSV input. They keep an import's memory bounded whatever
// the file holds: a row is cut off as soon as it passes MaxRowBytes, before
// encoding/csv has gathered it.
const (
	// MaxFieldBytes is the longest value of one field.
	MaxFieldBytes = 64 << 10
	// MaxRowBytes is the longest CSV row (one line, or several when a
	// quoted field holds line breaks).
	MaxRowBytes = 1 << 20
)

// rowTooLongError is returned by a boundedReader for a row longer than its
// limit. The rest of the row is skipped, so reading can go on.
type rowTooLongError struct {
	line int // the line the row starts on
	max  int
}

func (e *rowTooLongError) Error() string {
	return fmt.Sprintf("the row is longer than %s, the limit", byteSize(e.max))
}

// byteSize formats a limit: "1 MiB", "64 KiB".
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Quote states of a boundedReader, following encoding/csv's parser.
const (
	stFieldStart = iota // at the start of a field
	stUnquoted          // inside a field without quotes
	stQuoted            // inside a quoted field
	stQuote             // a quote inside a quoted field: its end, or the first of ""
	stQuoteCR           // a quoted field's closing quote, then \r
	stBadLine           // after a quoting error: encoding/csv drops the rest of the line
)

// boundedReader sits under encoding/csv and cuts off rows longer than max
// bytes. It follows the quoting as encoding/csv does, so that a row is the
// whole record, line breaks inside quoted fields included. The bytes of a
// row it cut off are dropped, except its line breaks after the first line,
// which are passed on as empty lines: encoding/csv skips those and so keeps
// counting lines right.
type boundedReader struct {
	r   io.Reader
	max int

	buf      []byte
	pos, end int
	err      error

	state    int
	n        int  // bytes of the current row so far
	line     int  // the line of the next byte
	start    int  // the line the current row started on
	skipping bool // dropping the rest of a row that was cut off
	cutEnded bool // the line the row was cut on has ended
}

// special marks the bytes that may change a boundedReader's state.
var special = [256]bool{',': true, '"': true, '\n': true, '\r': true}

func newBoundedReader(r io.Reader, max int) *boundedReader {
	return &boundedReader{r: r, max: max, buf: make([]byte, 64<<10), line: 1, start: 1}
}

// step advances the quote state over c and reports whether c ends a row.
func (b *boundedReader) step(c byte) bool {
	switch b.state {
	case stFieldStart:
		switch c {
		case '"':
			b.state = stQuoted
		case '\n':
			return true
		case ',':
		default:
			b.state = stUnquoted
		}
	case stUnquoted:
		switch c {
		case ',':
			b.state = stFieldStart
		case '\n':
			b.state = stFieldStart
			return true
		case '"':
			b.state = stBadLine // a bare quote
		}
	case stQuoted:
		if c == '"' {
			b.state = stQuote
		}
	case stQuote:
		switch c {
		case '"':
			b.state = stQuoted
		case ',':
			b.state = stFieldStart
		case '\n':
			b.state = stFieldStart
			return true
		case '\r':
			b.state = stQuoteCR
		default:
			b.state = stBadLine // a quote inside a quoted field
		}
	case stQuoteCR:
		if c == '\n' {
			b.state = stFieldStart
			return true
		}
		b.state = stBadLine
	case stBadLine:
		if c == '\n' {
			b.state = stFieldStart
			return true
		}
	}
	return false
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if b.pos == b.end {
			if b.err != nil {
				return 0, b.err
			}
			n, err := b.r.Read(b.buf)
			b.pos, b.end, b.err = 0, n, err
			if n == 0 && err == nil {
				return 0, nil
			}
		}
		// Dropping a cut-off row may pass on nothing: read on.
		if w, err := b.fill(p); w > 0 || err != nil {
			return w, err
		}
	}
}

// fill moves the buffered bytes to p, dropping those of a row cut off.
func (b *boundedReader) fill(p []byte) (int, error) {
	w := 0
	for b.pos < b.end && w < len(p) {
		if !b.skipping && (b.state == stUnquoted || b.state == stQuoted) {
			// Inside a field, bytes other than these leave the state as
			// it is: copy a run of them at once.
			run := b.buf[b.pos:b.end]
			run = run[:min(len(run), len(p)-w, b.max-b.n)]
			k := 0
			for k < len(run) && !special[run[k]] {
				k++
			}
			if k > 0 {
				copy(p[w:], run[:k])
				w, b.pos, b.n = w+k, b.pos+k, b.n+k
				continue
			}
		}
		c := b.buf[b.pos]
		b.pos++
		end := b.step(c)
		if c == '\n' {
			b.line++
		}
		if b.skipping {
			if c == '\n' {
				if b.cutEnded {
					p[w] = '\n'
					w++
				}
				b.cutEnded = true
			}
			if end {
				b.skipping, b.n, b.start = false, 0, b.line
			}
			continue
		}
		if end {
			p[w] = c
			w++
			b.n, b.start = 0, b.line
			continue
		}
		b.n++
		if b.n > b.max {
			// Cut the row off here: what came before goes to the parser
			// with the error, the rest is dropped.
			b.skipping, b.cutEnded = true, c == '\n'
			return w, &rowTooLongError{line: b.start, max: b.max}
		}
		p[w] = c
		w++
	}
	return w, nil
}
