package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Config is the parsed configuration file (SPEC section 1).
type Config struct {
	AdminChannel   string
	Digest         DigestSchedule
	Evaluation     DailySchedule // when each shop's daily evaluation runs, shop-local
	Alerts         AlertPolicy
	CauseKeywords  map[Cause][]string // extra review keywords per cause
	ReasonKeywords map[Fault][]string // extra return-reason keywords per fault class
	Inbox          string             // folder watched for dropped CSV exports; "" for none
	Sync           SyncSettings       // the TikTok Shop sync

	shops shopSet
}

// SyncSettings tune the TikTok Shop sync (SPEC section 7). A zero field
// means the sync's default.
type SyncSettings struct {
	Every    time.Duration // how often every authorized shop is synced
	Overlap  time.Duration // how far before its cursor a sync starts
	Backfill time.Duration // how far back a shop's first sync reaches
}

// Shop is one watched TikTok shop.
type Shop struct {
	ID       string
	Name     string
	Timezone string
	Location *time.Location
	Profile  Profile // with the shop's threshold overrides applied
	Channel  string
	Holidays []Period
}

// Period is an inclusive span of local dates.
type Period struct{ From, To Day }

// DigestSchedule is when the weekly digest goes out, in each shop's zone.
type DigestSchedule struct {
	Weekday time.Weekday
	Hour    int
	Minute  int
}

// DailySchedule is a time of day, in each shop's zone.
type DailySchedule struct {
	Hour   int
	Minute int
}

// Shop returns the shop with the given TikTok shop id.
func (c *Config) Shop(id string) (*Shop, bool) { return c.shops.get(id) }

// Shops returns every shop, in the file's order. The caller must not
// modify the list.
func (c *Config) Shops() []*Shop { return c.shops.all() }

// DecodedShops is how many shops are decoded: every shop of a parsed
// config, or of an image once Shops was called; else those of an image
// looked up so far. For tests and diagnostics.
func (c *Config) DecodedShops() int {
	c.shops.mu.Lock()
	defer c.shops.mu.Unlock()
	if c.shops.img == nil {
		return len(c.shops.list)
	}
	return len(c.shops.byID)
}

// OnHoliday reports whether d is in one of the shop's chat holiday periods.
func (s *Shop) OnHoliday(d Day) bool {
	for _, p := range s.Holidays {
		if d >= p.From && d <= p.To {
			return true
		}
	}
	return false
}

// Window returns the shop's metric window for local date day.
func (s *Shop) Window(day Day) Window {
	return NewWindow(day, s.Profile.WindowDays, s.Location)
}

// ParseConfig parses and validates a configuration file. Unknown keys are
// errors that name the key and its line.
func ParseConfig(data []byte) (*Config, error) {
	var raw rawConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("config is empty: want a shops list")
		}
		// yaml cuts long values in its messages at a byte count, which
		// may split a character.
		msg := strings.ToValidUTF8(strings.TrimPrefix(err.Error(), "yaml: "), "")
		msg = unknownField().ReplaceAllString(msg, `line $1: unknown key "$2"`)
		if !lineNumber().MatchString(msg) {
			msg = fmt.Sprintf("line %d: %s", yamlErrorLine(data, msg), msg)
		}
		return nil, errors.New(msg)
	}
	// The node tree is only for the line numbers of errors: it is parsed
	// again, and only, when there is an error to place.
	var root *yaml.Node
	tree := func() *yaml.Node {
		if root == nil {
			root = new(yaml.Node)
			_ = yaml.Unmarshal(data, root) // already parsed once without error
		}
		return root
	}
	// at prefixes the error of a top-level section with its line.
	at := func(key string, err error) error {
		return fmt.Errorf("line %d: %s: %w", keyLine(tree(), key), key, err)
	}

	c := &Config{AdminChannel: raw.AdminChannel}
	c.Digest = DigestSchedule{Weekday: time.Monday, Hour: 9}
	if raw.Digest != nil {
		d, err := parseDigest(*raw.Digest)
		if err != nil {
			return nil, at("digest", err)
		}
		c.Digest = d
	}
	c.Evaluation = DailySchedule{Hour: 7}
	if raw.Evaluation != nil && raw.Evaluation.Time != "" {
		h, m, err := parseClock(raw.Evaluation.Time)
		if err != nil {
			return nil, at("evaluation", err)
		}
		c.Evaluation = DailySchedule{Hour: h, Minute: m}
	}
	c.Alerts = DefaultAlertPolicy()
	if a := raw.Alerts; a != nil {
		if a.RepeatEvery != nil {
			c.Alerts.RepeatEvery = int(*a.RepeatEvery)
		}
		if a.Hysteresis != nil {
			c.Alerts.Hysteresis = a.Hysteresis.v
		}
		if a.StaleDays != nil {
			c.Alerts.StaleDays = int(*a.StaleDays)
		}
		if a.RemindAfter != nil {
			c.Alerts.RemindAfter = time.Duration(*a.RemindAfter)
		}
		if err := c.Alerts.Validate(); err != nil {
			return nil, at("alerts", err)
		}
	}
	c.Inbox = strings.TrimSpace(raw.Inbox)
	if raw.Sync != nil {
		ss, err := parseSync(*raw.Sync)
		if err != nil {
			return nil, at("sync", err)
		}
		c.Sync = ss
	}
	if len(raw.Shops) == 0 {
		if keyLine(tree(), "shops") == 0 {
			return nil, errors.New("shops: no shops list: add one with at least one shop")
		}
		return nil, at("shops", errors.New("the list is empty: add at least one shop"))
	}
	// shopLine is the line of the i-th shop of the list, 0 when unknown.
	shopLine := func(i int) int {
		if lines := sequenceLines(tree(), "shops"); i < len(lines) {
			return lines[i]
		}
		return 0
	}
	// Shops mostly share a few zones: each is loaded from the system once.
	zones := make(map[string]*time.Location)
	for i, rs := range raw.Shops {
		s, err := parseShop(rs, zones)
		if err != nil {
			return nil, fmt.Errorf("line %d: shop %d (%s): %w", shopLine(i), i+1, rs.ID, err)
		}
		if !c.shops.add(s) {
			return nil, fmt.Errorf("line %d: shop id %q is listed twice", shopLine(i), s.ID)
		}
	}
	var err error
	if c.CauseKeywords, err = parseKeywords(raw.CauseKeywords, ParseCause); err != nil {
		return nil, at("cause_keywords", err)
	}
	if c.ReasonKeywords, err = parseKeywords(raw.ReasonKeywords, ParseFault); err != nil {
		return nil, at("reason_keywords", err)
	}
	return c, nil
}

