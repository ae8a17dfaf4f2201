package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store/storetest"
)

// The scenario's orders again, changed: a delivery moves, an undelivered
// order is delivered, an order gains a product and one moves to a line of
// its own, and an order appears twice in the file.
const reimportedOrders = ordersHeader +
	"edge-last,7495002,p1,2026-10-30T09:00:00-04:00,Serum,2026-11-01T10:00:00-05:00,delivered\n" +
	"undelivered,7495002,p3,2026-10-20T09:00:00-04:00,Mask,2026-10-25T09:00:00-04:00,delivered\n" +
	"two-lines,7495002,p3,2026-10-20T09:00:00-04:00,Mask,2026-10-22T09:00:00-04:00,delivered\n" +
	"fresh,7495001,p9,2026-10-21T09:00:00+07:00,Brush,,shipped\n" +
	"fresh,7495001,p8,2026-10-21T09:00:00+07:00,Comb,2026-10-24T09:00:00+07:00,delivered\n"

// TestBackendsAgree loads the same records into each backend and compares
// what is stored and every answer read from it, day by day, with SQLite's.
func TestBackendsAgree(t *testing.T) {
	ctx := context.Background()
	type result struct {
		tables  []string
		answers []string
	}
	results := map[string]result{}
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			db := loadScenarioInto(t, MustOpenAt(t, b.DSN(t), testConfig))
			MustImport(t, db, Orders, "orders2.csv", reimportedOrders)
			MustImport(t, db, Orders, "orders3.csv", splitOrders())
			// The imports' own times differ between the runs.
			if _, err := db.sql.ExecContext(ctx, `UPDATE record_imports SET imported_at = 0`); err != nil {
				t.Fatal(err)
			}
			var r result
			for _, q := range []string{
				"SELECT order_id, shop, created_at, created_day, COALESCE(delivered_at, -1), COALESCE(delivered_day, -1), status, products FROM orders ORDER BY order_id",
				"SELECT shop, day, created, delivered FROM shop_days WHERE created <> 0 OR delivered <> 0 ORDER BY shop, day",
				"SELECT shop, product_id, name FROM products ORDER BY shop, product_id",
				"SELECT review_id, causes, text, tags FROM reviews ORDER BY review_id",
				"SELECT return_id, fault, category, classified, status, type FROM returns ORDER BY return_id",
				"SELECT conversation_id, seq, start_at, COALESCE(reply_at, -1) FROM chat_turns ORDER BY conversation_id, seq",
			} {
				r.tables = append(r.tables, q+"\n"+dump(t, db, q))
			}
			for _, shop := range []string{"7495001", "7495002"} {
				for day := rules.DateDay(2026, 10, 1); day <= rules.DateDay(2026, 11, 5); day++ {
					report, err := db.Report(ctx, shop, day)
					if err != nil {
						t.Fatal(err)
					}
					explain, err := db.Explain(ctx, shop, day, 0)
					if err != nil {
						t.Fatal(err)
					}
					daily, err := db.Daily(ctx, shop, day)
					if err != nil {
						t.Fatal(err)
					}
					r.answers = append(r.answers, fmt.Sprintf("%s %s: %s\n%s\n%s", shop, day, jsonText(t, report), jsonText(t, explain), jsonText(t, daily)))
					for _, m := range []string{"nrr", "sfrr", "chat"} {
						bd, err := db.Breakdown(ctx, shop, m, day, 0)
						if err != nil {
							t.Fatal(err)
						}
						r.answers = append(r.answers, fmt.Sprintf("%s %s %s: %s", shop, day, m, jsonText(t, bd)))
					}
				}
			}
			results[b.Name] = r
		})
	}
	want, ok := results["sqlite"]
	if !ok {
		t.Fatal("no SQLite results")
	}
	for name, got := range results {
		if name == "sqlite" {
			continue
		}
		for i := range want.tables {
			if got.tables[i] != want.tables[i] {
				t.Errorf("%s stores differently:\n%s\nSQLite:\n%s", name, got.tables[i], want.tables[i])
			}
		}
		if !reflect.DeepEqual(got.answers, want.answers) {
			for i := range want.answers {
				if got.answers[i] != want.answers[i] {
					t.Errorf("%s answers differently:\n%s\nSQLite:\n%s", name, got.answers[i], want.answers[i])
					break
				}
			}
		}
	}
}

