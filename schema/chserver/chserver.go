// Package chserver runs a project-local clickhouse-server: the Debian binary,
// one generated configuration file, a data folder of the project's own, and
// loopback ports of its choosing. It never touches a system service or the
// default ports, so it can run beside any other ClickHouse on the machine.
//
// The server is started detached (its own session and process group, output
// into Dir/log) so that it outlives the command that started it; its pid is
// kept in Dir/clickhouse-server.pid. A pid file whose process is gone, or
// belongs to some other program, is stale and is replaced.
package chserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// Defaults for the zero fields of Options. The ports sit beside ClickHouse's
// own defaults (9000, 8123, 9009) so a system server is never disturbed.
const (
	DefaultDir             = ".tidewatch/clickhouse"
	DefaultTCPPort         = 19000
	DefaultHTTPPort        = 18123
	DefaultInterserverPort = 19009
	DefaultStartTimeout    = 60 * time.Second
	DefaultStopTimeout     = 30 * time.Second
	// DefaultDatabase is the database the analyst user may read when
	// Options.Database is empty: the one tidewatch migrates by default.
	DefaultDatabase = "tidewatch"
)

// AnalystUser is the read-only user every managed server has, for analysts'
// notebooks and ad-hoc queries: no password, loopback only, the readonly
// profile (readonly = 1: SELECT, SHOW, DESCRIBE and EXISTS; no INSERT, DDL,
// ALTER or SET), and access to Options.Database (and system) only. 18.16 has
// no CREATE USER, so the user lives in the generated users configuration.
const AnalystUser = "analyst"

// ErrBinaryNotFound is returned when no clickhouse-server binary can be found.
var ErrBinaryNotFound = errors.New("clickhouse-server not found: install it with `make deps` (apt package clickhouse-server)")

// ErrPortInUse is wrapped by Start when one of the configured ports is taken.
var ErrPortInUse = errors.New("port already in use")

// Options configure a managed server. Zero fields get defaults.
type Options struct {
	// Dir holds the configuration, data, logs and pid file. Default
	// DefaultDir, relative to the working directory.
	Dir string
	// TCPPort is the native protocol port, the one clients connect to.
	TCPPort int
	// HTTPPort serves /ping, which tells when the server is ready.
	HTTPPort int
	// InterserverPort is ClickHouse's replication port; it must be free even
	// for a single server, since 18.16 always binds it.
	InterserverPort int
	// Binary is the clickhouse-server executable. Default: found on PATH, or
	// in /usr/bin or /usr/sbin.
	Binary string
	// StartTimeout bounds the wait for the server to answer its ping.
	StartTimeout time.Duration
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	StopTimeout time.Duration
	// Database is the one database AnalystUser may read. Default
	// DefaultDatabase.
	Database string
	// Node makes the server one node of a cluster (macros, remote_servers,
	// ZooKeeper, distributed DDL); nil is a single server. StartCluster
	// fills it for each node of a local cluster.
	Node *Node
	// Logger receives lifecycle messages; nil is silent.
	Logger *slog.Logger
}

// Node is what a server needs to know to be one node of a cluster.
type Node struct {
	// Cluster is the name of the cluster in <remote_servers>, the one
	// ON CLUSTER DDL and Distributed tables name.
	Cluster string
	// Shard and Replica are this node's {shard} and {replica} macros, which
	// the replicated tables' ZooKeeper paths and replica names use.
	Shard, Replica string
	// Shards lists, per shard, the native host:port of each replica.
	Shards [][]string
	// ZooKeeper lists the host:port of each ZooKeeper server.
	ZooKeeper []string
}

// Status describes a managed server.
type Status struct {
	// Running is true when the recorded process is alive and answers /ping.
	Running bool
	// PID of the server process, 0 when none is recorded.
	PID int
	// Addr is the native protocol address, host:port.
	Addr string
	// HTTPAddr is the HTTP address, host:port.
	HTTPAddr string
	// Dir is the absolute server folder.
	Dir string
	// ConfigFile is the generated configuration.
	ConfigFile string
	// LogDir holds the server's logs and its captured stdout/stderr.
	LogDir string
}

