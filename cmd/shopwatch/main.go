// Command shopwatch watches TikTok Shop feedback metrics and keeps seller
// teams informed in Slack. See README.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/jonboulle/clockwork"
	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// ownProcess is set by main (not by the tests, which call run in their own
// process): run then sets the process up for its command (processFor).
var ownProcess bool

// shortCommands answer one question and exit.
var shortCommands = map[string]bool{"metrics": true, "breakdown": true, "ask": true}

func main() {
	ownProcess = true
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// processFor sets the process up for command name, and returns the
// command's context and what undoes the setup.
//
// A short command runs without the garbage collector: collecting what it
// frees by exiting cost about 3.5 ms of a 48 ms metrics process. And its
// context cannot be cancelled: for a context that can, database/sql and
// the SQLite driver each start a goroutine per query to watch it, and on a
// two-core machine each wakes a second thread: 3.3 ms of a 43 ms process
// (medians of 40 alternated runs). SIGINT and SIGTERM kill it as they kill
// any program: its reads need no cleanup, and a write it makes (ask's
// mute) is one transaction, rolled back.
//
// An import collects when its heap has grown to five times what it holds
// (GOGC 400) rather than twice: what it holds is a few batches, about 2 MB,
// so the default collected every 2 MB of garbage, 122 times in a 585k-row
// chats import. On the 1M data set the returns import took 142 ms against
// 156 ms, the chats 3.27 against 3.46 s (medians of alternated runs); the
// 5M orders 21.9 against 27.2 s, its peak RSS 116 MB against 93 MB. A limit
// of importHeapLimit makes it collect more often before it grows further.
//
// The other commands are cancelled by SIGINT and SIGTERM, and stop cleanly.
func processFor(ctx context.Context, name string) (context.Context, func()) {
	if !ownProcess {
		return ctx, func() {}
	}
	if shortCommands[name] {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(512 << 20) // the collector runs again near it
		return ctx, func() {}
	}
	if name == "import" {
		debug.SetGCPercent(importGCPercent)
		debug.SetMemoryLimit(importHeapLimit)
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// The import command's collector settings (processFor).
const (
	importGCPercent = 400
	importHeapLimit = 64 << 20
)

const usage = `usage: shopwatch [--db PATH] [--config FILE] COMMAND [ARGS]

commands:
  import KIND FILE...      import orders, reviews, returns or chats CSV files, or Seller Center exports [--skip-invalid] [--shop ID]
  metrics                  a shop's metrics for a date [--shop ID] [--date YYYY-MM-DD] [--json]
  breakdown                what drives a metric [--shop ID] --metric nrr|nrr_product|nrr_service|sfrr|chat [--date D] [--top N] [--json]
  demo DIR                 write a demo config and data set [--shops N] [--days N] [--orders-per-day N] [--seed N] [--end D] [--order mixed|shop|date]
  serve                    the Slack bot: HTTP on SHOPWATCH_ADDR (default :8080), Socket Mode with SLACK_APP_TOKEN [--addr A]
  ask '/shopwatch ...'     answer a slash command locally, as the bot would [--channel C] (default: the admin channel)
  tiktok authorize|status  connect a shop to TikTok Shop [--shop ID --code AUTH_CODE], or show the shops' sync state [--shop ID]
  sync                     pull the orders, returns and chats changed since the last sync from TikTok Shop [--shop ID] [--full]
  inbox                    import the CSV files dropped into the config's inbox folder, once [--dir DIR] [--settle 5s]
  evaluate                 the daily job: metrics, alerts, delivery [--date D] [--from D0] [--shop ID]
  digest                   the weekly digest for the week ending a date [--shop ID] [--date D]

global flags (also accepted after the command):
  --db PATH|DSN    SQLite database file, or a postgres:// DSN (env SHOPWATCH_DB, default shopwatch.db)
  --config FILE    configuration file (env SHOPWATCH_CONFIG, default shopwatch.yaml)
`

// env is the command's view of the process: arguments, output and environment.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	clock          clockwork.Clock
	log            *slog.Logger
	short          bool // the command is one of shortCommands
}

// errUsage marks an error whose message is usage help.
var errUsage = errors.New("usage")

// helpError is a command's -h or --help: run prints the command's flags
// and the usage to stdout and exits 0.
type helpError struct{ fs *flag.FlagSet }

func (e *helpError) Error() string { return "help requested" }

// run runs the shopwatch command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdout: stdout, stderr: stderr, getenv: getenv, clock: clockwork.NewRealClock(),
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	g := globals{db: or(getenv("SHOPWATCH_DB"), "shopwatch.db"), config: or(getenv("SHOPWATCH_CONFIG"), "shopwatch.yaml")}
	fs := flag.NewFlagSet("shopwatch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // -h, --help: what was asked for, not an error
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "shopwatch: %v\n\n%s", err, usage)
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, *env, globals, []string) error{
		"import":    cmdImport,
		"metrics":   cmdMetrics,
		"breakdown": cmdBreakdown,
		"demo":      cmdDemo,
		"serve":     cmdServe,
		"ask":       cmdAsk,
		"tiktok":    cmdTikTok,
		"sync":      cmdSync,
		"inbox":     cmdInbox,
		"evaluate":  cmdEvaluate,
		"digest":    cmdDigest,
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	if name == "help" || name == "-h" || name == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "shopwatch: unknown command %q\n\n%s", name, usage)
		return 2
	}
	e.short = shortCommands[name]
	ctx, done := processFor(ctx, name)
	defer done()
	if e.short {
		// A short command's answer goes out in one write at its exit:
		// a table's writer writes each cell and its padding apart (212
		// writes for a breakdown of 26 lines).
		out := bufio.NewWriter(stdout)
		defer out.Flush()
		e.stdout = out
	}
	if err := cmd(ctx, e, g, rest); err != nil {
		var help *helpError
		if errors.As(err, &help) {
			fmt.Fprintf(stdout, "usage: shopwatch %s [flags]\n\nflags:\n", help.fs.Name()) // "tiktok status"
			help.fs.SetOutput(stdout)
			help.fs.PrintDefaults()
			fmt.Fprint(stdout, "\n"+usage)
			return 0
		}
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "shopwatch %s: %v\n", name, strings.TrimPrefix(err.Error(), "usage: "))
			return 2
		}
		fmt.Fprintf(stderr, "shopwatch %s: %v\n", name, err)
		return 1
	}
	return 0
}

