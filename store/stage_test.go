package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// A staged import (stage.go) writes the rows sorted by key; it must store
// exactly what writing them in input order stores, whatever that order
// (the last round's file is sorted by key, and read back without a sort),
// with keys repeated within and across batches and across imports.
func TestStagedImportMatchesInputOrder(t *testing.T) {
	headers := map[Kind]string{
		Orders:  ordersHeader,
		Reviews: "review_id,order_id,shop_id,product_id,rating,created_at,text,tags\n",
		Returns: "return_id,order_id,shop_id,product_id,created_at,reason,type,status\n",
		Chats:   chatsHead,
	}
	shops := []struct{ id, offset string }{{"7495001", "+07:00"}, {"7495002", "-05:00"}}
	// line returns a random row of the kind; keys repeat (ids < 1,500 in
	// files of 4,000 rows: within and across batches of batchRows).
	line := func(rng *rand.Rand, kind Kind, round int) string {
		id, s := rng.IntN(1500), shops[rng.IntN(len(shops))]
		at := fmt.Sprintf("2026-10-%02dT%02d:30:00%s", 1+rng.IntN(20), rng.IntN(24), s.offset)
		switch kind {
		case Orders:
			delivered := ""
			if rng.IntN(3) > 0 {
				delivered = fmt.Sprintf("2026-10-%02dT%02d:00:00%s", 22+rng.IntN(9), rng.IntN(24), s.offset)
			}
			return fmt.Sprintf("o%d,%s,p%d,%s,Item %d.%d,%s,%s\n", id, s.id, rng.IntN(5), at, round, rng.IntN(3), delivered, []string{"", "delivered", "shipped"}[rng.IntN(3)])
		case Reviews:
			return fmt.Sprintf("r%d,o%d,%s,p%d,%d,%s,text %d,\n", id, rng.IntN(900), s.id, rng.IntN(5), 1+rng.IntN(5), at, rng.IntN(1000))
		case Chats: // a repeated message may move to another conversation, sender or time
			return fmt.Sprintf("m%d,c%d,%s,%s,%s,text %d\n", id, rng.IntN(300), s.id,
				[]string{"buyer", "buyer", "shop", "agent", "robot", "system"}[rng.IntN(6)], at, rng.IntN(1000))
		default:
			return fmt.Sprintf("x%d,o%d,%s,p%d,%s,%s,refund,%s\n", id, rng.IntN(900), s.id, rng.IntN(5), at,
				[]string{"damaged in transit", "wrong size", "changed my mind"}[rng.IntN(3)], []string{"requested", "completed", "cancelled"}[rng.IntN(3)])
		}
	}
	queries := map[Kind][]string{
		Orders: {
			"SELECT order_id, shop, created_at, created_day, COALESCE(delivered_at, -1), COALESCE(delivered_day, -1), status, products FROM orders ORDER BY order_id",
			"SELECT shop, day, created, delivered FROM shop_days ORDER BY shop, day",
			"SELECT shop, product_id, name FROM products ORDER BY shop, product_id",
		},
		Reviews: {"SELECT review_id, order_id, shop, product_id, rating, created_at, created_day, text, tags, causes FROM reviews ORDER BY review_id"},
		Returns: {"SELECT return_id, order_id, shop, product_id, created_at, created_day, reason, type, status, fault, category, classified FROM returns ORDER BY return_id"},
		Chats: {
			"SELECT message_id, conversation_id, shop, sender, sent_at, text FROM chat_messages ORDER BY message_id",
			"SELECT conversation_id, seq, shop, start_at, start_day, COALESCE(reply_at, -1) FROM chat_turns ORDER BY conversation_id, seq",
		},
	}
	// Each round's file is about 800 kB of staged values.
	for _, mem := range []struct {
		name  string
		limit int
	}{{"in memory", 0}, {"spilled to the staging file mid-import", 200_000}, {"in the staging file", 1}} {
		for _, kind := range []Kind{Orders, Reviews, Returns, Chats} {
			t.Run(string(kind)+", "+mem.name, func(t *testing.T) {
				stagedMatchesInputOrder(t, kind, mem.limit, headers[kind], line, queries[kind])
			})
		}
	}
}

func stagedMatchesInputOrder(t *testing.T, kind Kind, memLimit int, header string, line func(*rand.Rand, Kind, int) string, queries []string) {
	staged, inOrder := MustOpen(t, testConfig), MustOpen(t, testConfig)
	if staged.pg {
		t.Skip("PostgreSQL imports do not stage: they merge in one transaction (pgimport.go)")
	}
	staged.stageMemBytes = memLimit
	inOrder.unstagedImport = true
	rng := rand.New(rand.NewPCG(3, uint64(len(kind))))
	for round := range 4 {
		lines := make([]string, 4000)
		for i := range lines {
			lines[i] = line(rng, kind, round)
		}
		if round == 3 { // sorted by key, as an export by order id: read back unsorted
			slices.Sort(lines)
		}
		var b strings.Builder
		b.WriteString(header)
		for _, l := range lines {
			b.WriteString(l)
		}
		name := fmt.Sprintf("round%d.csv", round)
		MustImport(t, staged, kind, name, b.String())
		MustImport(t, inOrder, kind, name, b.String())
		for _, q := range queries {
			got, want := dump(t, staged, q), dump(t, inOrder, q)
			if got != want || want == "" {
				t.Fatalf("round %d: %s\nstaged:\n%.2000s\nin input order:\n%.2000s", round, q, got, want)
			}
		}
	}
	checkRollup(t, staged, "staged")
}

// TestNewStageFailsCleanly: a staging database that cannot be set up (here
// its context has ended) is an error, its folder removed, not a panic of
// the cleanup (which once closed the nil stage the error return left).
func TestNewStageFailsCleanly(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st, err := newStage(ctx, kindSpecs[Chats])
	if err == nil || st != nil {
		t.Fatalf("newStage with an ended context = %v, %v; want an error", st, err)
	}
	if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
		t.Errorf("the staging folder stays: %v", left)
	}
}
