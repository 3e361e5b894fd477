// Package chtest starts throwaway ClickHouse servers for tests: the real
// clickhouse-server binary (through chserver) in a temporary folder on free
// loopback ports, stopped when the test ends. Storage tests use it instead of
// mocks. A missing binary fails the test: a test that cannot run must not
// pass for one that did.
package chtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tidewatch/tidewatch/schema/chserver"
	"github.com/tidewatch/tidewatch/schema/migrate"
)

// Server is one throwaway clickhouse-server.
type Server struct {
	// Options are the chserver options it runs with (folder, ports).
	Options chserver.Options
	// Database is the database Conn and DSN use: "default" for Start, the
	// migrated one for Migrated.
	Database string
	pid      int
}

// Start runs a fresh server for t and stops it when t ends, checking that
// no process is left behind.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := chserver.FindBinary(""); err != nil {
		t.Fatalf("chtest: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "clickhouse")
	var lastErr error
	// Free ports are found by binding :0 and closing again, so another
	// process may take one in between; a few attempts make that harmless.
	for attempt := 0; attempt < 5; attempt++ {
		ports, err := freePorts(3)
		if err != nil {
			t.Fatalf("chtest: %v", err)
		}
		s := &Server{
			Options: chserver.Options{
				Dir:             dir,
				TCPPort:         ports[0],
				HTTPPort:        ports[1],
				InterserverPort: ports[2],
			},
			Database: "default",
		}
		st, err := chserver.Start(context.Background(), s.Options)
		if errors.Is(err, chserver.ErrPortInUse) {
			lastErr = err
			continue
		}
		if err != nil {
			t.Fatalf("chtest: start clickhouse-server: %v", err)
		}
		s.pid = st.PID
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := chserver.Stop(ctx, s.Options); err != nil {
				t.Errorf("chtest: stop clickhouse-server: %v", err)
			}
			st, err := chserver.Inspect(ctx, s.Options)
			if err != nil || st.PID != 0 {
				t.Errorf("chtest: clickhouse-server still recorded after stop: %+v %v", st, err)
			}
		})
		return s
	}
	t.Fatalf("chtest: no free ports: %v", lastErr)
	return nil
}

// Migrated runs a fresh server with every embedded migration applied to the
// database migrate.DefaultDatabase, which Conn and DSN then use.
func Migrated(t testing.TB) *Server {
	t.Helper()
	s := Start(t)
	conn := s.Conn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := migrate.Migrate(ctx, conn, migrate.Options{Database: migrate.DefaultDatabase}); err != nil {
		t.Fatalf("chtest: migrate: %v", err)
	}
	s.Database = migrate.DefaultDatabase
	return s
}

// Addr is the native protocol address, host:port.
func (s *Server) Addr() string {
	return net.JoinHostPort(chserver.Host, strconv.Itoa(s.Options.TCPPort))
}

// HTTPAddr is the HTTP address, host:port.
func (s *Server) HTTPAddr() string {
	return net.JoinHostPort(chserver.Host, strconv.Itoa(s.Options.HTTPPort))
}

// DSN is a clickhouse-go connection string for the server and Database.
func (s *Server) DSN() string {
	return "clickhouse://" + s.Addr() + "/" + s.Database + "?compress=lz4"
}

// PID is the server's process id.
func (s *Server) PID() int { return s.pid }

// Conn is a native connection to a test server with what schema/migrate needs
// (statements and one-row queries); tests that read rows open a store.DB.
type Conn struct{ conn driver.Conn }

// Exec runs a statement that returns no rows.
func (c *Conn) Exec(ctx context.Context, query string, args ...any) error {
	return c.conn.Exec(ctx, query, args...)
}

// QueryRow runs a query expected to return one row.
func (c *Conn) QueryRow(ctx context.Context, query string, args ...any) migrate.Row {
	return c.conn.QueryRow(ctx, query, args...)
}

// Conn opens a native connection to Database, closed when t ends.
func (s *Server) Conn(t testing.TB) *Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{s.Addr()},
		Auth:        clickhouse.Auth{Database: s.Database, Username: "default"},
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
		DialTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatalf("chtest: open connection: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("chtest: ping %s: %v", s.Addr(), err)
	}
	return &Conn{conn: conn}
}

// Query runs sql with clickhouse-client and returns its trimmed output,
// failing t on error. Handy for checks that must not go through the code
// under test.
func (s *Server) Query(t testing.TB, sql string) string {
	t.Helper()
	out, err := s.Client(sql, nil)
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	return out
}

// Client runs clickhouse-client with --query sql against the server, extra
// arguments appended, and returns its trimmed standard output.
func (s *Server) Client(sql string, extra []string) (string, error) {
	args := append([]string{"--host", chserver.Host, "--port", strconv.Itoa(s.Options.TCPPort),
		"--database", s.Database, "--query", sql}, extra...)
	cmd := exec.Command("clickhouse-client", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("clickhouse-client %q: %w: %s", sql, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// Kill ends the server with SIGKILL, as a crash would, and returns once the
// process is gone. Safe to call from any goroutine.
func (s *Server) Kill() error {
	return chserver.Kill(s.Options)
}

// Restart starts the server again on the same folder and ports after Kill
// or Stop, failing t when it cannot. Call it from the test's goroutine.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	var err error
	// The old process's ports can take a moment to be free after a kill.
	for attempt := 0; attempt < 50; attempt++ {
		var st *chserver.Status
		st, err = chserver.Start(context.Background(), s.Options)
		if err == nil {
			s.pid = st.PID
			return
		}
		if !errors.Is(err, chserver.ErrPortInUse) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("chtest: restart clickhouse-server: %v", err)
}

// Stop stops the server gracefully; Restart starts it again.
func (s *Server) Stop() error {
	return chserver.Stop(context.Background(), s.Options)
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", net.JoinHostPort(chserver.Host, "0"))
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
