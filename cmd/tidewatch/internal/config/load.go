package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// DefaultFile is the config file read from the working directory when no
// --config is given; it is optional.
const DefaultFile = "tidewatch.yaml"

// LoadOptions says where [Load] finds its layers.
type LoadOptions struct {
	// File is the config file given with --config: it must exist. Empty means
	// [DefaultFile] in the working directory, if there is one.
	File string
	// Flags are the command's flags; those made by [AddFlag] are bound to their keys.
	Flags *pflag.FlagSet
}

// Loaded is the result of [Load].
type Loaded struct {
	// Config is the merged, validated configuration.
	Config *Config
	// Sources tells for every leaf key where its value came from.
	Sources map[string]Source
	// File is the config file that was read, or "" when there was none.
	File string
}

// SourceKind is the layer a value came from.
type SourceKind string

// The layers, from weakest to strongest.
const (
	FromDefault SourceKind = "default"
	FromFile    SourceKind = "file"
	FromEnv     SourceKind = "env"
	FromFlag    SourceKind = "flag"
)

// Source is where one key's value came from.
type Source struct {
	Kind SourceKind
	// Where names the place: "tidewatch.yaml:7", "TIDEWATCH_CLICKHOUSE_USER",
	// "--clickhouse-addr"; empty for defaults.
	Where string
}

// String renders the source for people: "file tidewatch.yaml:7", "env TIDEWATCH_X",
// "flag --x", "default".
func (s Source) String() string {
	if strings.HasPrefix(s.Where, "read from ") { // a secret read from its *_file key
		return s.Where
	}
	if s.Where == "" {
		return string(s.Kind)
	}
	return string(s.Kind) + " " + s.Where
}

// Problem is one thing wrong with the configuration.
type Problem struct {
	// Where names the source: "tidewatch.yaml:7", "environment TIDEWATCH_X",
	// "flag --x"; empty when the value is a default.
	Where string
	// Key is the full dotted key, empty for problems of the file as a whole.
	Key string
	// Msg says what is expected.
	Msg string
}

func (p Problem) String() string {
	parts := make([]string, 0, 3)
	for _, s := range []string{p.Where, p.Key, p.Msg} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": ")
}

// Error is an invalid configuration: every problem found, one per line.
// Commands exit with code 2 on it.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load merges flags, TIDEWATCH_* environment variables, the config file and the
// defaults (strongest first), decodes and validates the result. Every failure is
// an [*Error] naming the file and line, variable or flag, the key, and what is
// expected. Load reads local files (the config, *_file secrets) and nothing else.
func Load(opts LoadOptions) (*Loaded, error) {
	out := &Loaded{Sources: map[string]Source{}}

	// The file: read and check it ourselves, for line numbers and exact key names.
	name, explicit := opts.File, opts.File != ""
	if !explicit {
		name = DefaultFile
	}
	var layer *fileLayer
	data, err := os.ReadFile(name)
	switch {
	case err == nil:
		var problems []Problem
		if layer, problems = parseFile(name, data); len(problems) > 0 {
			return nil, &Error{Problems: problems}
		}
		out.File = name
	case errors.Is(err, fs.ErrNotExist) && !explicit:
	case errors.Is(err, fs.ErrNotExist):
		return nil, &Error{Problems: []Problem{{Where: name, Msg: "config file not found"}}}
	default:
		return nil, &Error{Problems: []Problem{{Where: name, Msg: "cannot read config file: " + errors.Unwrap(err).Error()}}}
	}

	v := viper.New()
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	leaves := tree().leaves()
	for _, l := range leaves {
		v.SetDefault(l.key, l.def)
	}
	if layer != nil {
		if err := v.MergeConfigMap(layer.values); err != nil {
			return nil, fmt.Errorf("merge %s: %w", name, err)
		}
	}
	flags := map[string]*pflag.Flag{}
	if opts.Flags != nil {
		opts.Flags.VisitAll(func(f *pflag.Flag) {
			if kf, ok := f.Value.(*keyFlag); ok {
				flags[kf.node.key] = f
				if err := v.BindPFlag(kf.node.key, f); err != nil {
					panic(err) // only for a nil flag
				}
			}
		})
	}

	// Decode every leaf, remembering where its value came from.
	cfg := &Config{}
	root := reflect.ValueOf(cfg).Elem()
	var problems []Problem
	for _, l := range leaves {
		src := sourceOf(l, layer, flags)
		out.Sources[l.key] = src
		val, ferr := decodeLeaf(l, v.Get(l.key))
		if ferr != nil {
			problems = append(problems, problemAt(ferr, src))
			continue
		}
		root.FieldByIndex(l.index).Set(val)
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: byLine(problems)}
	}

	// Derived defaults: "{data_dir}/x" follows data_dir unless the key was set.
	for _, l := range leaves {
		if rest, ok := strings.CutPrefix(l.def, "{data_dir}/"); ok && out.Sources[l.key].Kind == FromDefault {
			root.FieldByIndex(l.index).SetString(filepath.Join(cfg.DataDir, rest))
		}
	}

	// Secret files: exclusive with their secret, read after the checks.
	for _, l := range leaves {
		if l.fileOf == "" {
			continue
		}
		path := root.FieldByIndex(l.index).String()
		secret := lookup(l.fileOf)
		if path == "" {
			continue
		}
		src := out.Sources[l.key]
		if root.FieldByIndex(secret.index).String() != "" {
			problems = append(problems, problemAt(&FieldError{Key: l.key, Msg: "expected either " + secret.key + " or " + l.key + ", got both"}, src))
			continue
		}
		content, err := os.ReadFile(path)
		if err != nil {
			why := err.Error()
			var pe *fs.PathError
			if errors.As(err, &pe) {
				why = pe.Err.Error()
			}
			problems = append(problems, problemAt(&FieldError{Key: l.key, Msg: fmt.Sprintf("expected a readable file, got %q: %s", path, why)}, src))
			continue
		}
		root.FieldByIndex(secret.index).SetString(strings.TrimRight(string(content), "\r\n"))
		out.Sources[secret.key] = Source{Kind: src.Kind, Where: "read from " + l.key}
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}

	// Section checks, each reported at the source of the key it names.
	for _, err := range validateTree(root) {
		var fe *FieldError
		if !errors.As(err, &fe) {
			problems = append(problems, Problem{Msg: err.Error()})
			continue
		}
		problems = append(problems, problemAt(fe, out.Sources[fe.Key]))
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: byLine(problems)}
	}
	out.Config = cfg
	return out, nil
}

