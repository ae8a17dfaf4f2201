package rules

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"sync"
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

// mustImage parses config text and returns it and its image.
func mustImage(tb testing.TB, text string) (*Config, []byte) {
	tb.Helper()
	cfg, err := ParseConfig([]byte(text))
	if err != nil {
		tb.Fatal(err)
	}
	img, err := cfg.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	return cfg, img
}

// withoutZones returns c's shops' zone names and clears the zones, which
// are loaded anew by each read and so not comparable by pointer.
func withoutZones(c *Config) []string {
	var names []string
	for _, s := range c.Shops() {
		names = append(names, s.Location.String())
		s.Location = nil
	}
	return names
}

func TestConfigImageRoundTrip(t *testing.T) {
	for name, text := range map[string]string{"every setting": fullConfig, "sample": sampleConfig, "minimal": "shops:\n  - {id: \"1\", timezone: UTC}\n"} {
		t.Run(name, func(t *testing.T) {
			want, img := mustImage(t, text)
			got, err := UnmarshalConfig(img)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range want.Shops() {
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
		{Config{}, 9}, // shops: every Shop
		{Shop{}, 7},   // Location is loaded from Timezone
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
	_, img := mustImage(t, fullConfig)
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
			if c, err := UnmarshalConfig(bad); err == nil {
				c.Shop("7495003") // decoded alone, then with the others
				c.Shops()
			}
		}
	}
	bad := append([]byte(nil), img...)
	bad[0] = configImageVersion + 1
	if _, err := UnmarshalConfig(bad); err == nil {
		t.Error("an image of another version was read")
	}
}

// TestConfigImageLazy: the shops of an image are decoded as they are
// looked up, each once, and equal to the parsed ones in any order of
// lookups.
func TestConfigImageLazy(t *testing.T) {
	want, img := mustImage(t, fullConfig)
	same := func(t *testing.T, got, want *Shop) {
		t.Helper()
		if got.Location.String() != want.Location.String() {
			t.Errorf("shop %s: zone %v, want %v", want.ID, got.Location, want.Location)
		}
		g, w := *got, *want
		g.Location, w.Location = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("shop %s:\n%+v\nwant\n%+v", want.ID, g, w)
		}
	}
	for _, order := range [][]string{
		{"7495003"},            // a shop in the middle alone, then the list
		{"7495004", "7495001"}, // the last, then the first
		{"nope"},               // an unknown id
		{},                     // the list first
	} {
		t.Run(strings.Join(order, ","), func(t *testing.T) {
			got, err := UnmarshalConfig(img)
			if err != nil {
				t.Fatal(err)
			}
			before := map[string]*Shop{}
			for _, id := range order {
				s, ok := got.Shop(id)
				w, wok := want.Shop(id)
				if ok != wok {
					t.Fatalf("Shop(%q) found %v, want %v", id, ok, wok)
				}
				if ok {
					same(t, s, w)
					before[id] = s
				}
			}
			if n := got.DecodedShops(); n != len(before) {
				t.Errorf("%d shops decoded after looking up %v, want %d", n, order, len(before))
			}
			list := got.Shops()
			if n := got.DecodedShops(); n != len(list) {
				t.Errorf("%d shops decoded after the list, want %d", n, len(list))
			}
			if len(list) != len(want.Shops()) {
				t.Fatalf("%d shops, want %d", len(list), len(want.Shops()))
			}
			for i, s := range list {
				w := want.Shops()[i]
				same(t, s, w)
				if b, ok := before[w.ID]; ok && b != s {
					t.Errorf("shop %s decoded twice: the list holds another *Shop than Shop returned", w.ID)
				}
				if again, _ := got.Shop(w.ID); again != s {
					t.Errorf("Shop(%s) after the list is not the list's *Shop", w.ID)
				}
			}
			if &got.Shops()[0] != &list[0] {
				t.Error("the list was decoded again")
			}
		})
	}
}

// TestConfigImageLazyConcurrent looks shops up from many goroutines at
// once, as the bot's handlers do (run it with -race).
func TestConfigImageLazyConcurrent(t *testing.T) {
	_, img := mustImage(t, fullConfig)
	got, err := UnmarshalConfig(img)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"7495001", "7495002", "7495003", "7495004"}
	found := make([][]*Shop, 8)
	var wg sync.WaitGroup
	for g := range found {
		wg.Go(func() {
			for i := range 50 {
				if g%2 == 0 && i == 25 {
					got.Shops()
				}
				s, ok := got.Shop(ids[(g+i)%len(ids)])
				if !ok {
					t.Errorf("shop %s not found", ids[(g+i)%len(ids)])
					return
				}
				found[g] = append(found[g], s)
			}
		})
	}
	wg.Wait()
	for _, list := range found {
		for _, s := range list {
			if one, _ := got.Shop(s.ID); one != s {
				t.Fatalf("shop %s was decoded more than once", s.ID)
			}
		}
	}
}

// TestConfigImageUnknownZone: a zone the system no longer knows fails the
// read of the image, naming the shop, as parsing the file would; the
// shops are not decoded for that.
func TestConfigImageUnknownZone(t *testing.T) {
	_, img := mustImage(t, fullConfig)
	// The last shop's zone, renamed (same length): the skip of the records
	// must load every shop's zone, not only the looked-up ones'.
	at := bytes.LastIndex(img, []byte("Asia/Bangkok"))
	bad := append([]byte(nil), img...)
	copy(bad[at:], "Asia/Bangkox")
	_, err := UnmarshalConfig(bad)
	if err == nil || !strings.Contains(err.Error(), "shop 7495004") || !strings.Contains(err.Error(), "Asia/Bangkox") {
		t.Errorf("err = %v, want the shop and its unknown zone named", err)
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
	_, img := mustImage(b, text.String())
	b.Run("one shop", func(b *testing.B) { // a short command's
		b.ReportAllocs()
		for b.Loop() {
			c, err := UnmarshalConfig(img)
			if err != nil {
				b.Fatal(err)
			}
			if _, ok := c.Shop("7495500"); !ok {
				b.Fatal("shop not found")
			}
		}
	})
	b.Run("every shop", func(b *testing.B) { // the bot's and evaluate's
		b.ReportAllocs()
		for b.Loop() {
			c, err := UnmarshalConfig(img)
			if err != nil {
				b.Fatal(err)
			}
			if len(c.Shops()) != 1000 {
				b.Fatal("shops missing")
			}
		}
	})
}