// Host is the only address the managed server listens on.
const Host = "127.0.0.1"

const (
	configName = "config.xml"
	pidName    = "clickhouse-server.pid"
	stdoutName = "stdout.log"
	logName    = "clickhouse-server.log"
	errLogName = "clickhouse-server.err.log"
)

type resolved struct {
	Options
	dir string
}

func resolve(opts Options) (resolved, error) {
	if opts.Dir == "" {
		opts.Dir = DefaultDir
	}
	if opts.TCPPort == 0 {
		opts.TCPPort = DefaultTCPPort
	}
	if opts.HTTPPort == 0 {
		opts.HTTPPort = DefaultHTTPPort
	}
	if opts.InterserverPort == 0 {
		opts.InterserverPort = DefaultInterserverPort
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	if opts.Database == "" {
		opts.Database = DefaultDatabase
	}
	if !validDatabase(opts.Database) {
		return resolved{}, fmt.Errorf("database %q: expected a name of letters, digits and _ not starting with a digit", opts.Database)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ports := map[int]string{}
	for _, p := range []struct {
		name string
		port int
	}{{"tcp", opts.TCPPort}, {"http", opts.HTTPPort}, {"interserver", opts.InterserverPort}} {
		if p.port < 1 || p.port > 65535 {
			return resolved{}, fmt.Errorf("%s port %d out of range 1-65535", p.name, p.port)
		}
		if other, ok := ports[p.port]; ok {
			return resolved{}, fmt.Errorf("%s port %d is also the %s port", p.name, p.port, other)
		}
		ports[p.port] = p.name
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return resolved{}, fmt.Errorf("server dir: %w", err)
	}
	return resolved{Options: opts, dir: dir}, nil
}

// validDatabase reports whether name is a database name that needs no quoting
// or escaping, in SQL or in the generated XML.
func validDatabase(name string) bool {
	for i, c := range name {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return name != ""
}

func (r resolved) path(name string) string { return filepath.Join(r.dir, name) }
func (r resolved) logDir() string          { return r.path("log") }

func (r resolved) status(pid int, running bool) *Status {
	return &Status{
		Running:    running,
		PID:        pid,
		Addr:       net.JoinHostPort(Host, strconv.Itoa(r.TCPPort)),
		HTTPAddr:   net.JoinHostPort(Host, strconv.Itoa(r.HTTPPort)),
		Dir:        r.dir,
		ConfigFile: r.path(configName),
		LogDir:     r.logDir(),
	}
}

// FindBinary returns the clickhouse-server executable: bin when set,
// otherwise the one on PATH, in /usr/bin or in /usr/sbin.
func FindBinary(bin string) (string, error) {
	if bin != "" {
		if _, err := exec.LookPath(bin); err != nil {
			return "", fmt.Errorf("%w (%s: %v)", ErrBinaryNotFound, bin, err)
		}
		return bin, nil
	}
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", ErrBinaryNotFound
}

// Start launches the server unless it already runs, and waits until it
// answers. It is a no-op returning the current status when the recorded
// process is alive and answers its ping.
func Start(ctx context.Context, opts Options) (*Status, error) {
	r, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	log := r.Logger.With("dir", r.dir)

	pid, err := r.livePID()
	if err != nil {
		return nil, err
	}
	if pid != 0 {
		// A server of ours is alive: it either answers already or is still
		// starting, and in both cases a second one must not be launched.
		// It must also be the server these options describe, or clients
		// would be sent to ports it does not listen on.
		want, err := r.renderConfig()
		if err != nil {
			return nil, err
		}
		if have, _ := os.ReadFile(r.path(configName)); !bytes.Equal(have, want) {
			return nil, fmt.Errorf("clickhouse-server %d in %s runs with other settings (ports); stop it first", pid, r.dir)
		}
		if err := r.waitReady(ctx, pid); err != nil {
			return nil, err
		}
		log.Debug("clickhouse-server already running", "pid", pid)
		return r.status(pid, true), nil
	}

	bin, err := FindBinary(r.Binary)
	if err != nil {
		return nil, err
	}
	if err := r.checkPorts(); err != nil {
		return nil, err
	}
	if err := r.writeConfig(); err != nil {
		return nil, err
	}
	out, err := os.OpenFile(filepath.Join(r.logDir(), stdoutName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open server output: %w", err)
	}
	defer out.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	defer devnull.Close()

	// No exec.CommandContext: the server must outlive ctx and this process.
	cmd := exec.Command(bin, "--config-file="+r.path(configName))
	cmd.Dir = r.dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	pid = cmd.Process.Pid
	// The process is reaped by isAlive (wait4 with WNOHANG) when it is our
	// child, so nothing has to wait on it here.
	_ = cmd.Process.Release()
	if err := writeFileAtomic(r.path(pidName), []byte(strconv.Itoa(pid)+"\n")); err != nil {
		return nil, errors.Join(fmt.Errorf("write pid file: %w", err), r.kill(pid))
	}
	log.Info("clickhouse-server starting", "pid", pid, "tcp_port", r.TCPPort, "http_port", r.HTTPPort)
	if err := r.waitReady(ctx, pid); err != nil {
		cleanup := r.kill(pid)
		_ = os.Remove(r.path(pidName))
		return nil, errors.Join(err, cleanup)
	}
	log.Info("clickhouse-server ready", "pid", pid)
	return r.status(pid, true), nil
}

// Stop terminates the server: SIGTERM, then SIGKILL to its process group
// after StopTimeout. It removes the pid file and returns once no process is
// left. Stopping a server that does not run is not an error.
func Stop(ctx context.Context, opts Options) error {
	r, err := resolve(opts)
	if err != nil {
		return err
	}
	pid, err := r.livePID()
	if err != nil {
		return err
	}
	if pid == 0 {
		return nil
	}
	log := r.Logger.With("dir", r.dir, "pid", pid)
	log.Info("stopping clickhouse-server")
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal clickhouse-server %d: %w", pid, err)
	}
	if !waitGone(ctx, pid, r.StopTimeout) {
		log.Warn("clickhouse-server ignored SIGTERM, killing it", "timeout", r.StopTimeout)
		if err := r.kill(pid); err != nil {
			return err
		}
	}
	if err := os.Remove(r.path(pidName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove pid file: %w", err)
	}
	return nil
}

// Kill sends SIGKILL to the server's process group and waits until it is
// gone, leaving the pid file in place, as a crash would. It exists for fault
// tests; use Stop otherwise.
func Kill(opts Options) error {
	r, err := resolve(opts)
	if err != nil {
		return err
	}
	pid, err := r.livePID()
	if err != nil || pid == 0 {
		return err
	}
	return r.kill(pid)
}

// Inspect reports whether the server recorded in opts.Dir runs and answers.
// It is the status query; the name Status belongs to its result type.
func Inspect(ctx context.Context, opts Options) (*Status, error) {
	r, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	pid, err := r.livePID()
	if err != nil {
		return nil, err
	}
	if pid == 0 {
		return r.status(0, false), nil
	}
	return r.status(pid, r.ping(ctx) == nil), nil
}

// livePID returns the pid of our running server, or 0 after removing a stale
// pid file.
func (r resolved) livePID() (int, error) {
	b, err := os.ReadFile(r.path(pidName))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read pid file: %w", err)
	}
	pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
	if perr == nil && pid > 0 && isAlive(pid) && r.isOurs(pid) {
		return pid, nil
	}
	r.Logger.Info("removing stale pid file", "file", r.path(pidName))
	if err := os.Remove(r.path(pidName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("remove stale pid file: %w", err)
	}
	return 0, nil
}

// isOurs tells whether pid runs clickhouse-server with this folder's config,
// so that a pid reused by another program is never signalled.
func (r resolved) isOurs(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return bytes.Contains(b, []byte("--config-file="+r.path(configName)))
}

// isAlive reports whether pid is a live (not zombie) process. A child of this
// process that exited is reaped here.
func isAlive(pid int) bool {
	var ws syscall.WaitStatus
	if wpid, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); err == nil && wpid == pid {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// The leader of a thread group turns zombie while its other threads
	// may still be exiting, holding the sockets: the process counts as gone
	// only when no thread is left running.
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, t.Name()))
		if err != nil {
			continue
		}
		// The state follows the command name in parentheses.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
			if st := b[i+2]; st != 'Z' && st != 'X' {
				return true
			}
		}
	}
	return false
}

