package config

import (
	"fmt"
	"strconv"
	"strings"

	"reflect"

	"github.com/spf13/pflag"
)

// AddFlag adds a flag for each dotted key to fs; [Load] binds it to the key, so
// the flag wins over the environment, the file and the default. The flag's name is
// [FlagName] of the key (clickhouse.local.tcp_port is --clickhouse-local-tcp-port).
// Secrets get no flag: a command line is visible to every user of the machine.
// An unknown key or a secret is a programming error and panics.
func AddFlag(fs *pflag.FlagSet, keys ...string) {
	for _, key := range keys {
		n := lookup(key)
		if n == nil || n.isSection() {
			panic("config: AddFlag: no key " + key)
		}
		if n.secret() {
			panic("config: AddFlag: " + key + " is a secret; set it in the environment or a file")
		}
		v := &keyFlag{node: n}
		f := fs.VarPF(v, n.flagName(), "", n.doc+" (config key "+key+")")
		f.DefValue = strings.Replace(n.def, "{data_dir}", "<data_dir>", 1)
		if n.typ.Kind() == reflect.Bool {
			f.NoOptDefVal = "true"
		}
	}
}

// keyFlag holds a flag's text as given; [Load] decodes it like any other layer so
// that a bad flag value gets the same message as a bad value in the file.
type keyFlag struct {
	node *node
	raw  string
	set  bool
}

func (f *keyFlag) String() string { return f.raw }

// Set keeps the text. Booleans are checked here because viper converts a flag of
// type "bool" itself and would turn a typo into false.
func (f *keyFlag) Set(s string) error {
	if f.node.typ.Kind() == reflect.Bool {
		if _, err := strconv.ParseBool(s); err != nil {
			return fmt.Errorf("%s: expected true or false", f.node.key)
		}
	}
	if f.set && f.node.typ == stringsType {
		s = f.raw + "," + s // --clickhouse-addr a:1 --clickhouse-addr b:2
	}
	f.raw, f.set = s, true
	return nil
}

// Type names the value in help. Anything but viper's own type names ("int",
// "stringSlice", ...) makes viper hand the text over unconverted.
func (f *keyFlag) Type() string {
	switch {
	case f.node.typ == portType:
		return "port"
	case f.node.typ == durationType:
		return "duration"
	case f.node.typ == stringsType:
		return "list"
	case f.node.typ.Kind() == reflect.Bool:
		return "bool"
	case f.node.typ.Kind() == reflect.Int:
		return "number"
	case strings.HasSuffix(f.node.key, "dir"), strings.HasSuffix(f.node.key, "file"):
		return "path"
	}
	return "string"
}

// SecretFlag tells whether flag (a flag name without dashes, as "clickhouse-password") would
// be the flag of a secret key if secrets had flags, and if so returns the error that points
// to the ways a secret is given instead: its environment variable and its *_file key. It
// returns nil for any other flag.
func SecretFlag(flag string) error {
	for _, l := range tree().leaves() {
		if !l.secret() || l.flagName() != flag {
			continue
		}
		ways := l.envName()
		for _, f := range tree().leaves() {
			if f.fileOf == l.key {
				ways += ", " + f.key + " (a file holding it)"
			}
		}
		return fmt.Errorf("--%s: %s is a secret and has no flag (a command line is visible to every user of the machine); set %s or %s in the config file", flag, l.key, ways, l.key)
	}
	return nil
}
