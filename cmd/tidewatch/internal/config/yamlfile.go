package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// fileLayer is a parsed config file: the values for viper and where each key is.
type fileLayer struct {
	name   string         // the path as the user gave it, used in messages
	values map[string]any // nested maps of the keys that have a (non-null) value
	lines  map[string]int // line of each full dotted key, sections included
}

// yamlError matches yaml.v3's "yaml: line N: message".
var yamlError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseFile reads the YAML text of a config file and checks its keys against the
// tree. Unknown or duplicate keys, and scalars where sections belong, are problems.
func parseFile(name string, data []byte) (*fileLayer, []Problem) {
	layer := &fileLayer{name: name, values: map[string]any{}, lines: map[string]int{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		where := name
		if m := yamlError.FindStringSubmatch(err.Error()); m != nil {
			where = name + ":" + m[1]
			msg = m[2]
		}
		return nil, []Problem{{Where: where, Msg: "invalid YAML: " + msg}}
	}
	if len(doc.Content) == 0 { // an empty file or only comments
		return layer, nil
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return layer, nil
	}
	if top.Kind != yaml.MappingNode {
		return nil, []Problem{{Where: fmt.Sprintf("%s:%d", name, top.Line), Msg: "expected a mapping of configuration keys, got " + nodeKind(top)}}
	}
	var problems []Problem
	layer.walk(tree(), top, layer.values, &problems)
	return layer, problems
}

// walk checks the mapping m against section sec and copies its values into out.
func (l *fileLayer) walk(sec *node, m *yaml.Node, out map[string]any, problems *[]Problem) {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		at := fmt.Sprintf("%s:%d", l.name, k.Line)
		name := k.Value
		key := strings.TrimPrefix(sec.key+"."+name, ".")
		if first, dup := seen[name]; dup {
			*problems = append(*problems, Problem{Where: at, Key: key, Msg: fmt.Sprintf("duplicate key (first set on line %d)", first)})
			continue
		}
		seen[name] = k.Line
		c := sec.child(name)
		if k.Kind != yaml.ScalarNode || c == nil {
			*problems = append(*problems, Problem{Where: at, Key: key, Msg: unknownKeyMsg(sec, name)})
			continue
		}
		l.lines[key] = k.Line
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue // "key:" with nothing after it leaves the default in place
		}
		if c.isSection() {
			if v.Kind != yaml.MappingNode {
				*problems = append(*problems, Problem{Where: at, Key: key, Msg: "expected a section with the keys " + childNames(c) + ", got " + nodeKind(v)})
				continue
			}
			sub := map[string]any{}
			l.walk(c, v, sub, problems)
			out[name] = sub
			continue
		}
		var val any
		if err := v.Decode(&val); err != nil {
			*problems = append(*problems, Problem{Where: at, Key: key, Msg: "invalid value: " + err.Error()})
			continue
		}
		out[name] = val
	}
}

// unknownKeyMsg says that name is not a key of sec and what it might have been.
func unknownKeyMsg(sec *node, name string) string {
	if s := suggest(sec, name); s != "" {
		return "unknown key; did you mean " + s + "?"
	}
	if sec.key == "" {
		return "unknown key; the top-level keys are " + childNames(sec)
	}
	return "unknown key; the keys of " + sec.key + " are " + childNames(sec)
}

func childNames(sec *node) string {
	names := make([]string, len(sec.children))
	for i, c := range sec.children {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return strconv.Quote(n.Value)
}