// waitGone polls until pid is gone or timeout passes; ctx only shortens it.
func waitGone(ctx context.Context, pid int, timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for isAlive(pid) {
		select {
		case <-ctx.Done():
			return !isAlive(pid)
		case <-timer.C:
			return !isAlive(pid)
		case <-tick.C:
		}
	}
	return true
}

func (r resolved) kill(pid int) error {
	// The group is the server's own (Setsid), so this reaches any child too.
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("kill clickhouse-server %d: %w", pid, err)
		}
	}
	if !waitGone(context.Background(), pid, 10*time.Second) {
		return fmt.Errorf("clickhouse-server %d still alive after SIGKILL", pid)
	}
	return nil
}

func (r resolved) checkPorts() error {
	for _, p := range []struct {
		name string
		port int
	}{{"tcp", r.TCPPort}, {"http", r.HTTPPort}, {"interserver", r.InterserverPort}} {
		l, err := net.Listen("tcp", net.JoinHostPort(Host, strconv.Itoa(p.port)))
		if err != nil {
			return fmt.Errorf("clickhouse %s port %d on %s: %w (another process listens there; configure a different port)", p.name, p.port, Host, ErrPortInUse)
		}
		_ = l.Close()
	}
	return nil
}

func (r resolved) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(Host, strconv.Itoa(r.HTTPPort))+"/ping", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "Ok.") {
		return fmt.Errorf("ping answered %d %q", resp.StatusCode, body)
	}
	return nil
}

