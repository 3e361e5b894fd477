package report

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// runIDPattern is what job.NewRunID makes: the job, the start time and 48 random bits. A
// run id is spliced into the queries a report prints, so nothing else is accepted.
var runIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{12}$`)

// CheckRunID tells whether id is a run id as jobs make them.
func CheckRunID(id string) error {
	if !runIDPattern.MatchString(id) {
		return fmt.Errorf("run id %q: want JOB-YYYYMMDDTHHMMSSZ-<12 hex digits>", Clean(id, MaxLabel))
	}
	return nil
}

// quote is a ClickHouse string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// num formats a number with prec decimals and thousands kept plain; a value that is not a
// number says so in words. A value that rounds to zero is written without a sign (0.0000,
// never -0.0000).
func num(v float64, prec int) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return dropZeroSign(strconv.FormatFloat(v, 'f', prec, 64))
}

// signed is num with a plus sign on a positive value; a value that rounds to zero has no
// sign.
func signed(v float64, prec int) string {
	s := num(v, prec)
	if v > 0 && finite(v) && !readsZero(s) {
		return "+" + s
	}
	return s
}

// count formats an integer count.
func count[T ~int | ~uint32 | ~uint64 | ~int64](v T) string { return strconv.FormatInt(int64(v), 10) }

// interval is "v (lo to hi)", with words for ends that were not reached.
func interval(v, lo, hi float64, prec int, missing string) string {
	end := func(x float64) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return missing
		}
		return num(x, prec)
	}
	return end(v) + " (" + end(lo) + " to " + end(hi) + ")"
}

// day is a date.
func day(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return "unknown"
	}
	return t.UTC().Format(time.DateOnly)
}

// stamp is a time to the second.
func stamp(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// change is the difference of a current value against a comparison one, absolute and in
// percent.
func change(cur, prev float64, prec int) string {
	if math.IsNaN(cur) || math.IsNaN(prev) {
		return "n/a"
	}
	d := cur - prev
	s := signed(d, prec)
	if prev != 0 {
		s += " (" + signed(100*d/math.Abs(prev), 1) + "%)"
	}
	return s
}

// steps expands a step function's points (the value holds from each x to the next) into
// the corners of its graph, starting from (0, start).
func steps(xs, ys []float64, start float64) (ox, oy []float64) {
	ox, oy = []float64{0}, []float64{start}
	prev := start
	for i := range xs {
		ox = append(ox, xs[i], xs[i])
		oy = append(oy, prev, ys[i])
		prev = ys[i]
	}
	return ox, oy
}

// boolFlag is a flag as the result tables store it.
func boolFlag(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

// quoteData is a ClickHouse string literal of a text from the data, for a query a report
// prints: bytes other than ASCII letters, digits, space and -_.:@/ are written as \xHH, so
// the printed query runs as shown and carries no markup, control or invisible character.
func quoteData(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte(" -_.:@/", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02X`, c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
