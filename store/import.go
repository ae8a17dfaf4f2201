package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"slices"
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

// RowError is a rejected input row or record.
type RowError struct {
	Ref            // where it came from
	Field   string // empty when the problem is with the row as a whole
	Problem string
}

func (e RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", e.Ref, e.Problem)
	}
	return fmt.Sprintf("%s: %s: %s", e.Ref, e.Field, e.Problem)
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
	Size int64 // its length in bytes, for progress reports; 0: unknown
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
	// Progress, when set, is called as the import goes, after each batch
	// of rows, from the goroutine reading the input.
	Progress func(Progress)
	// Alone says that the process does nothing but this import (the
	// import command): on SQLite, while no other process has the database
	// open, it holds the write lock longer and leaves it free only once
	// one has (chunk.go). A serving process imports without it: its own
	// connections cannot be seen from outside.
	Alone bool
}

// Progress is how far an import has come.
type Progress struct {
	// Phase is "checking" while the input is validated (nothing is written
	// yet), then "importing".
	Phase string
	Rows  int   // valid rows read in this phase
	Bytes int64 // bytes of CSV input read in this phase
	Size  int64 // bytes of the whole CSV input; 0 when unknown or not CSV
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

// Import reads CSV files of one kind (csvrecords.go) and upserts their
// rows, all or nothing: unless opts.SkipInvalid is set, one invalid row
// makes the import write nothing and return an *InvalidInputError. The rows
// are committed in batches, so that the service keeps answering meanwhile
// (chunk.go). An import that ctx ends returns an error wrapping ctx's
// cause; the batches it committed stay, and the same import run again
// completes it.
func (db *DB) Import(ctx context.Context, kind Kind, sources []Source, opts ImportOptions) (*ImportResult, error) {
	res, err := db.importKind(ctx, kind, sources, opts)
	if err != nil && ctx.Err() != nil {
		// Ended by its context (Ctrl-C, a shutdown): what failed on the way
		// out (a transaction database/sql rolled back on the cancel, a
		// connection it closed) says less than why.
		return nil, fmt.Errorf("import %s: %w", kind, context.Cause(ctx))
	}
	return res, err
}

func (db *DB) importKind(ctx context.Context, kind Kind, sources []Source, opts ImportOptions) (*ImportResult, error) {
	spec, err := db.importSpec(ctx, kind, opts)
	if err != nil {
		return nil, err
	}
	if res, staged, err := db.importStaged(ctx, spec, db.csvFeed(spec, sources, opts.Shop), opts); staged {
		return res, err
	}
	checked, cleanup, err := db.checkSources(ctx, spec, sources, opts)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", kind, err)
	}
	defer cleanup()
	f := db.csvFeed(spec, checked, opts.Shop)
	res := newResult(kind, f)
	return db.load(ctx, spec, res, db.feedSource(spec, f, res, opts), f.rows, opts)
}

// importStaged imports the feed through a staging database (stage.go),
// when the database allows it; staged is false, and nothing
// was read, when it does not.
func (db *DB) importStaged(ctx context.Context, spec *kindSpec, f feed, opts ImportOptions) (res *ImportResult, staged bool, err error) {
	if db.pg || db.unstagedImport {
		return nil, false, nil
	}
	st, err := newStage(ctx, spec)
	if err != nil {
		return nil, true, fmt.Errorf("import %s: %w", spec.kind, err)
	}
	if st == nil {
		return nil, false, nil
	}
	defer st.close()
	st.memLimit = cmp.Or(db.stageMemBytes, stageMemBytes)
	// An input too big for the memory budget goes to the staging file from
	// its first row: held in memory only to be written out, its rows would
	// cost time and memory. (A staged returns row took about two and a
	// half times its CSV bytes.)
	st.spilled = f.size*2 > int64(st.memLimit)
	var read int64 // bytes of input read, when reported
	fillOpts := opts
	if opts.Progress != nil {
		fillOpts.Progress = func(p Progress) {
			read = p.Bytes
			opts.Progress(p)
		}
	}
	res, err = st.fill(ctx, db, f, fillOpts)
	if err != nil {
		return nil, true, fmt.Errorf("import %s: %w", spec.kind, err)
	}
	var progress func(rows, staged int)
	if opts.Progress != nil {
		progress = func(rows, staged int) {
			// The bytes of input whose rows are written, in proportion.
			done := read
			if staged > 0 {
				done = read * int64(min(rows, staged)) / int64(staged)
			}
			opts.Progress(Progress{Phase: "importing", Rows: rows, Bytes: done, Size: f.size})
		}
	}
	res, err = db.load(ctx, spec, res, st.source(progress), f.rows, opts)
	return res, true, err
}

