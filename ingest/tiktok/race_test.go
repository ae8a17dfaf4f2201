//go:build race

package tiktok_test

// raceEnabled is true under -race, which slows paging about tenfold.
const raceEnabled = true
