// Package inbox imports the CSV files dropped into a folder (the config's
// `inbox: DIR`), such as Seller Center review exports, which have no API.
//
// A file is taken once it is stable: its size and modification time are
// the same as at the previous scan, and it has not changed for
// Options.Settle. A writer that pauses longer than that can still be caught
// half-way, so writers should write NAME.csv.part (or .NAME.csv) and rename
// it to NAME.csv when done: such names are never taken. The record kind is
// recognised from the header (store.KindOfHeader), in SPEC's layout or in
// that of Seller Center's exports, which name no shop: a configured shop id
// in the file's name says whose it is (the only shop when the config has
// one, see store.ImportOptions.Shop). The file is imported
// all or nothing, like `shopwatch import`. It is then moved to DIR/done/,
// or, when a row is invalid, the kind is not recognised or the import hit
// a bug, to DIR/failed/ beside a NAME.error.txt report naming the rows. A
// file that changed while it was being imported, or whose import failed for
// another reason (the database was busy, say), stays where it is and is
// tried again once it is stable again.
//
// Only *.csv files (any case) are looked at; names ending in .part or
// starting with "." or "~" (temporary files of editors and copy tools) are
// not. A name too long to take ".error.txt" is shortened (with a hash of
// the whole name) when the file is moved.
package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/store"
)

// Defaults of Options.
const (
	DefaultSettle = 5 * time.Second
	DefaultEvery  = 10 * time.Second
)

// Importer is what the inbox needs of the store.
type Importer interface {
	Import(ctx context.Context, kind store.Kind, sources []store.Source, opts store.ImportOptions) (*store.ImportResult, error)
}

var _ Importer = (*store.DB)(nil)

// Options configure a Watcher. Dir and DB are required.
type Options struct {
	Dir    string
	DB     Importer
	Logger *slog.Logger
	Clock  clockwork.Clock // default: the real clock
	// Settle is how long a file must be unchanged before it is taken (on
	// top of being unchanged since the previous scan); default 5 s.
	Settle time.Duration
	// Every is how often Run looks into the folder; default 10 s.
	Every time.Duration
}

func (o *Options) validate() error {
	if o.Dir == "" {
		return errors.New("inbox: Dir is required")
	}
	if o.DB == nil {
		return errors.New("inbox: DB is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Settle < 0 || o.Every < 0 {
		return errors.New("inbox: Settle and Every must not be negative")
	}
	if o.Settle == 0 {
		o.Settle = DefaultSettle
	}
	if o.Every == 0 {
		o.Every = DefaultEvery
	}
	return nil
}

// Watcher imports the files of an inbox folder.
type Watcher struct {
	opts Options
	log  *slog.Logger

	mu   sync.Mutex
	seen map[string]stat // what the previous scan saw, by name
}

// stat is what a scan saw of a file.
type stat struct {
	size int64
	mod  int64 // Unix nanoseconds
}

func statOf(info os.FileInfo) stat { return stat{info.Size(), info.ModTime().UnixNano()} }

// New returns a Watcher for opts, creating the folder and its done/ and
// failed/ subfolders if needed.
func New(opts Options) (*Watcher, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	for _, d := range []string{opts.Dir, filepath.Join(opts.Dir, "done"), filepath.Join(opts.Dir, "failed")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
	}
	return &Watcher{opts: opts, log: opts.Logger.With("component", "inbox", "dir", opts.Dir), seen: map[string]stat{}}, nil
}

// Settle is how long a file must be unchanged before it is taken.
func (w *Watcher) Settle() time.Duration { return w.opts.Settle }

// Result is what became of one file.
type Result struct {
	// File is the file's name in the inbox.
	File string
	Kind store.Kind
	// Rows and Imported count the data rows read and written.
	Rows, Imported int
	// MovedTo is the file's new path; "" when it stayed in the inbox to be
	// tried again.
	MovedTo string
	// Report is the path of the error report of a failed file.
	Report string
	// Err is why the file failed or stayed; nil when it was imported.
	Err error
}

// Failed reports whether the file was moved to failed/.
func (r Result) Failed() bool { return r.Report != "" }

// Run scans the folder every Options.Every until ctx is done.
func (w *Watcher) Run(ctx context.Context) error {
	t := w.opts.Clock.NewTicker(w.opts.Every)
	defer t.Stop()
	for {
		if _, err := w.Scan(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("inbox scan", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.Chan():
		}
	}
}

// Ignored reports whether the inbox leaves a file of this name alone: only
// *.csv files are taken, and not those being written (NAME.part) or hidden
// (".NAME", "~NAME").
func Ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") ||
		strings.HasSuffix(strings.ToLower(name), ".part") || !strings.EqualFold(filepath.Ext(name), ".csv")
}

// Scan imports every stable CSV file in the folder, oldest first, and
// returns what became of each. A file is stable when the previous scan saw
// it with the same size and modification time, and it has not changed for
// Options.Settle: a fresh Watcher's first scan only notes the files. The
// error is about reading the folder.
func (w *Watcher) Scan(ctx context.Context) ([]Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	entries, err := os.ReadDir(w.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	type candidate struct {
		name string
		info os.FileInfo
	}
	var files []candidate
	now := w.opts.Clock.Now()
	seen := make(map[string]stat, len(entries))
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || Ignored(name) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone meanwhile
		}
		st := statOf(info)
		seen[name] = st
		if prev, ok := w.seen[name]; !ok || prev != st || now.Sub(info.ModTime()) < w.opts.Settle {
			w.log.Debug("inbox file new or still changing: left for the next scan", "file", name)
			continue
		}
		files = append(files, candidate{name, info})
	}
	w.seen = seen
	slices.SortFunc(files, func(a, b candidate) int { return a.info.ModTime().Compare(b.info.ModTime()) })
	var out []Result
	for _, f := range files {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		r := w.takeSafely(ctx, f.name, f.info)
		delete(w.seen, f.name) // moved, or to be seen stable again
		switch {
		case r.Err == nil:
			w.log.Info("inbox file imported", "file", r.File, "kind", r.Kind, "rows", r.Rows)
		case r.Failed():
			w.log.Warn("inbox file failed", "file", r.File, "kind", r.Kind, "report", r.Report, "err", r.Err)
		default:
			w.log.Error("inbox file left for the next scan", "file", r.File, "err", r.Err)
		}
		out = append(out, r)
	}
	return out, nil
}

