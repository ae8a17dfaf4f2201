package store

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
	Total int        // all rejected rows, and unusable files
	// Files counts the files that could not be read at all (empty, or an
	// unusable header row): they fail the import even with SkipInvalid.
	Files int
}

func (e *InvalidInputError) Error() string {
	var b strings.Builder
	if e.Files > 0 {
		fmt.Fprintf(&b, "%d file(s) have no usable header row; nothing was imported:", e.Files)
	} else {
		fmt.Fprintf(&b, "%d invalid row(s); nothing was imported (use --skip-invalid to import the valid rows):", e.Total)
	}
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
	// At is when the import happens, recorded as the shops' last import of
	// the kind (zero: now).
	At time.Time
	// Shop is the shop id of Seller Center exports, which name none
	// (sellercenter.go); rows of files in SPEC's layout must then name it.
	// Empty: the shop id in the file's name, else the config's only shop.
	Shop string
}

// FileStats counts one file's rows: Rows = Imported + Rejected.
type FileStats struct {
	File     string
	Rows     int // data rows read, rejected ones included (blank lines are not rows)
	Imported int // rows written (a re-imported row replaces the stored one)
	Rejected int
}

// ImportResult is what an import did.
type ImportResult struct {
	Kind     Kind
	Files    []FileStats
	Rejected []RowError // the first rejected rows (with SkipInvalid)
	Total    int        // all rejected rows

	touched  map[int64]bool // the shops of the rows read
	unusable int            // files rejected as a whole
}

// ErrInternal marks an import that failed on a bug (a panic while reading
// the input) rather than on the input or the database.
var ErrInternal = errors.New("internal error")

