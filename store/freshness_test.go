package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

func TestReportJudgesEachKind(t *testing.T) {
	// Shop 7495001 (Bangkok): orders daily to 12-01 and reviews only to
	// 11-07; 7495002 has orders only (60 delivered a month, as if synced from
	// TikTok, which has no reviews). Returns and chats never imported.
	ctx := context.Background()
	db := MustOpen(t, testConfig)
	var orders, reviews strings.Builder
	orders.WriteString("order_id,shop_id,product_id,created_at,delivered_at\n")
	reviews.WriteString("review_id,order_id,shop_id,product_id,rating,created_at\n")
	start := time.Date(2026, 10, 1, 10, 0, 0, 0, time.FixedZone("+07", 7*3600))
	for i := range 62 {
		at := start.AddDate(0, 0, i)
		for j := range 5 {
			id := "o" + at.Format("0102") + string(rune('a'+j))
			orders.WriteString(id + ",7495001,p1," + at.Format(time.RFC3339) + "," + at.Add(time.Hour).Format(time.RFC3339) + "\n")
			if at.Before(time.Date(2026, 11, 8, 0, 0, 0, 0, start.Location())) {
				reviews.WriteString("r" + id + "," + id + ",7495001,p1,5," + at.Add(2*time.Hour).Format(time.RFC3339) + "\n")
			}
		}
		for j := range 2 {
			id := "u" + at.Format("0102") + string(rune('a'+j))
			orders.WriteString(id + ",7495002,p1," + at.Format(time.RFC3339) + "," + at.Add(time.Hour).Format(time.RFC3339) + "\n")
		}
	}
	importedAt := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	for _, f := range []struct {
		kind Kind
		csv  string
	}{{Orders, orders.String()}, {Reviews, reviews.String()}} {
		if _, err := db.Import(ctx, f.kind, []Source{{Name: string(f.kind) + ".csv", R: strings.NewReader(f.csv)}}, ImportOptions{At: importedAt}); err != nil {
			t.Fatal(err)
		}
	}

	for _, tt := range []struct {
		name string
		shop string
		day  rules.Day
		want string // kind:state per kind, then nrr and sfrr levels
	}{
		{"reviews still fresh", "7495001", rules.DateDay(2026, 11, 8), "orders:fresh reviews:fresh returns:no_data chats:no_data nrr:ok sfrr:no_data"},
		{"reviews stopped 25 days ago", "7495001", rules.DateDay(2026, 12, 1), "orders:fresh reviews:stale returns:no_data chats:no_data nrr:stale sfrr:no_data"},
		{"a past date is judged as it was", "7495001", rules.DateDay(2026, 11, 1), "orders:fresh reviews:fresh returns:no_data chats:no_data nrr:ok sfrr:no_data"},
		{"orders only: no reviews ever", "7495002", rules.DateDay(2026, 12, 1), "orders:fresh reviews:no_data returns:no_data chats:no_data nrr:no_data sfrr:no_data"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := db.Report(ctx, tt.shop, tt.day)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, in := range r.Inputs {
				got = append(got, in.Kind+":"+string(in.State))
			}
			got = append(got, "nrr:"+string(r.Results[rules.NRR].Level), "sfrr:"+string(r.Results[rules.SFRR].Level))
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("got  %s\nwant %s", g, tt.want)
			}
		})
	}

	// Each import recorded its time, for the shops it brought records of.
	r, err := db.Report(ctx, "7495001", rules.DateDay(2026, 12, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range r.Inputs {
		want := importedAt
		if in.Kind == rules.KindReturns || in.Kind == rules.KindChats {
			want = time.Time{}
		}
		if !in.Imported.Equal(want) {
			t.Errorf("%s imported at %v, want %v", in.Kind, in.Imported, want)
		}
		if in.Kind == rules.KindReviews && in.Last != rules.DateDay(2026, 11, 7) {
			t.Errorf("newest review %s, want 2026-11-07", in.Last)
		}
	}
	r, _ = db.Report(ctx, "7495002", rules.DateDay(2026, 12, 1))
	if in := r.Inputs[1]; !in.Imported.IsZero() {
		t.Errorf("7495002 had no reviews in the import, but its reviews were imported at %v", in.Imported)
	}
}

func TestFailedImportRecordsNothing(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testConfig)
	csv := "review_id,order_id,shop_id,product_id,rating,created_at\nr1,o1,7495001,p1,5,2026-11-01T10:00:00+07:00\nr2,o2,7495001,p1,7,2026-11-01T10:00:00+07:00\n"
	if _, err := db.Import(ctx, Reviews, []Source{{Name: "reviews.csv", R: strings.NewReader(csv)}}, ImportOptions{}); err == nil {
		t.Fatal("rating 7 imported")
	}
	imports, err := db.lastImports(ctx, db.index().byID["7495001"])
	if err != nil || len(imports) != 0 {
		t.Errorf("a failed import recorded %v (%v)", imports, err)
	}
}

// An import of several shops' rows records its time for each of them, in
// one statement, and for no other kind.
func TestImportRecordsEveryShop(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testConfig)
	MustImport(t, db, Reviews, "reviews.csv", "review_id,order_id,shop_id,product_id,rating,created_at\n"+
		"r1,o1,7495001,p1,5,2026-11-01T10:00:00+07:00\nr2,o2,7495002,p1,1,2026-11-01T10:00:00-05:00\n")
	for _, id := range []string{"7495001", "7495002"} {
		imports, err := db.lastImports(ctx, db.index().byID[id])
		if err != nil {
			t.Fatal(err)
		}
		if len(imports) != 1 || imports[rules.KindReviews].IsZero() {
			t.Errorf("shop %s: imports recorded %v, want its reviews' alone", id, imports)
		}
	}
}
