package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// fullConfig sets every setting the config file has.
const fullConfig = `shops:
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
      - {from: 2027-01-01, to: 2027-01-01}
  - id: "7495002"
    timezone: America/New_York
  - id: "7495003"
    name: "Acme US"
    timezone: America/New_York
    profile: us
    channel: C0US
  - id: "7495004"
    timezone: Asia/Bangkok
    profile: sea
admin_channel: C0ADMIN01
digest: {weekday: friday, time: "17:30"}
evaluation: {time: "06:15"}
alerts: {repeat_every: 3d, hysteresis: "20%", stale_days: 4, remind_after: 12h}
cause_keywords:
  damaged: ["hancur", "rusak"]
  late_delivery: ["lambat"]
reason_keywords:
  seller: ["rosak"]
inbox: /srv/inbox
sync: {every: 30m, overlap: 5m, backfill: 30d}
`

// withoutZones returns c's shops' zone names and clears the zones, which
// are loaded anew by each read and so not comparable by pointer.
func withoutZones(c *Config) []string {
	var names []string
	for _, s := range c.Shops {
		names = append(names, s.Location.String())
		s.Location = nil
	}
	return names
}

func TestConfigImageRoundTrip(t *testing.T) {
	for name, text := range map[string]string{"every setting": fullConfig, "sample": sampleConfig, "minimal": "shops:\n  - {id: \"1\", timezone: UTC}\n"} {
		t.Run(name, func(t *testing.T) {
			want, err := ParseConfig([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			img, err := want.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			got, err := UnmarshalConfig(img)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range want.Shops {
				if g, ok := got.Shop(s.ID); !ok || g.Location.String() != s.Location.String() {
					t.Fatalf("shop %s after the image: %v, %v", s.ID, g, ok)
				}
			}
			wantZones, gotZones := withoutZones(want), withoutZones(got)
			if !reflect.DeepEqual(gotZones, wantZones) {
				t.Errorf("zones = %v, want %v", gotZones, wantZones)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("config after the image:\n%+v\nwant\n%+v", got, want)
			}
			again, err := got.MarshalBinary()
			if err != nil || string(again) != string(img) {
				t.Errorf("the image of the read config differs (err %v)", err)
			}
		})
	}
}

// TestConfigImageFields fails when a field is added to a type the image
// holds: MarshalBinary and UnmarshalConfig must write and read it, then
// the count here is updated.
func TestConfigImageFields(t *testing.T) {
	for _, c := range []struct {
		v      any
		fields int
	}{
		{Config{}, 10}, // byID is rebuilt from Shops
		{Shop{}, 7},    // Location is loaded from Timezone
		{Profile{}, 8},
		{Thresholds{}, 2},
		{AlertPolicy{}, 4},
		{SyncSettings{}, 3},
		{DigestSchedule{}, 3},
		{DailySchedule{}, 2},
		{Period{}, 2},
	} {
		if n := reflect.TypeOf(c.v).NumField(); n != c.fields {
			t.Errorf("%T has %d fields, the config image knows %d: update configimage.go", c.v, n, c.fields)
		}
	}
}

func TestConfigImageCorrupt(t *testing.T) {
	cfg, err := ParseConfig([]byte(fullConfig))
	if err != nil {
		t.Fatal(err)
	}
	img, err := cfg.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// Every cut is refused (the last byte is part of the last shop).
	for n := range len(img) {
		if _, err := UnmarshalConfig(img[:n]); err == nil {
			t.Fatalf("the image cut to %d of %d bytes was read", n, len(img))
		}
	}
	if _, err := UnmarshalConfig(append(img[:len(img):len(img)], 0)); err == nil {
		t.Error("an image with a byte more was read")
	}
	// Any changed byte is refused or read as some config, never a panic.
	for i := range img {
		for _, b := range []byte{0x00, 0x7f, 0x80, 0xff} {
			bad := append([]byte(nil), img...)
			bad[i] = b
			UnmarshalConfig(bad)
		}
	}
	bad := append([]byte(nil), img...)
	bad[0] = configImageVersion + 1
	if _, err := UnmarshalConfig(bad); err == nil {
		t.Error("an image of another version was read")
	}
}

// BenchmarkUnmarshalConfig reads the image of a 1,000-shop config, as every
// short command does from the config cache.
func BenchmarkUnmarshalConfig(b *testing.B) {
	zones := []string{"Asia/Bangkok", "Asia/Jakarta", "Asia/Manila", "Asia/Singapore", "Asia/Kuala_Lumpur",
		"Asia/Ho_Chi_Minh", "Europe/London", "America/New_York", "America/Chicago", "America/Los_Angeles"}
	var text strings.Builder
	text.WriteString("shops:\n")
	for i := range 1000 {
		fmt.Fprintf(&text, "  - {id: \"%d\", name: \"Shop %d\", timezone: %s, channel: C%07d}\n", 7495001+i, i, zones[i%len(zones)], i)
	}
	cfg, err := ParseConfig([]byte(text.String()))
	if err != nil {
		b.Fatal(err)
	}
	img, err := cfg.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnmarshalConfig(img); err != nil {
			b.Fatal(err)
		}
	}
}
