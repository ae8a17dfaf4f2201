package demo_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shopwatch/shopwatch/store/demo"
)

var end = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// MustGenerate runs Generate into a new temporary directory.
func MustGenerate(tb testing.TB, opts demo.Options) (string, demo.Summary) {
	tb.Helper()
	dir := tb.TempDir()
	sum, err := demo.Generate(dir, opts)
	if err != nil {
		tb.Fatalf("Generate: %v", err)
	}
	return dir, sum
}

func TestGenerateDeterministic(t *testing.T) {
	small := demo.Options{Shops: 5, Days: 20, OrdersPerDay: 40, End: end}
	other := small
	other.Seed = 2
	later := small
	later.End = end.Add(7 * time.Hour) // same date: same data
	tests := []struct {
		name string
		a, b demo.Options
		same bool
	}{
		{"same options", small, small, true},
		{"same date, other time of day", small, later, true},
		{"zero seed is seed 1", small, func() demo.Options { o := small; o.Seed = 1; return o }(), true},
		{"other seed", small, other, false},
		{"other end", small, func() demo.Options { o := small; o.End = end.AddDate(0, 0, 1); return o }(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dirA, sumA := MustGenerate(t, tt.a)
			dirB, sumB := MustGenerate(t, tt.b)
			if len(sumA.Files) != 5 || len(sumB.Files) != 5 {
				t.Fatalf("Files = %v, %v; want 5 each", sumA.Files, sumB.Files)
			}
			same := true
			for i := range sumA.Files {
				a, err := os.ReadFile(filepath.Join(dirA, filepath.Base(sumA.Files[i])))
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(dirB, filepath.Base(sumB.Files[i])))
				if err != nil {
					t.Fatal(err)
				}
				if len(a) == 0 {
					t.Errorf("%s is empty", sumA.Files[i])
				}
				if !bytes.Equal(a, b) {
					same = false
					if tt.same {
						t.Errorf("%s differs between runs", filepath.Base(sumA.Files[i]))
					}
				}
			}
			if !tt.same && same {
				t.Errorf("all files are identical; want different data")
			}
			if tt.same && sumA.Orders != sumB.Orders {
				t.Errorf("Orders = %d and %d", sumA.Orders, sumB.Orders)
			}
		})
	}
}

func TestGenerateOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    demo.Options
		wantErr bool
		shops   int
	}{
		{"no end", demo.Options{Shops: 2}, true, 0},
		{"negative shops", demo.Options{Shops: -1, End: end}, true, 0},
		{"negative days", demo.Options{Days: -3, End: end}, true, 0},
		{"one shop one day", demo.Options{Shops: 1, Days: 1, OrdersPerDay: 5, End: end}, false, 1},
		{"defaults", demo.Options{Days: 2, OrdersPerDay: 3, End: end}, false, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := demo.Generate(t.TempDir(), tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.opts.End.IsZero() && !errors.Is(err, demo.ErrNoEnd) {
				t.Errorf("err = %v, want ErrNoEnd", err)
			}
			if sum.Shops != tt.shops {
				t.Errorf("Shops = %d, want %d", sum.Shops, tt.shops)
			}
		})
	}
}

// dataSet is a generated data set read back and checked.
type dataSet struct {
	shops   map[string]*shopInfo
	orders  map[string]*orderInfo
	lines   int
	reviews []reviewRow
	returns []returnRow
	chats   []chatRow
}

type shopInfo struct {
	id, name, timezone, profile string
	loc                         *time.Location
	end                         time.Time // the start of the day after End, local
	holidays                    int
}

type orderInfo struct {
	shop                   string
	created, delivered     time.Time
	createdAt, deliveredAt string
	products               []string
}

type reviewRow struct {
	shop, order string
	rating      int
	created     time.Time
	text, tags  string
}

type returnRow struct {
	shop, order, reason, typ, status string
	created                          time.Time
}

type chatRow struct {
	conv, shop, sender, text string
	sent                     time.Time
}

var causeNames = []string{
	"product_quality", "not_as_described", "counterfeit", "safety", "compliance",
	"wrong_item", "missing_item", "damaged", "out_of_stock", "slow_response",
	"rude_service", "late_delivery", "courier",
}

