//go:build race

package tensohttp

// sync.Pool drops items at random under the race detector.
const raceEnabled = true