// waitReady polls /ping until it answers, the process dies, ctx ends or
// StartTimeout passes. Failures carry the tail of the server's logs.
func (r resolved) waitReady(ctx context.Context, pid int) error {
	return pollReady(ctx, pid, r.StartTimeout, 50*time.Millisecond, r.ping, func(err error) error {
		if err == nil {
			return fmt.Errorf("clickhouse-server exited during startup; log tail:\n%s", r.logTail())
		}
		return fmt.Errorf("clickhouse-server did not answer on port %d within %s: %w; log tail:\n%s",
			r.HTTPPort, r.StartTimeout, err, r.logTail())
	})
}

// pollReady calls ping every period until it succeeds. It gives up when the
// process pid is gone (failed(nil)) or when ctx ends or timeout passes
// (failed(ctx.Err())); failed words the error for the process in question.
func pollReady(ctx context.Context, pid int, timeout, period time.Duration, ping func(context.Context) error, failed func(error) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		if err := ping(ctx); err == nil {
			return nil
		}
		if !isAlive(pid) {
			return failed(nil)
		}
		select {
		case <-ctx.Done():
			return failed(ctx.Err())
		case <-tick.C:
		}
	}
}

// logTail returns the last lines of the captured output and error log.
func (r resolved) logTail() string {
	var b strings.Builder
	for _, name := range []string{stdoutName, errLogName} {
		data, err := os.ReadFile(filepath.Join(r.logDir(), name))
		if err != nil || len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 20 {
			lines = lines[len(lines)-20:]
		}
		fmt.Fprintf(&b, "== %s\n%s\n", filepath.Join(r.logDir(), name), strings.Join(lines, "\n"))
	}
	if b.Len() == 0 {
		return "(no server output)"
	}
	return b.String()
}