// MustReadDataSet reads and validates every file of a generated data set
// against SPEC sections 1 and 2 and the generator's own promises.
func MustReadDataSet(tb testing.TB, dir string, opts demo.Options) *dataSet {
	tb.Helper()
	if opts.Shops == 0 { // the documented defaults
		opts.Shops = 12
	}
	if opts.Days == 0 {
		opts.Days = 90
	}
	ds := &dataSet{shops: make(map[string]*shopInfo), orders: make(map[string]*orderInfo)}
	ds.readConfig(tb, filepath.Join(dir, demo.ConfigFile), opts)

	seen := make(map[[2]string]bool)
	unique := func(kind, id string, line int) {
		k := [2]string{kind, id}
		if seen[k] {
			tb.Errorf("%s:%d: duplicate key %s", kind, line, id)
		}
		seen[k] = true
	}

	readCSV(tb, filepath.Join(dir, demo.OrdersFile), demo.OrdersHeader, []int{0, 1, 2, 3}, func(line int, f []string) {
		s := ds.shop(tb, demo.OrdersFile, line, f[1])
		created := s.mustTime(tb, demo.OrdersFile, line, f[3])
		unique("order line", f[0]+"/"+f[2], line)
		o := ds.orders[f[0]]
		if o == nil {
			o = &orderInfo{shop: f[1], created: created, createdAt: f[3], deliveredAt: f[5]}
			if f[5] != "" {
				o.delivered = s.mustTime(tb, demo.OrdersFile, line, f[5])
				if !o.delivered.After(created) {
					tb.Errorf("orders.csv:%d: delivered_at %s is not after created_at %s", line, f[5], f[3])
				}
			}
			ds.orders[f[0]] = o
		} else if o.createdAt != f[3] || o.deliveredAt != f[5] || o.shop != f[1] {
			tb.Errorf("orders.csv:%d: order %s line differs from its first line in shop, created_at or delivered_at", line, f[0])
		}
		o.products = append(o.products, f[2])
		if f[4] == "" {
			tb.Errorf("orders.csv:%d: empty product_name", line)
		}
		switch f[6] {
		case "delivered":
			if f[5] == "" {
				tb.Errorf("orders.csv:%d: delivered without delivered_at", line)
			}
		case "cancelled", "in_transit", "awaiting_shipment":
			if f[5] != "" {
				tb.Errorf("orders.csv:%d: status %s with delivered_at", line, f[6])
			}
		default:
			tb.Errorf("orders.csv:%d: status %q", line, f[6])
		}
		if len(f[0]) != 18 {
			tb.Errorf("orders.csv:%d: order_id %q is not 18 digits", line, f[0])
		}
		ds.lines++
	})

	readCSV(tb, filepath.Join(dir, demo.ReviewsFile), demo.ReviewsHeader, []int{0, 1, 2, 3, 4, 5}, func(line int, f []string) {
		s := ds.shop(tb, demo.ReviewsFile, line, f[2])
		created := s.mustTime(tb, demo.ReviewsFile, line, f[5])
		unique("review", f[0], line)
		o := ds.orders[f[1]]
		switch {
		case o == nil:
			tb.Errorf("reviews.csv:%d: unknown order %s", line, f[1])
		case !slices.Contains(o.products, f[3]):
			tb.Errorf("reviews.csv:%d: product %s is not a line of order %s", line, f[3], f[1])
		case o.shop != f[2]:
			tb.Errorf("reviews.csv:%d: shop %s, but the order is shop %s's", line, f[2], o.shop)
		case o.delivered.IsZero() || created.Before(o.delivered):
			tb.Errorf("reviews.csv:%d: review at %s of an order not yet delivered", line, f[5])
		case created.Sub(o.delivered) > 14*24*time.Hour:
			tb.Errorf("reviews.csv:%d: review more than 14 days after delivery", line)
		}
		rating, err := strconv.Atoi(f[4])
		if err != nil || rating < 1 || rating > 5 {
			tb.Errorf("reviews.csv:%d: rating %q", line, f[4])
		}
		for tag := range strings.SplitSeq(f[7], ";") {
			if f[7] != "" && !slices.Contains(causeNames, tag) {
				tb.Errorf("reviews.csv:%d: tag %q is not a SPEC 2.1 cause", line, tag)
			}
		}
		if f[7] != "" && rating > 2 {
			tb.Errorf("reviews.csv:%d: tags on a %d star review", line, rating)
		}
		ds.reviews = append(ds.reviews, reviewRow{shop: f[2], order: f[1], rating: rating, created: created, text: f[6], tags: f[7]})
	})

	readCSV(tb, filepath.Join(dir, demo.ReturnsFile), demo.ReturnsHeader, []int{0, 1, 2, 3, 4, 5}, func(line int, f []string) {
		s := ds.shop(tb, demo.ReturnsFile, line, f[2])
		created := s.mustTime(tb, demo.ReturnsFile, line, f[4])
		unique("return", f[0], line)
		o := ds.orders[f[1]]
		switch {
		case o == nil:
			tb.Errorf("returns.csv:%d: unknown order %s", line, f[1])
		case !slices.Contains(o.products, f[3]):
			tb.Errorf("returns.csv:%d: product %s is not a line of order %s", line, f[3], f[1])
		case o.shop != f[2]:
			tb.Errorf("returns.csv:%d: shop %s, but the order is shop %s's", line, f[2], o.shop)
		case !created.After(o.created):
			tb.Errorf("returns.csv:%d: return before its order", line)
		}
		if !slices.Contains([]string{"refund", "return_and_refund", "replacement"}, f[6]) {
			tb.Errorf("returns.csv:%d: type %q", line, f[6])
		}
		if !slices.Contains([]string{"requested", "approved", "completed", "cancelled", "seller_won"}, f[7]) {
			tb.Errorf("returns.csv:%d: status %q", line, f[7])
		}
		ds.returns = append(ds.returns, returnRow{shop: f[2], order: f[1], reason: f[5], typ: f[6], status: f[7], created: created})
	})

	lastSent := make(map[string]time.Time)
	convShop := make(map[string]string)
	readCSV(tb, filepath.Join(dir, demo.ChatsFile), demo.ChatsHeader, []int{0, 1, 2, 3, 4}, func(line int, f []string) {
		s := ds.shop(tb, demo.ChatsFile, line, f[2])
		sent := s.mustTime(tb, demo.ChatsFile, line, f[4])
		unique("message", f[0], line)
		if !slices.Contains([]string{"buyer", "shop", "agent", "robot", "system"}, f[3]) {
			tb.Errorf("chats.csv:%d: sender %q", line, f[3])
		}
		if prev, ok := lastSent[f[1]]; ok && !sent.After(prev) {
			tb.Errorf("chats.csv:%d: message not after the previous one of conversation %s", line, f[1])
		}
		if sh, ok := convShop[f[1]]; ok && sh != f[2] {
			tb.Errorf("chats.csv:%d: conversation %s in two shops", line, f[1])
		}
		lastSent[f[1]], convShop[f[1]] = sent, f[2]
		ds.chats = append(ds.chats, chatRow{conv: f[1], shop: f[2], sender: f[3], text: f[5], sent: sent})
	})
	return ds
}

