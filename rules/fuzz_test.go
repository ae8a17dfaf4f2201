package rules

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// FuzzParseConfig feeds arbitrary bytes to the config parser. It either
// returns an error that names a line (or says the whole file is empty or
// has no shops), or a config that passes its own checks: every shop id of
// the file comes back unchanged and is found by Config.Shop, the alert
// policy validates, thresholds are fractions with warn not past critical,
// holidays run forwards and the schedules are times of day. Seeds are in
// testdata/fuzz/FuzzParseConfig; plain `go test` runs them.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(sampleConfig))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A slow input fails as a crash (a panic off the test goroutine),
		// which the fuzzer keeps.
		slow := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("ParseConfig took over 5s on %d bytes", len(data))) })
		c, err := ParseConfig(data)
		slow.Stop()
		if err != nil {
			if c != nil {
				t.Fatalf("ParseConfig returned a config and the error %v", err)
			}
			checkConfigError(t, err.Error())
			return
		}
		checkConfig(t, c, data)
	})
}

var namesLine = regexp.MustCompile(`\bline [1-9][0-9]*\b`)

// wholeFileErrors are the errors about the file as a whole, with no line
// to name.
var wholeFileErrors = []string{"config is empty: want a shops list", "shops: no shops list: add one with at least one shop"}

func checkConfigError(t *testing.T, msg string) {
	t.Helper()
	if !utf8.ValidString(msg) {
		t.Fatalf("error is not valid UTF-8: %q", msg)
	}
	for _, w := range wholeFileErrors {
		if msg == w {
			return
		}
	}
	if !namesLine.MatchString(msg) {
		t.Fatalf("error names no line: %q", msg)
	}
}

func checkConfig(t *testing.T, c *Config, data []byte) {
	t.Helper()
	var listed struct {
		Shops []struct {
			ID string `yaml:"id"`
		} `yaml:"shops"`
	}
	if err := yaml.Unmarshal(data, &listed); err != nil {
		t.Fatalf("accepted a file yaml cannot read: %v", err)
	}
	if len(c.Shops()) == 0 || len(c.Shops()) != len(listed.Shops) {
		t.Fatalf("%d shops parsed, %d listed", len(c.Shops()), len(listed.Shops))
	}
	for i, s := range c.Shops() {
		if s.ID != listed.Shops[i].ID {
			t.Fatalf("shop %d: id %q, the file says %q", i+1, s.ID, listed.Shops[i].ID)
		}
		if s.ID == "" || s.ID != strings.TrimSpace(s.ID) || strings.ContainsFunc(s.ID, isControl) {
			t.Fatalf("shop %d: accepted id %q", i+1, s.ID)
		}
		if got, ok := c.Shop(s.ID); !ok || got != s {
			t.Fatalf("Shop(%q) = %v, %v", s.ID, got, ok)
		}
		if s.Location == nil || s.Name == "" {
			t.Fatalf("shop %q: location %v, name %q", s.ID, s.Location, s.Name)
		}
		for m, th := range s.Profile.Thresholds {
			if th.Warn < 0 || th.Warn > 1 || th.Critical < 0 || th.Critical > 1 || m.Worse(th.Warn, th.Critical) {
				t.Fatalf("shop %q: %s thresholds %+v", s.ID, m, th)
			}
		}
		for _, h := range s.Holidays {
			if h.To < h.From {
				t.Fatalf("shop %q: holiday %v", s.ID, h)
			}
		}
	}
	if err := c.Alerts.Validate(); err != nil {
		t.Fatalf("accepted alerts %+v: %v", c.Alerts, err)
	}
	for _, hm := range [][2]int{{c.Digest.Hour, c.Digest.Minute}, {c.Evaluation.Hour, c.Evaluation.Minute}} {
		if hm[0] < 0 || hm[0] > 23 || hm[1] < 0 || hm[1] > 59 {
			t.Fatalf("schedule %02d:%02d", hm[0], hm[1])
		}
	}
	if c.Sync.Every < 0 || c.Sync.Overlap < 0 || c.Sync.Backfill < 0 {
		t.Fatalf("sync %+v", c.Sync)
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }
