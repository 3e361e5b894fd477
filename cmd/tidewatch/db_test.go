package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		require.NoError(t, l.Close())
	}
	return ports
}

// localDB points the managed server of an isolated test at free ports and a
// temporary data_dir, through the environment as a user would.
func localDB(t *testing.T) (dataDir string) {
	t.Helper()
	dir := isolate(t)
	t.Setenv("TIDEWATCH_DATA_DIR", filepath.Join(dir, "data"))
	usePorts(t)
	t.Cleanup(func() { run(t, "db", "stop") })
	return filepath.Join(dir, "data")
}

// usePorts points the managed server at three free ports and returns the
// native one.
func usePorts(t *testing.T) int {
	t.Helper()
	ports := freePorts(t, 3)
	t.Setenv("TIDEWATCH_CLICKHOUSE_LOCAL_TCP_PORT", strconv.Itoa(ports[0]))
	t.Setenv("TIDEWATCH_CLICKHOUSE_LOCAL_HTTP_PORT", strconv.Itoa(ports[1]))
	t.Setenv("TIDEWATCH_CLICKHOUSE_LOCAL_INTERSERVER_PORT", strconv.Itoa(ports[2]))
	return ports[0]
}

// startDB runs `db start`. A port found free can be taken by another process
// before the server binds it (other tests start servers too), so a start that
// fails for that reason is tried again on new ports.
func startDB(t *testing.T) (port, code int, stdout, stderr string) {
	t.Helper()
	for range 5 {
		port = usePorts(t)
		code, stdout, stderr = run(t, "db", "start")
		if !strings.Contains(stderr, "port already in use") {
			break
		}
	}
	return port, code, stdout, stderr
}

// serverPID reads the managed server's pid file.
func serverPID(t *testing.T, dataDir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "clickhouse", "clickhouse-server.pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return pid
}

// processGone reports whether pid no longer names a live process (a zombie
// left for this test process to reap counts as gone).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	fields := strings.Fields(string(stat))
	return len(fields) > 2 && fields[2] == "Z"
}

// clickhouseClient runs a query with the real client against the local server.
func clickhouseClient(t *testing.T, port int, query string) string {
	t.Helper()
	out, err := exec.Command("clickhouse-client", "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--query", query).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

func TestDBStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	dataDir := localDB(t)

	port, code, stdout, stderr := startDB(t)
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `^clickhouse-server started: pid \d+, native 127.0.0.1:`+strconv.Itoa(port)+`, http 127.0.0.1:\d+, data `, stdout)
	pid := serverPID(t, dataDir)
	require.False(t, processGone(pid))
	require.Equal(t, "1\n", clickhouseClient(t, port, "SELECT 1"))

	code, stdout, stderr = run(t, "db", "start")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "clickhouse-server already running: pid "+strconv.Itoa(pid))

	code, stdout, stderr = run(t, "db", "stop")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "clickhouse-server stopped: pid "+strconv.Itoa(pid)+"\n", stdout)
	require.True(t, processGone(pid), "pid %d still runs after db stop", pid)
	require.NoFileExists(t, filepath.Join(dataDir, "clickhouse", "clickhouse-server.pid"))

	code, stdout, _ = run(t, "db", "stop")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "clickhouse-server is not running")
}

func TestDBCommandsRefuseAConfiguredServer(t *testing.T) {
	isolate(t)
	t.Setenv("TIDEWATCH_CLICKHOUSE_ADDR", "ch1.example.org:9000")
	for _, cmd := range []string{"start", "stop"} {
		code, _, stderr := run(t, "db", cmd)
		require.Equal(t, 1, code)
		require.Equal(t, "tidewatch: clickhouse.addr is set (ch1.example.org:9000): tidewatch only starts and stops its own local server\n", stderr)
	}
}

func TestMissingServerBinarySaysMakeDeps(t *testing.T) {
	isolate(t)
	t.Setenv("TIDEWATCH_CLICKHOUSE_LOCAL_BINARY", filepath.Join(t.TempDir(), "clickhouse-server"))
	code, _, stderr := run(t, "db", "start")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "clickhouse-server not found: install it with `make deps`")
}

