package rules

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// A config image is a parsed and validated Config in a compact binary form,
// read back in a fraction of the time the YAML takes to parse (a 1,000-shop
// file takes longer to parse than the question a short command asks).
// Shops that share a profile (with the same overrides) share it in the
// image too, and after reading: profiles are never modified once parsed.
// An image holds no time zones, only their names: they are loaded again
// when it is read, so a zone the system no longer knows fails the read.
//
// Every field of the Config is written: TestConfigImageFields fails when a
// field is added to one of its types and not here.

// configImageVersion starts every image; bump it when the layout changes.
const configImageVersion = 1

// MarshalBinary encodes c as a config image (UnmarshalConfig reads it).
func (c *Config) MarshalBinary() ([]byte, error) {
	w := &imageWriter{}
	w.uint(configImageVersion)
	w.str(c.AdminChannel)
	w.uint(uint64(c.Digest.Weekday))
	w.int(c.Digest.Hour)
	w.int(c.Digest.Minute)
	w.int(c.Evaluation.Hour)
	w.int(c.Evaluation.Minute)
	w.float(c.Alerts.Hysteresis)
	w.int(c.Alerts.RepeatEvery)
	w.int(c.Alerts.StaleDays)
	w.int(int(c.Alerts.RemindAfter))
	writeKeywords(w, c.CauseKeywords)
	writeKeywords(w, c.ReasonKeywords)
	w.str(c.Inbox)
	w.int(int(c.Sync.Every))
	w.int(int(c.Sync.Overlap))
	w.int(int(c.Sync.Backfill))

	// Profiles, each once, then the shops naming theirs by index.
	var profiles []Profile
	shops := c.Shops()
	index := make([]int, len(shops))
	for i, s := range shops {
		j := slices.IndexFunc(profiles, func(p Profile) bool { return sameProfile(p, s.Profile) })
		if j < 0 {
			j = len(profiles)
			profiles = append(profiles, s.Profile)
		}
		index[i] = j
	}
	w.int(len(profiles))
	for _, p := range profiles {
		w.str(p.Name)
		w.int(p.WindowDays)
		w.int(len(p.Thresholds))
		for _, m := range Metrics { // a fixed order: equal configs make equal images
			if t, ok := p.Thresholds[m]; ok {
				w.str(string(m))
				w.float(t.Warn)
				w.float(t.Critical)
			}
		}
		w.int(len(p.SFRRFaults))
		for _, f := range p.SFRRFaults {
			w.uint(uint64(f))
		}
		w.str(string(p.SFRRDenominator))
		w.float(p.ChatTargetHours)
		w.int(p.MinDelivered)
		w.int(p.MinTurns)
	}
	w.int(len(shops))
	for i, s := range shops {
		w.str(s.ID)
		w.str(s.Name)
		w.str(s.Timezone)
		w.str(s.Channel)
		w.int(index[i])
		w.int(len(s.Holidays))
		for _, h := range s.Holidays {
			w.int(int(h.From))
			w.int(int(h.To))
		}
	}
	return w.b, nil
}

// sameProfile reports whether a and b are equal.
func sameProfile(a, b Profile) bool {
	if a.Name != b.Name || a.WindowDays != b.WindowDays || a.SFRRDenominator != b.SFRRDenominator ||
		a.ChatTargetHours != b.ChatTargetHours || a.MinDelivered != b.MinDelivered || a.MinTurns != b.MinTurns ||
		!slices.Equal(a.SFRRFaults, b.SFRRFaults) || len(a.Thresholds) != len(b.Thresholds) {
		return false
	}
	for m, t := range a.Thresholds {
		if u, ok := b.Thresholds[m]; !ok || u != t {
			return false
		}
	}
	return true
}

