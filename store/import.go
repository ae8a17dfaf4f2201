package store

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is a kind of input record (SPEC section 2).
type Kind string

// The record kinds.
const (
	Orders  Kind = "orders"
	Reviews Kind = "reviews"
	Returns Kind = "returns"
	Chats   Kind = "chats"
)

// Kinds lists the record kinds.
var Kinds = []Kind{Orders, Reviews, Returns, Chats}

// ParseKind returns the record kind named s.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown record kind %q (want orders, reviews, returns or chats)", s)
}

// RowError is a rejected input row.
type RowError struct {
	File    string
	Line    int
	Field   string // empty when the problem is with the row as a whole
	Problem string
}

func (e RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Problem)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Problem)
}

// maxRowErrors bounds how many rejected rows an import keeps for its report.
const maxRowErrors = 1000

// InvalidInputError reports rejected rows of an import that wrote nothing.
type InvalidInputError struct {
	Rows  []RowError // the first rejected rows, in input order
	Total int        // all rejected rows
}

func (e *InvalidInputError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d invalid row(s); nothing was imported (use --skip-invalid to import the valid rows):", e.Total)
	for i, r := range e.Rows {
		if i == 20 {
			fmt.Fprintf(&b, "\n... and %d more", e.Total-i)
			break
		}
		b.WriteString("\n")
		b.WriteString(r.Error())
	}
	return b.String()
}

// Source is one named input file.
type Source struct {
	Name string
	R    io.Reader
}

// ImportOptions configure an import.
type ImportOptions struct {
	// SkipInvalid imports the valid rows and reports the rejected ones,
	// instead of importing nothing when a row is invalid.
	SkipInvalid bool
}

// FileStats counts one file's rows.
type FileStats struct {
	File     string
	Rows     int // data rows read
	Imported int // rows written (a re-imported row replaces the stored one)
	Rejected int
}

// ImportResult is what an import did.
type ImportResult struct {
	Kind     Kind
	Files    []FileStats
	Rejected []RowError // the first rejected rows (with SkipInvalid)
	Total    int        // all rejected rows

	touched map[int64]bool // the shops of the rows read
}

