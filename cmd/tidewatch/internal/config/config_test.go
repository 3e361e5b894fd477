package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// clearEnv makes sure no TIDEWATCH_* variable of the machine running the tests
// leaks into them (viper ignores empty variables, as Load does).
func clearEnv(t *testing.T) {
	t.Helper()
	for _, key := range Keys() {
		t.Setenv(EnvName(key), "")
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestBadConfigs(t *testing.T) {
	clearEnv(t)
	const dir = "testdata/bad/"
	cases := map[string]string{
		"unknown_top_level":          dir + "unknown_top_level.yaml:2: colour: unknown key; the top-level keys are data_dir, log, clickhouse, writer, telegram, privacy, metrics, collect",
		"unknown_nested":             dir + "unknown_nested.yaml:4: clickhouse.local.socket: unknown key; the keys of clickhouse.local are dir, binary, tcp_port, http_port, interserver_port, cluster, cluster_dir",
		"misspelled_key":             dir + "misspelled_key.yaml:2: clickhouse.databse: unknown key; did you mean clickhouse.database?",
		"key_in_wrong_section":       dir + "key_in_wrong_section.yaml:2: clickhouse.tcp_port: unknown key; did you mean clickhouse.local.tcp_port?",
		"port_not_a_number":          dir + `port_not_a_number.yaml:4: clickhouse.local.tcp_port: expected a port number 1-65535, got "abc"`,
		"port_out_of_range":          dir + "port_out_of_range.yaml:3: clickhouse.local.http_port: expected a port number 1-65535, got 70000",
		"bool_not_a_bool":            dir + `bool_not_a_bool.yaml:7: clickhouse.tls: expected true or false, got "maybe"`,
		"duration_without_unit":      dir + "duration_without_unit.yaml:2: writer.flush_interval: expected a duration such as 1s or 500ms, got 5",
		"bad_log_level":              dir + `bad_log_level.yaml:2: log.level: expected one of debug, info, warn, error, got "verbose"`,
		"password_and_password_file": dir + "password_and_password_file.yaml:4: clickhouse.password_file: expected either clickhouse.password or clickhouse.password_file, got both",
		"missing_password_file":      dir + `missing_password_file.yaml:3: clickhouse.password_file: expected a readable file, got "testdata/no-such-file.txt": no such file or directory`,
		"addr_without_port":          dir + `addr_without_port.yaml:2: clickhouse.addr: expected host:port, got "ch2.example.org"`,
		"invalid_database_name":      dir + `invalid_database_name.yaml:2: clickhouse.database: expected a name of letters, digits and _ not starting with a digit, got "tide-watch"`,
		"negative_batch_rows":        dir + "negative_batch_rows.yaml:2: writer.batch_rows: expected a number of rows of at least 10000, got -5",
		"yaml_syntax_error":          dir + "yaml_syntax_error.yaml:3: invalid YAML: mapping values are not allowed in this context",
		"section_given_a_value":      dir + `section_given_a_value.yaml:1: clickhouse: expected a section with the keys addr, database, user, password, password_file, tls, cluster, local, got "localhost:9000"`,
		"duplicate_key":              dir + "duplicate_key.yaml:4: writer.batch_rows: duplicate key (first set on line 2)",
		"list_for_a_string":          dir + "list_for_a_string.yaml:2: clickhouse.database: expected a string, got a list",
		"same_port_twice":            dir + "same_port_twice.yaml:4: clickhouse.local.http_port: expected a port other than clickhouse.local.tcp_port, got 19100",
		"short_hash_key":             dir + "short_hash_key.yaml:2: privacy.hash_key: expected at least 16 bytes, got 12",
		"not_a_mapping":              dir + "not_a_mapping.yaml:1: expected a mapping of configuration keys, got a list",
		"bad_account_label": dir + `bad_account_label.yaml:2: telegram.accounts: expected account labels of letters, digits, _, . and - (at most 64), got "+99966 2 1234"` + "\n" +
			dir + `bad_account_label.yaml:2: telegram.accounts: expected each account once, got "acc1" twice`,
		"bad_collect": dir + `bad_collect.yaml:3: collect.counter_ages: expected ages in increasing order, got "1h"` + "\n" +
			dir + `bad_collect.yaml:4: collect.limits: expected method=calls_per_second[/burst] with a positive rate and burst (bad rate), got "messages.getHistory=fast"` + "\n" +
			dir + `bad_collect.yaml:6: collect.discovery.via: expected references among forward, tme_link, mention, recommendation, got "likes"`,
		"several_problems": dir + `several_problems.yaml:2: log.level: expected one of debug, info, warn, error, got "loud"` + "\n" +
			dir + `several_problems.yaml:3: log.format: expected one of text, json, got "xml"` + "\n" +
			dir + "several_problems.yaml:5: writer.batch_rows: expected a number of rows of at least 10000, got 0",
	}
	files, err := filepath.Glob(dir + "*.yaml")
	require.NoError(t, err)
	require.Len(t, files, len(cases), "every file under %s needs its expected error here", dir)
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			loaded, err := Load(LoadOptions{File: dir + name + ".yaml"})
			require.Nil(t, loaded)
			var cerr *Error
			require.ErrorAs(t, err, &cerr)
			require.Equal(t, want, err.Error())
		})
	}
}

