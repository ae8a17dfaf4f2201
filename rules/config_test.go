package rules

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

const sampleConfig = `shops:
  - id: "7495001"
    name: "Acme Beauty TH"
    timezone: Asia/Bangkok
    profile: sea
    channel: C0123ABCD
    thresholds:
      nrr: {warn: "0.4%", critical: 0.005}
      sfrr: {critical: "2%"}
    holidays:
      - {from: 2026-12-24, to: 2026-12-26}
  - id: "7495002"
    timezone: America/New_York
admin_channel: C0ADMIN01
digest: {weekday: friday, time: "17:30"}
cause_keywords:
  damaged: ["hancur"]
`

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(sampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Shops()) != 2 || c.AdminChannel != "C0ADMIN01" {
		t.Fatalf("shops = %d, admin = %q", len(c.Shops()), c.AdminChannel)
	}
	s, ok := c.Shop("7495001")
	if !ok || s.Location.String() != "Asia/Bangkok" || s.Profile.Name != "sea" || s.Channel != "C0123ABCD" {
		t.Fatalf("shop 7495001 = %+v", s)
	}
	if got := s.Profile.Thresholds[NRR]; got != (Thresholds{Warn: 0.004, Critical: 0.005}) {
		t.Errorf("nrr thresholds = %+v", got)
	}
	if got := s.Profile.Thresholds[SFRR]; got != (Thresholds{Warn: 0.012, Critical: 0.02}) {
		t.Errorf("partial sfrr override = %+v, want warn kept from the profile", got)
	}
	if !s.OnHoliday(DateDay(2026, 12, 24)) || !s.OnHoliday(DateDay(2026, 12, 26)) || s.OnHoliday(DateDay(2026, 12, 27)) {
		t.Errorf("holidays = %+v", s.Holidays)
	}
	other, _ := c.Shop("7495002")
	if other.Profile.Name != "default" || other.Name != "7495002" {
		t.Errorf("defaults: profile %q, name %q", other.Profile.Name, other.Name)
	}
	if c.Digest != (DigestSchedule{Weekday: time.Friday, Hour: 17, Minute: 30}) {
		t.Errorf("digest = %+v", c.Digest)
	}
	if got := c.CauseKeywords[CauseDamaged]; len(got) != 1 || got[0] != "hancur" {
		t.Errorf("cause keywords = %v", c.CauseKeywords)
	}
	// Overrides must not leak into the built-in profile.
	if p, _ := LookupProfile("sea"); p.Thresholds[SFRR].Critical != 0.015 {
		t.Errorf("built-in sea profile changed: %+v", p.Thresholds[SFRR])
	}
}

func TestParseConfigErrors(t *testing.T) {
	shop := "shops:\n  - id: \"1\"\n    timezone: Asia/Bangkok\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top-level key", shop + "admin_chanel: C1\n", `line 4: unknown key "admin_chanel"`},
		{"unknown shop key", "shops:\n  - id: \"1\"\n    timezone: Asia/Bangkok\n    chanel: C1\n", `line 4: unknown key "chanel"`},
		{"unknown threshold key", shop + "    thresholds:\n      nrr: {warn: 1%, crit: 2%}\n", `unknown key "crit"`},
		{"bad percent", shop + "    thresholds:\n      nrr: {warn: \"abc%\"}\n", `line 5: threshold "abc%"`},
		{"warn past critical", shop + "    thresholds:\n      nrr: {warn: 2%, critical: 1%}\n", "warn 0.02 is past critical 0.01"},
		{"chat warn below critical", shop + "    thresholds:\n      chat_response_rate: {warn: 80%}\n", "chat_response_rate warn 0.8 is past critical 0.9"},
		{"unknown metric", shop + "    thresholds:\n      nrx: {warn: 1%}\n", `"nrx" is not a metric`},
		{"new metric thresholds need both", shop + "    thresholds:\n      nrr_product: {warn: 1%}\n", "give both warn and critical"},
		{"missing timezone", "shops:\n  - id: \"1\"\n", "line 2: shop 1 (1): timezone is required"},
		{"bad timezone", "shops:\n  - id: \"1\"\n    timezone: Mars/Olympus\n", `timezone "Mars/Olympus"`},
		{"unknown profile", shop + "    profile: eu\n", `unknown profile "eu"`},
		{"duplicate shop", shop + "  - id: \"1\"\n    timezone: UTC\n", `line 4: shop id "1" is listed twice`},
		{"holiday backwards", shop + "    holidays:\n      - {from: 2026-12-26, to: 2026-12-24}\n", "to 2026-12-24 is before from 2026-12-26"},
		{"bad holiday date", shop + "    holidays:\n      - {from: 2026-13-01, to: 2026-12-24}\n", `line 5: invalid date "2026-13-01"`},
		{"no shops", "admin_channel: C1\n", "shops: no shops list"},
		{"empty shops list", "admin_channel: C1\nshops: []\n", "line 2: shops: the list is empty"},
		{"id with spaces around it", "shops:\n  - id: \" 1\"\n    timezone: UTC\n", `line 2: shop 1 ( 1): id " 1": no spaces around it`},
		{"id with a newline", "shops:\n  - id: \"1\\n\"\n    timezone: UTC\n", `id "1\n": no spaces around it or control characters`},
		{"empty file", "", "config is empty"},
		{"bad digest day", shop + "digest: {weekday: someday}\n", `line 4: digest: weekday "someday"`},
		{"bad cause keyword", shop + "cause_keywords:\n  broken_glass: [x]\n", "line 4: cause_keywords: unknown cause \"broken_glass\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseConfigYAMLErrorLines(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"error on line 1", "|A", "line 1: "},
		{"end of stream", "shops:\n  - id: \"1\n", "line 2: "},
		{"control character on line 3", "shops:\n  - id: \"1\"\n\x01  timezone: UTC\n", "line 3: "},
		{"bad UTF-8 on line 2", "shops:\n  - id: \"\xff\"\n", "line 2: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.yaml))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to start with %q", err, tt.want)
			}
		})
	}
}

func TestParseFraction(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0.5%", 0.005, true},
		{"0.005", 0.005, true},
		{"95%", 0.95, true},
		{"1.2 %", 0.012, true},
		{"150%", 0, false},
		{"-1%", 0, false},
		{"%", 0, false},
		{"0x1p-3", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFraction(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("ParseFraction(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

// Shops sharing a time zone each get it, whatever the order of the list.
func TestParseConfigSharedZones(t *testing.T) {
	zones := []string{"Asia/Bangkok", "America/New_York", "Asia/Bangkok", "UTC", "America/New_York", "Asia/Bangkok"}
	var b strings.Builder
	b.WriteString("shops:\n")
	for i, z := range zones {
		fmt.Fprintf(&b, "  - id: \"%d\"\n    timezone: %s\n", i+1, z)
	}
	c, err := ParseConfig([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	for i, z := range zones {
		s, _ := c.Shop(strconv.Itoa(i + 1))
		if s == nil || s.Location.String() != z || s.Timezone != z {
			t.Errorf("shop %d: %+v, want zone %s", i+1, s, z)
		}
	}
	// A bad zone after cached ones is still named with its line.
	_, err = ParseConfig([]byte(b.String() + "  - id: \"9\"\n    timezone: Mars/Olympus\n"))
	if want := fmt.Sprintf("line %d: shop 7 (9): timezone \"Mars/Olympus\"", 2*len(zones)+2); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v, want it to start with %q", err, want)
	}
}
