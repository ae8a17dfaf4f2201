package store

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// rowParser reads the rows of one CSV file and turns their fields into a
// record's (csvrecords.go).
type rowParser struct {
	db   *DB
	file string
	cols map[string]int
	rec  []string
	line int
	err  *RowError

	touched map[int64]bool // the shops of the rows read
	latest  time.Time      // the latest timestamp accepted
	only    string         // ImportOptions.Shop

	// A Seller Center export (sellercenter.go): its fields' names in the
	// header, its shop and how its slashed dates are written.
	seller   bool
	labels   map[string]string
	fileShop shopRef
	dayFirst bool
}

// each calls fn for every valid data row of r, after checking the header,
// and bad for every rejected row. A file that has no usable header row
// gives no rows: its problem is fileErr. err is a failure to read r.
func (p *rowParser) each(ctx context.Context, r io.Reader, spec *kindSpec, fn func(rec []string, line int), bad func(RowError)) (fileErr *RowError, err error) {
	cr := csv.NewReader(newBoundedReader(r, MaxRowBytes))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return &RowError{Ref: Ref{Source: p.file, Line: 1}, Problem: "empty file: want a header row"}, nil
	}
	if err != nil {
		if line, problem, ok := rowProblem(err); ok {
			return &RowError{Ref: Ref{Source: p.file, Line: line}, Field: "header", Problem: problem}, nil
		}
		return nil, fmt.Errorf("%s: read: %w", p.file, err)
	}
	p.cols = make(map[string]int, len(header))
	names := make([]string, len(header)) // the fields' names in row errors
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		names[i] = h
		if h == "" {
			names[i] = fmt.Sprintf("column %d", i+1)
		}
		if problem := valueProblem(h, MaxFieldBytes); problem != "" {
			return &RowError{Ref: Ref{Source: p.file, Line: 1}, Field: "header", Problem: fmt.Sprintf("column %d %s", i+1, problem)}, nil
		}
		if j, dup := p.cols[h]; dup && h != "" {
			return &RowError{Ref: Ref{Source: p.file, Line: 1}, Field: "header", Problem: fmt.Sprintf("column %q appears twice (columns %d and %d): which one holds the values?", h, j+1, i+1)}, nil
		}
		if _, dup := p.cols[h]; !dup {
			p.cols[h] = i
		}
	}
	var missing []string
	for _, c := range spec.required {
		if _, ok := p.cols[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		if e := p.useSellerLayout(spec, header, missing); e != nil {
			return e, nil
		}
	}
	width := len(header)
	first := true
	cr.FieldsPerRecord = -1
	for {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			// The error comes first: after a parse error the record may
			// have no field, and FieldPos would panic.
			if line, problem, ok := rowProblem(err); ok {
				bad(RowError{Ref: Ref{Source: p.file, Line: line}, Problem: problem})
				continue
			}
			return nil, fmt.Errorf("%s: read: %w", p.file, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != width {
			if len(rec) == 1 && rec[0] == "" {
				continue // a blank line
			}
			bad(RowError{Ref: Ref{Source: p.file, Line: line}, Problem: fmt.Sprintf("row has %d fields, the header has %d", len(rec), width)})
			continue
		}
		if e := p.checkValues(rec, names, line); e != nil {
			bad(*e)
			continue
		}
		if first && p.describes(rec) {
			first = false
			continue
		}
		first = false
		fn(rec, line)
	}
}

// rowProblem describes a read error that rejects one row (or the header):
// malformed CSV or a row over the size limit. ok is false for other errors.
func rowProblem(err error) (line int, problem string, ok bool) {
	var long *rowTooLongError
	if errors.As(err, &long) {
		return long.line, long.Error(), true
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.StartLine, csvProblem(err), true
	}
	return 0, "", false
}

// checkValues rejects a row with a value that is too long, not UTF-8 or
// holds a NUL byte, naming the first such field.
func (p *rowParser) checkValues(rec, names []string, line int) *RowError {
	for i, v := range rec {
		if problem := valueProblem(v, MaxFieldBytes); problem != "" {
			return &RowError{Ref: Ref{Source: p.file, Line: line}, Field: names[i], Problem: problem}
		}
	}
	return nil
}

// valueProblem says what is wrong with a value, or "" when nothing is.
func valueProblem(v string, max int) string {
	switch {
	case len(v) > max:
		return fmt.Sprintf("is %d bytes long, over the limit of %s", len(v), byteSize(max))
	case !utf8.ValidString(v):
		return "is not valid UTF-8 text (save the file as UTF-8)"
	case strings.IndexByte(v, 0) >= 0:
		return "contains a NUL byte"
	}
	return ""
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "malformed CSV: " + pe.Err.Error()
	}
	return err.Error()
}

func (p *rowParser) fail(field, format string, args ...any) {
	if p.err == nil {
		p.err = &RowError{Ref: p.ref(), Field: p.label(field), Problem: fmt.Sprintf(format, args...)}
	}
}

// opt returns an optional field, trimmed; "" when absent.
func (p *rowParser) opt(field string) string {
	i, ok := p.cols[field]
	if !ok {
		return ""
	}
	return strings.TrimSpace(p.rec[i])
}

// req returns a required field, failing the row when it is empty.
func (p *rowParser) req(field string) string {
	v := p.opt(field)
	if v == "" {
		p.fail(field, "is required")
	}
	return v
}

// time parses an RFC 3339 timestamp with an offset; ok is false when empty
// or invalid.
func (p *rowParser) time(field string, required bool) (t time.Time, ok bool) {
	v := p.opt(field)
	if v == "" {
		if required {
			p.fail(field, "is required")
		}
		return time.Time{}, false
	}
	if p.seller {
		var problem string
		if t, problem = sellerTime(v, p.fileShop.shop.Location, p.dayFirst); problem != "" {
			p.fail(field, "%s", problem)
			return time.Time{}, false
		}
	} else {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
			p.fail(field, "%q is not an RFC 3339 timestamp with an offset (like 2026-11-20T14:03:00+07:00)", v)
			return time.Time{}, false
		}
	}
	if !inRange(t, p.latest) {
		p.fail(field, "%q is out of range: want a time from 2000-01-01 to one year from now (%s)", v, p.latest.UTC().Format("2006-01-02"))
		return time.Time{}, false
	}
	return t, true
}

// shop returns the row's shop id, checked against the config; a Seller
// Center export's rows are all of the file's shop.
func (p *rowParser) shop() string {
	if p.seller {
		p.touched[p.fileShop.key] = true
		return p.fileShop.shop.ID
	}
	id := p.req("shop_id")
	if id == "" {
		return ""
	}
	if _, problem := p.db.importShop(id, p.only, p.touched); problem != "" {
		p.fail("shop_id", "%s", problem)
	}
	return id
}

func (p *rowParser) oneOf(field string, allowed []string) string {
	v := p.opt(field)
	if v == "" {
		return ""
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return v
}

func (p *rowParser) int(field string, lo, hi int) int {
	v := p.req(field)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.fail(field, "%q is not an integer from %d to %d", v, lo, hi)
	}
	return n
}
