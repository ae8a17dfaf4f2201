package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store/demo"
)

func cmdDemo(ctx context.Context, e *env, g globals, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	g.register(fs)
	var opts demo.Options
	fs.IntVar(&opts.Shops, "shops", 12, "number of shops")
	fs.IntVar(&opts.Days, "days", 90, "days of history")
	fs.IntVar(&opts.OrdersPerDay, "orders-per-day", 60, "average orders per shop per day")
	fs.Int64Var(&opts.Seed, "seed", 1, "random seed (same seed, same data)")
	end := fs.String("end", "", "last day with data, YYYY-MM-DD (default: yesterday)")
	order := fs.String("order", "", "row order of the data files: mixed (by order id, shops and dates mixed), shop or date (default: shop by shop, in time order)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if opts.Order, err = demo.ParseOrder(*order); err != nil {
		return fmt.Errorf("%w: --order: %v", errUsage, err)
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: demo DIR", errUsage)
	}
	opts.End = e.clock.Now().AddDate(0, 0, -1)
	if *end != "" {
		d, err := rules.ParseDay(*end)
		if err != nil {
			return fmt.Errorf("%w: --end: %v", errUsage, err)
		}
		y, m, dd := d.Date()
		opts.End = time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	start := time.Now()
	sum, err := demo.Generate(pos[0], opts)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(e.stdout, "wrote %d shops, %d orders (%d order lines), %d reviews, %d returns, %d chat messages to %s in %s\n",
		sum.Shops, sum.Orders, sum.OrderLines, sum.Reviews, sum.Returns, sum.ChatMessages, pos[0], elapsed.Round(time.Millisecond))
	dir := pos[0]
	cfg := filepath.Join(dir, "shopwatch.yaml")
	fmt.Fprintf(e.stdout, "\ntry:\n")
	for _, k := range []string{"orders", "reviews", "returns", "chats"} {
		fmt.Fprintf(e.stdout, "  shopwatch --config %s import %s %s\n", cfg, k, filepath.Join(dir, k+".csv"))
	}
	fmt.Fprintf(e.stdout, "  shopwatch --config %s metrics\n", cfg)
	return nil
}
