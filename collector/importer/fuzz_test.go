package importer

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseCount: a count that parses is printed back as digits that parse to the same
// count, with or without the grouping exports add.
func FuzzParseCount(f *testing.F) {
	for _, s := range []string{"", "0", "1972048", "1,972,048", "407.137", "1 234", "1'234", "12.0", "1.2e+05",
		"0,0", "1,4", "-1", "1,23", "01,234", "1e400", "NaN", "9007199254740993", "18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseCount(s)
		if !ok {
			require.Zero(t, n)
			return
		}
		digits := strconv.FormatUint(n, 10)
		again, ok := ParseCount(digits)
		require.True(t, ok, digits)
		require.Equal(t, n, again)
		grouped := digits
		for i := len(digits) - 3; i > 0; i -= 3 {
			grouped = grouped[:i] + "," + grouped[i:]
		}
		again, ok = ParseCount(grouped)
		require.True(t, ok, grouped)
		require.Equal(t, n, again, grouped)
	})
}