// parseShop validates one shop of the list. zones caches the time zones
// loaded so far, by name.
func parseShop(rs rawShop, zones map[string]*time.Location) (*Shop, error) {
	if strings.TrimSpace(rs.ID) == "" {
		return nil, errors.New("id is required")
	}
	if rs.ID != strings.TrimSpace(rs.ID) || strings.ContainsFunc(rs.ID, unicode.IsControl) {
		// Imported rows' shop ids are trimmed: such an id would match none.
		return nil, fmt.Errorf("id %q: no spaces around it or control characters in it", rs.ID)
	}
	if rs.Timezone == "" {
		return nil, errors.New("timezone is required (an IANA name like Asia/Bangkok)")
	}
	loc, ok := zones[rs.Timezone]
	if !ok {
		var err error
		if loc, err = time.LoadLocation(rs.Timezone); err != nil {
			return nil, fmt.Errorf("timezone %q: not an IANA time zone name", rs.Timezone)
		}
		zones[rs.Timezone] = loc
	}
	profile := rs.Profile
	if profile == "" {
		profile = "default"
	}
	p, err := LookupProfile(profile)
	if err != nil {
		return nil, err
	}
	for name, t := range rs.Thresholds {
		m, err := ParseMetric(name)
		if err != nil || m == ChatAvgResponseHours {
			return nil, fmt.Errorf("thresholds: %q is not a metric with thresholds", name)
		}
		cur, ok := p.Thresholds[m]
		if !ok && (t.Warn == nil || t.Critical == nil) {
			return nil, fmt.Errorf("thresholds: %s has no profile thresholds: give both warn and critical", m)
		}
		if t.Warn != nil {
			cur.Warn = t.Warn.v
		}
		if t.Critical != nil {
			cur.Critical = t.Critical.v
		}
		if m.Worse(cur.Warn, cur.Critical) {
			return nil, fmt.Errorf("thresholds: %s warn %g is past critical %g", m, cur.Warn, cur.Critical)
		}
		p.Thresholds[m] = cur
	}
	s := &Shop{ID: rs.ID, Name: rs.Name, Timezone: rs.Timezone, Location: loc, Profile: p, Channel: rs.Channel}
	if s.Name == "" {
		s.Name = s.ID
	}
	for _, h := range rs.Holidays {
		if h.From == nil || h.To == nil {
			return nil, errors.New("holidays: each period needs from and to")
		}
		if h.To.d < h.From.d {
			return nil, fmt.Errorf("line %d: holidays: to %s is before from %s", h.To.line, h.To.d, h.From.d)
		}
		s.Holidays = append(s.Holidays, Period{From: h.From.d, To: h.To.d})
	}
	return s, nil
}

func parseDigest(r rawDigest) (DigestSchedule, error) {
	d := DigestSchedule{Weekday: time.Monday, Hour: 9}
	if r.Weekday != "" {
		found := false
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			if strings.EqualFold(wd.String(), r.Weekday) {
				d.Weekday, found = wd, true
			}
		}
		if !found {
			return d, fmt.Errorf("weekday %q: want monday .. sunday", r.Weekday)
		}
	}
	if r.Time != "" {
		h, m, err := parseClock(r.Time)
		if err != nil {
			return d, err
		}
		d.Hour, d.Minute = h, m
	}
	return d, nil
}

// parseSync checks the sync settings.
func parseSync(r rawSync) (SyncSettings, error) {
	var s SyncSettings
	if r.Every != nil {
		if s.Every = time.Duration(*r.Every); s.Every < time.Minute {
			return s, fmt.Errorf("every %v: want at least 1m", s.Every)
		}
	}
	if r.Overlap != nil {
		s.Overlap = time.Duration(*r.Overlap)
	}
	if r.Backfill != nil {
		if s.Backfill = time.Duration(*r.Backfill); s.Backfill < time.Hour || s.Backfill > 366*24*time.Hour {
			return s, fmt.Errorf("backfill %v: want 1h to 366d", s.Backfill)
		}
	}
	return s, nil
}

// parseClock parses a time of day, "09:00".
func parseClock(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	return t.Hour(), t.Minute(), nil
}

func parseKeywords[K comparable](raw map[string][]string, parse func(string) (K, error)) (map[K][]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	out := make(map[K][]string, len(raw))
	for name, words := range raw {
		k, err := parse(name)
		if err != nil {
			return nil, err
		}
		for _, w := range words {
			if strings.TrimSpace(w) == "" {
				return nil, fmt.Errorf("%s: empty keyword", name)
			}
		}
		out[k] = append(out[k], words...)
	}
	return out, nil
}