func TestSecretsStayOutOfErrors(t *testing.T) {
	clearEnv(t)
	_, err := Load(LoadOptions{File: "testdata/bad/password_and_password_file.yaml"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
	_, err = Load(LoadOptions{File: "testdata/bad/short_hash_key.yaml"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cr3t")

	// A secret of the wrong shape is named by its shape only.
	t.Setenv("TIDEWATCH_PRIVACY_HASH_KEY", "")
	file := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(file, []byte("privacy:\n  hash_key: {a: s3cr3t-in-a-map}\n"), 0o600))
	_, err = Load(LoadOptions{File: file})
	require.EqualError(t, err, file+":2: privacy.hash_key: expected a string, got a mapping")
}

func TestGoodConfigs(t *testing.T) {
	clearEnv(t)
	files, err := filepath.Glob("testdata/good/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			loaded, err := Load(LoadOptions{File: file})
			require.NoError(t, err)
			require.Equal(t, file, loaded.File)
			out, err := Show(loaded.Config, loaded.Sources)
			require.NoError(t, err)
			require.NotContains(t, string(out), "correct horse")
			golden(t, "good/"+name+".show", out)
		})
	}
}

func TestRemoteClusterValues(t *testing.T) {
	clearEnv(t)
	loaded, err := Load(LoadOptions{File: "testdata/good/remote_cluster.yaml"})
	require.NoError(t, err)
	c := loaded.Config
	require.Equal(t, []string{"ch1.example.org:9440", "ch2.example.org:9440"}, c.ClickHouse.Addr)
	require.False(t, c.ClickHouse.Managed())
	require.Equal(t, "correct horse battery staple", c.ClickHouse.Password.Value(), "read from password_file, newline cut")
	require.Equal(t, Secret("correct horse battery staple"), c.Privacy.HashKey)
	require.Equal(t, 250*time.Millisecond, c.Writer.FlushInterval)
	require.Equal(t, "/var/lib/tidewatch/clickhouse", c.ClickHouse.Local.Dir)
	require.Equal(t, Source{Kind: FromFile, Where: "read from clickhouse.password_file"}, loaded.Sources["clickhouse.password"])
}

func TestPrecedence(t *testing.T) {
	clearEnv(t)
	file := filepath.Join(t.TempDir(), "tw.yaml")
	require.NoError(t, os.WriteFile(file, []byte("clickhouse:\n  database: from_file\n  user: file_user\n  local:\n    tcp_port: 19100\n"), 0o600))
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlag(fs, "clickhouse.database", "clickhouse.local.tcp_port", "clickhouse.user", "log.level")

	load := func(args ...string) *Loaded {
		t.Helper()
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		AddFlag(fs, "clickhouse.database", "clickhouse.local.tcp_port", "clickhouse.user", "log.level")
		require.NoError(t, fs.Parse(args))
		loaded, err := Load(LoadOptions{File: file, Flags: fs})
		require.NoError(t, err)
		return loaded
	}

	l := load()
	require.Equal(t, "from_file", l.Config.ClickHouse.Database)
	require.Equal(t, Source{Kind: FromFile, Where: file + ":2"}, l.Sources["clickhouse.database"])
	require.Equal(t, Port(19100), l.Config.ClickHouse.Local.TCPPort)
	require.Equal(t, Source{Kind: FromDefault}, l.Sources["log.level"])

	t.Setenv("TIDEWATCH_CLICKHOUSE_DATABASE", "from_env")
	t.Setenv("TIDEWATCH_CLICKHOUSE_LOCAL_TCP_PORT", "19200")
	l = load()
	require.Equal(t, "from_env", l.Config.ClickHouse.Database)
	require.Equal(t, Source{Kind: FromEnv, Where: "TIDEWATCH_CLICKHOUSE_DATABASE"}, l.Sources["clickhouse.database"])
	require.Equal(t, Port(19200), l.Config.ClickHouse.Local.TCPPort)
	require.Equal(t, "file_user", l.Config.ClickHouse.User, "the file still fills what the environment does not set")

	l = load("--clickhouse-database=from_flag", "--clickhouse-local-tcp-port", "19300", "--log-level=debug")
	require.Equal(t, "from_flag", l.Config.ClickHouse.Database)
	require.Equal(t, Source{Kind: FromFlag, Where: "--clickhouse-database"}, l.Sources["clickhouse.database"])
	require.Equal(t, Port(19300), l.Config.ClickHouse.Local.TCPPort)
	require.Equal(t, "debug", l.Config.Log.Level)
}

func TestErrorsNameTheEnvironmentOrFlag(t *testing.T) {
	clearEnv(t)
	t.Chdir(t.TempDir()) // no tidewatch.yaml here
	t.Setenv("TIDEWATCH_CLICKHOUSE_LOCAL_TCP_PORT", "abc")
	_, err := Load(LoadOptions{})
	require.EqualError(t, err, `environment TIDEWATCH_CLICKHOUSE_LOCAL_TCP_PORT: clickhouse.local.tcp_port: expected a port number 1-65535, got "abc"`)

	t.Setenv("TIDEWATCH_CLICKHOUSE_LOCAL_TCP_PORT", "")
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlag(fs, "writer.flush_interval", "clickhouse.addr", "clickhouse.tls")
	require.NoError(t, fs.Parse([]string{"--writer-flush-interval", "soon"}))
	_, err = Load(LoadOptions{Flags: fs})
	require.EqualError(t, err, `flag --writer-flush-interval: writer.flush_interval: expected a duration such as 1s or 500ms, got "soon"`)

	fs = pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlag(fs, "clickhouse.addr")
	require.NoError(t, fs.Parse([]string{"--clickhouse-addr", "a:9000", "--clickhouse-addr", "b"}))
	_, err = Load(LoadOptions{Flags: fs})
	require.EqualError(t, err, `flag --clickhouse-addr: clickhouse.addr: expected host:port, got "b"`)

	// viper would turn a misspelled boolean into false: the flag refuses it.
	fs = pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlag(fs, "clickhouse.tls")
	require.ErrorContains(t, fs.Parse([]string{"--clickhouse-tls=maybe"}), "clickhouse.tls: expected true or false")
	fs = pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlag(fs, "clickhouse.tls")
	require.NoError(t, fs.Parse([]string{"--clickhouse-tls"}))
	l, err := Load(LoadOptions{Flags: fs})
	require.NoError(t, err)
	require.True(t, l.Config.ClickHouse.TLS)
}

func TestConfigFileLookup(t *testing.T) {
	clearEnv(t)
	t.Chdir(t.TempDir())

	l, err := Load(LoadOptions{})
	require.NoError(t, err, "no tidewatch.yaml in the working directory is fine")
	require.Empty(t, l.File)

	_, err = Load(LoadOptions{File: "missing.yaml"})
	require.EqualError(t, err, "missing.yaml: config file not found")
	var cerr *Error
	require.ErrorAs(t, err, &cerr)

	require.NoError(t, os.WriteFile(DefaultFile, []byte("log:\n  level: warn\n"), 0o600))
	l, err = Load(LoadOptions{})
	require.NoError(t, err)
	require.Equal(t, DefaultFile, l.File)
	require.Equal(t, "warn", l.Config.Log.Level)
}

func TestDerivedDefaultsFollowDataDir(t *testing.T) {
	clearEnv(t)
	t.Chdir(t.TempDir())
	t.Setenv("TIDEWATCH_DATA_DIR", "/srv/tw")
	t.Setenv("TIDEWATCH_WRITER_SPOOL_DIR", "/fast/spool")
	l, err := Load(LoadOptions{})
	require.NoError(t, err)
	require.Equal(t, "/srv/tw/clickhouse", l.Config.ClickHouse.Local.Dir)
	require.Equal(t, "/srv/tw/sessions", l.Config.Telegram.SessionsDir)
	require.Equal(t, "/fast/spool", l.Config.Writer.SpoolDir, "a set key is not derived")
}

func TestDefaults(t *testing.T) {
	clearEnv(t)
	t.Chdir(t.TempDir())
	l, err := Load(LoadOptions{})
	require.NoError(t, err)
	c := l.Config
	require.Equal(t, defaults(), c)
	require.True(t, c.ClickHouse.Managed())
	require.Equal(t, ".tidewatch/clickhouse", c.ClickHouse.Local.Dir)
	require.Equal(t, Port(19000), c.ClickHouse.Local.TCPPort)
	require.Equal(t, Port(18123), c.ClickHouse.Local.HTTPPort)
	require.Equal(t, Port(19009), c.ClickHouse.Local.InterserverPort)
	require.Equal(t, "tidewatch", c.ClickHouse.Database)
	require.Equal(t, 100000, c.Writer.BatchRows)
	require.Equal(t, time.Second, c.Writer.FlushInterval)
	require.Equal(t, ".tidewatch/spool", c.Writer.SpoolDir)
	require.Equal(t, 2, c.Telegram.DC)
	for _, key := range Keys() {
		require.Equal(t, FromDefault, l.Sources[key].Kind, key)
	}
}

// The file `config init` writes must load cleanly and change nothing.
func TestInitFileLoadsToDefaults(t *testing.T) {
	clearEnv(t)
	golden(t, "init.yaml", InitFile())
	t.Chdir(t.TempDir())
	require.NoError(t, os.WriteFile(DefaultFile, InitFile(), 0o600))
	l, err := Load(LoadOptions{})
	require.NoError(t, err)
	require.Equal(t, defaults(), l.Config)
	require.Equal(t, FromFile, l.Sources["clickhouse.database"].Kind)
	require.Equal(t, FromDefault, l.Sources["clickhouse.local.dir"].Kind, "derived keys stay derived")
}

func TestShowRedactsSecrets(t *testing.T) {
	clearEnv(t)
	t.Chdir(t.TempDir())
	t.Setenv("TIDEWATCH_CLICKHOUSE_PASSWORD", "pa55word-in-env")
	t.Setenv("TIDEWATCH_TELEGRAM_API_ID", "1")
	t.Setenv("TIDEWATCH_TELEGRAM_API_HASH", "hash-in-env")
	l, err := Load(LoadOptions{})
	require.NoError(t, err)
	out, err := Show(l.Config, l.Sources)
	require.NoError(t, err)
	require.NotContains(t, string(out), "pa55word")
	require.NotContains(t, string(out), "hash-in-env")
	require.Contains(t, string(out), `password: '***' # env TIDEWATCH_CLICKHOUSE_PASSWORD`)
	require.Equal(t, "***", l.Config.ClickHouse.Password.String())
	require.NotContains(t, strings.Join([]string{
		l.Config.ClickHouse.Password.String(),
	}, ""), "pa55")
}

func TestFingerprint(t *testing.T) {
	a, b := defaults(), defaults()
	require.Equal(t, Fingerprint(a), Fingerprint(b))
	b.Writer.BatchRows = 5
	require.NotEqual(t, Fingerprint(a), Fingerprint(b))
	c := defaults()
	c.ClickHouse.Password = "x"
	d := defaults()
	d.ClickHouse.Password = "y"
	require.Equal(t, Fingerprint(c), Fingerprint(d), "secrets do not reach the fingerprint")
}

func TestSuggest(t *testing.T) {
	for _, tc := range []struct{ section, name, want string }{
		{"clickhouse", "databse", "clickhouse.database"},
		{"clickhouse", "pasword", "clickhouse.password"},
		{"clickhouse.local", "tcpport", "clickhouse.local.tcp_port"},
		{"", "dataDir", "data_dir"},
		{"", "sessions_dir", "telegram.sessions_dir"},
		{"writer", "spool", ""},
		{"log", "lvl", ""},
	} {
		sec := tree()
		if tc.section != "" {
			sec = lookup(tc.section)
		}
		require.Equal(t, tc.want, suggest(sec, tc.name), "%s in %q", tc.name, tc.section)
	}
	require.Equal(t, 1, editDistance("tcp_prot", "tcp_port"))
	require.Equal(t, 3, editDistance("kitten", "sitting"))
}

func TestAddFlagRefusesSecrets(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	require.Panics(t, func() { AddFlag(fs, "clickhouse.password") })
	require.Panics(t, func() { AddFlag(fs, "clickhouse.nope") })
	require.Panics(t, func() { AddFlag(fs, "clickhouse") })
}

func TestEnvAndFlagNames(t *testing.T) {
	require.Equal(t, "TIDEWATCH_CLICKHOUSE_LOCAL_TCP_PORT", EnvName("clickhouse.local.tcp_port"))
	require.Equal(t, "clickhouse-local-tcp-port", FlagName("clickhouse.local.tcp_port"))
	require.Contains(t, Keys(), "writer.flush_interval")
	require.NotContains(t, Keys(), "clickhouse.local")
}

func TestErrorIsTyped(t *testing.T) {
	clearEnv(t)
	_, err := Load(LoadOptions{File: "testdata/bad/bad_log_level.yaml"})
	var cerr *Error
	require.True(t, errors.As(err, &cerr))
	require.Equal(t, []Problem{{Where: "testdata/bad/bad_log_level.yaml:2", Key: "log.level", Msg: `expected one of debug, info, warn, error, got "verbose"`}}, cerr.Problems)
}

func TestUnknownEnv(t *testing.T) {
	require.Equal(t, []string{
		"environment TIDEWATCH_CLICKHOUSE_DATABSE sets no configuration key; did you mean TIDEWATCH_CLICKHOUSE_DATABASE?",
		"environment TIDEWATCH_SOMETHING_ELSE sets no configuration key",
	}, UnknownEnv([]string{
		"TIDEWATCH_CLICKHOUSE_DATABSE=x",
		"TIDEWATCH_CLICKHOUSE_DATABASE=y",
		"TIDEWATCH_SOMETHING_ELSE=1",
		"TIDEWATCH_EMPTY=",
		"HOME=/root",
	}))
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90m": 90 * time.Minute, "6h": 6 * time.Hour, "7d": 7 * 24 * time.Hour, "1.5d": 36 * time.Hour,
		"1d12h": 36 * time.Hour, "2w": 14 * 24 * time.Hour, " 30d ": 30 * 24 * time.Hour,
	} {
		got, err := ParseAge(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for in, msg := range map[string]string{
		"0d":   `age "0d": want a positive duration such as 6h, 7d or 1d12h`,
		"-6h":  `age "-6h": want a positive duration such as 6h, 7d or 1d12h`,
		"7 d":  `age: invalid duration "7 d": unexpected " " after "7"`,
		"week": `age: invalid duration "week": expected a number at "week"`,
		"":     `age: invalid duration "": empty`,
	} {
		_, err := ParseAge(in)
		require.EqualError(t, err, msg, in)
	}
}

func TestDurationKeysTakeDays(t *testing.T) {
	clearEnv(t)
	file := filepath.Join(t.TempDir(), "tw.yaml")
	require.NoError(t, os.WriteFile(file, []byte("collect:\n  recommend_interval: 1w\n  gone_interval: 1d12h\n"), 0o600))
	l, err := Load(LoadOptions{File: file})
	require.NoError(t, err)
	require.Equal(t, 7*24*time.Hour, l.Config.Collect.RecommendInterval)
	require.Equal(t, 36*time.Hour, l.Config.Collect.GoneInterval)
}
