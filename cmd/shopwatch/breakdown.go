package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

func cmdBreakdown(ctx context.Context, e *env, g globals, args []string) error {
	fs := flag.NewFlagSet("breakdown", flag.ContinueOnError)
	g.register(fs)
	shopID := fs.String("shop", "", "TikTok shop id (required)")
	metric := fs.String("metric", "nrr", "nrr, nrr_product, nrr_service, sfrr or chat")
	date := fs.String("date", "", "local date YYYY-MM-DD (default: the shop's yesterday)")
	top := fs.Int("top", 10, "entries per list (0: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	if *shopID == "" {
		return fmt.Errorf("%w: --shop is required", errUsage)
	}
	db, err := openDB(ctx, e, g, *shopID)
	if err != nil {
		return err
	}
	defer db.Close()
	s, day, err := shopDay(e, db, *shopID, *date)
	if err != nil {
		return err
	}
	b, err := db.Breakdown(ctx, *shopID, *metric, day, *top)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, breakdownJSON(b))
	}
	printBreakdown(e.stdout, s, b)
	return nil
}

type breakdownView struct {
	ShopID   string              `json:"shop_id"`
	Date     rules.Day           `json:"date"`
	Metric   rules.Metric        `json:"metric"`
	From     rules.Day           `json:"from"`
	Result   specResult          `json:"result"`
	Products []productView       `json:"products"`
	Causes   []causeView         `json:"causes,omitempty"`
	Reasons  []causeView         `json:"reasons,omitempty"`
	Hours    []store.HourStat    `json:"hours,omitempty"`
	Waiting  []store.WaitingChat `json:"waiting,omitempty"`
}

type productView struct {
	ProductID string  `json:"product_id"`
	Name      string  `json:"name"`
	Count     int     `json:"count"`
	Base      int     `json:"base"`
	Rate      float64 `json:"rate"`
}

type causeView struct {
	Name         string  `json:"name"`
	Group        string  `json:"group"`
	Count        int     `json:"count"`
	Share        float64 `json:"share"`
	Unclassified bool    `json:"unclassified,omitempty"`
}

func breakdownJSON(b *store.Breakdown) breakdownView {
	v := breakdownView{ShopID: b.ShopID, Date: b.Window.Last, Metric: b.Metric, From: b.Window.First, Result: specResult(b.Result),
		Products: []productView{}, Hours: b.Hours, Waiting: b.Waiting}
	for _, p := range b.Products {
		v.Products = append(v.Products, productView{ProductID: p.ProductID, Name: p.Name, Count: p.Count, Base: p.Base, Rate: p.Rate})
	}
	causes := make([]causeView, 0, len(b.Causes))
	for _, c := range b.Causes {
		causes = append(causes, causeView(c))
	}
	if b.Metric == rules.SFRR {
		v.Reasons = causes
	} else if b.Metric != rules.ChatResponseRate {
		v.Causes = causes
	}
	return v
}

func printBreakdown(w io.Writer, s *rules.Shop, b *store.Breakdown) {
	res := b.Result
	fmt.Fprintf(w, "%s (%s) %s on %s: %s (%s), window %s .. %s\n", s.Name, s.ID, b.Metric, b.Window.Last, formatValue(res), formatCounts(res), b.Window.First, b.Window.Last)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if b.Metric == rules.ChatResponseRate {
		fmt.Fprintln(w, "\nSlowest hours (local time of the buyer's message):")
		fmt.Fprintln(tw, "HOUR\tTURNS\tLATE\tAVG RESPONSE")
		for _, h := range b.Hours {
			fmt.Fprintf(tw, "%02d:00\t%d\t%d\t%.2f h\n", h.Hour, h.Turns, h.Late, h.AvgHours)
		}
		tw.Flush()
		fmt.Fprintf(w, "\nChats still waiting for a reply at the end of %s (within the target then):\n", b.Window.Last)
		if len(b.Waiting) == 0 {
			fmt.Fprintln(w, "none")
		}
		fmt.Fprintln(tw, "CONVERSATION\tSINCE\tREPLY BY")
		for _, c := range b.Waiting {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ConversationID, c.Since.Format(time.DateTime), c.Deadline.Format(time.DateTime))
		}
		tw.Flush()
		return
	}
	base := "DELIVERED"
	if b.Metric == rules.SFRR && s.Profile.SFRRDenominator == rules.DenomOrders {
		base = "ALL ORDERS"
	}
	fmt.Fprintln(w, "\nTop products:")
	fmt.Fprintf(tw, "PRODUCT\tNAME\tCOUNTED\t%s\tOWN RATE\n", base)
	for _, p := range b.Products {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", p.ProductID, p.Name, p.Count, p.Base, percent(p.Rate))
	}
	tw.Flush()
	if b.Metric == rules.SFRR {
		fmt.Fprintln(w, "\nTop reasons:")
		fmt.Fprintln(tw, "REASON\tFAULT\tORDERS\tSHARE")
	} else {
		fmt.Fprintln(w, "\nTop causes:")
		fmt.Fprintln(tw, "CAUSE\tGROUP\tORDERS\tSHARE")
	}
	for _, c := range b.Causes {
		name := c.Name
		if c.Unclassified {
			name += " (unclassified)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", name, c.Group, c.Count, percent(c.Share))
	}
	tw.Flush()
}
