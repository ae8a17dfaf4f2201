package inbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/shopwatch/shopwatch/ingest/inbox"
	"github.com/shopwatch/shopwatch/store"
)

func chatRows(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "m%d,c%d,7495001,buyer,2026-11-19T10:00:00+07:00,hello\n", i, i%50)
	}
	return b.String()
}

const chatsHeader = "message_id,conversation_id,shop_id,sender,sent_at,text\n"

// scan runs one scan and fails the test on a folder error.
func scan(tb testing.TB, w *inbox.Watcher) []inbox.Result {
	tb.Helper()
	rs, err := w.Scan(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return rs
}

// TestScanHalfWrittenFile: a writer pauses (longer than Settle) half-way
// through a file; the inbox takes the file only once two scans saw it
// unchanged, and then takes all of it.
func TestScanHalfWrittenFile(t *testing.T) {
	db, raw := MustDB(t)
	dir := t.TempDir()
	clk := clockwork.NewFakeClockAt(time.Now())
	w, err := inbox.New(inbox.Options{Dir: dir, DB: db, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "chats.csv")
	drop(t, dir, "chats.csv", chatsHeader+chatRows(0, 1000), 0)
	clk.Advance(6 * time.Second) // the writer pauses

	if rs := scan(t, w); len(rs) != 0 {
		t.Fatalf("first scan took %+v: a file seen once may still be written", rs)
	}
	// The writer goes on before the next scan.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(chatRows(1000, 2000))
	f.Close()
	clk.Advance(10 * time.Second)
	if rs := scan(t, w); len(rs) != 0 {
		t.Fatalf("a file that grew since the last scan was taken: %+v", rs)
	}
	clk.Advance(10 * time.Second)
	rs := scan(t, w)
	if len(rs) != 1 || rs[0].Err != nil || rs[0].Rows != 2000 || rs[0].Imported != 2000 {
		t.Fatalf("results %+v, want the whole file of 2,000 rows", rs)
	}
	if n := countRows(t, raw, "chat_messages"); n != 2000 {
		t.Fatalf("chat_messages = %d, want 2000", n)
	}
}

func countRows(tb testing.TB, raw *sql.DB, table string) int {
	tb.Helper()
	var n int
	if err := raw.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestScanPartFiles: NAME.part and hidden files are never taken, however
// old; once renamed the file is.
func TestScanPartFiles(t *testing.T) {
	db, _ := MustDB(t)
	dir := t.TempDir()
	w, err := inbox.New(inbox.Options{Dir: dir, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"chats.csv.part", "chats.CSV.PART", ".chats.csv", "~chats.csv"} {
		drop(t, dir, name, chatsHeader+chatRows(0, 3), time.Hour)
	}
	for range 3 {
		if rs := scan(t, w); len(rs) != 0 {
			t.Fatalf("took %+v", rs)
		}
	}
	if err := os.Rename(filepath.Join(dir, "chats.csv.part"), filepath.Join(dir, "chats.csv")); err != nil {
		t.Fatal(err)
	}
	scan(t, w)
	if rs := scan(t, w); len(rs) != 1 || rs[0].File != "chats.csv" || rs[0].Imported != 3 {
		t.Fatalf("after the rename: %+v", rs)
	}
}

// TestScanBadFileNeverCrashes: the CSV that made the importer panic, and
// an importer that panics outright, each send the file to failed/ with a
// report, and the scan goes on to the next file.
func TestScanBadFileNeverCrashes(t *testing.T) {
	reproducer := "order_id,shop_id,product_id,created_at\nO\"1,7495001,P1,2026-11-01T10:00:00+07:00\n"
	db, _ := MustDB(t)
	tests := []struct {
		name   string
		db     inbox.Importer
		report string
	}{
		{"bare quote in the first field", db, `orders.csv:2: malformed CSV: bare " in non-quoted-field`},
		{"importer panics", panicky{}, "stopped on a bug in shopwatch (internal error: boom)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := inbox.New(inbox.Options{Dir: dir, DB: tt.db})
			if err != nil {
				t.Fatal(err)
			}
			drop(t, dir, "orders.csv", reproducer, time.Minute)
			scan(t, w)
			rs := scan(t, w)
			if len(rs) != 1 || !rs[0].Failed() || rs[0].MovedTo != filepath.Join(dir, "failed", "orders.csv") {
				t.Fatalf("results %+v", rs)
			}
			report, err := os.ReadFile(rs[0].Report)
			if err != nil || !strings.Contains(string(report), tt.report) {
				t.Fatalf("report %q (%v), want it to contain %q", report, err, tt.report)
			}
			if rs := scan(t, w); len(rs) != 0 {
				t.Fatalf("the failed file was tried again: %+v", rs)
			}
		})
	}
}

type panicky struct{}

func (panicky) Import(context.Context, store.Kind, []store.Source, store.ImportOptions) (*store.ImportResult, error) {
	panic("boom")
}

// TestScanLongName: a name as long as the file system allows still gets
// its NAME.error.txt, under a shortened name.
func TestScanLongName(t *testing.T) {
	db, _ := MustDB(t)
	dir := t.TempDir()
	w, err := inbox.New(inbox.Options{Dir: dir, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	name := strings.Repeat("é", 125) + ".csv" // 254 bytes
	drop(t, dir, name, chatsHeader+"m1,c1,7495001,moderator,2026-11-19T10:00:00+07:00,hi\n", time.Minute)
	scan(t, w)
	rs := scan(t, w)
	if len(rs) != 1 || !rs[0].Failed() || rs[0].Err == nil || strings.Contains(rs[0].Err.Error(), "too long") {
		t.Fatalf("results %+v", rs)
	}
	base := filepath.Base(rs[0].MovedTo)
	if len(base)+len(".error.txt") > 255 || !strings.HasSuffix(base, ".csv") || !strings.HasPrefix(base, "éé") {
		t.Fatalf("moved to %q", base)
	}
	report, err := os.ReadFile(rs[0].Report)
	if err != nil || !strings.Contains(string(report), name+`:2: sender: unknown sender "moderator"`) {
		t.Fatalf("report %q (%v)", report, err)
	}
}