// splitHostPort cuts host:port into its two parts for the XML; an address
// without a port yields it whole and an empty port, which the server rejects.
func splitHostPort(addr string) []string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return []string{addr, ""}
	}
	return []string{host, port}
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (r resolved) writeConfig() error {
	for _, d := range []string{r.dir, r.logDir(), r.path("data"), r.path("tmp"), r.path("user_files"), r.path("format_schemas")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	b, err := r.renderConfig()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(r.path(configName), b); err != nil {
		return fmt.Errorf("write server config: %w", err)
	}
	return nil
}

func (r resolved) renderConfig() ([]byte, error) {
	var b bytes.Buffer
	err := configTemplate.Execute(&b, map[string]any{
		"Host":            Host,
		"TCPPort":         r.TCPPort,
		"HTTPPort":        r.HTTPPort,
		"InterserverPort": r.InterserverPort,
		"Dir":             r.dir,
		"LogDir":          r.logDir(),
		"Config":          r.path(configName),
		"Analyst":         AnalystUser,
		"Database":        r.Database,
		"Node":            r.Node,
	})
	if err != nil {
		return nil, fmt.Errorf("render server config: %w", err)
	}
	return b.Bytes(), nil
}

// configTemplate is the whole server configuration. 18.16 refuses to start
// without logger, mark_cache_size, path and users_config; users_config points
// at this same file so one file is all there is. The root element <yandex>
// is still read by current ClickHouse.
var configTemplate = template.Must(template.New("config").Funcs(template.FuncMap{"split": splitHostPort}).Parse(`<?xml version="1.0"?>
<!-- Generated by tidewatch for a project-local server; rewritten at every start. -->
<yandex>
    <logger>
        <level>information</level>
        <log>{{.LogDir}}/clickhouse-server.log</log>
        <errorlog>{{.LogDir}}/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>{{.Host}}</listen_host>
    <tcp_port>{{.TCPPort}}</tcp_port>
    <http_port>{{.HTTPPort}}</http_port>
    <interserver_http_port>{{.InterserverPort}}</interserver_http_port>
    <interserver_http_host>{{.Host}}</interserver_http_host>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>536870912</mark_cache_size>
    <uncompressed_cache_size>1073741824</uncompressed_cache_size>
    <path>{{.Dir}}/data/</path>
    <tmp_path>{{.Dir}}/tmp/</tmp_path>
    <user_files_path>{{.Dir}}/user_files/</user_files_path>
    <format_schema_path>{{.Dir}}/format_schemas/</format_schema_path>
    <users_config>{{.Config}}</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <!-- 18.16 has no per-column CODEC: compress every part with zstd. -->
    <compression>
        <case>
            <method>zstd</method>
        </case>
    </compression>
    <profiles>
        <default>
            <!-- 18.16 needs this to create LowCardinality columns. -->
            <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
{{- if .Node}}
            <!-- Reads and Distributed inserts go to the first healthy replica of each
                 shard, so what was just written is what is read (another replica may
                 lag by a fraction of a second). -->
            <load_balancing>in_order</load_balancing>
            <!-- An 18.16 Distributed table sends the MATERIALIZED columns it computed
                 (posts' post_key) on to the shards, which refuse them without this. -->
            <insert_allow_materialized_columns>1</insert_allow_materialized_columns>
{{- end}}
        </default>
        <!-- Analysts: queries that read, nothing that writes or changes a setting. -->
        <readonly>
            <readonly>1</readonly>
        </readonly>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <!-- The read-only user of analysts' notebooks: no password, loopback only. -->
        <{{.Analyst}}>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>readonly</profile>
            <quota>default</quota>
            <allow_databases>
                <database>{{.Database}}</database>
            </allow_databases>
        </{{.Analyst}}>
    </users>
{{- with .Node}}
    <!-- One node of cluster {{.Cluster}}. -->
    <macros>
        <shard>{{.Shard}}</shard>
        <replica>{{.Replica}}</replica>
    </macros>
    <remote_servers>
        <{{.Cluster}}>
{{- range .Shards}}
            <shard>
                <!-- The tables are replicated: a Distributed insert goes to one replica. -->
                <internal_replication>true</internal_replication>
{{- range .}}{{$hp := split .}}
                <replica>
                    <host>{{index $hp 0}}</host>
                    <port>{{index $hp 1}}</port>
                </replica>
{{- end}}
            </shard>
{{- end}}
        </{{.Cluster}}>
    </remote_servers>
    <zookeeper>
{{- range .ZooKeeper}}{{$hp := split .}}
        <node>
            <host>{{index $hp 0}}</host>
            <port>{{index $hp 1}}</port>
        </node>
{{- end}}
        <session_timeout_ms>30000</session_timeout_ms>
    </zookeeper>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
{{- end}}
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`))
