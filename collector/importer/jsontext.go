package importer

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// CheckJSONText fails rec for every string of the JSON value raw, object keys included, that
// is not [IsText], as the CSV reader fails a field: JSON escapes such as \u0000, \u001b or \b
// decode to control characters that no export holds as data. A field is named by its path
// under prefix (data[0].text, includes.users[1].name). It reports whether raw passed. Broken
// JSON is the parser's to report: the check looks only at the strings before the damage.
func CheckJSONText(env *Env, rec *Record, prefix string, raw []byte) bool {
	ok := true
	EachBadJSONString(raw, prefix, func(field, s string) {
		rec.Fail(env, field, TextExpected, s)
		ok = false
	})
	return ok
}

// EachBadJSONString calls bad with the path and the decoded value of every string of the JSON
// value raw (keys included) that is not [IsText].
func EachBadJSONString(raw []byte, prefix string, bad func(field, s string)) {
	if !mayDecodeToControl(raw) {
		return // the common case: no escape of a control character, no DEL byte
	}
	type level struct {
		object  bool
		key     string
		haveKey bool
		index   int
	}
	var stack []level
	path := func(stack []level, key string) string {
		var b strings.Builder
		b.WriteString(prefix)
		for _, l := range stack {
			if l.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(JSONKey(l.key))
			} else {
				b.WriteString("[" + strconv.Itoa(l.index) + "]")
			}
		}
		if key != "" {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(JSONKey(key))
		}
		return b.String()
	}
	// done moves past a value of the innermost object or list.
	done := func() {
		if len(stack) == 0 {
			return
		}
		if l := &stack[len(stack)-1]; l.object {
			l.haveKey = false
		} else {
			l.index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // a number too large for a float64 must not end the scan
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				stack = append(stack, level{object: v == '{'})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
		case string:
			if len(stack) > 0 && stack[len(stack)-1].object && !stack[len(stack)-1].haveKey {
				l := &stack[len(stack)-1]
				if !IsText(v) {
					bad(path(stack[:len(stack)-1], v), v) // a key names itself, quoted
				}
				l.key, l.haveKey = v, true
				continue
			}
			if !IsText(v) {
				field := path(stack, "")
				if field == "" {
					field = "value"
				}
				bad(field, v)
			}
			done()
		default:
			done()
		}
	}
}

// mayDecodeToControl tells whether raw holds a DEL byte, a \b or \f, or a \u escape of a
// character [IsText] refuses; when it does not, no string of raw decodes to one. (Raw control
// bytes are not valid inside JSON strings: the decoder refuses them.)
func mayDecodeToControl(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case 0x7f:
			return true
		case '\\':
			if i+1 < len(raw) && (raw[i+1] == 'b' || raw[i+1] == 'f') {
				return true // backspace, form feed
			}
			if i+5 < len(raw) && raw[i+1] == 'u' {
				if n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16); err == nil {
					if n < 0x20 && n != '\t' && n != '\n' && n != '\r' || n == 0x7f {
						return true
					}
				}
			}
			i++ // the escaped character, so that \\u0000 is no escape
		}
	}
	return false
}

// JSONKey is how a key appears in a field's path: as it is when it is a plain name (the keys
// of the formats), else quoted in ASCII, so that no key can bring control or bidirectional
// characters into a message.
func JSONKey(k string) string {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '@') {
			return strconv.QuoteToASCII(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}
