//go:build race

package monitor

// raceEnabled: the race detector makes SQLite several times slower; long
// tests do less under it.
const raceEnabled = true
