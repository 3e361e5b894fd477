// Package config defines tidewatch's configuration: the sections, their keys,
// defaults and validation, and how the layers (flags, TIDEWATCH_* environment,
// the YAML file, defaults) are merged into one [Config].
//
// The structs are the single source of truth. Every leaf field carries three tags:
//
//	mapstructure:"batch_rows"   the key's name inside its section
//	default:"100000"            the default, written as it would be in YAML or the environment
//	doc:"Rows per insert."      one line shown by `config init` and in flag help
//
// A default may start with "{data_dir}/": it is then derived from data_dir when the
// key is left unset. A field tagged `file_of:"password"` names a file whose content
// replaces the sibling secret (setting both is an error, a missing file is an error).
// Field types carry meaning: [Secret] is redacted everywhere, [Port] is checked to be
// 1-65535, time.Duration parses Go durations and days and weeks ("1s", "6h", "7d",
// "1d12h"; see package internal/duration), []string accepts a YAML list or "a,b" from
// the environment and flags.
//
// # Adding a section
//
// To add, for example, the collector's `collect.*` keys:
//
//  1. Write `type Collect struct { ... }` in this package with the three tags on each
//     field (sub-sections are nested structs with a mapstructure and a doc tag).
//  2. Give it `func (c Collect) Validate() error` returning [FieldError] values joined
//     with errors.Join, keyed by the full dotted key ("collect.interval"); range and
//     type errors of the field types above are already handled by the loader.
//  3. Add `Collect Collect `mapstructure:"collect" doc:"..."“ to [Config].
//  4. Add a good and a bad case under testdata/ and run the tests; the golden
//     testdata/init.yaml is rewritten with `go test -update`.
//
// Nothing else changes: the known-key check, the TIDEWATCH_COLLECT_* environment
// names, `config show`, `config init` and [AddFlag] all walk the structs.
//
// Validate is called on every section (and on nested sub-sections) by [Load]; it
// must not touch the network. Secrets never appear in errors: the loader prints the
// value of a [Secret] as "***".
package config
