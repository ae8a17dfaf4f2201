//go:build race

package bot

// raceEnabled: the race detector slows the delivery test several times
// over; its 30 s target is for a normal build.
const raceEnabled = true
