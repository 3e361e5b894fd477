package importer

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseCount(t *testing.T) {
	for in, want := range map[string]uint64{
		"": 0, "0": 0, "1972048": 1972048, "1,972,048": 1972048, "407.137": 407137, "1 234": 1234,
		"1'234": 1234, "1\u00a0234": 1234, "12.0": 12, "0.0": 0, "3.000000": 3, "1.2e+05": 120000,
		" 42 ": 42, "1.000": 1000, "0,0": 0,
	} {
		got, ok := ParseCount(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"1,4", "-3", "abc", "1,2,3", "1.234,5", "1,23", "12,3456", "01,234", "1.5", "NaN", "Inf", "1e400"} {
		_, ok := ParseCount(in)
		require.False(t, ok, in)
	}
}

func TestParseTime(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v.UTC()
	}
	for in, want := range map[string]time.Time{
		"2021-07-05 18:02:45 BRT":    utc("2021-07-05T21:02:45Z"),
		"2021-03-14 10:30:00 EDT":    utc("2021-03-14T14:30:00Z"),
		"2020-03-01 12:00:00 -0300":  utc("2020-03-01T15:00:00Z"),
		"2020-03-01 12:00:00 +05:30": utc("2020-03-01T06:30:00Z"),
		"2020-03-01 12:00 UTC+3":     utc("2020-03-01T09:00:00Z"),
		"2022-08-13T20:36:51.000Z":   utc("2022-08-13T20:36:51Z"),
		"2024-05-01T12:00:00+02:00":  utc("2024-05-01T10:00:00Z"),
		"2016-03-14 01:31":           utc("2016-03-14T01:31:00Z"),
		"2015-01-15":                 utc("2015-01-15T00:00:00Z"),
		"1605185632":                 utc("2020-11-12T12:53:52Z"),
		"2020-11-12T12:53:52":        utc("2020-11-12T12:53:52Z"),
	} {
		got, ok := ParseTime(in, nil)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err == nil {
		got, ok := ParseTime("2020-11-12T12:53:52", berlin)
		require.True(t, ok)
		require.Equal(t, utc("2020-11-12T11:53:52Z"), got)
	}
	for _, in := range []string{"", "yesterday", "2021-07-05 18:02:45 XYZ", "2021-13-01", "12345"} {
		_, ok := ParseTime(in, nil)
		require.False(t, ok, in)
	}
}

func TestParseListBoolToken(t *testing.T) {
	require.Equal(t, []string{"http://bit.ly/1abc", "https://x.com/a"}, ParseList("[http://bit.ly/1abc, https://x.com/a]"))
	require.Equal(t, []string{"tag1", "tag2"}, ParseList("['tag1', 'tag2']"))
	require.Equal(t, []string{"a", "b c"}, ParseList("a| b c |"))
	require.Nil(t, ParseList("[]"))
	require.Nil(t, ParseList(""))
	for in, want := range map[string]bool{"True": true, "false": false, "1": true, "0.0": false, "Yes": true, "": false, "-": false} {
		got, ok := ParseBool(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	_, ok := ParseBool("maybe")
	require.False(t, ok)
	require.Equal(t, "native_video", Token(" Native Video "))
	require.Equal(t, "live_video_complete", Token("Live Video (Complete)"))
	require.True(t, Absent("absent") && Absent(" N/A ") && !Absent("0"))
}

func TestFieldErrorText(t *testing.T) {
	e := &FieldError{File: "posts.csv", Line: 17, Field: "posted_at", Expected: "a time", Got: "yesterday"}
	require.Equal(t, `posts.csv:17: posted_at: expected a time, got "yesterday"`, e.Error())
	require.Equal(t, `posted_at: expected a time, got "yesterday"`, e.Reason())
	long := &FieldError{File: "f", Line: 1, Field: "x", Expected: "y", Got: strings.Repeat("é", 200)}
	require.Less(t, len([]rune(long.Error())), 120)
}

func TestHasher(t *testing.T) {
	_, err := NewHasher(nil)
	require.ErrorIs(t, err, ErrNoHashKey)
	_, err = NewHasher([]byte("short"))
	require.EqualError(t, err, "privacy.hash_key: expected at least 16 bytes, got 5")
	h, err := NewHasher([]byte("0123456789abcdef"))
	require.NoError(t, err)
	a := h.Person("telegram", "123")
	require.Len(t, a, 64)
	require.Equal(t, a, h.Person("telegram", "123"))
	require.NotEqual(t, a, h.Person("twitter", "123"))
	require.Equal(t, h.Handle("twitter", "@Foo"), h.Handle("twitter", "foo"))
	// The hashes themselves are pinned by the golden test of package schema/privacy.
	require.Equal(t, "tg-invite:", h.Invite("AbCd")[:10])
	require.Len(t, h.Invite("AbCd"), 42)
	h2, _ := NewHasher([]byte("another key, 16+ bytes"))
	require.NotEqual(t, a, h2.Person("telegram", "123"))
}

func TestLineCounter(t *testing.T) {
	data := "a\nbb\n\nccc\nd"
	lc := NewLineCounter(strings.NewReader(data))
	buf := make([]byte, 3)
	for {
		if _, err := lc.Read(buf); err != nil {
			break
		}
	}
	for off, want := range []int{1, 1, 2, 2, 2, 3, 4, 4, 4, 4, 5} {
		require.Equal(t, want, lc.LineAt(int64(off)), "offset %d", off)
	}
}
