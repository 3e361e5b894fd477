package duration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		// Go durations read as time.ParseDuration reads them.
		{"0", 0},
		{"45m", 45 * time.Minute},
		{"36h", 36 * time.Hour},
		{"1h30m", 90 * time.Minute},
		{"1.5h", 90 * time.Minute},
		{"300ms", 300 * time.Millisecond},
		{"2us", 2 * time.Microsecond},
		{"2µs", 2 * time.Microsecond},
		{"-2h", -2 * time.Hour},
		{"+2h", 2 * time.Hour},
		// Days and weeks, alone and combined with each other and with Go units.
		{"7d", 7 * Day},
		{"90d", 90 * Day},
		{"2w", 2 * Week},
		{"1.5d", 36 * time.Hour},
		{".5w", 84 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"2w3d", 17 * Day},
		{"1w2d3h30m", Week + 2*Day + 3*time.Hour + 30*time.Minute},
		{"12h1d", 36 * time.Hour},
		{"1d1d", 2 * Day},
		{"0d", 0},
		{"-2d", -2 * Day},
		{"-1d12h", -36 * time.Hour},
		{"  1d12h\t", 36 * time.Hour},
		{"106751d", 106751 * Day},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := Parse(c.in)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

func TestParseAgreesWithGo(t *testing.T) {
	for _, s := range []string{"0", "1ns", "1.000000001s", "-1.5h", "2562047h47m16.854775807s",
		"-2562047h47m16.854775808s", "1h1h", ".5m", "5.m", "3h2m1s"} {
		want, err := time.ParseDuration(s)
		require.NoError(t, err, s)
		got, err := Parse(s)
		require.NoError(t, err, s)
		require.Equal(t, want, got, s)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		{"", `invalid duration "": empty`},
		{"   ", `invalid duration "   ": empty`},
		{"d", `invalid duration "d": expected a number at "d"`},
		{"-", `invalid duration "-": a sign and no number`},
		{"5", `invalid duration "5": missing unit after "5" (ns, us, ms, s, m, h, d or w)`},
		{"1d5", `invalid duration "1d5": missing unit after "5" (ns, us, ms, s, m, h, d or w)`},
		{"3 weeks", `invalid duration "3 weeks": unexpected " " after "3"`},
		{"2x", `invalid duration "2x": unknown unit "x" in "2x" (ns, us, ms, s, m, h, d or w)`},
		{"1d2y", `invalid duration "1d2y": unknown unit "y" in "2y" (ns, us, ms, s, m, h, d or w)`},
		{"1D", `invalid duration "1D": unknown unit "D" in "1D" (ns, us, ms, s, m, h, d or w)`},
		{"1d-2h", `invalid duration "1d-2h": expected a number at "-2h"`},
		{"--1d", `invalid duration "--1d": expected a number at "-1d"`},
		{".d", `invalid duration ".d": expected a number at ".d"`},
		{"1.2.3d", `invalid duration "1.2.3d": unexpected "." after "1.2"`},
		{"1d 12h", `invalid duration "1d 12h": expected a number at " 12h"`},
		{"106752d", `invalid duration "106752d": out of range (at most about 292 years)`},
		{"15251w", `invalid duration "15251w": out of range (at most about 292 years)`},
		{"106751d24h", `invalid duration "106751d24h": out of range (at most about 292 years)`},
		{"1d9999999999h", `invalid duration "1d9999999999h": out of range (at most about 292 years)`},
	} {
		t.Run(c.in, func(t *testing.T) {
			_, err := Parse(c.in)
			require.ErrorIs(t, err, ErrSyntax)
			require.EqualError(t, err, c.msg)
		})
	}
}