// Import reads CSV files of one kind and upserts their rows, all or nothing:
// unless opts.SkipInvalid is set, one invalid row makes the import write
// nothing and return an *InvalidInputError. The rows are committed in
// batches, so that the service keeps answering meanwhile (chunk.go).
func (db *DB) Import(ctx context.Context, kind Kind, sources []Source, opts ImportOptions) (*ImportResult, error) {
	spec, ok := kindSpecs[kind]
	if !ok {
		return nil, fmt.Errorf("store: import: unknown kind %q", kind)
	}
	if _, ok := db.shops[opts.Shop]; opts.Shop != "" && !ok {
		return nil, fmt.Errorf("import %s: unknown shop %q (not in the config)", kind, opts.Shop)
	}
	checked, cleanup, err := db.validate(ctx, spec, sources, opts)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", kind, err)
	}
	defer cleanup()
	sources = checked
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	res := &ImportResult{Kind: kind, Files: make([]FileStats, len(sources)), touched: map[int64]bool{}}
	batches, free, parseErr := db.parseAsync(ctx, spec, sources, res, opts.Shop)

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
	if writeErr == nil && res.Total > 0 && (!opts.SkipInvalid || res.unusable > 0) {
		// validate read the files and found them usable (and, without
		// SkipInvalid, valid): they changed since.
		writeErr = fmt.Errorf("%w: %w", errChangedDuringImport, &InvalidInputError{Rows: res.Rejected, Total: res.Total, Files: res.unusable})
	}
	if writeErr == nil {
		if writeErr = w.commit(ctx); writeErr == nil {
			committed++
		}
	}
	w.rollback()
	if committed > 0 || writeErr == nil {
		// Even after a failure, the shops of the committed batches changed.
		if err := w.finish(context.WithoutCancel(ctx), slices.Collect(maps.Keys(res.touched)), opts.At); err != nil && writeErr == nil {
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

// parseAsync runs parseSources in its own goroutine: it sends the batches
// on the first channel, which it closes when done, takes used ones back on
// the second, and reports its error on the third. A panic while parsing
// becomes an ErrInternal error: it would otherwise take the whole process
// down, the inbox watcher of serve with it, on every restart.
func (db *DB) parseAsync(ctx context.Context, spec *kindSpec, sources []Source, res *ImportResult, shop string) (<-chan *batch, chan *batch, <-chan error) {
	batches := make(chan *batch, 4)
	free := make(chan *batch, 6)
	parseErr := make(chan error, 1)
	go func() {
		defer close(batches)
		var err error
		defer func() {
			if r := recover(); r != nil {
				db.log.Error("import: panic while reading the input", "kind", spec.kind, "panic", r, "stack", string(debug.Stack()))
				err = fmt.Errorf("%w while reading the input: %v", ErrInternal, r)
			}
			parseErr <- err
		}()
		err = db.parseSources(ctx, spec, sources, res, shop, batches, free)
	}()
	return batches, free, parseErr
}

// parseSources reads every source, validating rows into batches; shop is
// ImportOptions.Shop.
func (db *DB) parseSources(ctx context.Context, spec *kindSpec, sources []Source, res *ImportResult, shop string, out chan<- *batch, free chan *batch) error {
	get := func() *batch {
		select {
		case b := <-free:
			return b
		default:
			return newBatch(spec.targets)
		}
	}
	names := map[string]string{}
	latest := db.now().AddDate(1, 0, 0)
	for i, src := range sources {
		res.Files[i].File = src.Name
		p := &rowParser{db: db, file: src.Name, names: names, touched: res.touched, latest: latest, only: shop}
		b := get()
		fileErr, err := p.each(ctx, src.R, spec, func(rec []string, line int) {
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
			res.Files[i].Rows++
			res.Files[i].Rejected++
			res.reject(e)
		})
		if fileErr != nil {
			res.unusable++
			res.reject(*fileErr)
		}
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
	latest  time.Time         // the latest timestamp accepted
	only    string            // ImportOptions.Shop

	// A Seller Center export (sellercenter.go): its fields' names in the
	// header, its shop and how its slashed dates are written.
	seller   bool
	labels   map[string]string
	fileShop shopRef
	dayFirst bool
}

// earliest is the earliest timestamp accepted: anything before is a typo or
// a zero value, not a TikTok Shop record.
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// each calls fn for every valid data row of r, after checking the header,
// and bad for every rejected row. A file that has no usable header row
// gives no rows: its problem is fileErr. err is a failure to read r.
func (p *rowParser) each(ctx context.Context, r io.Reader, spec *kindSpec, fn func(rec []string, line int), bad func(RowError)) (fileErr *RowError, err error) {
	cr := csv.NewReader(newBoundedReader(r, MaxRowBytes))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return &RowError{File: p.file, Line: 1, Problem: "empty file: want a header row"}, nil
	}
	if err != nil {
		if line, problem, ok := rowProblem(err); ok {
			return &RowError{File: p.file, Line: line, Field: "header", Problem: problem}, nil
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
			return &RowError{File: p.file, Line: 1, Field: "header", Problem: fmt.Sprintf("column %d %s", i+1, problem)}, nil
		}
		if j, dup := p.cols[h]; dup && h != "" {
			return &RowError{File: p.file, Line: 1, Field: "header", Problem: fmt.Sprintf("column %q appears twice (columns %d and %d): which one holds the values?", h, j+1, i+1)}, nil
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
				bad(RowError{File: p.file, Line: line, Problem: problem})
				continue
			}
			return nil, fmt.Errorf("%s: read: %w", p.file, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != width {
			if len(rec) == 1 && rec[0] == "" {
				continue // a blank line
			}
			bad(RowError{File: p.file, Line: line, Problem: fmt.Sprintf("row has %d fields, the header has %d", len(rec), width)})
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
			return &RowError{File: p.file, Line: line, Field: names[i], Problem: problem}
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
		p.err = &RowError{File: p.file, Line: p.line, Field: p.label(field), Problem: fmt.Sprintf(format, args...)}
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
	if t.Before(earliest) || t.After(p.latest) {
		p.fail(field, "%q is out of range: want a time from 2000-01-01 to one year from now (%s)", v, p.latest.UTC().Format("2006-01-02"))
		return time.Time{}, false
	}
	return t, true
}

// shop resolves the shop_id field against the config; a Seller Center
// export's rows are all of the file's shop.
func (p *rowParser) shop() shopRef {
	if p.seller {
		p.touched[p.fileShop.key] = true
		return p.fileShop
	}
	id := p.req("shop_id")
	if id == "" {
		return shopRef{}
	}
	ref, ok := p.db.shops[id]
	if !ok {
		p.fail("shop_id", "unknown shop %q (not in the config)", id)
		return ref
	}
	if p.only != "" && id != p.only {
		p.fail("shop_id", "%q is not the shop this import is for (%s)", id, p.only)
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
