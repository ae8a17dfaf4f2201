package main

import (
	"bytes"
	"encoding/json"

	"github.com/shopwatch/shopwatch/rules"
)

// The SPEC section 5 JSON shape of `metrics --json` (and of the result in
// `breakdown --json`): a DTO at the edge, so that rules.Result marshals
// plainly and round-trips (the outbox keeps it in messages).

// specResult marshals a result in the SPEC shape.
type specResult rules.Result

// specReport marshals a report in the SPEC shape.
type specReport rules.Report

// resultJSON is the wire form of a result (SPEC section 5).
type resultJSON struct {
	Value       *float64    `json:"value"`
	Numerator   *int        `json:"numerator,omitempty"`
	Denominator *int        `json:"denominator,omitempty"`
	Pending     *int        `json:"pending,omitempty"`
	Count       *int        `json:"count,omitempty"`
	WindowDays  int         `json:"window_days"`
	TargetHours float64     `json:"target_hours,omitempty"`
	Level       rules.Level `json:"level"`
	Warn        *float64    `json:"warn"`
	Critical    *float64    `json:"critical"`
	Headroom    *int        `json:"headroom"`
	RecoversOn  *rules.Day  `json:"recovers_on"`
	// Added to SPEC section 5's shape: the level of the figures when level
	// is stale or no_data, and the record kinds at fault.
	ComputedLevel rules.Level `json:"computed_level,omitempty"`
	StaleInputs   []string    `json:"stale_inputs,omitempty"`
}

// inputJSON is the wire form of a rules.Input.
type inputJSON struct {
	State      rules.Freshness `json:"state"`
	LastRecord *rules.Day      `json:"last_record"`
}

// MarshalJSON writes the result as in `shopwatch metrics --json`.
func (r specResult) MarshalJSON() ([]byte, error) {
	j := resultJSON{WindowDays: r.WindowDays, TargetHours: r.TargetHours, Level: r.Level, Headroom: r.Headroom, RecoversOn: r.RecoversOn}
	if r.Valid {
		v := r.Value // full precision: numerator/denominator exactly as computed
		j.Value = &v
	}
	if r.Metric == rules.ChatAvgResponseHours {
		j.Count = &r.Count
	} else {
		j.Numerator, j.Denominator = &r.Numerator, &r.Denominator
	}
	if r.Metric == rules.ChatResponseRate {
		j.Pending = &r.Pending
	}
	if r.Thresholds != nil {
		j.Warn, j.Critical = &r.Thresholds.Warn, &r.Thresholds.Critical
	}
	j.ComputedLevel = r.Computed
	for _, in := range r.Gaps {
		j.StaleInputs = append(j.StaleInputs, in.Kind)
	}
	return json.Marshal(j)
}

// MarshalJSON writes the report as in `shopwatch metrics --json`, with the
// metrics in report order.
func (r specReport) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	head, err := json.Marshal(struct {
		ShopID  string    `json:"shop_id"`
		Date    rules.Day `json:"date"`
		Profile string    `json:"profile"`
	}{r.ShopID, r.Date, r.Profile})
	if err != nil {
		return nil, err
	}
	b.Write(head[:len(head)-1])
	b.WriteString(`,"metrics":{`)
	first := true
	for _, m := range rules.Metrics {
		res, ok := r.Results[m]
		if !ok {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(string(m))
		b.Write(name)
		b.WriteByte(':')
		v, err := specResult(res).MarshalJSON()
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	if r.Inputs != nil {
		b.WriteString(`,"inputs":{`)
		for i, in := range r.Inputs {
			if i > 0 {
				b.WriteByte(',')
			}
			j := inputJSON{State: in.State}
			if in.Has {
				j.LastRecord = &in.Last
			}
			v, err := json.Marshal(j)
			if err != nil {
				return nil, err
			}
			name, _ := json.Marshal(in.Kind)
			b.Write(name)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
