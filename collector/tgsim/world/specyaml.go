package world

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ParseSpec parses and validates a YAML spec. name (usually the file path)
// prefixes errors, which read "name:line: field: problem". Unknown fields
// are errors: a typo must not silently fall back to a default.
func ParseSpec(data []byte, name string) (Spec, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Spec{}, yamlSyntaxError(name, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return Spec{}, fmt.Errorf("%s: empty spec", name)
	}
	spec := baseSpec()
	d := &specDecoder{name: name, lines: map[string]int{}}
	if err := d.decode(root.Content[0], reflect.ValueOf(&spec).Elem(), ""); err != nil {
		return Spec{}, err
	}
	for i := range spec.Events {
		prefix := fmt.Sprintf("events[%d].", i)
		spec.Events[i].applyDefaults(func(field string) bool {
			_, ok := d.lines[prefix+field]
			return ok
		})
	}
	if errs := spec.validate(); len(errs) > 0 {
		out := make([]error, 0, len(errs))
		for _, e := range errs {
			out = append(out, fmt.Errorf("%s:%d: %s: %s", name, d.lineOf(e.path), e.path, e.msg))
		}
		return Spec{}, errors.Join(out...)
	}
	return spec, nil
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

// yamlSyntaxError rewrites yaml.v3's "yaml: line N: msg" as "name:N: msg".
func yamlSyntaxError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil && m[0] == 0 {
		return fmt.Errorf("%s:%s: %s", name, msg[m[2]:m[3]], msg[m[1]:])
	}
	return fmt.Errorf("%s: %s", name, msg)
}

// specDecoder decodes yaml nodes into Spec with reflection, recording the
// line of every field path so later validation can point at it.
type specDecoder struct {
	name  string
	lines map[string]int
}

// lineOf returns the line of path or of its nearest recorded ancestor (1 if none).
func (d *specDecoder) lineOf(path string) int {
	for p := path; p != ""; {
		if l, ok := d.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	if l, ok := d.lines[""]; ok {
		return l
	}
	return 1
}

func (d *specDecoder) errf(n *yaml.Node, path, format string, args ...any) error {
	field := path
	if field == "" {
		field = "spec"
	}
	return fmt.Errorf("%s:%d: %s: %s", d.name, n.Line, field, fmt.Sprintf(format, args...))
}

var (
	timeType     = reflect.TypeOf(time.Time{})
	durationType = reflect.TypeOf(Duration(0))
)

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func (d *specDecoder) decode(n *yaml.Node, v reflect.Value, path string) error {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.lines[path] = n.Line
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // keep the default
	}
	switch v.Type() {
	case timeType:
		if n.Kind != yaml.ScalarNode {
			return d.errf(n, path, "want a time like 2026-03-10T18:00:00Z")
		}
		t, err := parseTime(n.Value)
		if err != nil {
			return d.errf(n, path, "%v", err)
		}
		v.Set(reflect.ValueOf(t))
		return nil
	case durationType:
		if n.Kind != yaml.ScalarNode {
			return d.errf(n, path, "want a duration like 36h or 90d")
		}
		dur, err := parseDuration(n.Value)
		if err != nil {
			return d.errf(n, path, "%v", err)
		}
		v.Set(reflect.ValueOf(dur))
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		if err := d.decode(n, elem.Elem(), path); err != nil {
			return err
		}
		v.Set(elem)
		return nil
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return d.errf(n, path, "want a mapping")
		}
		fields := map[string]int{}
		var names []string
		for i := 0; i < v.NumField(); i++ {
			tag := v.Type().Field(i).Tag.Get("yaml")
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = i
			names = append(names, tag)
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			idx, ok := fields[k.Value]
			if !ok {
				return d.errf(k, join(path, k.Value), "unknown field (known: %s)", strings.Join(names, ", "))
			}
			if seen[k.Value] {
				return d.errf(k, join(path, k.Value), "duplicate field")
			}
			seen[k.Value] = true
			if err := d.decode(val, v.Field(idx), join(path, k.Value)); err != nil {
				return err
			}
			d.lines[join(path, k.Value)] = k.Line
		}
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return d.errf(n, path, "want a list")
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := d.decode(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(out)
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return d.errf(n, path, "want a mapping")
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			if v.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				return d.errf(k, p, "duplicate key")
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			if err := d.decode(val, elem, p); err != nil {
				return err
			}
			d.lines[p] = k.Line
			v.SetMapIndex(reflect.ValueOf(k.Value), elem)
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return d.errf(n, path, "want a single value")
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			return d.errf(n, path, "want true or false, got %q", n.Value)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			return d.errf(n, path, "want an integer, got %q", n.Value)
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil {
			return d.errf(n, path, "want a number, got %q", n.Value)
		}
		v.SetFloat(f)
	default:
		return d.errf(n, path, "unsupported field type %s", v.Type())
	}
	return nil
}

// parseTime accepts RFC 3339 times and plain dates (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("want a time like 2026-03-10T18:00:00Z, got %q", s)
}
