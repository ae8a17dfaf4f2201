package store

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// Seller Center's own exports (orders, returns/refunds, reviews) are read
// as they come, beside SPEC's layout: their header names map onto SPEC's
// fields by the tables of kinds.go, matched case-insensitively with spaces
// trimmed. They carry no shop id, so the shop is the import's (--shop),
// else the configured shop id in the file's name, else the config's only
// shop. Their times have no offset and are read in the shop's zone.

// sellerColumn is a field of a record kind and the header names Seller
// Center gives it, the preferred first.
type sellerColumn struct {
	field string
	names []string
}

// sellerNames are what the Seller Center exports of each kind are called
// in messages.
var sellerNames = map[Kind]string{Orders: "order", Reviews: "review", Returns: "return/refund"}

func cleanHeader(h string) string { return strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) }

// sellerCols maps a header row onto the kind's Seller Center layout: the
// column of each field found and its name in the file. missing lists the
// required fields not found.
func sellerCols(spec *kindSpec, header []string) (cols map[string]int, labels map[string]string, missing []string) {
	at := make(map[string]int, len(header))
	for i, h := range header {
		k := strings.ToLower(cleanHeader(h))
		if _, dup := at[k]; !dup {
			at[k] = i
		}
	}
	cols, labels = map[string]int{}, map[string]string{}
	for _, c := range spec.seller {
		for _, n := range c.names {
			if i, ok := at[strings.ToLower(n)]; ok {
				cols[c.field], labels[c.field] = i, cleanHeader(header[i])
				break
			}
		}
	}
	for _, f := range spec.sellerRequired {
		_, ok := cols[f]
		if f == "product_id" {
			_, sku := cols["sku_id"]
			ok = ok || sku
		}
		if !ok {
			missing = append(missing, f)
		}
	}
	return cols, labels, missing
}

// sellerWants describes the columns a Seller Center export of the kind
// needs, by their header names.
func sellerWants(spec *kindSpec) string {
	var out []string
	for _, f := range spec.sellerRequired {
		if f == "product_id" {
			out = append(out, "SKU ID or Product ID")
			continue
		}
		for _, c := range spec.seller {
			if c.field == f {
				out = append(out, strings.Join(c.names, " or "))
			}
		}
	}
	return strings.Join(out, ", ")
}

// useSellerLayout switches p to the kind's Seller Center layout when the
// header has its columns. It returns the problem with the header otherwise,
// or when the file's shop cannot be told.
func (p *rowParser) useSellerLayout(spec *kindSpec, header []string, missingSpec []string) *RowError {
	headerErr := func(format string, args ...any) *RowError {
		return &RowError{Ref: Ref{Source: p.file, Line: 1}, Field: "header", Problem: fmt.Sprintf(format, args...)}
	}
	if spec.seller == nil {
		return headerErr("missing column(s) %s (a %s file needs %s)", strings.Join(missingSpec, ", "), spec.kind, strings.Join(spec.required, ", "))
	}
	cols, labels, missing := sellerCols(spec, header)
	if len(missing) > 0 {
		return headerErr("missing column(s) %s (a %s file needs %s; a Seller Center %s export needs %s)",
			strings.Join(missingSpec, ", "), spec.kind, strings.Join(spec.required, ", "), sellerNames[spec.kind], sellerWants(spec))
	}
	shop, problem := p.sellerShop()
	if problem != "" {
		return headerErr("%s", problem)
	}
	p.seller, p.cols, p.labels, p.fileShop = true, cols, labels, shop
	p.dayFirst = dayFirst(shop.shop)
	return nil
}

// describes reports whether rec, the first data row of a Seller Center
// export, is the row of column descriptions some exports carry under the
// header ("Platform unique order ID."): its Order ID has spaces, which no
// id has.
func (p *rowParser) describes(rec []string) bool {
	i, ok := p.cols["order_id"]
	return p.seller && ok && strings.Contains(strings.TrimSpace(rec[i]), " ")
}

// sellerShop is the shop of a Seller Center export, which names none.
func (p *rowParser) sellerShop() (shopRef, string) {
	if p.only != "" {
		return p.db.index().byID[p.only], ""
	}
	shops := p.db.cfg.Shops()
	var found []string
	for _, s := range shops {
		if nameHas(p.file, s.ID) {
			found = append(found, s.ID)
		}
	}
	switch {
	case len(found) == 1:
		return p.db.index().byID[found[0]], ""
	case len(found) > 1:
		return shopRef{}, fmt.Sprintf("a Seller Center export names no shop, and the file name holds the ids of shops %s: name only one, or give --shop ID", strings.Join(found, " and "))
	case len(shops) == 1:
		return p.db.index().byID[shops[0].ID], ""
	}
	return shopRef{}, fmt.Sprintf("a Seller Center export names no shop, and the config has %d: put the shop id in the file name (like orders-%s.csv) or give --shop ID", len(shops), shops[0].ID)
}

