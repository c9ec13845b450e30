package shm

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseSize parses a memory size the way the reference's TensoCache does:
// a decimal number, optionally fractional, followed by an optional
// case-insensitive suffix B, K/KB, M/MB, G/GB or T/TB (powers of 1024).
// The result is truncated to an integer. "256MB" is 268435456, "1.5k" is
// 1536, "4096" is 4096.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range []struct {
		suffix string
		mult   float64
	}{
		{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10},
		{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1},
	} {
		if strings.HasSuffix(t, u.suffix) {
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			mult = u.mult
			break
		}
	}
	if t == "" || t == "." {
		return 0, fmt.Errorf("tenso/shm: invalid memory size %q", s)
	}
	// Only plain decimal numbers: no hex, exponents, underscores, inf/nan.
	for _, r := range t {
		if (r < '0' || r > '9') && r != '.' {
			return 0, fmt.Errorf("tenso/shm: invalid memory size %q", s)
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("tenso/shm: invalid memory size %q", s)
	}
	v := math.Trunc(f * mult)
	if v >= math.MaxInt64 || v < 0 {
		return 0, fmt.Errorf("tenso/shm: memory size %q out of range", s)
	}
	return int64(v), nil
}
