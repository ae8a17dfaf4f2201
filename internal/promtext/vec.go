package promtext

import (
	"maps"
	"sync"
)

// Vec is a counter or a gauge kept by the process, with one series per
// value of its one label, or a single series when it has no label. It is
// safe for concurrent use.
type Vec struct {
	name, help, typ, label string

	mu   sync.Mutex
	vals map[string]float64
}

// NewVec returns a Vec of type typ (Counter or Gauge). Without a label,
// its one series is reported from the start, at 0; with one, a series is
// reported once it is first added to or set.
func NewVec(typ, name, help, label string) *Vec {
	v := &Vec{name: name, help: help, typ: typ, label: label, vals: map[string]float64{}}
	if label == "" {
		v.vals[""] = 0
	}
	return v
}

// Add adds d to the series of the label value.
func (v *Vec) Add(value string, d float64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.vals[value] += d
}

// Set sets the series of the label value to x.
func (v *Vec) Set(value string, x float64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.vals[value] = x
}

// Values returns each series' value by its label value.
func (v *Vec) Values() map[string]float64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return maps.Clone(v.vals)
}

// Family returns the series as a family.
func (v *Vec) Family() Family {
	f := Family{Name: v.name, Help: v.help, Type: v.typ}
	for value, x := range v.Values() {
		if v.label == "" {
			f.Add(x)
		} else {
			f.Add(x, v.label, value)
		}
	}
	return f
}