// errChanged marks a file that changed while it was read.
var errChanged = errors.New("the file changed while it was being imported: it is taken again once it settles")

// takeSafely is take, with a panic turned into a failed file: a file that
// crashed the process would crash it again on every restart.
func (w *Watcher) takeSafely(ctx context.Context, name string, before os.FileInfo) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			w.log.Error("inbox: panic while importing a file", "file", name, "panic", p, "stack", string(debug.Stack()))
			r = w.fail(Result{File: name, Kind: r.Kind}, fmt.Errorf("%w: %v", store.ErrInternal, p))
		}
	}()
	return w.take(ctx, name, before, &r)
}

// take imports one file and moves it. It keeps what it learns in *r as it
// goes, for takeSafely.
func (w *Watcher) take(ctx context.Context, name string, before os.FileInfo, r *Result) Result {
	path := filepath.Join(w.opts.Dir, name)
	r.File = name
	f, err := os.Open(path)
	if err != nil {
		r.Err = err
		return *r
	}
	defer f.Close()
	kind, err := kindOf(f)
	var res *store.ImportResult
	if err == nil {
		r.Kind = kind
		if _, err = f.Seek(0, io.SeekStart); err == nil {
			res, err = w.opts.DB.Import(ctx, kind, []store.Source{{Name: name, R: f}}, store.ImportOptions{})
		}
	}
	f.Close()
	if after, serr := os.Stat(path); serr != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		r.Err = errChanged
		return *r
	}
	var invalid *store.InvalidInputError
	var unknown *unknownKindError
	switch {
	case err == nil:
		for _, fs := range res.Files {
			r.Rows += fs.Rows
			r.Imported += fs.Imported
		}
		r.MovedTo, r.Err = w.move(path, "done")
		return *r
	case errors.As(err, &invalid), errors.As(err, &unknown), errors.Is(err, store.ErrInternal):
		return w.fail(*r, err)
	default:
		r.Err = err // the database, not the file: try again later
		return *r
	}
}

