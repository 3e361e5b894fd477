// Package duration reads the durations written in tidewatch's configuration, command-line
// flags and simulator specs: Go durations, plus days and weeks.
//
// It imports only the standard library, so every layer of the module may use it.
package duration

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Day and Week are the lengths Parse gives the units d and w: fixed spans of 24 hours and
// 7 days, not calendar days (daylight saving time plays no part).
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// ErrSyntax is wrapped by every error of Parse.
var ErrSyntax = errors.New("invalid duration")

// Parse reads a duration: time.ParseDuration's syntax (a sequence of decimal numbers, each
// with an optional fraction and a unit among ns, us, µs, ms, s, m and h, the whole with an
// optional sign: "90m", "1h30m", "1.5h", "-2h") with two more units, d for [Day] and w for
// [Week], that combine with the others in any order ("7d", "2w", "1.5d", "1d12h",
// "1w2d3h30m"). What time.ParseDuration accepts, Parse reads to the same value. Surrounding
// spaces are ignored; inner spaces are not allowed.
//
// Errors wrap [ErrSyntax] and name the input and the part that is wrong.
func Parse(s string) (time.Duration, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%w %q: empty", ErrSyntax, in)
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	rest := s
	neg := false
	if rest[0] == '-' || rest[0] == '+' {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	if rest == "" {
		return 0, fmt.Errorf("%w %q: a sign and no number", ErrSyntax, in)
	}
	var total time.Duration
	for rest != "" {
		num := numberPrefix(rest)
		if num == "" || num == "." {
			return 0, fmt.Errorf("%w %q: expected a number at %q", ErrSyntax, in, rest)
		}
		rest = rest[len(num):]
		unit := unitPrefix(rest)
		rest = rest[len(unit):]
		part := num + unit
		var v time.Duration
		var err error
		switch unit {
		case "":
			if rest == "" {
				return 0, fmt.Errorf("%w %q: missing unit after %q (ns, us, ms, s, m, h, d or w)", ErrSyntax, in, num)
			}
			return 0, fmt.Errorf("%w %q: unexpected %q after %q", ErrSyntax, in, rest[:1], num)
		case "d", "w":
			v, err = scaled(num, unit)
		default:
			v, err = time.ParseDuration(part)
			if err != nil && validUnit(unit) {
				err = errRange
			} else if err != nil {
				err = fmt.Errorf("unknown unit %q in %q (ns, us, ms, s, m, h, d or w)", unit, part)
			}
		}
		if err != nil {
			return 0, fmt.Errorf("%w %q: %v", ErrSyntax, in, err)
		}
		if total > math.MaxInt64-v {
			return 0, fmt.Errorf("%w %q: %v", ErrSyntax, in, errRange)
		}
		total += v
	}
	if neg {
		total = -total
	}
	return total, nil
}

var errRange = errors.New("out of range (at most about 292 years)")

// scaled reads num days or weeks exactly: num hours, by time.ParseDuration, times 24 or 168.
func scaled(num, unit string) (time.Duration, error) {
	h, err := time.ParseDuration(num + "h")
	if err != nil {
		return 0, errRange
	}
	f := time.Duration(24)
	if unit == "w" {
		f = 7 * 24
	}
	if h > math.MaxInt64/f {
		return 0, errRange
	}
	return h * f, nil
}

// numberPrefix returns the leading decimal number of s: digits with at most one dot.
func numberPrefix(s string) string {
	i, dot := 0, false
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' && !dot) {
		dot = dot || s[i] == '.'
		i++
	}
	return s[:i]
}

// unitPrefix returns the leading run of s up to the next digit, dot, sign or space: the unit
// after a number.
func unitPrefix(s string) string {
	i := 0
	for i < len(s) && !(s[i] >= '0' && s[i] <= '9' || strings.IndexByte(".-+ \t", s[i]) >= 0) {
		i++
	}
	return s[:i]
}

// validUnit reports whether u is a unit of time.ParseDuration.
func validUnit(u string) bool {
	switch u {
	case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
		return true
	}
	return false
}
