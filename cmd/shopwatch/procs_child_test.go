package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// serveChildEnv, set to an RFC 3339 instant, makes the test binary a
// `shopwatch serve` replica instead of running the tests (TestMain): the
// real serve path (cmdServe: Slack endpoints, leader election, scheduler,
// delivery worker) on a fake clock that starts at that instant. Each line
// on its standard input is a duration to advance the clock by; the end of
// its input stops it, as SIGTERM does. TestThreeServeProcesses runs three.
// The production binary has no such switch: only tests can fake its time.
const serveChildEnv = "SHOPWATCH_TEST_SERVE_CHILD"

// mainChildEnv, when set, makes the test binary shopwatch itself, as main
// runs it (ownProcess): its arguments are those after "--".
const mainChildEnv = "SHOPWATCH_TEST_MAIN_CHILD"

func TestMain(m *testing.M) {
	if start := os.Getenv(serveChildEnv); start != "" {
		os.Exit(serveChild(start))
	}
	if os.Getenv(mainChildEnv) != "" {
		ownProcess = true
		args := os.Args[slices.Index(os.Args, "--")+1:]
		os.Exit(run(context.Background(), args, os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// serveChild runs `shopwatch serve` with the environment's SHOPWATCH_DB and
// SHOPWATCH_CONFIG on a fake clock driven by standard input.
func serveChild(start string) int {
	t0, err := time.Parse(time.RFC3339, start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", serveChildEnv, err)
		return 2
	}
	clock := clockwork.NewFakeClockAt(t0)
	leaderEvery = 100 * time.Millisecond // a dead leader's successor within a moment
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		defer stop()
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			d, err := time.ParseDuration(sc.Text())
			if err != nil {
				fmt.Fprintf(os.Stderr, "serve child: bad clock line %q: %v\n", sc.Text(), err)
				continue
			}
			clock.Advance(d)
		}
	}()
	e := &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, clock: clock,
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	g := globals{db: os.Getenv("SHOPWATCH_DB"), config: os.Getenv("SHOPWATCH_CONFIG")}
	if err := cmdServe(ctx, e, g, nil); err != nil {
		fmt.Fprintf(os.Stderr, "shopwatch serve: %v\n", err)
		return 1
	}
	return 0
}