// fail moves r's file to failed/ and writes its report.
func (w *Watcher) fail(r Result, err error) Result {
	r.Err = err
	moved, merr := w.move(filepath.Join(w.opts.Dir, r.File), "failed")
	if merr != nil {
		r.Err = errors.Join(err, merr)
		return r
	}
	r.MovedTo = moved
	r.Report = moved + ".error.txt"
	if werr := os.WriteFile(r.Report, report(r.File, r.Kind, err), 0o644); werr != nil {
		r.Err = errors.Join(err, werr)
	}
	return r
}

// unknownKindError is a file whose header names no record kind.
type unknownKindError struct{ err error }

func (e *unknownKindError) Error() string { return e.err.Error() }
func (e *unknownKindError) Unwrap() error { return e.err }

// kindOf reads the header row of f.
func kindOf(f io.Reader) (store.Kind, error) {
	cr := csv.NewReader(io.LimitReader(f, store.MaxRowBytes+1)) // the import rejects a longer header
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return "", &unknownKindError{errors.New("the file is empty: want a header row")}
	}
	if err != nil {
		return "", &unknownKindError{fmt.Errorf("the header row is not CSV: %w", err)}
	}
	kind, err := store.KindOfHeader(header)
	if err != nil {
		return "", &unknownKindError{err}
	}
	return kind, nil
}

// maxName is the longest name move gives a file: room is left for a
// "-NNN" suffix and ".error.txt" within the 255 bytes most file systems
// allow.
const maxName = 255 - len("-999999") - len(".error.txt")

// shortName returns name, or when it is longer than maxName, its start, a
// hash of the whole name (so that two long names sharing a start do not
// collide) and its extension.
func shortName(name string) string {
	if len(name) <= maxName {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	sum := sha256.Sum256([]byte(name))
	tag := "-" + hex.EncodeToString(sum[:6])
	stem := name[:maxName-len(tag)-len(ext)]
	for len(stem) > 0 && !utf8.ValidString(stem) {
		stem = stem[:len(stem)-1] // do not cut a character in two
	}
	return stem + tag + ext
}

// move moves path into the folder's subfolder sub, under a name not yet
// taken there, and returns the new path.
func (w *Watcher) move(path, sub string) (string, error) {
	name := shortName(filepath.Base(path))
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 1; ; i++ {
		dest := filepath.Join(w.opts.Dir, sub, name)
		if i > 1 {
			dest = filepath.Join(w.opts.Dir, sub, fmt.Sprintf("%s-%d%s", stem, i, ext))
		}
		if _, err := os.Lstat(dest); err == nil {
			continue
		}
		if err := os.Rename(path, dest); err != nil {
			return "", fmt.Errorf("move to %s/: %w", sub, err)
		}
		return dest, nil
	}
}

// report is the text of a failed file's NAME.error.txt.
func report(name string, kind store.Kind, err error) []byte {
	var b strings.Builder
	var invalid *store.InvalidInputError
	if errors.As(err, &invalid) {
		if invalid.Files > 0 {
			fmt.Fprintf(&b, "shopwatch could not import %s (%s): its header row is unusable, so nothing from the file was imported.\n\n", name, kind)
		} else {
			fmt.Fprintf(&b, "shopwatch could not import %s (%s): %d row(s) are invalid, so nothing from the file was imported.\n\n", name, kind, invalid.Total)
		}
		for _, r := range invalid.Rows {
			b.WriteString(r.Error())
			b.WriteByte('\n')
		}
		if more := invalid.Total - len(invalid.Rows); more > 0 {
			fmt.Fprintf(&b, "... and %d more\n", more)
		}
		b.WriteString("\nFix these rows and drop the file into the inbox again (rows imported before are simply replaced).\n")
		return []byte(b.String())
	}
	if errors.Is(err, store.ErrInternal) {
		fmt.Fprintf(&b, "shopwatch could not import %s: the import stopped on a bug in shopwatch (%v), so nothing from the file was imported.\n\n", name, err)
		b.WriteString("The file was set aside so that it is not tried again. Please report the bug with this file attached.\n")
		return []byte(b.String())
	}
	fmt.Fprintf(&b, "shopwatch could not import %s: %v.\n\n", name, err)
	b.WriteString("The inbox takes the CSV files of `shopwatch import`: orders, reviews, returns or chats, recognised by their header row (see SPEC section 2), and Seller Center's order, return/refund and review exports as downloaded.\n")
	return []byte(b.String())
}
