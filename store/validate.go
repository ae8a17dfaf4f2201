package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// validate checks the CSV files (see check) and returns the sources rewound for the load: a source that can
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

	if err := db.check(ctx, spec, db.csvFeed(spec, read, opts.Shop), opts); err != nil {
		return nil, nil, err
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
