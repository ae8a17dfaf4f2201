//go:build !race

package tiktoksync_test

const raceEnabled = false
