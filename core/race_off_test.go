//go:build !race

package core

// raceEnabled lets the slowest exhaustive loops sample under -race.
const raceEnabled = false
