// Package promtext serves a process's metrics at GET /metrics in
// Prometheus's text exposition format (version 0.0.4), which every
// Prometheus server and agent scrapes.
//
// shopwatch has a dozen counters and gauges, and the store-backed ones are
// read at each scrape. The Prometheus client library did this before, but
// its package initialisation (runtime/metrics, procfs, protobuf) cost
// every shopwatch process about 3 ms at start-up, short commands included,
// which never serve /metrics. This package has no initialisation and no
// dependencies. Its output is checked with Prometheus's own parser
// (github.com/prometheus/common/expfmt, in the tests only).
package promtext

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The metric types a family may have.
const (
	Counter = "counter"
	Gauge   = "gauge"
)

// A Family is one metric and its samples.
type Family struct {
	Name, Help, Type string
	Samples          []Sample
}

// A Sample is one series of a family: its labels and its value.
type Sample struct {
	Labels []Label
	Value  float64
}

// A Label is one label of a sample.
type Label struct{ Name, Value string }

// Add appends a sample with labels given as name, value pairs.
func (f *Family) Add(value float64, labels ...string) {
	s := Sample{Value: value}
	for i := 0; i+1 < len(labels); i += 2 {
		s.Labels = append(s.Labels, Label{labels[i], labels[i+1]})
	}
	f.Samples = append(f.Samples, s)
}

// A Collector reports its families at each scrape. A collector that
// fails reports an error, and the scrape leaves all its families out.
type Collector interface {
	Collect() ([]Family, error)
}

// Registry is the set of collectors that one /metrics serves.
type Registry struct {
	mu sync.Mutex
	cs []Collector
}

// Register adds c.
func (r *Registry) Register(c Collector) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cs = append(r.cs, c)
}

// Gather collects every family, sorted by name, with samples sorted by
// their labels; the error joins the failures of collectors, whose families
// are left out, and of families named twice, whose later copies are.
func (r *Registry) Gather() ([]Family, error) {
	r.mu.Lock()
	cs := slices.Clone(r.cs)
	r.mu.Unlock()
	var fams []Family
	var errs []error
	for _, c := range cs {
		fs, err := c.Collect()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fams = append(fams, fs...)
	}
	slices.SortStableFunc(fams, func(a, b Family) int { return strings.Compare(a.Name, b.Name) })
	fams = slices.CompactFunc(fams, func(a, b Family) bool {
		if a.Name == b.Name {
			errs = append(errs, fmt.Errorf("metric %s reported twice", a.Name))
			return true
		}
		return false
	})
	for i := range fams {
		f := &fams[i]
		for j := range f.Samples {
			slices.SortFunc(f.Samples[j].Labels, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
		}
		slices.SortStableFunc(f.Samples, func(a, b Sample) int {
			return slices.CompareFunc(a.Labels, b.Labels, func(x, y Label) int {
				return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.Value, y.Value))
			})
		})
	}
	return fams, errors.Join(errs...)
}

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves r's families. A scrape with failed collectors serves
// the rest, and logs the failures to log.
func (r *Registry) Handler(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fams, err := r.Gather()
		if err != nil {
			log.Warn("metrics: left out of the scrape", "err", err)
		}
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		w.Write(Append(nil, fams))
	})
}

// Append appends fams in the text exposition format to b. Families
// without samples are left out, as the Prometheus client leaves them.
func Append(b []byte, fams []Family) []byte {
	for _, f := range fams {
		if len(f.Samples) == 0 {
			continue
		}
		if f.Help != "" {
			b = append(b, "# HELP "...)
			b = append(b, f.Name...)
			b = append(b, ' ')
			b = escape(b, f.Help, false)
			b = append(b, '\n')
		}
		b = append(b, "# TYPE "...)
		b = append(b, f.Name...)
		b = append(b, ' ')
		b = append(b, cmp.Or(f.Type, "untyped")...)
		b = append(b, '\n')
		for _, s := range f.Samples {
			b = append(b, f.Name...)
			if len(s.Labels) > 0 {
				b = append(b, '{')
				for i, l := range s.Labels {
					if i > 0 {
						b = append(b, ',')
					}
					b = append(b, l.Name...)
					b = append(b, `="`...)
					b = escape(b, l.Value, true)
					b = append(b, '"')
				}
				b = append(b, '}')
			}
			b = append(b, ' ')
			b = appendFloat(b, s.Value)
			b = append(b, '\n')
		}
	}
	return b
}

// escape appends s with backslashes and line feeds escaped, and double
// quotes too in a label value.
func escape(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