// batchSource starts sending an import's batches, from its own goroutine:
// it sends them on the first channel, which it closes when done, takes
// used ones back on the second, and reports its error on the third.
type batchSource func(ctx context.Context) (<-chan *batch, chan *batch, <-chan error)

// feedSource parses the feed as it is written, counting into res.
func (db *DB) feedSource(spec *kindSpec, f feed, res *ImportResult, opts ImportOptions) batchSource {
	return func(ctx context.Context) (<-chan *batch, chan *batch, <-chan error) {
		return db.parseAsync(ctx, spec, f, res, opts, "importing")
	}
}

func (db *DB) importSpec(ctx context.Context, kind Kind, opts ImportOptions) (*kindSpec, error) {
	spec, ok := kindSpecs[kind]
	if !ok {
		return nil, fmt.Errorf("store: import: unknown kind %q", kind)
	}
	// An import's rows may be of any shop (importShop reads the registry).
	idx, err := db.ensureAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: import %s: %w", kind, err)
	}
	if _, ok := idx.byID[opts.Shop]; opts.Shop != "" && !ok {
		return nil, fmt.Errorf("import %s: unknown shop %q (not in the config)", kind, opts.Shop)
	}
	return spec, nil
}

// check runs the feed without writing anything and returns an
// *InvalidInputError when a record is invalid (with opts.SkipInvalid, only
// when an input is unusable as a whole, as an empty file): an import that
// commits in batches (chunk.go) must know before its first commit that it
// may write at all.
func (db *DB) check(ctx context.Context, spec *kindSpec, f feed, opts ImportOptions) error {
	res := newResult(spec.kind, f)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches, free, parseErr := db.parseAsync(ctx, spec, f, res, opts, "checking")
	for b := range batches { // nothing is written: the batches go back
		b.reset()
		select {
		case free <- b:
		default:
		}
	}
	if err := <-parseErr; err != nil {
		return err
	}
	if res.Total > 0 && (!opts.SkipInvalid || res.unusable > 0) {
		return &InvalidInputError{Rows: res.Rejected, Total: res.Total, Files: res.unusable}
	}
	return nil
}

func newResult(kind Kind, f feed) *ImportResult {
	res := &ImportResult{Kind: kind, Files: make([]FileStats, len(f.names)), touched: map[int64]bool{}}
	for i, n := range f.names {
		res.Files[i].File = n
	}
	return res
}

// load writes the records of a checked input, which src sends in batches;
// res is its result, which src may fill as it goes.
func (db *DB) load(ctx context.Context, spec *kindSpec, res *ImportResult, src batchSource, rows int64, opts ImportOptions) (*ImportResult, error) {
	kind := spec.kind
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	batches, free, parseErr := src(ctx)

	w, err := db.openWriter(ctx, spec, rows, opts)
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
			if writeErr == nil && w.due(len(batches) == 0) {
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
		// Rejected rows found while writing (checkSources).
		writeErr = db.invalidWhileWriting(&InvalidInputError{Rows: res.Rejected, Total: res.Total, Files: res.unusable})
	}
	if writeErr == nil {
		if writeErr = w.commit(ctx); writeErr == nil {
			committed++
		}
	}
	w.rollback()
	if committed > 0 || writeErr == nil {
		// Even after a failure, the committed batches are settled (their
		// chat turns rebuilt) and their shops changed.
		if !db.crashBeforeSettle {
			if err := w.settle(context.WithoutCancel(ctx)); err != nil && writeErr == nil {
				writeErr = err
			}
		}
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

// parseAsync runs the feed in its own goroutine: it sends the batches on
// the first channel, which it closes when done, takes used ones back on
// the second, and reports its error on the third. A panic while reading
// becomes an ErrInternal error: it would otherwise take the whole process
// down, the inbox watcher of serve with it, on every restart.
func (db *DB) parseAsync(ctx context.Context, spec *kindSpec, f feed, res *ImportResult, opts ImportOptions, phase string) (<-chan *batch, chan *batch, <-chan error) {
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
		s := db.newSink(ctx, spec, res, opts.Shop, batches, free)
		if opts.Progress != nil {
			s.progress = func(rows int) {
				opts.Progress(Progress{Phase: phase, Rows: rows, Bytes: s.read, Size: f.size})
			}
		}
		err = f.each(s)
	}()
	return batches, free, parseErr
}

func (r *ImportResult) reject(e RowError) {
	r.Total++
	if len(r.Rejected) < maxRowErrors {
		r.Rejected = append(r.Rejected, e)
	}
}
