package importer

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ParseCount reads a non-negative whole number as exports write them: "1972048",
// "1,972,048" and "407.137" (thousands separators of either locale, also spaces and
// apostrophes), "12.0" and "1.2e+05" (counts written as floats by pandas), "" (= 0). A decimal
// fraction that is not zero ("1,4") is not a count. ok is false when s is none of these.
func ParseCount(s string) (uint64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, true
	}
	if n, ok := groupedInt(s); ok {
		return n, true
	}
	// Floats: "12.0", "3.000000", "1.2e+05", "0,0".
	f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f > 1<<53 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return uint64(f), true
}

// groupedInt reads digits in groups of three separated by one kind of separator: "1,972,048",
// "407.137", "1 234", "1'234". The first group has 1-3 digits and does not start with 0.
func groupedInt(s string) (uint64, bool) {
	var sep rune
	var n uint64
	digits := 0
	first := true
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			if first && digits == 0 && c == '0' {
				return 0, false
			}
			digits++
			if digits > 3 {
				return 0, false
			}
			d := uint64(c - '0')
			if n > (math.MaxUint64-d)/10 {
				return 0, false
			}
			n = n*10 + d
		case c == ',' || c == '.' || c == ' ' || c == '\'' || c == '\u00a0' || c == '\u202f':
			if sep == 0 {
				sep = c
			} else if c != sep {
				return 0, false
			}
			if digits == 0 || (!first && digits != 3) {
				return 0, false
			}
			first = false
			digits = 0
		default:
			return 0, false
		}
	}
	return n, sep != 0 && digits == 3
}

// ParseBool reads the spellings of true and false exports use: true/false, True/False, yes/no,
// 1/0, t/f, y/n, and "" (= false).
func ParseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "y", "1", "1.0":
		return true, true
	case "false", "f", "no", "n", "0", "0.0", "", "-":
		return false, true
	}
	return false, false
}

// zoneOffsets are the time-zone abbreviations dashboards print after local times ("2021-07-05
// 18:02:45 BRT"), as offsets from UTC in minutes. Ambiguous abbreviations take the meaning
// CrowdTangle's dashboards used (IST = India, CST = US Central).
var zoneOffsets = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "WET": 0, "WEST": 60, "BST": 60, "IST": 330,
	"CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180,
	"TRT": 180, "EAT": 180, "WAT": 60, "CAT": 120, "SAST": 120, "GST": 240, "IRST": 210,
	"IRDT": 270, "AFT": 270, "PKT": 300, "NPT": 345, "BDT": 360, "ICT": 420, "WIB": 420,
	"SGT": 480, "HKT": 480, "PHT": 480, "AWST": 480, "CST": -360, "CDT": -300, "JST": 540,
	"KST": 540, "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
	"EST": -300, "EDT": -240, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
	"AKST": -540, "AKDT": -480, "HST": -600, "AST": -240, "ADT": -180, "NST": -210,
	"NDT": -150, "BRT": -180, "BRST": -120, "ART": -180, "UYT": -180, "CLT": -240,
	"CLST": -180, "PYT": -240, "BOT": -240, "VET": -240, "COT": -300, "PET": -300,
	"ECT": -300, "WITA": 480, "WIT": 540, "MYT": 480,
}

// ParseZone reads a zone as an abbreviation from the table above or a numeric offset ("-03",
// "+0530", "+05:30", "UTC+3", "GMT-03:00").
func ParseZone(s string) (*time.Location, bool) {
	s = strings.TrimSpace(s)
	if off, ok := zoneOffsets[strings.ToUpper(s)]; ok {
		return time.FixedZone(strings.ToUpper(s), off*60), true
	}
	up := strings.ToUpper(s)
	for _, p := range []string{"UTC", "GMT"} {
		if rest, ok := strings.CutPrefix(up, p); ok && rest != "" {
			up = rest
			break
		}
	}
	if len(up) < 2 || (up[0] != '+' && up[0] != '-') {
		return nil, false
	}
	sign := 1
	if up[0] == '-' {
		sign = -1
	}
	digits := strings.ReplaceAll(up[1:], ":", "")
	for _, c := range digits {
		if c < '0' || c > '9' {
			return nil, false
		}
	}
	var h, m int
	switch len(digits) {
	case 1, 2:
		h, _ = strconv.Atoi(digits)
	case 3, 4:
		h, _ = strconv.Atoi(digits[:len(digits)-2])
		m, _ = strconv.Atoi(digits[len(digits)-2:])
	default:
		return nil, false
	}
	if h > 14 || m > 59 {
		return nil, false
	}
	return time.FixedZone(s, sign*(h*3600+m*60)), true
}

// localLayouts are the date-time forms without a zone that exports write.
var localLayouts = []string{
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02 15:04",
	"2006/01/02",
}

// ParseTime reads the times exports write, returning UTC: RFC 3339 ("2022-08-13T20:36:51.000Z",
// "2024-05-01T12:00:00+02:00"), a local time with a trailing zone ("2021-07-05 18:02:45 BRT",
// "2020-03-01 12:00:00 -0300"), a local time or date alone (read in loc, UTC when nil), and
// Unix seconds. ok is false for anything else or an empty string.
func ParseTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if allDigits(s) && len(s) >= 9 && len(s) <= 10 {
		n, _ := strconv.ParseInt(s, 10, 64)
		return time.Unix(n, 0).UTC(), true
	}
	// A trailing zone after a space: "2021-07-05 18:02:45 BRT".
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		if z, ok := ParseZone(s[i+1:]); ok {
			if t, ok := parseLocal(strings.TrimSpace(s[:i]), z); ok {
				return t, true
			}
		}
	}
	return parseLocal(s, loc)
}

func parseLocal(s string, loc *time.Location) (time.Time, bool) {
	for _, l := range localLayouts {
		if len(s) != len(l) {
			continue
		}
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// ParseList reads a list written as "[a, b, 'c']" (Python's repr, as in Twitter's releases),
// "a|b|c" or a single value. Items are trimmed and unquoted; empty items and "[]" give none.
func ParseList(s string) []string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
		var out []string
		for _, it := range strings.Split(s, ",") {
			it = strings.TrimSpace(it)
			it = strings.Trim(it, `'"`)
			if it != "" {
				out = append(out, it)
			}
		}
		return out
	}
	if s == "" {
		return nil
	}
	var out []string
	for _, it := range strings.Split(s, "|") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// Absent tells whether a value is one of the markers exports write for "no value".
func Absent(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "absent", "n/a", "na", "nan", "none", "null", "-":
		return true
	}
	return false
}

// Token lowers s and turns runs of anything but letters and digits into one underscore:
// "Native Video" becomes "native_video".
func Token(s string) string {
	var b strings.Builder
	under := false
	for _, c := range strings.ToLower(strings.TrimSpace(s)) {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(c)
			continue
		}
		under = true
	}
	return b.String()
}

// twitterEpoch is the start of X/Twitter's snowflake ids, in Unix milliseconds.
const twitterEpoch = 1288834974657

// SnowflakeTime is the creation time written into an X/Twitter id (tweets and accounts created
// after November 2010), to the second. ok is false for older, sequential ids.
func SnowflakeTime(id uint64) (time.Time, bool) {
	ms := int64(id>>22) + twitterEpoch
	if id < 1<<32 || ms > time.Now().Add(24*time.Hour).UnixMilli() {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC().Truncate(time.Second), true
}