func writeKeywords[K ~uint8](w *imageWriter, kw map[K][]string) {
	if kw == nil {
		w.int(-1)
		return
	}
	keys := make([]K, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.int(len(keys))
	for _, k := range keys {
		w.uint(uint64(k))
		w.int(len(kw[k]))
		for _, s := range kw[k] {
			w.str(s)
		}
	}
}

// UnmarshalConfig reads a config image made by Config.MarshalBinary. It
// trusts the image to have been validated when it was made, by this same
// build (the caller's business): it checks only that the image is whole,
// and loads the shops' time zones again. The shops are decoded as they are
// looked up (shopSet).
func UnmarshalConfig(data []byte) (cfg *Config, err error) {
	r := &imageReader{s: string(data)}
	if v := r.uint(); v != configImageVersion {
		return nil, fmt.Errorf("config image: version %d, want %d", v, configImageVersion)
	}
	c := &Config{AdminChannel: r.str()}
	c.Digest = DigestSchedule{Weekday: time.Weekday(r.uint()), Hour: r.int(), Minute: r.int()}
	c.Evaluation = DailySchedule{Hour: r.int(), Minute: r.int()}
	c.Alerts = AlertPolicy{Hysteresis: r.float(), RepeatEvery: r.int(), StaleDays: r.int(), RemindAfter: time.Duration(r.int())}
	c.CauseKeywords = readKeywords[Cause](r)
	c.ReasonKeywords = readKeywords[Fault](r)
	c.Inbox = r.str()
	c.Sync = SyncSettings{Every: time.Duration(r.int()), Overlap: time.Duration(r.int()), Backfill: time.Duration(r.int())}

	profiles := make([]Profile, r.count())
	for i := range profiles {
		p := Profile{Name: r.str(), WindowDays: r.int()}
		n := r.count()
		p.Thresholds = make(map[Metric]Thresholds, n)
		for range n {
			p.Thresholds[Metric(r.str())] = Thresholds{Warn: r.float(), Critical: r.float()}
		}
		p.SFRRFaults = make([]Fault, r.count())
		for j := range p.SFRRFaults {
			p.SFRRFaults[j] = Fault(r.uint())
		}
		p.SFRRDenominator = Denominator(r.str())
		p.ChatTargetHours = r.float()
		p.MinDelivered = r.int()
		p.MinTurns = r.int()
		profiles[i] = p
	}
	n := r.count()
	if r.err == nil && n == 0 {
		r.err = errors.New("no shops")
	}
	// The records are checked whole, and their zones loaded (each once),
	// without decoding them.
	img := &shopImage{records: r.s, n: n, profiles: profiles, zones: make(map[string]*time.Location)}
	for range n {
		id, zone := skipRecord(r, len(profiles))
		if r.err != nil {
			break
		}
		if _, ok := img.zones[zone]; !ok {
			if img.zones[zone], err = time.LoadLocation(zone); err != nil {
				return nil, fmt.Errorf("config image: shop %s: timezone %q: %w", id, zone, err)
			}
		}
	}
	if r.err == nil && len(r.s) > 0 {
		r.err = fmt.Errorf("%d bytes left over", len(r.s))
	}
	if r.err != nil {
		return nil, fmt.Errorf("config image: %w", r.err)
	}
	c.shops.img = img
	return c, nil
}

func readKeywords[K ~uint8](r *imageReader) map[K][]string {
	n := r.int()
	if n < 0 || r.err != nil {
		return nil // -1: no keywords section
	}
	if n > len(r.s) {
		r.fail("length")
		return nil
	}
	kw := make(map[K][]string, n)
	for range n {
		k := K(r.uint())
		words := make([]string, r.count())
		for i := range words {
			words[i] = r.str()
		}
		kw[k] = words
	}
	return kw
}

// imageWriter appends varints, floats and length-prefixed strings.
type imageWriter struct{ b []byte }

func (w *imageWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *imageWriter) int(v int)     { w.b = binary.AppendVarint(w.b, int64(v)) }
func (w *imageWriter) float(v float64) {
	w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(v))
}
func (w *imageWriter) str(s string) {
	w.uint(uint64(len(s)))
	w.b = append(w.b, s...)
}

// imageReader reads what imageWriter wrote, from a string: the strings it
// returns are cut from it, not each allocated. After the first error every
// read returns a zero value and err keeps that error.
type imageReader struct {
	s   string // what is left to read
	err error
}

func (r *imageReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("truncated or corrupt at a %s", what)
	}
	r.s = ""
}

// head is the next bytes of the image, at most n: encoding/binary reads
// numbers from them (a copy of at most 10 bytes, on the stack).
func (r *imageReader) head(n int) []byte { return []byte(r.s[:min(n, len(r.s))]) }

func (r *imageReader) uint() uint64 {
	v, n := binary.Uvarint(r.head(binary.MaxVarintLen64))
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.s = r.s[n:]
	return v
}

func (r *imageReader) int() int {
	v, n := binary.Varint(r.head(binary.MaxVarintLen64))
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.s = r.s[n:]
	return int(v)
}

// count reads a length, which cannot be more than the bytes left.
func (r *imageReader) count() int {
	n := r.int()
	if n < 0 || n > len(r.s) {
		r.fail("length")
		return 0
	}
	return n
}

func (r *imageReader) float() float64 {
	if len(r.s) < 8 {
		r.fail("float")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.head(8)))
	r.s = r.s[8:]
	return v
}

func (r *imageReader) str() string {
	n := r.uint()
	if n > uint64(len(r.s)) {
		r.fail("string")
		return ""
	}
	v := r.s[:n]
	r.s = r.s[n:]
	return v
}