// sourceOf tells which layer supplies leaf l, in viper's order of precedence.
func sourceOf(l *node, layer *fileLayer, flags map[string]*pflag.Flag) Source {
	if f, ok := flags[l.key]; ok && f.Changed {
		return Source{Kind: FromFlag, Where: "--" + f.Name}
	}
	if val, ok := os.LookupEnv(l.envName()); ok && val != "" { // viper ignores empty variables
		return Source{Kind: FromEnv, Where: l.envName()}
	}
	if layer != nil {
		if _, ok := layer.value(l.key); ok {
			return Source{Kind: FromFile, Where: fmt.Sprintf("%s:%d", layer.name, layer.lines[l.key])}
		}
	}
	return Source{Kind: FromDefault}
}

// value returns the file's value for a dotted key, if it set one.
func (l *fileLayer) value(key string) (any, bool) {
	var cur any = l.values
	for _, part := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// problemAt places a field error at the source of its value.
func problemAt(fe *FieldError, src Source) Problem {
	p := Problem{Key: fe.Key, Msg: fe.Msg}
	if r, ok := strings.CutPrefix(src.Where, "read from "); ok {
		p.Where = "file named by " + r
		return p
	}
	switch src.Kind {
	case FromFlag:
		p.Where = "flag " + src.Where
	case FromEnv:
		p.Where = "environment " + src.Where
	case FromFile:
		p.Where = src.Where
	}
	return p
}

// validator is what every section implements.
type validator interface{ Validate() error }

// validateTree calls Validate on v and on every struct below it, and returns the
// errors unjoined, in tree order.
func validateTree(v reflect.Value) []error {
	var errs []error
	if val, ok := v.Interface().(validator); ok {
		errs = append(errs, unjoin(val.Validate())...)
	}
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Struct && f.Type() != durationType {
			errs = append(errs, validateTree(f)...)
		}
	}
	return errs
}

// unjoin flattens errors.Join trees.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

// byLine puts problems in the config file in line order, ahead of the others,
// which keep the order of the keys.
func byLine(problems []Problem) []Problem {
	line := func(p Problem) int {
		i := strings.LastIndexByte(p.Where, ':')
		if i < 0 {
			return math.MaxInt
		}
		n, err := strconv.Atoi(p.Where[i+1:])
		if err != nil {
			return math.MaxInt
		}
		return n
	}
	sort.SliceStable(problems, func(i, j int) bool { return line(problems[i]) < line(problems[j]) })
	return problems
}
