package pytuple

import (
	"slices"
	"testing"
)

func TestFormatParse(t *testing.T) {
	for _, c := range []struct {
		shape []int
		s     string
	}{
		{[]int{}, "()"},
		{[]int{5}, "(5,)"},
		{[]int{2, 3}, "(2, 3)"},
		{[]int{0, 1, 70000}, "(0, 1, 70000)"},
	} {
		if got := Format(c.shape); got != c.s {
			t.Errorf("Format(%v) = %q, want %q", c.shape, got, c.s)
		}
		got, ok := Parse(c.s)
		if !ok || !slices.Equal(got, c.shape) {
			t.Errorf("Parse(%q) = %v, %v; want %v", c.s, got, ok, c.shape)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "(", "2, 3", "(2, 3,)", "(,)", "(-1,)", "(a)", "(1,,)", "[2, 3]"} {
		if got, ok := Parse(s); ok {
			t.Errorf("Parse(%q) = %v, true; want false", s, got)
		}
	}
	if got, ok := Parse(" ( 2 ,3 ) "); !ok || !slices.Equal(got, []int{2, 3}) {
		t.Errorf("Parse with spaces = %v, %v", got, ok)
	}
}
