// Package demo generates a realistic, deterministic demo configuration and
// data set for shopwatch: a shops config (SPEC section 1) and orders,
// reviews, returns and chats CSV files (SPEC section 2) for many shops, some
// healthy and some in trouble. It is used by `shopwatch demo DIR` and by
// benchmarks that need millions of order lines, so it streams rows straight
// to buffered files and keeps only per-shop state in memory.
package demo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shopwatch/shopwatch/store"
)

// Options say how much data to generate. The zero value of each field but
// End means its default.
type Options struct {
	Shops        int       // number of shops (default 12)
	Days         int       // days of history ending at End (default 90)
	OrdersPerDay int       // average orders per shop per day (default 60); shops vary around it (0.3x..2x)
	Seed         int64     // RNG seed (default 1); the same Options give byte-identical files
	End          time.Time // the last day with data; only its year, month and day are used (required)
	Order        Order     // row order of the data files (default OrderShops)
}

// Summary counts what Generate wrote.
type Summary struct {
	Shops, Orders, OrderLines, Reviews, Returns, ChatMessages int
	Files                                                     []string // paths of the written files, the config first
}

// File names written by Generate, in DIR.
const (
	ConfigFile  = "shopwatch.yaml"
	OrdersFile  = "orders.csv"
	ReviewsFile = "reviews.csv"
	ReturnsFile = "returns.csv"
	ChatsFile   = "chats.csv"
)

// CSV headers of the data files (SPEC section 2): the store's column lists.
var (
	OrdersHeader  = header(store.Orders)
	ReviewsHeader = header(store.Reviews)
	ReturnsHeader = header(store.Returns)
	ChatsHeader   = header(store.Chats)
)

func header(k store.Kind) string { return strings.Join(store.Columns(k), ",") }

// ErrNoEnd is returned when Options.End is the zero time.
var ErrNoEnd = errors.New("demo: End is required (the last day with data)")

// maxShops bounds Options.Shops so that ids keep their shape.
const maxShops = 99_999

// withDefaults returns the options with defaults filled in, or an error.
func (o Options) withDefaults() (Options, error) {
	if o.End.IsZero() {
		return o, ErrNoEnd
	}
	if o.Shops == 0 {
		o.Shops = 12
	}
	if o.Days == 0 {
		o.Days = 90
	}
	if o.OrdersPerDay == 0 {
		o.OrdersPerDay = 60
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if _, err := ParseOrder(string(o.Order)); err != nil {
		return o, err
	}
	switch {
	case o.Shops < 0 || o.Shops > maxShops:
		return o, fmt.Errorf("demo: Shops %d: want 1 to %d", o.Shops, maxShops)
	case o.Days < 0 || o.Days > 3660:
		return o, fmt.Errorf("demo: Days %d: want 1 to 3660", o.Days)
	case o.OrdersPerDay < 0 || o.OrdersPerDay > 1_000_000:
		return o, fmt.Errorf("demo: OrdersPerDay %d: want 1 to 1000000", o.OrdersPerDay)
	}
	return o, nil
}

// bufSize is the write buffer of each data file.
const bufSize = 1 << 20

// Generate writes DIR/shopwatch.yaml, DIR/orders.csv, DIR/reviews.csv,
// DIR/returns.csv and DIR/chats.csv, creating DIR if needed and replacing
// files of those names. The same Options give byte-identical files.
func Generate(dir string, opts Options) (Summary, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	names := []string{ConfigFile, OrdersFile, ReviewsFile, ReturnsFile, ChatsFile}
	files := make([]*os.File, 0, len(names))
	defer func() {
		for _, f := range files {
			f.Close() // after a successful Close below this is a no-op error
		}
	}()
	sum := Summary{Files: make([]string, len(names))}
	for i, name := range names {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			return Summary{}, fmt.Errorf("demo: %w", err)
		}
		files = append(files, f)
		sum.Files[i] = path
	}
	var ws [5]*bufio.Writer
	for i, f := range files {
		ws[i] = bufio.NewWriterSize(f, bufSize)
	}
	if err := generate(ws[0], [4]io.Writer{ws[1], ws[2], ws[3], ws[4]}, opts, &sum); err != nil {
		return Summary{}, err
	}
	for i, w := range ws {
		if err := w.Flush(); err != nil {
			return Summary{}, fmt.Errorf("demo: write %s: %w", sum.Files[i], err)
		}
		if err := files[i].Close(); err != nil {
			return Summary{}, fmt.Errorf("demo: write %s: %w", sum.Files[i], err)
		}
	}
	if opts.Order != OrderShops {
		for _, path := range sum.Files[1:] {
			if err := reorder(path, opts.Order, opts.Seed); err != nil {
				return Summary{}, fmt.Errorf("demo: order %s: %w", opts.Order, err)
			}
		}
	}
	return sum, nil
}

// generate writes the config to cfg and the data files to data (orders,
// reviews, returns, chats), adding counts to sum. opts has its defaults.
func generate(cfg io.Writer, data [4]io.Writer, opts Options, sum *Summary) error {
	plans, err := planShops(opts)
	if err != nil {
		return err
	}
	if err := writeConfig(cfg, opts, plans); err != nil {
		return fmt.Errorf("demo: write %s: %w", ConfigFile, err)
	}
	out := newOutput(data)
	out.header()
	for _, p := range plans {
		genShop(out, p, opts, sum)
		if out.err != nil {
			break
		}
	}
	if out.err != nil {
		return fmt.Errorf("demo: write data: %w", out.err)
	}
	sum.Shops = len(plans)
	return nil
}
