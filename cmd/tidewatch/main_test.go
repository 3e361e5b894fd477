package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
)

// isolate runs the test in an empty folder with no TIDEWATCH_* variables.
func isolate(t *testing.T) string {
	t.Helper()
	for _, key := range config.Keys() {
		t.Setenv(config.EnvName(key), "")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

// run executes the CLI in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = execute(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

func TestEveryCommandHasAnExample(t *testing.T) {
	isolate(t)
	root := newRootCmd(&app{})
	var paths []string
	walk(root, func(c *cobra.Command) {
		paths = append(paths, c.CommandPath())
		require.NotEmpty(t, strings.TrimSpace(c.Example), "%s has no Example", c.CommandPath())
		require.NotEmpty(t, c.Short, "%s has no Short", c.CommandPath())

		args := append(strings.Fields(c.CommandPath())[1:], "--help")
		if c.Name() == "help" {
			args = []string{"help", "help"}
		}
		code, stdout, stderr := run(t, args...)
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, "Examples:\n"+c.Example, c.CommandPath())
	})
	require.Contains(t, paths, "tidewatch config show")
	require.Contains(t, paths, "tidewatch help")
}

func TestUsageErrorsExitTwo(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{
		{"frobnicate"},
		{"config", "shwo"},
		{"config", "show", "--no-such-flag"},
		{"version", "extra"},
		{"--log-level"},
	} {
		code, _, stderr := run(t, args...)
		require.Equal(t, 2, code, "%v: %s", args, stderr)
		require.Contains(t, stderr, "tidewatch --help", args)
	}
	_, _, stderr := run(t, "config", "shwo")
	require.Contains(t, stderr, `unknown command "shwo" for "tidewatch config"; did you mean show?`)
}

func TestBadConfigExitsTwo(t *testing.T) {
	dir := isolate(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tidewatch.yaml"), []byte("# ports\nclickhouse:\n  local:\n    tcp_port: abc\n"), 0o600))
	code, stdout, stderr := run(t, "config", "show")
	require.Equal(t, 2, code)
	require.Empty(t, stdout)
	require.Equal(t, "tidewatch.yaml:4: clickhouse.local.tcp_port: expected a port number 1-65535, got \"abc\"\n", stderr)

	code, _, stderr = run(t, "--config", "nope.yaml", "config", "show")
	require.Equal(t, 2, code)
	require.Equal(t, "nope.yaml: config file not found\n", stderr)

	require.NoError(t, os.Remove(filepath.Join(dir, "tidewatch.yaml")))
	t.Setenv("TIDEWATCH_LOG_LEVEL", "loud")
	code, _, stderr = run(t, "config", "show")
	require.Equal(t, 2, code)
	require.Equal(t, "environment TIDEWATCH_LOG_LEVEL: log.level: expected one of debug, info, warn, error, got \"loud\"\n", stderr)

	t.Setenv("TIDEWATCH_LOG_LEVEL", "")
	code, _, stderr = run(t, "--log-format", "xml", "config", "show")
	require.Equal(t, 2, code)
	require.Equal(t, "flag --log-format: log.format: expected one of text, json, got \"xml\"\n", stderr)
}

func TestConfigInitThenShow(t *testing.T) {
	isolate(t)
	code, stdout, stderr := run(t, "config", "init")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "wrote tidewatch.yaml\n", stdout)
	written, err := os.ReadFile("tidewatch.yaml")
	require.NoError(t, err)
	require.Equal(t, string(config.InitFile()), string(written))

	code, _, stderr = run(t, "config", "init")
	require.Equal(t, 1, code)
	require.Equal(t, "tidewatch: tidewatch.yaml already exists; use --force to overwrite it\n", stderr)

	require.NoError(t, os.WriteFile("tidewatch.yaml", []byte("broken: [\n"), 0o600))
	code, _, stderr = run(t, "config", "init", "--force")
	require.Equal(t, 0, code, stderr)

	// The written file loads cleanly and shows up as the source of its keys.
	t.Setenv("TIDEWATCH_CLICKHOUSE_DATABASE", "from_env")
	t.Setenv("TIDEWATCH_CLICKHOUSE_PASSWORD", "never-shown-secret")
	code, stdout, stderr = run(t, "config", "show", "--sources", "--log-level", "debug")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "# config file: tidewatch.yaml\n")
	require.Contains(t, stdout, "database: from_env # env TIDEWATCH_CLICKHOUSE_DATABASE\n")
	require.Contains(t, stdout, "level: debug # flag --log-level\n")
	require.Contains(t, stdout, "format: text # file tidewatch.yaml:")
	require.Contains(t, stdout, "dir: .tidewatch/clickhouse # default\n")
	require.Contains(t, stdout, "password: '***' # env TIDEWATCH_CLICKHOUSE_PASSWORD\n")
	require.NotContains(t, stdout+stderr, "never-shown-secret")

	code, _, stderr = run(t, "--config", "other.yaml", "config", "init")
	require.Equal(t, 0, code, stderr)
	require.FileExists(t, "other.yaml")
}

