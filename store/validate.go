package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// validate reads every source once without writing anything and returns
// an *InvalidInputError when a row is invalid (with opts.SkipInvalid, only when
// a file is unusable as a whole, as an empty one): an import that commits in
// batches (chunk.go) must know before its first commit that it may write
// at all. It returns the sources rewound for the load: a source that can
// seek is read again from where it started; any other (a pipe, standard
// input) is copied to a temporary file while it is validated, and cleanup
// removes the copies.
func (db *DB) validate(ctx context.Context, spec *kindSpec, sources []Source, opts ImportOptions) (rewound []Source, cleanup func(), err error) {
	var spools []*os.File
	remove := func() {
		for _, f := range spools {
			f.Close()
			os.Remove(f.Name())
		}
	}
	defer func() {
		if err != nil {
			remove()
		}
	}()
	type rewind struct {
		seeker io.Seeker
		at     int64
		spool  *os.File
		w      *bufio.Writer
	}
	rewinds := make([]rewind, len(sources))
	read := make([]Source, len(sources))
	for i, src := range sources {
		read[i] = src
		if s, ok := src.R.(io.Seeker); ok {
			if at, err := s.Seek(0, io.SeekCurrent); err == nil {
				rewinds[i] = rewind{seeker: s, at: at}
				continue
			}
		}
		f, err := os.CreateTemp("", "shopwatch-import-*.csv")
		if err != nil {
			return nil, nil, fmt.Errorf("%s: copy for the import: %w", src.Name, err)
		}
		spools = append(spools, f)
		w := bufio.NewWriterSize(f, 1<<20)
		rewinds[i] = rewind{spool: f, w: w}
		read[i].R = io.TeeReader(src.R, w)
	}

	res := &ImportResult{Kind: spec.kind, Files: make([]FileStats, len(sources)), touched: map[int64]bool{}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches, free, parseErr := db.parseAsync(ctx, spec, read, res, opts.Shop)
	for b := range batches { // nothing is written: the batches go back
		b.reset()
		select {
		case free <- b:
		default:
		}
	}
	if err := <-parseErr; err != nil {
		return nil, nil, err
	}
	if res.Total > 0 && (!opts.SkipInvalid || res.unusable > 0) {
		return nil, nil, &InvalidInputError{Rows: res.Rejected, Total: res.Total, Files: res.unusable}
	}

	rewound = make([]Source, len(sources))
	for i, src := range sources {
		r := rewinds[i]
		rewound[i] = src
		if r.seeker != nil {
			if _, err := r.seeker.Seek(r.at, io.SeekStart); err != nil {
				return nil, nil, fmt.Errorf("%s: rewind: %w", src.Name, err)
			}
			continue
		}
		if err := r.w.Flush(); err != nil {
			return nil, nil, fmt.Errorf("%s: copy for the import: %w", src.Name, err)
		}
		if _, err := r.spool.Seek(0, io.SeekStart); err != nil {
			return nil, nil, fmt.Errorf("%s: copy for the import: %w", src.Name, err)
		}
		rewound[i].R = r.spool
	}
	return rewound, remove, nil
}

// errChangedDuringImport is returned when a file that was valid when it
// was checked has invalid rows when it is loaded.
var errChangedDuringImport = errors.New("the file changed while it was imported")