type rawConfig struct {
	Shops []struct {
		ID         string         `yaml:"id"`
		Name       string         `yaml:"name"`
		Timezone   string         `yaml:"timezone"`
		Profile    string         `yaml:"profile"`
		Channel    string         `yaml:"channel"`
		Thresholds map[string]any `yaml:"thresholds"`
		Holidays   []struct {
			From string `yaml:"from"`
			To   string `yaml:"to"`
		} `yaml:"holidays"`
	} `yaml:"shops"`
	AdminChannel string `yaml:"admin_channel"`
	Digest       struct {
		Weekday string `yaml:"weekday"`
		Time    string `yaml:"time"`
	} `yaml:"digest"`
}

var profiles = map[string]string{
	"Asia/Bangkok": "sea", "Asia/Jakarta": "sea", "Asia/Manila": "sea", "Asia/Kuala_Lumpur": "sea",
	"Asia/Ho_Chi_Minh": "sea", "Asia/Singapore": "sea", "America/Los_Angeles": "us",
	"America/New_York": "us", "America/Chicago": "us", "Europe/London": "default",
}

func (ds *dataSet) readConfig(tb testing.TB, path string, opts demo.Options) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("# ")) {
		tb.Errorf("config does not start with a comment header")
	}
	var cfg rawConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		tb.Fatalf("config: %v", err)
	}
	if !isChannel(cfg.AdminChannel) || cfg.Digest.Weekday != "monday" || cfg.Digest.Time != "09:00" {
		tb.Errorf("config: admin_channel %q, digest %+v", cfg.AdminChannel, cfg.Digest)
	}
	y, m, d := opts.End.Date()
	first := time.Date(y, m, d-opts.Days+1, 0, 0, 0, 0, time.UTC)
	last := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	for i, s := range cfg.Shops {
		if want := strconv.Itoa(7495001 + i); s.ID != want {
			tb.Errorf("config: shop %d id %q, want %q", i, s.ID, want)
		}
		if s.Name == "" || !isChannel(s.Channel) {
			tb.Errorf("config: shop %s: name %q, channel %q", s.ID, s.Name, s.Channel)
		}
		if p, ok := profiles[s.Timezone]; !ok || p != s.Profile {
			tb.Errorf("config: shop %s: timezone %s with profile %s", s.ID, s.Timezone, s.Profile)
		}
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil {
			tb.Fatal(err)
		}
		for _, h := range s.Holidays {
			from, err1 := time.Parse(time.DateOnly, h.From)
			to, err2 := time.Parse(time.DateOnly, h.To)
			if err1 != nil || err2 != nil || to.Before(from) || from.Before(first) || to.After(last) {
				tb.Errorf("config: shop %s: holiday %s..%s outside %s..%s", s.ID, h.From, h.To, first.Format(time.DateOnly), last.Format(time.DateOnly))
			}
		}
		ds.shops[s.ID] = &shopInfo{
			id: s.ID, name: s.Name, timezone: s.Timezone, profile: s.Profile, loc: loc,
			end: time.Date(y, m, d+1, 0, 0, 0, 0, loc), holidays: len(s.Holidays),
		}
	}
	if len(ds.shops) != opts.Shops {
		tb.Errorf("config: %d shops, want %d", len(ds.shops), opts.Shops)
	}
}