// Import reads CSV files of one kind and upserts their rows, all or nothing:
// unless opts.SkipInvalid is set, one invalid row makes the import write
// nothing and return an *InvalidInputError. The rows are committed in
// batches, so that the service keeps answering meanwhile (chunk.go).
func (db *DB) Import(ctx context.Context, kind Kind, sources []Source, opts ImportOptions) (*ImportResult, error) {
	spec, ok := kindSpecs[kind]
	if !ok {
		return nil, fmt.Errorf("store: import: unknown kind %q", kind)
	}
	if !opts.SkipInvalid {
		checked, cleanup, err := db.validate(ctx, spec, sources)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", kind, err)
		}
		defer cleanup()
		sources = checked
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	res := &ImportResult{Kind: kind, Files: make([]FileStats, len(sources)), touched: map[int64]bool{}}
	batches := make(chan *batch, 4)
	free := make(chan *batch, 6)
	parseErr := make(chan error, 1)
	go func() {
		defer close(batches)
		parseErr <- db.parseSources(ctx, spec, sources, res, batches, free)
	}()

	w, err := db.newWriter(ctx, spec)
	if err != nil {
		cancel()
		for range batches {
		}
		return nil, err
	}
	defer w.close()
	var writeErr error
	committed := 0
	for b := range batches {
		if writeErr == nil {
			writeErr = w.write(ctx, b)
			// Commit when the lock has been held long enough, or when the
			// next batch is not ready: never hold it while parsing.
			if writeErr == nil && (w.due() || len(batches) == 0) {
				if writeErr = w.commit(ctx); writeErr == nil {
					committed++
				}
			}
			if writeErr != nil {
				cancel()
			}
		}
		b.reset()
		select {
		case free <- b:
		default:
		}
	}
	if err := <-parseErr; err != nil && writeErr == nil {
		writeErr = err
	}
	if writeErr == nil && res.Total > 0 && !opts.SkipInvalid {
		// The files were valid when validate read them.
		writeErr = fmt.Errorf("%w: %w", errChangedDuringImport, &InvalidInputError{Rows: res.Rejected, Total: res.Total})
	}
	if writeErr == nil {
		if writeErr = w.commit(ctx); writeErr == nil {
			committed++
		}
	}
	w.rollback()
	if committed > 0 || writeErr == nil {
		// Even after a failure, the shops of the committed batches changed.
		if err := w.finish(context.WithoutCancel(ctx), slices.Collect(maps.Keys(res.touched))); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	if writeErr != nil {
		return nil, fmt.Errorf("import %s: %w", kind, writeErr)
	}
	for i := range res.Files {
		f := &res.Files[i]
		f.Imported = f.Rows - f.Rejected
	}
	if !opts.SkipInvalid {
		res.Rejected = nil
	}
	return res, nil
}

// parseSources reads every source, validating rows into batches.
func (db *DB) parseSources(ctx context.Context, spec *kindSpec, sources []Source, res *ImportResult, out chan<- *batch, free chan *batch) error {
	get := func() *batch {
		select {
		case b := <-free:
			return b
		default:
			return newBatch(spec.targets)
		}
	}
	names := map[string]string{}
	for i, src := range sources {
		res.Files[i].File = src.Name
		p := &rowParser{db: db, file: src.Name, names: names, touched: res.touched}
		b := get()
		err := p.each(ctx, src.R, spec, func(rec []string, line int) {
			res.Files[i].Rows++
			p.rec, p.line, p.err = rec, line, nil
			spec.parse(p, b)
			if p.err != nil {
				res.Files[i].Rejected++
				res.reject(*p.err)
				return
			}
			b.n++
			if b.n >= batchRows {
				select {
				case out <- b:
				case <-ctx.Done():
				}
				b = get()
			}
		}, func(e RowError) {
			res.Files[i].Rejected++
			res.reject(e)
		})
		if b.n > 0 {
			select {
			case out <- b:
			case <-ctx.Done():
			}
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

func (r *ImportResult) reject(e RowError) {
	r.Total++
	if len(r.Rejected) < maxRowErrors {
		r.Rejected = append(r.Rejected, e)
	}
}

// rowParser validates the fields of one CSV row.
type rowParser struct {
	db   *DB
	file string
	cols map[string]int
	rec  []string
	line int
	err  *RowError

	names   map[string]string // product names written by this import, by shop and product
	touched map[int64]bool    // the shops of the rows read
}

// each calls fn for every data row of r, after checking the header.
func (p *rowParser) each(ctx context.Context, r io.Reader, spec *kindSpec, fn func(rec []string, line int), bad func(RowError)) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		bad(RowError{File: p.file, Line: 1, Problem: "empty file: want a header row"})
		return nil
	}
	if err != nil {
		bad(RowError{File: p.file, Line: 1, Problem: "header: " + csvProblem(err)})
		return nil
	}
	p.cols = make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
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
		bad(RowError{File: p.file, Line: 1, Field: "header", Problem: fmt.Sprintf("missing column(s) %s (a %s file needs %s)", strings.Join(missing, ", "), spec.kind, strings.Join(spec.required, ", "))})
		return nil
	}
	width := len(header)
	cr.FieldsPerRecord = -1
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(RowError{File: p.file, Line: pe.StartLine, Problem: csvProblem(err)})
				continue
			}
			return fmt.Errorf("%s: read: %w", p.file, err)
		}
		if len(rec) != width {
			if len(rec) == 1 && rec[0] == "" {
				continue // a blank line
			}
			bad(RowError{File: p.file, Line: line, Problem: fmt.Sprintf("row has %d fields, the header has %d", len(rec), width)})
			continue
		}
		fn(rec, line)
	}
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
		p.err = &RowError{File: p.file, Line: p.line, Field: field, Problem: fmt.Sprintf(format, args...)}
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
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		p.fail(field, "%q is not an RFC 3339 timestamp with an offset (like 2026-11-20T14:03:00+07:00)", v)
		return time.Time{}, false
	}
	return t, true
}

// shop resolves the shop_id field against the config.
func (p *rowParser) shop() shopRef {
	id := p.req("shop_id")
	if id == "" {
		return shopRef{}
	}
	ref, ok := p.db.shops[id]
	if !ok {
		p.fail("shop_id", "unknown shop %q (not in the config)", id)
		return ref
	}
	p.touched[ref.key] = true
	return ref
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