func TestVersion(t *testing.T) {
	isolate(t)
	code, stdout, _ := run(t, "version")
	require.Equal(t, 0, code)
	require.Regexp(t, `^tidewatch \S+\n`, stdout)
	require.Contains(t, stdout, "go: go1.")
}

// TestBinary builds the real binary from this git checkout: it must carry the
// commit it was built from and exit with code 2 on a bad configuration.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	head := func() string {
		rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
		require.NoError(t, err)
		return strings.TrimSpace(string(rev))
	}
	bin := filepath.Join(t.TempDir(), "tidewatch")
	before := head()
	// -buildvcs=true overrides a GOFLAGS=-buildvcs=false of the environment.
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	after := head() // a commit may land while the binary builds

	dir := isolate(t)
	cmd := exec.Command(bin, "version")
	cmd.Dir = dir
	out, err = cmd.Output()
	require.NoError(t, err)
	require.Regexp(t, "\nrevision: ("+before+"|"+after+")\n", string(out))
	require.Contains(t, string(out), "modified: ")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "tidewatch.yaml"), []byte("clickhouse:\n  tls: maybe\n"), 0o600))
	cmd = exec.Command(bin, "config", "show")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 2, exit.ExitCode())
	require.Equal(t, "tidewatch.yaml:2: clickhouse.tls: expected true or false, got \"maybe\"\n", stderr.String())
}

func TestUnknownEnvironmentVariableWarns(t *testing.T) {
	isolate(t)
	t.Setenv("TIDEWATCH_CLICKHOUSE_DATABSE", "typo")
	code, stdout, stderr := run(t, "config", "show")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "database: tidewatch\n")
	require.Contains(t, stderr, `level=WARN msg="environment TIDEWATCH_CLICKHOUSE_DATABSE sets no configuration key; did you mean TIDEWATCH_CLICKHOUSE_DATABASE?"`)
}

func TestLogFormat(t *testing.T) {
	isolate(t)
	t.Setenv("TIDEWATCH_NOT_A_KEY", "1")
	_, _, stderr := run(t, "--log-format", "json", "config", "show")
	require.Contains(t, stderr, `"level":"WARN","msg":"environment TIDEWATCH_NOT_A_KEY sets no configuration key"`)
	_, _, stderr = run(t, "--log-level", "error", "config", "show")
	require.Empty(t, stderr)
}

func TestWriterOptionsFollowTheConfig(t *testing.T) {
	isolate(t)
	t.Setenv("TIDEWATCH_WRITER_BATCH_ROWS", "20000")
	t.Setenv("TIDEWATCH_WRITER_FLUSH_INTERVAL", "250ms")
	t.Setenv("TIDEWATCH_DATA_DIR", "/srv/tw")
	cmd := newRootCmd(&app{})
	loaded, err := config.Load(config.LoadOptions{Flags: cmd.Flags()})
	require.NoError(t, err)
	w := writerOptions(&cmdEnv{Config: loaded.Config})
	require.Equal(t, 20000, w.BatchRows)
	require.Equal(t, 250*time.Millisecond, w.FlushInterval)
	require.Equal(t, "/srv/tw/spool", w.SpoolDir)
}