// splitOrders is an orders file with an order whose lines are further
// apart than a batch, and one of the scenario's (two-lines) that comes back
// after them.
func splitOrders() string {
	split := ordersHeader + "split,7495002,p1,2026-10-21T09:00:00-04:00,Serum,,shipped\n"
	for i := range batchRows + 10 {
		split += fmt.Sprintf("filler-%d,7495001,p%d,2026-10-2%dT09:00:00+07:00,Item,,shipped\n", i, i%5, i%9)
	}
	return split + "split,7495002,p2,2026-10-21T09:00:00-04:00,Toner,2026-10-24T09:00:00-04:00,delivered\n" +
		"two-lines,7495002,p4,2026-10-20T09:00:00-04:00,Brush,2026-10-23T09:00:00-04:00,delivered\n" +
		"split,7495002,p1,2026-10-21T09:00:00-04:00,Serum,2026-10-25T09:00:00-04:00,delivered\n"
}

// TestFirstLoadAgrees checks a first orders import into an empty database,
// which PostgreSQL copies into the table itself (pgimport.go), against
// SQLite's: orders whose lines are further apart than a batch, orders of
// two lines in one batch, a delivery that moves between lines.
func TestFirstLoadAgrees(t *testing.T) {
	dumps := map[string]string{}
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			db := MustOpenAt(t, b.DSN(t), testConfig)
			MustImport(t, db, Orders, "orders.csv", splitOrders()+
				"fresh,7495001,p9,2026-10-21T09:00:00+07:00,Brush,,shipped\n"+
				"fresh,7495001,p8,2026-10-21T09:00:00+07:00,Comb,2026-10-24T09:00:00+07:00,delivered\n"+
				"filler-3,7495001,p7,2026-10-23T09:00:00+07:00,Comb,2026-10-26T09:00:00+07:00,delivered\n")
			var d string
			for _, q := range []string{
				"SELECT order_id, shop, created_at, created_day, COALESCE(delivered_at, -1), COALESCE(delivered_day, -1), status, products FROM orders ORDER BY order_id",
				"SELECT shop, day, created, delivered FROM shop_days WHERE created <> 0 OR delivered <> 0 ORDER BY shop, day",
			} {
				d += q + "\n" + dump(t, db, q)
			}
			if !strings.Contains(d, "20751 delivered p1\np2\n") || !strings.Contains(d, "filler-3 1 1792720800000 20749 1792980000000 20752 delivered p3\np7\n") {
				t.Fatalf("the split order is not stored whole:\n%s", d)
			}
			dumps[b.Name] = d
		})
	}
	for name, got := range dumps {
		if want := dumps["sqlite"]; name != "sqlite" && got != want {
			t.Errorf("%s stores differently:\n%s\nSQLite:\n%s", name, got, want)
		}
	}
}

