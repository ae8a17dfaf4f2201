//go:build race

package tiktoksync_test

const raceEnabled = true
