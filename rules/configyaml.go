package rules

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The configuration file as YAML: the raw shapes it decodes into, before
// ParseConfig validates them, the scalar types with their own syntax, and
// the line numbers errors name.

type rawConfig struct {
	Shops          []rawShop           `yaml:"shops"`
	AdminChannel   string              `yaml:"admin_channel"`
	Digest         *rawDigest          `yaml:"digest"`
	Evaluation     *rawEvaluation      `yaml:"evaluation"`
	Alerts         *rawAlerts          `yaml:"alerts"`
	CauseKeywords  map[string][]string `yaml:"cause_keywords"`
	ReasonKeywords map[string][]string `yaml:"reason_keywords"`
	Inbox          string              `yaml:"inbox"`
	Sync           *rawSync            `yaml:"sync"`
}

type rawSync struct {
	Every    *span `yaml:"every"`
	Overlap  *span `yaml:"overlap"`
	Backfill *span `yaml:"backfill"`
}

// span is a duration: Go's syntax ("15m", "1h30m") or whole days ("90d").
type span time.Duration

func (d *span) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	var v time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var k int
		k, err = strconv.Atoi(days)
		v = time.Duration(k) * 24 * time.Hour
	} else {
		v, err = time.ParseDuration(s)
	}
	if err != nil || n.Kind != yaml.ScalarNode || v < 0 {
		return fmt.Errorf("line %d: %q: want a duration like 15m, 2h or 90d", n.Line, n.Value)
	}
	*d = span(v)
	return nil
}

type rawShop struct {
	ID         string                   `yaml:"id"`
	Name       string                   `yaml:"name"`
	Timezone   string                   `yaml:"timezone"`
	Profile    string                   `yaml:"profile"`
	Channel    string                   `yaml:"channel"`
	Thresholds map[string]rawThresholds `yaml:"thresholds"`
	Holidays   []rawPeriod              `yaml:"holidays"`
}

type rawThresholds struct {
	Warn     *fraction `yaml:"warn"`
	Critical *fraction `yaml:"critical"`
}

type rawPeriod struct {
	From *localDate `yaml:"from"`
	To   *localDate `yaml:"to"`
}

type rawDigest struct {
	Weekday string `yaml:"weekday"`
	Time    string `yaml:"time"`
}

type rawEvaluation struct {
	Time string `yaml:"time"`
}

type rawAlerts struct {
	RepeatEvery *dayCount `yaml:"repeat_every"`
	Hysteresis  *fraction `yaml:"hysteresis"`
	StaleDays   *dayCount `yaml:"stale_days"`
	RemindAfter *span     `yaml:"remind_after"`
}

// dayCount is a number of days: 7, "7d" or "1w".
type dayCount int

func (d *dayCount) UnmarshalYAML(n *yaml.Node) error {
	s := strings.ToLower(strings.TrimSpace(n.Value))
	unit := 1
	switch {
	case strings.HasSuffix(s, "w"):
		s, unit = strings.TrimSuffix(s, "w"), 7
	case strings.HasSuffix(s, "d"):
		s = strings.TrimSuffix(s, "d")
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n.Kind != yaml.ScalarNode || v < 0 || v > 3660 {
		return fmt.Errorf("line %d: %q: want a number of days like 7, \"7d\" or \"1w\"", n.Line, n.Value)
	}
	*d = dayCount(v * unit)
	return nil
}

// fraction is a threshold: "0.5%" is a percentage, a bare 0.005 a fraction.
type fraction struct {
	v    float64
	line int
}

func (f *fraction) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseFraction(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: threshold %q: want a percentage like \"0.5%%\" or a fraction like 0.005", n.Line, n.Value)
	}
	*f = fraction{v: v, line: n.Line}
	return nil
}

// ParseFraction parses "0.5%" as 0.005 and "0.005" as 0.005, exactly as the
// decimal would be, without a rounding step for the percentage.
func ParseFraction(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	if pct {
		s = strings.TrimSpace(strings.TrimSuffix(s, "%")) + "e-2"
	}
	if s == "" || strings.ContainsAny(s, "xXpP_") {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 1 {
		return 0, fmt.Errorf("invalid fraction %q", s)
	}
	return v, nil
}

type localDate struct {
	d    Day
	line int
}

func (l *localDate) UnmarshalYAML(n *yaml.Node) error {
	d, err := ParseDay(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*l = localDate{d: d, line: n.Line}
	return nil
}

var unknownField = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)
})

// lineNumber finds the line number in a yaml error.
var lineNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bline \d+`) })

// yamlErrorLine finds the line of a yaml error that names none. yaml
// leaves out line 1; the reader's complaints about characters carry no
// position (the line is the first bad character's), and the end of the
// stream is the file's last line.
func yamlErrorLine(data []byte, msg string) int {
	lineAt := func(off int) int { return 1 + bytes.Count(data[:off], []byte("\n")) }
	switch {
	case strings.Contains(msg, "end of stream"):
		return lineAt(len(bytes.TrimRight(data, "\n")))
	case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters") || strings.Contains(msg, "Unicode"):
		for i, r := range string(data) {
			if r == utf8.RuneError || (unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r') {
				return lineAt(i)
			}
		}
	}
	return 1
}

// keyLine returns the line of the top-level key, 0 when it is absent.
func keyLine(root *yaml.Node, key string) int {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return 0
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 0
}

// sequenceLines returns the line of each item of the top-level sequence key.
func sequenceLines(root *yaml.Node, key string) []int {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			var lines []int
			for _, item := range m.Content[i+1].Content {
				lines = append(lines, item.Line)
			}
			return lines
		}
	}
	return nil
}
