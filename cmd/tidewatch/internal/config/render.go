package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Show renders the configuration as YAML in declaration order, secrets as "***".
// With sources set, each key carries a comment saying where its value came from.
func Show(c *Config, sources map[string]Source) ([]byte, error) {
	doc := sectionNode(tree(), reflect.ValueOf(c).Elem(), sources)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("render config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render config: %w", err)
	}
	return buf.Bytes(), nil
}

// Fingerprint is a short stable hash of the configuration with secrets
// redacted, recorded with each collection run to tell configurations apart.
func Fingerprint(c *Config) string {
	b, err := Show(c, nil)
	if err != nil { // only scalars, lists and mappings are encoded: cannot happen
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func sectionNode(sec *node, v reflect.Value, sources map[string]Source) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, c := range sec.children {
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: c.name}
		var val *yaml.Node
		if c.isSection() {
			val = sectionNode(c, v.FieldByIndex(c.index[len(c.index)-1:]), sources)
		} else {
			val = leafNode(c, v.FieldByIndex(c.index[len(c.index)-1:]))
			if src, ok := sources[c.key]; ok {
				// yaml.v3 drops a key's line comment before a flow list, not a value's.
				val.LineComment = src.String()
			}
		}
		m.Content = append(m.Content, k, val)
	}
	return m
}

// leafNode renders one value; secrets never leave this function unredacted.
func leafNode(n *node, v reflect.Value) *yaml.Node {
	scalar := func(tag, s string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s}
	}
	switch {
	case n.secret():
		return scalar("!!str", Secret(v.String()).String())
	case n.typ == durationType:
		return scalar("!!str", time.Duration(v.Int()).String())
	case n.typ == stringsType:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for i := range v.Len() {
			seq.Content = append(seq.Content, scalar("!!str", v.Index(i).String()))
		}
		return seq
	case n.typ.Kind() == reflect.Bool:
		return scalar("!!bool", strconv.FormatBool(v.Bool()))
	case n.typ.Kind() == reflect.Int:
		return scalar("!!int", strconv.FormatInt(v.Int(), 10))
	}
	return scalar("!!str", v.String())
}

// InitFile returns the commented default config file that `config init` writes.
// Keys whose default is empty, derived from data_dir or secret are commented out,
// so that the file changes nothing and data_dir still moves everything under it.
func InitFile() []byte {
	var b strings.Builder
	b.WriteString(`# tidewatch configuration.
#
# Every key can also be set in the environment: TIDEWATCH_ and the key in capitals
# with dots as underscores (clickhouse.database is TIDEWATCH_CLICKHOUSE_DATABASE),
# and some with a command's flags (see --help). Flags win over the environment, the
# environment over this file, this file over the defaults. Keys left commented out
# keep their defaults. 'tidewatch config show --sources' prints what is in effect.
`)
	def := defaults()
	writeSection(&b, tree(), reflect.ValueOf(def).Elem(), 0)
	return []byte(b.String())
}

// defaults returns the configuration with every key at its default.
func defaults() *Config {
	c := &Config{}
	root := reflect.ValueOf(c).Elem()
	for _, l := range tree().leaves() {
		val, ferr := decodeLeaf(l, l.def)
		if ferr != nil {
			panic("config: bad default: " + ferr.Error())
		}
		root.FieldByIndex(l.index).Set(val)
	}
	for _, l := range tree().leaves() {
		if rest, ok := strings.CutPrefix(l.def, "{data_dir}/"); ok {
			root.FieldByIndex(l.index).SetString(filepath.Join(c.DataDir, rest))
		}
	}
	return c
}

func writeSection(b *strings.Builder, sec *node, v reflect.Value, depth int) {
	indent := strings.Repeat("  ", depth)
	for _, c := range sec.children {
		fv := v.FieldByIndex(c.index[len(c.index)-1:])
		if depth == 0 || c.isSection() {
			b.WriteString("\n")
		}
		doc := c.doc
		if strings.HasPrefix(c.def, "{data_dir}/") {
			doc += " Default: " + strings.Replace(c.def, "{data_dir}", "<data_dir>", 1) + "."
		}
		fmt.Fprintf(b, "%s# %s\n", indent, doc)
		if c.isSection() {
			fmt.Fprintf(b, "%s%s:\n", indent, c.name)
			writeSection(b, c, fv, depth+1)
			continue
		}
		line := c.name + ": " + inlineYAML(leafNode(c, fv))
		if c.def == "" || c.secret() || strings.HasPrefix(c.def, "{data_dir}/") {
			line = "# " + line
		}
		fmt.Fprintf(b, "%s%s\n", indent, line)
	}
}

// inlineYAML renders a scalar or flow list on one line, quoted where YAML needs it.
func inlineYAML(n *yaml.Node) string {
	out, err := yaml.Marshal(n)
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(out), "\n")
}
