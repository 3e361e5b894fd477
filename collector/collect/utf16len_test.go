package collect

import "testing"

func TestUTF16Len(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"hello, world", 12},
		{"😀 hi", 5},
		{"日本語", 3},
		{"e\u0301", 2},
		{"a\xffb", 3}, // invalid byte counts as U+FFFD, one unit
	} {
		if got := utf16Len(tc.in); got != tc.want {
			t.Errorf("utf16Len(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