// TestDBLifecycle is the README's path: start, migrate (tables exist), migrate
// again (nothing changes), status, stop (no process left), and a command that
// needs the database starting the server by itself.
func TestDBLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	dataDir := localDB(t)
	migrations, err := schema.Migrations()
	require.NoError(t, err)

	code, stdout, stderr := run(t, "db", "status")
	require.Equal(t, 1, code)
	require.Contains(t, stdout, "pid:        none (not running)\n")
	require.Contains(t, stdout, "answers:    no\n")
	require.Equal(t, "tidewatch: clickhouse does not answer; 'tidewatch db start' starts it\n", stderr)

	port, code, _, stderr := startDB(t)
	require.Equal(t, 0, code, stderr)
	pid := serverPID(t, dataDir)

	code, stdout, stderr = run(t, "db", "status")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "pid:        "+strconv.Itoa(pid)+"\n")
	require.Contains(t, stdout, "answers:    yes\n")
	require.Regexp(t, `version:\s+\d+\.\d+`, stdout)
	require.Contains(t, stdout, "migrations: none applied: the database does not exist")

	code, stdout, stderr = run(t, "db", "migrate")
	require.Equal(t, 0, code, stderr)
	var want strings.Builder
	for _, m := range migrations {
		want.WriteString("applied " + m.File + "\n")
	}
	want.WriteString("database tidewatch: " + strconv.Itoa(len(migrations)) + " migrations applied\n")
	require.Equal(t, want.String(), stdout)
	require.NotContains(t, stderr, "starting the local clickhouse-server", "it was running already")

	tables := clickhouseClient(t, port, "SELECT name FROM system.tables WHERE database = 'tidewatch' ORDER BY name")
	for _, table := range []string{
		schema.TableChannels, schema.TableChannelSnapshots, schema.TablePosts, schema.TablePostCounters,
		schema.TablePostLinks, schema.TableChannelEvents, schema.TableEvents, schema.TableAccountLinks,
		schema.TableActorAccounts, schema.TableSamplingFrames, schema.TableDiscovery, schema.TableRuns,
		schema.TableChannelDaily, schema.TablePostsDaily, schema.TableLinksDaily, "schema_migrations",
	} {
		require.Contains(t, strings.Fields(tables), table)
	}
	const recorded = "SELECT version, checksum, applied_at FROM tidewatch.schema_migrations ORDER BY version"
	before := clickhouseClient(t, port, recorded)

	code, stdout, stderr = run(t, "db", "migrate")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "schema is up to date (database tidewatch)\n", stdout)
	require.Equal(t, tables, clickhouseClient(t, port, "SELECT name FROM system.tables WHERE database = 'tidewatch' ORDER BY name"))
	require.Equal(t, before, clickhouseClient(t, port, recorded))

	code, stdout, stderr = run(t, "db", "status")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "migrations: "+strconv.Itoa(len(migrations))+" applied, 0 pending\n")
	for _, m := range migrations {
		require.Regexp(t, `\n  `+m.File+` +applied \d{4}-\d\d-\d\d `, stdout)
	}

	code, _, stderr = run(t, "db", "stop")
	require.Equal(t, 0, code, stderr)
	require.True(t, processGone(pid), "pid %d still runs after db stop", pid)

	// A command that needs the database starts the server by itself.
	code, stdout, stderr = run(t, "db", "migrate")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "starting the local clickhouse-server")
	require.Equal(t, "schema is up to date (database tidewatch)\n", stdout)
	pid = serverPID(t, dataDir)
	code, _, stderr = run(t, "db", "stop")
	require.Equal(t, 0, code, stderr)
	require.True(t, processGone(pid), "pid %d still runs after db stop", pid)
}

// The configuration's floor for writer.batch_rows is the writer's own.
func TestMinBatchRowsMatchesTheWriter(t *testing.T) {
	require.Equal(t, store.MinBatchRows, config.MinBatchRows)
}

func TestDBStatusOfAnUnreachableServer(t *testing.T) {
	isolate(t)
	addr := "127.0.0.1:" + strconv.Itoa(freePorts(t, 1)[0])
	t.Setenv("TIDEWATCH_CLICKHOUSE_ADDR", addr)
	t.Setenv("TIDEWATCH_CLICKHOUSE_PASSWORD", "do-not-print-me")
	code, stdout, stderr := run(t, "db", "status")
	require.Equal(t, 1, code)
	require.Equal(t, "server:     "+addr+" (configured)\nanswers:    no\n", stdout)
	require.Contains(t, stderr, "tidewatch: clickhouse does not answer: ")
	require.NotContains(t, stdout+stderr, "do-not-print-me")

	code, _, stderr = run(t, "db", "migrate")
	require.Equal(t, 1, code)
	require.NotContains(t, stderr, "starting the local clickhouse-server", "a configured server is never replaced by the local one")
	require.NotContains(t, stderr, "do-not-print-me")
}