// TestRepeatedKeysAgree checks imports of chats, reviews and returns whose
// rows repeat keys further on than a batch, with other values, against
// SQLite's: into an empty database (a first load, which PostgreSQL copies
// into the table itself), and into one that holds the file's first 100
// rows already with another value (keys stored, changed by their one row
// or by a repeat, and new keys repeated), where PostgreSQL stages the
// repeats apart
// (pgimport.go). The repeats: a message moved to a new conversation as the
// buyer's, a new message moved so too, one with a new sender, one with a
// new text; reviews re-rated; returns with a new status.
func TestRepeatedKeysAgree(t *testing.T) {
	var reviews, returns strings.Builder
	reviews.WriteString(strings.Join(Columns(Reviews), ",") + "\n")
	returns.WriteString(strings.Join(Columns(Returns), ",") + "\n")
	for i := range 2 * batchRows {
		fmt.Fprintf(&reviews, "r%d,o%d,7495001,p%d,%d,2026-10-%02dT10:00:00+07:00,fine,\n", i, i, i%7, 1+i%5, 1+i%28)
		fmt.Fprintf(&returns, "x%d,o%d,7495001,p%d,2026-10-%02dT10:00:00+07:00,Damaged item,return_and_refund,requested\n", i, i, i%7, 1+i%28)
	}
	reviews.WriteString("r3,o3,7495001,p3,1,2026-10-04T10:00:00+07:00,broken on arrival,\n" +
		"r700,o700,7495001,p0,1,2026-10-01T10:00:00+07:00,broken too,\n")
	returns.WriteString("x3,o3,7495001,p3,2026-10-04T10:00:00+07:00,Damaged item,return_and_refund,completed\n" +
		"x700,o700,7495001,p0,2026-10-01T10:00:00+07:00,Damaged item,return_and_refund,cancelled\n")
	for _, tc := range []struct {
		kind    Kind
		csv     string
		queries []string
		want    []string // in the dump, from the repeated rows
	}{
		{
			kind: Chats, want: []string{"c-new 0 ", "c-new2 0 "},
			csv: chatsCSV(200, 4) + // 800 messages: more than a batch
				"m0-0,c-new,7495002,buyer,2026-10-01T07:00:00+07:00,moved\n" +
				"m150-3,c-new2,7495002,buyer,2026-10-01T07:00:00+07:00,moved\n" +
				"m5-1,c5,7495002,agent,2026-10-01T08:05:00+07:00,hi\n" +
				"m7-2,c7,7495002,buyer,2026-10-01T10:07:00+07:00,new text\n",
			queries: []string{
				"SELECT message_id, conversation_id, shop, sender, sent_at, text FROM chat_messages ORDER BY message_id",
				"SELECT conversation_id, seq, shop, start_at, start_day, COALESCE(reply_at, -1) FROM chat_turns ORDER BY conversation_id, seq",
			},
		},
		{
			kind: Reviews, csv: reviews.String(), want: []string{"r3 o3 1 p3 1 ", "r700 o700 1 p0 1 "},
			queries: []string{"SELECT review_id, order_id, shop, product_id, rating, created_at, created_day, text, tags, causes FROM reviews ORDER BY review_id"},
		},
		{
			kind: Returns, csv: returns.String(), want: []string{" completed", " cancelled"},
			queries: []string{"SELECT return_id, order_id, shop, product_id, created_at, created_day, reason, type, status, fault, category FROM returns ORDER BY return_id"},
		},
	} {
		for _, stored := range []bool{false, true} {
			name := string(tc.kind) + "/first load"
			if stored {
				name = string(tc.kind) + "/into stored rows"
			}
			t.Run(name, func(t *testing.T) {
				dumps := map[string]string{}
				for _, b := range storetest.Backends {
					t.Run(b.Name, func(t *testing.T) {
						db := MustOpenAt(t, b.DSN(t), testConfig)
						if stored {
							// Stored with other values, which the
							// import's rows staged once replace.
							lines := strings.SplitAfterN(tc.csv, "\n", 102)
							MustImport(t, db, tc.kind, "stored.csv", storedFirst.Replace(strings.Join(lines[:101], "")))
						}
						MustImport(t, db, tc.kind, "repeats.csv", tc.csv)
						var d string
						for _, q := range tc.queries {
							d += q + "\n" + dump(t, db, q)
						}
						for _, w := range tc.want {
							if !strings.Contains(d, w) {
								t.Fatalf("a repeated row did not win (no %q):\n%s", w, d)
							}
						}
						dumps[b.Name] = d
					})
				}
				for name, got := range dumps {
					if want := dumps["sqlite"]; name != "sqlite" && got != want {
						t.Errorf("%s stores differently:\n%s\nSQLite:\n%s", name, got, want)
					}
				}
			})
		}
	}
}

// TestFirstTargetsReplace checks what PostgreSQL's merge of the kinds
// other than orders assumes (mergeOnceSQL): a row replaces the stored row
// of its key, whose other columns it compares.
func TestFirstTargetsReplace(t *testing.T) {
	for kind, spec := range kindSpecs {
		if tg := spec.targets[0]; kind != Orders && !tg.replaces() {
			t.Errorf("%s: %s keeps or adds to the stored row; mergeOnceSQL would replace it", kind, tg.name)
		}
	}
}

// storedFirst changes a value of each kind's rows in TestRepeatedKeysAgree.
var storedFirst = strings.NewReplacer(",fine,", ",fine at first,", ",requested\n", ",approved\n", ",hi\n", ",hey\n")

func jsonText(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
