package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
)

// node is one key of the configuration tree: a section (with children) or a leaf.
type node struct {
	name     string // name inside its parent
	key      string // full dotted key
	doc      string
	index    []int // field index path from Config
	typ      reflect.Type
	children []*node // nil for leaves

	// Leaves only.
	def    string // default as written in the tag, before {data_dir} expansion
	fileOf string // for a *_file key: the full key of the secret it fills
}

func (n *node) isSection() bool { return n.children != nil }

// secret reports whether the leaf's value must never be shown.
func (n *node) secret() bool { return n.typ == secretType }

// envName is the environment variable that sets the key.
func (n *node) envName() string { return EnvName(n.key) }

// flagName is the flag that [AddFlag] makes for the key.
func (n *node) flagName() string { return FlagName(n.key) }

// child returns the child called name, or nil.
func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

var (
	secretType   = reflect.TypeFor[Secret]()
	portType     = reflect.TypeFor[Port]()
	durationType = reflect.TypeFor[time.Duration]()
	stringsType  = reflect.TypeFor[[]string]()
)

// tree is the key tree of [Config], built once from its struct tags.
var tree = sync.OnceValue(func() *node {
	root := &node{typ: reflect.TypeFor[Config](), children: []*node{}}
	buildTree(root)
	return root
})

// buildTree fills n's children from the fields of its struct type. It panics on a
// malformed tag: that is a programming error the package's tests catch.
func buildTree(n *node) {
	for i := range n.typ.NumField() {
		f := n.typ.Field(i)
		name := f.Tag.Get("mapstructure")
		if name == "" || !f.IsExported() {
			panic(fmt.Sprintf("config: field %s.%s has no mapstructure tag", n.typ.Name(), f.Name))
		}
		c := &node{
			name:  name,
			key:   strings.TrimPrefix(n.key+"."+name, "."),
			doc:   f.Tag.Get("doc"),
			index: append(append([]int(nil), n.index...), i),
			typ:   f.Type,
		}
		if c.doc == "" {
			panic(fmt.Sprintf("config: key %s has no doc tag", c.key))
		}
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			c.children = []*node{}
			buildTree(c)
		} else {
			def, ok := f.Tag.Lookup("default")
			if !ok {
				panic(fmt.Sprintf("config: key %s has no default tag", c.key))
			}
			c.def = def
			if of := f.Tag.Get("file_of"); of != "" {
				c.fileOf = strings.TrimPrefix(n.key+"."+of, ".")
			}
		}
		n.children = append(n.children, c)
	}
}

// leaves returns every leaf under n in declaration order.
func (n *node) leaves() []*node {
	var out []*node
	for _, c := range n.children {
		if c.isSection() {
			out = append(out, c.leaves()...)
		} else {
			out = append(out, c)
		}
	}
	return out
}

// lookup returns the node for a full dotted key, or nil.
func lookup(key string) *node {
	n := tree()
	for _, part := range strings.Split(key, ".") {
		if n = n.child(part); n == nil {
			return nil
		}
	}
	return n
}

// Keys returns every leaf key, sorted.
func Keys() []string {
	var keys []string
	for _, l := range tree().leaves() {
		keys = append(keys, l.key)
	}
	sort.Strings(keys)
	return keys
}

// EnvName returns the environment variable for a dotted key:
// clickhouse.local.tcp_port is TIDEWATCH_CLICKHOUSE_LOCAL_TCP_PORT.
func EnvName(key string) string {
	return envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// FlagName returns the flag name for a dotted key:
// clickhouse.local.tcp_port is clickhouse-local-tcp-port.
func FlagName(key string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(key)
}

// envPrefix starts every environment variable tidewatch reads.
const envPrefix = "TIDEWATCH"

// UnknownEnv returns a warning for each TIDEWATCH_* variable in environ (as
// os.Environ gives it) that sets no key, with the closest real name when one
// is close. These are warnings, not errors: the prefix may be used by scripts
// around tidewatch for their own variables.
func UnknownEnv(environ []string) []string {
	known := map[string]bool{}
	for _, k := range Keys() {
		known[EnvName(k)] = true
	}
	var out []string
	for _, kv := range environ {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix+"_") || known[name] || val == "" {
			continue
		}
		msg := "environment " + name + " sets no configuration key"
		best, bestDist := "", maxTypoDistance(name)+1
		for k := range known {
			if d := editDistance(name, k); d < bestDist || d == bestDist && k < best {
				best, bestDist = k, d
			}
		}
		if best != "" {
			msg += "; did you mean " + best + "?"
		}
		out = append(out, msg)
	}
	sort.Strings(out)
	return out
}
