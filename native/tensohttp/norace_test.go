//go:build !race

package tensohttp

const raceEnabled = false
