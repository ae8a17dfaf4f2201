package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

func cmdMetrics(ctx context.Context, e *env, g globals, args []string) error {
	fs := flag.NewFlagSet("metrics", flag.ContinueOnError)
	g.register(fs)
	shopID := fs.String("shop", "", "TikTok shop id (default: every shop, one line each)")
	date := fs.String("date", "", "local date YYYY-MM-DD (default: the shop's yesterday)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	var only []string
	if *shopID != "" {
		only = []string{*shopID}
	}
	db, err := openDB(ctx, e, g, only...)
	if err != nil {
		return err
	}
	defer db.Close()
	if *shopID == "" {
		return allShops(ctx, e, db, *date, *asJSON)
	}
	_, day, err := shopDay(e, db, *shopID, *date)
	if err != nil {
		return err
	}
	r, err := db.Report(ctx, *shopID, day)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, specReport(r))
	}
	s, _ := db.Config().Shop(*shopID)
	printReport(e.stdout, s, r)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	return enc.Encode(v)
}

// printReport writes one shop's metrics as a table.
func printReport(w io.Writer, s *rules.Shop, r rules.Report) {
	fmt.Fprintf(w, "%s (%s) on %s: profile %s, %d-day window %s .. %s\n\n", s.Name, s.ID, r.Date, r.Profile, r.Window.Days(), r.Window.First, r.Window.Last)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tVALUE\tOF\tLEVEL\tWARN\tCRITICAL\tHEADROOM\tRECOVERS ON")
	for _, m := range rules.Metrics {
		res := r.Results[m]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m, formatValue(res), formatCounts(res), res.Level,
			thresholdText(res, true), thresholdText(res, false), intText(res.Headroom), dayText(res.RecoversOn))
	}
	tw.Flush()
	for _, in := range r.Inputs {
		if in.State == rules.Fresh {
			continue
		}
		var affected []string
		for _, m := range rules.Metrics {
			if slices.Contains(m.InputKinds(), in.Kind) {
				affected = append(affected, string(m))
			}
		}
		what := fmt.Sprintf("no %s imported", in.Kind)
		if in.Has {
			what = fmt.Sprintf("no %s since %s (%d days)", in.Kind, dayName(in.Last), in.DaysSince(r.Date))
		}
		fmt.Fprintf(w, "\n%s: %s; %s not judged (shopwatch import %s FILE)", strings.ReplaceAll(string(in.State), "_", " "), what, strings.Join(affected, ", "), in.Kind)
	}
	if slices.ContainsFunc(r.Inputs, func(in rules.Input) bool { return in.State != rules.Fresh }) {
		fmt.Fprintln(w)
	}
}

// dayName is "Thu 19 Nov 2026".
func dayName(d rules.Day) string {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Format("Mon 2 Jan 2006")
}

// allShops prints one line per shop, worst first.
func allShops(ctx context.Context, e *env, db *store.DB, date string, asJSON bool) error {
	reports := make([]rules.Report, 0, len(db.Config().Shops()))
	for _, s := range db.Config().Shops() {
		_, day, err := shopDay(e, db, s.ID, date)
		if err != nil {
			return err
		}
		r, err := db.Report(ctx, s.ID, day)
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	slices.SortStableFunc(reports, func(a, b rules.Report) int { return cmp.Compare(severity(b), severity(a)) })
	if asJSON {
		specs := make([]specReport, len(reports))
		for i, r := range reports {
			specs[i] = specReport(r)
		}
		return writeJSON(e.stdout, specs)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SHOP\tNAME\tDATE\tNRR\tSFRR\tCHAT RATE\tWORST")
	for _, r := range reports {
		s, _ := db.Config().Shop(r.ShopID)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ShopID, s.Name, r.Date,
			levelValue(r.Results[rules.NRR]), levelValue(r.Results[rules.SFRR]), levelValue(r.Results[rules.ChatResponseRate]), worst(r))
	}
	return tw.Flush()
}

func levelValue(res rules.Result) string {
	return fmt.Sprintf("%s (%s)", formatValue(res), res.Level)
}

// severity is the most severe level of a report's metrics.
func severity(r rules.Report) int {
	best := 0
	for _, res := range r.Results {
		best = max(best, res.Level.Severity())
	}
	return best
}

// worst names the metrics at the report's most severe level.
func worst(r rules.Report) string {
	best, names := 0, []string(nil)
	for _, m := range rules.Metrics {
		sev := r.Results[m].Level.Severity()
		switch {
		case sev > best:
			best, names = sev, []string{string(m)}
		case sev == best && sev > 0:
			names = append(names, string(m))
		}
	}
	if best == 0 {
		return "ok"
	}
	return fmt.Sprintf("%s: %s", []string{"", "warn", "critical"}[best], strings.Join(names, ", "))
}

func formatValue(res rules.Result) string {
	if !res.Valid {
		return "-"
	}
	if res.Metric == rules.ChatAvgResponseHours {
		return fmt.Sprintf("%.2f h", res.Value)
	}
	return percent(res.Value)
}

func percent(v float64) string { return fmt.Sprintf("%.2f%%", v*100) }

func formatCounts(res rules.Result) string {
	switch res.Metric {
	case rules.ChatAvgResponseHours:
		return fmt.Sprintf("%d replied", res.Count)
	case rules.ChatResponseRate:
		return fmt.Sprintf("%d/%d (%d pending)", res.Numerator, res.Denominator, res.Pending)
	}
	return fmt.Sprintf("%d/%d", res.Numerator, res.Denominator)
}

func thresholdText(res rules.Result, warn bool) string {
	if res.Thresholds == nil {
		return "-"
	}
	if warn {
		return percent(res.Thresholds.Warn)
	}
	return percent(res.Thresholds.Critical)
}

func intText(v *int) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(*v)
}

func dayText(d *rules.Day) string {
	if d == nil {
		return "-"
	}
	return d.String()
}
