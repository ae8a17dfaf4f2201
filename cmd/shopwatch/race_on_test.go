//go:build race

package main

// raceEnabled: the race detector's instrumentation allocates in some
// packages' inits (1 MB in the Prometheus client's), so
// TestStartupAllocations checks its budgets only without it; make test
// also runs that test without -race.
const raceEnabled = true
