package importer

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func badStrings(raw, prefix string) []string {
	var out []string
	EachBadJSONString([]byte(raw), prefix, func(field, s string) {
		out = append(out, field+"="+s)
	})
	return out
}

func TestEachBadJSONString(t *testing.T) {
	for _, tc := range []struct {
		raw, prefix string
		want        []string
	}{
		{`{"text": "a\u0000b"}`, "", []string{"text=a\x00b"}},
		{`{"text": "a\u001B[31mred"}`, "", []string{"text=a\x1b[31mred"}},
		{`{"text": "a\u007fb"}`, "", []string{"text=a\x7fb"}},
		{`{"text": "a\bb", "t": "\f"}`, "", []string{"text=a\bb", "t=\f"}},
		{"{\"text\": \"a\x7fb\"}", "", []string{"text=a\x7fb"}},
		{`{"data": [{"id": "1"}, {"id": "2", "text": "x\u0007"}], "includes": {"users": [{"name": "\u0000"}]}}`, "",
			[]string{"data[1].text=x\a", "includes.users[0].name=\x00"}},
		{`{"data": {"entities": {"urls": [[], ["\u0001"]]}}}`, "", []string{"data.entities.urls[1][0]=\x01"}},
		{`{"a\u0000": 1}`, "", []string{`"a\x00"=a` + "\x00"}},
		{`{"x\u202e": {"y": "\u0000"}}`, "", []string{`"x\u202e".y=` + "\x00"}},
		{`["\u0000"]`, "messages", []string{"messages[0]=\x00"}},
		{`"\u0000"`, "", []string{"value=\x00"}},
		{`{"n": 1e400, "big": 18446744073709551616000, "s": "\u0000"}`, "", []string{"s=\x00"}},
		{`{"text": "\u0000", "broken": `, "", []string{"text=\x00"}},
		// What legitimate posts hold.
		{`{"text": "line\none\ttab\r\n\u0009\u000a\u000d \u00e9 \ud83d\udd2d \u0080"}`, "", nil},
		// An escaped backslash before u0000 is text, not an escape.
		{`{"text": "C:\\u0000\\u001b"}`, "", nil},
		{`{"text": "a\\\u0000"}`, "", []string{"text=a\\\x00"}},
		{`{"text": "\u00"}`, "", nil},
	} {
		require.Equal(t, tc.want, badStrings(tc.raw, tc.prefix), tc.raw)
	}
}

func TestCheckJSONText(t *testing.T) {
	env := &Env{File: "t.jsonl"}
	rec := &Record{Line: 3}
	require.False(t, CheckJSONText(env, rec, "", []byte(`{"data": {"text": "a\u0000b", "author_id": "\u001b]0;x\u0007"}}`)))
	var got []string
	for _, e := range rec.Errors {
		got = append(got, e.Error())
	}
	require.Equal(t, []string{
		`t.jsonl:3: data.text: expected UTF-8 text without NUL bytes or control characters, got "a\x00b"`,
		`t.jsonl:3: data.author_id: expected UTF-8 text without NUL bytes or control characters, got "\x1b]0;x\a"`,
	}, got)
	rec = &Record{Line: 1}
	require.True(t, CheckJSONText(env, rec, "", []byte(`{"data": {"text": "a\nb\tc"}}`)))
	require.Empty(t, rec.Errors)
}

// FuzzEachBadJSONString: every string of valid JSON that is not text is found, whatever the
// quick look for escapes thinks of the input.
func FuzzEachBadJSONString(f *testing.F) {
	for _, s := range []string{`{"a": "\u0000"}`, `["\\u0000", "\u001f"]`, "\"\x7f\"", `{"\u0000": {"b": [1, "\t"]}}`, `"\\\\\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return
		}
		want := 0
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				if !IsText(v) {
					want++
				}
			case []any:
				for _, e := range v {
					walk(e)
				}
			case map[string]any:
				for k, e := range v {
					if !IsText(k) {
						want++
					}
					walk(e)
				}
			}
		}
		walk(v)
		got := 0
		EachBadJSONString(raw, "", func(field, s string) {
			require.NotEmpty(t, field)
			require.False(t, IsText(s))
			got++
		})
		// Duplicate keys decode to one map entry; the scan sees each.
		require.GreaterOrEqual(t, got, want)
	})
}