// globals are the flags every command accepts.
type globals struct {
	db, config string
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.db, "db", g.db, "SQLite database file, or a postgres:// DSN")
	fs.StringVar(&g.config, "config", g.config, "configuration file")
}

// parseFlags parses a command's flags, which may come before, between or
// after its positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpError{fs: fs}
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseOnlyFlags parses the flags of a command that takes no arguments.
func parseOnlyFlags(fs *flag.FlagSet, args []string) error {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	return nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func loadConfig(path string) (*rules.Config, error) {
	return loadConfigCached(func(string) string { return "" }, path)
}

// openDB opens the store. A command about some shops only names them:
// the store then reads just their rows of the shops table when it opens
// (store.Options.Shops). A short command's store reads its SQLite file
// through a memory map (store.Options.MapFile).
func openDB(ctx context.Context, e *env, g globals, shops ...string) (*store.DB, error) {
	cfg, err := loadConfigCached(e.getenv, g.config)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Options{DSN: g.db, Config: cfg, Logger: e.log, Clock: e.clock, Shops: shops, MapFile: e.short})
}

// shopDay resolves --shop and --date: the date defaults to the shop's
// yesterday, its last complete day.
func shopDay(e *env, db *store.DB, shopID, date string) (*rules.Shop, rules.Day, error) {
	s, ok := db.Config().Shop(shopID)
	if !ok {
		return nil, 0, fmt.Errorf("unknown shop %q (not in the config)", shopID)
	}
	if date == "" {
		return s, rules.DayOf(e.clock.Now(), s.Location) - 1, nil
	}
	d, err := rules.ParseDay(date)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: --date: %v", errUsage, err)
	}
	return s, d, nil
}