func isChannel(s string) bool {
	if len(s) != 10 || !strings.HasPrefix(s, "C0") {
		return false
	}
	for _, c := range s[2:] {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// shop returns the config entry of a row's shop. (Per-row helpers do not
// call tb.Helper: it is too slow for hundreds of thousands of rows, and the
// messages name the file and line.)
func (ds *dataSet) shop(tb testing.TB, file string, line int, id string) *shopInfo {
	s, ok := ds.shops[id]
	if !ok {
		tb.Fatalf("%s:%d: shop %q is not in the config", file, line, id)
	}
	return s
}

// mustTime parses an RFC 3339 timestamp and checks that it carries the
// shop's offset at that instant, is written as time.Format would, and is
// before the end of End's local day.
func (s *shopInfo) mustTime(tb testing.TB, file string, line int, v string) time.Time {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		tb.Fatalf("%s:%d: %v", file, line, err)
	}
	if want := t.In(s.loc).Format(time.RFC3339); v != want {
		tb.Errorf("%s:%d: timestamp %s, want %s (the shop's offset)", file, line, v, want)
	}
	if !t.Before(s.end) {
		tb.Errorf("%s:%d: timestamp %s is after the last day's end %s", file, line, v, s.end.Format(time.RFC3339))
	}
	return t
}

// readCSV reads a CSV file with encoding/csv, checks its header and the
// required columns, and calls row for each record.
func readCSV(tb testing.TB, path, header string, required []int, row func(line int, f []string)) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	name := filepath.Base(path)
	h, err := r.Read()
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	if got := strings.Join(h, ","); got != header {
		tb.Fatalf("%s: header %q, want %q", name, got, header)
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		for _, i := range required {
			if rec[i] == "" {
				tb.Errorf("%s:%d: required column %s is empty", name, line, strings.Split(header, ",")[i])
			}
		}
		row(line, rec)
	}
}
