package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// perDayInputs is kindInputs as it was, one day at a time: the newest
// record on or before the day, then the rate over the RateDays dates to
// it, each a query of its own. kindInputs reads every day at once and
// must say the same.
func perDayInputs(t *testing.T, db *DB, ref shopRef, day rules.Day) []rules.Input {
	t.Helper()
	rate := map[string]string{
		rules.KindOrders:  `SELECT COALESCE(SUM(created), 0) FROM shop_days WHERE shop = ? AND day BETWEEN ? AND ?`,
		rules.KindReviews: `SELECT COUNT(*) FROM reviews WHERE shop = ? AND created_day BETWEEN ? AND ?`,
		rules.KindReturns: `SELECT COUNT(*) FROM returns WHERE shop = ? AND created_day BETWEEN ? AND ?`,
		rules.KindChats:   `SELECT COUNT(*) FROM chat_turns WHERE shop = ? AND start_day BETWEEN ? AND ?`,
	}
	var out []rules.Input
	for _, kind := range rules.Kinds {
		in := rules.Input{Kind: kind}
		var last sql.NullInt64
		if err := db.sql.QueryRow(kindQueries[kind][0], ref.key, int64(day)).Scan(&last); err != nil {
			t.Fatal(err)
		}
		if last.Valid {
			in.Has, in.Last = true, rules.Day(last.Int64)
			if err := db.sql.QueryRow(rate[kind], ref.key, last.Int64-rules.RateDays+1, last.Int64).Scan(&in.Recent); err != nil {
				t.Fatal(err)
			}
			if kind == rules.KindOrders {
				if err := db.sql.QueryRow(qFirstOrderDay, ref.key).Scan(&in.First); err != nil {
					t.Fatal(err)
				}
			}
		}
		out = append(out, in)
	}
	return out
}

// TestKindInputsDays: the freshness inputs of many days read at once, in
// any order and with repeats, are those of each day read alone, on
// records with gaps: orders delivered on dates without new orders,
// reviews in bursts, returns a few times, chats in one month, and days
// before the first record and long after the last.
func TestKindInputsDays(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, testConfig)
	bkk := time.FixedZone("+07", 7*3600)
	start := time.Date(2026, 6, 1, 10, 0, 0, 0, bkk)
	rng := rand.New(rand.NewPCG(7, 9))
	var orders, reviews, returns, chats strings.Builder
	orders.WriteString("order_id,shop_id,product_id,created_at,delivered_at\n")
	reviews.WriteString("review_id,order_id,shop_id,product_id,rating,created_at\n")
	returns.WriteString("return_id,order_id,shop_id,product_id,created_at,reason\n")
	chats.WriteString("message_id,conversation_id,shop_id,sender,sent_at,text\n")
	for i := range 150 {
		at := start.AddDate(0, 0, i)
		if i%9 == 4 || (i > 60 && i < 75) {
			continue // dates without new orders; deliveries may still land on them
		}
		for j := range 1 + rng.IntN(4) {
			id := fmt.Sprintf("o%d-%d", i, j)
			delivered := at.AddDate(0, 0, 1+rng.IntN(5))
			fmt.Fprintf(&orders, "%s,7495001,p1,%s,%s\n", id, at.Format(time.RFC3339), delivered.Format(time.RFC3339))
			if (i/20)%2 == 0 && rng.IntN(3) == 0 {
				fmt.Fprintf(&reviews, "r%s,%s,7495001,p1,%d,%s\n", id, id, 1+rng.IntN(5), delivered.Add(time.Hour).Format(time.RFC3339))
			}
			if i%37 == 0 {
				fmt.Fprintf(&returns, "x%s,%s,7495001,p1,%s,Wrong item\n", id, id, delivered.Add(2*time.Hour).Format(time.RFC3339))
			}
			if i >= 30 && i < 60 && j == 0 {
				fmt.Fprintf(&chats, "m%d-1,c%d,7495001,buyer,%s,Hello?\n", i, i, at.Format(time.RFC3339))
				fmt.Fprintf(&chats, "m%d-2,c%d,7495001,shop,%s,Hi!\n", i, i, at.Add(time.Duration(rng.IntN(20))*time.Hour).Format(time.RFC3339))
			}
		}
	}
	for _, f := range []struct {
		kind Kind
		csv  string
	}{{Orders, orders.String()}, {Reviews, reviews.String()}, {Returns, returns.String()}, {Chats, chats.String()}} {
		MustImport(t, db, f.kind, string(f.kind)+".csv", f.csv)
	}
	// An order moved by a re-import leaves its old dates in the rollup
	// with nothing on them: dates without records among those with some.
	MustImport(t, db, Orders, "lone.csv", "order_id,shop_id,product_id,created_at,delivered_at\n"+
		"lone,7495001,p1,2026-11-15T10:00:00+07:00,2026-11-16T10:00:00+07:00\n")
	MustImport(t, db, Orders, "lone-moved.csv", "order_id,shop_id,product_id,created_at,delivered_at\n"+
		"lone,7495001,p1,2026-05-20T10:00:00+07:00,2026-05-21T10:00:00+07:00\n")
	ref, err := db.shop("7495001")
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT count(*) FROM shop_days WHERE shop = ? AND created = 0 AND delivered = 0", ref.key); n == 0 {
		t.Fatal("the rollup kept no empty date: the fixture no longer has dates without records")
	}
	first := rules.DateDay(2026, 5, 10)
	var days []rules.Day
	for d := first; d <= rules.DateDay(2026, 12, 31); d++ {
		days = append(days, d)
	}
	rng.Shuffle(len(days), func(i, j int) { days[i], days[j] = days[j], days[i] })
	days = append(days, days[:20]...) // repeats
	for _, batch := range [][]rules.Day{days, days[:1], days[50:53], {first, first + 400}} {
		got, err := db.kindInputs(ctx, ref, batch, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, day := range batch {
			want := perDayInputs(t, db, ref, day)
			if fmt.Sprint(got[i]) != fmt.Sprint(want) {
				t.Fatalf("%s (batch of %d):\n got %+v\nwant %+v", day, len(batch), got[i], want)
			}
		}
	}
}