// nameHas reports whether the base name of path holds id as a word: not
// next to another letter or digit.
func nameHas(path, id string) bool {
	name := path[strings.LastIndexAny(path, `/\`)+1:]
	alnum := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	for at := 0; id != ""; {
		i := strings.Index(name[at:], id)
		if i < 0 {
			return false
		}
		i += at
		end := i + len(id)
		if (i == 0 || !alnum(name[i-1])) && (end == len(name) || !alnum(name[end])) {
			return true
		}
		at = i + 1
	}
	return false
}

// dayFirst reports whether Seller Center writes the shop's slashed dates
// day first (06/12/2026 is 6 December): everywhere but in the Americas,
// which is known from the shop's `us` profile or its time zone.
func dayFirst(s *rules.Shop) bool {
	return s.Profile.Name != "us" && !strings.HasPrefix(s.Timezone, "America/")
}

// label is the name of field in the file's header.
func (p *rowParser) label(field string) string {
	if l, ok := p.labels[field]; ok {
		return l
	}
	return field
}

// id returns an id field. Seller Center's exports keep long ids as text for
// Excel with a leading tab (trimmed like all spaces), a leading apostrophe
// or as ="576..."; those are taken off.
func (p *rowParser) id(field string, required bool) string {
	v := p.opt(field)
	if p.seller {
		v = excelText(v)
	}
	if v == "" && required {
		p.fail(field, "is required")
	}
	return v
}

func excelText(v string) string {
	if len(v) >= 3 && strings.HasPrefix(v, `="`) && strings.HasSuffix(v, `"`) {
		v = strings.TrimSpace(v[2 : len(v)-1])
	}
	return strings.TrimSpace(strings.TrimPrefix(v, "'"))
}

// product returns the row's product: its product_id, or in a Seller Center
// export its SKU ID, else its Product ID (order exports have only SKU IDs,
// so every kind keys products by SKU when it can).
func (p *rowParser) product() string {
	if !p.seller {
		return p.id("product_id", true)
	}
	v := p.id("sku_id", false)
	if v == "" {
		v = p.id("product_id", false)
	}
	if v == "" {
		field := "product_id"
		if _, ok := p.cols["sku_id"]; ok {
			field = "sku_id"
		}
		p.fail(field, "is required: the row has neither a SKU ID nor a Product ID")
	}
	return v
}

// derivedKey is the key of a Seller Center review or return whose export
// has no id column of its own: one per order and product.
func derivedKey(orderID, productID string) string {
	if orderID == "" || productID == "" {
		return ""
	}
	return orderID + "/" + productID
}

// rating returns the star rating 1..5; Seller Center may write 5.0 or
// "5 stars".
func (p *rowParser) rating() int {
	if !p.seller {
		return p.int("rating", 1, 5)
	}
	v := p.req("rating")
	if v == "" {
		return 0
	}
	s := strings.ToLower(v)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "stars"), "star"))
	s = strings.TrimSuffix(s, ".0")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 5 {
		p.fail("rating", "%q is not a star rating from 1 to 5", v)
	}
	return n
}

// orderStatus returns the order's status; Seller Center's names whose
// meaning is clear are mapped (kinds.go), the others kept as written.
func (p *rowParser) orderStatus() string {
	v := p.opt("status")
	if p.seller {
		if m, ok := sellerOrderStatus[strings.ToLower(v)]; ok {
			return m
		}
	}
	return v
}

// The time formats of Seller Center's exports, read in the shop's zone.
var (
	sellerLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006/01/02 15:04:05", "2006/01/02 15:04", "2006-01-02", "2006/01/02"}
	slashedDate   = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?)?$`)
	})
	groupedDigits = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d{1,3}(,\d{3})+$`) })
)

// sellerTime parses a time as Seller Center writes it: without an offset
// in the shop's zone (2026-12-06 14:03:05; 06/12/2026 14:03:05 day or month
// first by region, see dayFirst; with AM/PM or not), unix seconds or
// milliseconds (grouped as 1,765,000,000 or not), or RFC 3339. problem says
// what is wrong, "" when nothing is.
func sellerTime(v string, loc *time.Location, dayFirst bool) (t time.Time, problem string) {
	digits := v
	if groupedDigits().MatchString(v) {
		digits = strings.ReplaceAll(v, ",", "")
	}
	if len(digits) >= 9 && len(digits) <= 13 && strings.Trim(digits, "0123456789") == "" {
		n, err := strconv.ParseInt(digits, 10, 64)
		if err == nil {
			if len(digits) >= 12 {
				return time.UnixMilli(n), ""
			}
			return time.Unix(n, 0), ""
		}
	}
	if strings.IndexByte(v, '/') == 1 || strings.IndexByte(v, '/') == 2 { // 6/12/2026, 06/12/2026
		if m := slashedDate().FindStringSubmatch(v); m != nil {
			return slashedTime(v, m, loc, dayFirst)
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, ""
	}
	for _, l := range sellerLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t, ""
		}
	}
	return time.Time{}, fmt.Sprintf("%q is not a time: want one like 2026-12-06 14:03:05 or %s (in the shop's zone, %s), unix seconds, or RFC 3339 with an offset", v, exampleSlashed(dayFirst), loc)
}

func exampleSlashed(dayFirst bool) string {
	if dayFirst {
		return "06/12/2026 14:03:05 (day/month/year)"
	}
	return "12/06/2026 14:03:05 (month/day/year)"
}

func slashedTime(v string, m []string, loc *time.Location, dayFirst bool) (time.Time, string) {
	num := func(s string) int { n, _ := strconv.Atoi(s); return n } // the pattern holds digits only
	day, month, year := num(m[1]), num(m[2]), num(m[3])
	order := "day/month/year"
	if !dayFirst {
		day, month, order = month, day, "month/day/year"
	}
	if month < 1 || month > 12 || day < 1 || day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, fmt.Sprintf("%q is not a date read as %s, the order Seller Center uses for this shop's region (%s)", v, order, loc)
	}
	hour, minute, sec := num(m[4]), num(m[5]), num(m[6])
	if m[7] != "" {
		if hour < 1 || hour > 12 {
			return time.Time{}, fmt.Sprintf("%q has hour %d with AM/PM: want 1 to 12", v, hour)
		}
		hour %= 12
		if m[7] == "p" || m[7] == "P" {
			hour += 12
		}
	}
	if hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, fmt.Sprintf("%q is not a valid time of day", v)
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc), ""
}
