// Package pytuple writes and reads a shape in the form of Python's str() of
// a tuple of ints: "(2, 3)", "(5,)" for one dimension, "()" for none. It is
// the form of the reference's X-Tenso-Shape header and of the 'shape' entry
// of a .npy header.
package pytuple

import (
	"strconv"
	"strings"
)

// Format returns shape as Python's str() of a tuple.
func Format(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// Parse parses the form written by Format (and by Python's str(tuple)),
// spaces around the parts allowed; false for anything else, negative
// dimensions included.
func Parse(s string) ([]int, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return nil, false
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	if s == "" {
		return []int{}, true
	}
	parts := strings.Split(s, ",")
	if strings.TrimSpace(parts[len(parts)-1]) == "" {
		if len(parts) != 2 { // only a 1-tuple has a trailing comma
			return nil, false
		}
		parts = parts[:1]
	}
	shape := make([]int, len(parts))
	for i, p := range parts {
		d, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || d < 0 {
			return nil, false
		}
		shape[i] = d
	}
	return shape, true
}
