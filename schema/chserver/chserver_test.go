package chserver

import (
	"context"
	"flag"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testOptions returns options for a server in a temp folder on free ports.
func testOptions(t *testing.T) Options {
	t.Helper()
	var ports [3]int
	var ls []net.Listener
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		require.NoError(t, l.Close())
	}
	opts := Options{Dir: filepath.Join(t.TempDir(), "ch"), TCPPort: ports[0], HTTPPort: ports[1], InterserverPort: ports[2]}
	t.Cleanup(func() {
		// Whatever a test left running is stopped, and must be gone.
		require.NoError(t, Stop(context.Background(), opts))
	})
	return opts
}

func integration(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	_, err := FindBinary("")
	require.NoError(t, err, "integration tests need clickhouse-server")
}

func TestConfigGolden(t *testing.T) {
	r, err := resolve(Options{Dir: "/srv/tw", TCPPort: 1, HTTPPort: 2, InterserverPort: 3})
	require.NoError(t, err)
	dir := t.TempDir()
	r.dir = dir
	require.NoError(t, r.writeConfig())
	got, err := os.ReadFile(filepath.Join(dir, configName))
	require.NoError(t, err)
	got = []byte(strings.ReplaceAll(string(got), dir, "/srv/tw"))
	golden := filepath.Join("testdata", "config.xml.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"port out of range", Options{TCPPort: 70000}, "tcp port 70000 out of range"},
		{"same ports", Options{TCPPort: 5000, HTTPPort: 5000}, "http port 5000 is also the tcp port"},
		{"default clash", Options{HTTPPort: DefaultTCPPort}, "is also the tcp port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Start(context.Background(), tc.opts)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestMissingBinary(t *testing.T) {
	opts := Options{Dir: t.TempDir(), Binary: filepath.Join(t.TempDir(), "clickhouse-server")}
	_, err := Start(context.Background(), opts)
	require.ErrorIs(t, err, ErrBinaryNotFound)
	require.ErrorContains(t, err, "make deps")
	require.ErrorContains(t, err, "apt package clickhouse-server")
}

func TestStartupFailureShowsLog(t *testing.T) {
	opts := testOptions(t)
	script := filepath.Join(t.TempDir(), "fake-server")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\necho 'Exception: cannot open data folder' >&2\nexit 3\n"), 0o755))
	opts.Binary = script
	_, err := Start(context.Background(), opts)
	require.ErrorContains(t, err, "exited during startup")
	require.ErrorContains(t, err, "cannot open data folder")
	_, err = os.Stat(filepath.Join(opts.Dir, pidName))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestLifecycle(t *testing.T) {
	integration(t)
	ctx := context.Background()
	opts := testOptions(t)

	st, err := Inspect(ctx, opts)
	require.NoError(t, err)
	require.False(t, st.Running)
	require.Zero(t, st.PID)

	st, err = Start(ctx, opts)
	require.NoError(t, err)
	require.True(t, st.Running)
	require.Equal(t, "127.0.0.1:"+strconv.Itoa(opts.TCPPort), st.Addr)
	pid := st.PID
	require.True(t, isAlive(pid))
	b, err := os.ReadFile(filepath.Join(opts.Dir, pidName))
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(pid)+"\n", string(b))

	// A second start is a no-op on the running server.
	st, err = Start(ctx, opts)
	require.NoError(t, err)
	require.Equal(t, pid, st.PID)

	st, err = Inspect(ctx, opts)
	require.NoError(t, err)
	require.True(t, st.Running)
	require.Equal(t, pid, st.PID)

	// The running server is not the one other ports describe.
	other := opts
	other.HTTPPort++
	_, err = Start(ctx, other)
	require.ErrorContains(t, err, "runs with other settings")

	// The native port answers a query.
	out, err := exec.Command("clickhouse-client", "--host", "127.0.0.1", "--port", strconv.Itoa(opts.TCPPort),
		"--query", "SELECT value FROM system.settings WHERE name = 'allow_experimental_low_cardinality_type'").CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "1", strings.TrimSpace(string(out)))

	require.NoError(t, Stop(ctx, opts))
	require.False(t, isAlive(pid), "no process left behind")
	_, err = os.Stat(filepath.Join(opts.Dir, pidName))
	require.ErrorIs(t, err, os.ErrNotExist)
	st, err = Inspect(ctx, opts)
	require.NoError(t, err)
	require.False(t, st.Running)
	require.NoError(t, Stop(ctx, opts), "stopping a stopped server is fine")
}

func TestStalePidFile(t *testing.T) {
	integration(t)
	ctx := context.Background()
	done := exec.Command("true")
	require.NoError(t, done.Run())

	for name, pid := range map[string]int{
		"dead process":        done.Process.Pid,
		"someone else's":      os.Getpid(),
		"garbage in the file": -1,
	} {
		t.Run(name, func(t *testing.T) {
			opts := testOptions(t)
			require.NoError(t, os.MkdirAll(opts.Dir, 0o755))
			content := strconv.Itoa(pid)
			if pid < 0 {
				content = "not a pid"
			}
			require.NoError(t, os.WriteFile(filepath.Join(opts.Dir, pidName), []byte(content), 0o644))
			st, err := Inspect(ctx, opts)
			require.NoError(t, err)
			require.False(t, st.Running)
			st, err = Start(ctx, opts)
			require.NoError(t, err)
			require.True(t, st.Running)
			require.NotEqual(t, pid, st.PID)
			require.NoError(t, Stop(ctx, opts))
			require.True(t, isAlive(os.Getpid()), "the test process was not signalled")
		})
	}
}

func TestKillThenStart(t *testing.T) {
	integration(t)
	ctx := context.Background()
	opts := testOptions(t)
	st, err := Start(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, Kill(opts))
	require.False(t, isAlive(st.PID))
	// The pid file survives a crash; the next start sees it is stale.
	_, err = os.Stat(filepath.Join(opts.Dir, pidName))
	require.NoError(t, err)
	st2, err := Start(ctx, opts)
	require.NoError(t, err)
	require.NotEqual(t, st.PID, st2.PID)
	require.NoError(t, Stop(ctx, opts))
	require.False(t, isAlive(st2.PID))
}

func TestPortInUse(t *testing.T) {
	integration(t)
	opts := testOptions(t)
	l, err := net.Listen("tcp", net.JoinHostPort(Host, strconv.Itoa(opts.HTTPPort)))
	require.NoError(t, err)
	defer l.Close()
	_, err = Start(context.Background(), opts)
	require.ErrorIs(t, err, ErrPortInUse)
	require.ErrorContains(t, err, "http port "+strconv.Itoa(opts.HTTPPort))
}
