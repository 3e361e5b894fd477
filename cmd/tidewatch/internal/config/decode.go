package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/internal/duration"
)

// decodeLeaf converts raw (from YAML, the environment, a flag or a default) into
// a value of the leaf's type, or returns what was expected.
func decodeLeaf(n *node, raw any) (reflect.Value, *FieldError) {
	v := reflect.New(n.typ).Elem()
	fail := func(what string) (reflect.Value, *FieldError) {
		if n.secret() {
			return v, &FieldError{Key: n.key, Msg: "expected " + what + ", got " + kindOf(raw)}
		}
		return v, expected(n.key, what, raw)
	}
	switch {
	case n.typ == portType:
		i, ok := toInt(raw)
		if !ok || i < 1 || i > 65535 {
			return fail("a port number 1-65535")
		}
		v.SetInt(i)
	case n.typ == durationType:
		s, ok := raw.(string)
		if !ok {
			return fail("a duration such as 1s or 500ms")
		}
		d, err := duration.Parse(s)
		if err != nil {
			return fail("a duration such as 1s or 500ms")
		}
		v.SetInt(int64(d))
	case n.typ == stringsType:
		list, ok := toStrings(raw)
		if !ok {
			return fail("a list of strings")
		}
		v.Set(reflect.ValueOf(list))
	case n.typ.Kind() == reflect.String:
		s, ok := toString(raw)
		if !ok {
			return fail("a string")
		}
		v.SetString(s)
	case n.typ.Kind() == reflect.Int:
		i, ok := toInt(raw)
		if !ok {
			return fail("an integer")
		}
		v.SetInt(i)
	case n.typ.Kind() == reflect.Bool:
		b, ok := toBool(raw)
		if !ok {
			return fail("true or false")
		}
		v.SetBool(b)
	default:
		panic(fmt.Sprintf("config: key %s has unsupported type %s", n.key, n.typ))
	}
	return v, nil
}

func toInt(raw any) (int64, bool) {
	switch x := raw.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		return int64(x), true
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return i, err == nil
	}
	return 0, false
}

func toBool(raw any) (bool, bool) {
	switch x := raw.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		return b, err == nil
	}
	return false, false
}

// toString accepts any scalar: YAML reads `database: 2024` as a number, and the
// key's own validation is the better judge of whether that makes sense.
func toString(raw any) (string, bool) {
	switch x := raw.(type) {
	case string:
		return x, true
	case int, int64, uint64, float64, bool:
		return fmt.Sprint(x), true
	}
	return "", false
}

// toStrings accepts a YAML list of scalars or a comma-separated string (which is
// how lists arrive from the environment and from flags).
func toStrings(raw any) ([]string, bool) {
	switch x := raw.(type) {
	case string:
		var out []string
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := toString(e)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	case []string:
		return x, true
	}
	return nil, false
}

// kindOf names raw's shape without its value, for secrets.
func kindOf(raw any) string {
	switch raw.(type) {
	case map[string]any, map[any]any:
		return "a mapping"
	case []any, []string:
		return "a list"
	case nil:
		return "nothing"
	}
	return "a value of another type"
}

// describe renders a found value for an error message.
func describe(got any) string {
	switch x := got.(type) {
	case string:
		return strconv.Quote(x)
	case Secret:
		return strconv.Quote(x.String())
	case map[string]any, map[any]any, []any, nil:
		return kindOf(x)
	case []string:
		return strconv.Quote(strings.Join(x, ","))
	case time.Duration:
		return x.String()
	}
	return fmt.Sprint(got)
}
