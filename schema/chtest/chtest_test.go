package chtest

import (
	"context"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/migrate"
)

func TestStartKillRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	s := Start(t)
	require.Equal(t, "1", s.Query(t, "SELECT 1"))
	s.Query(t, "CREATE TABLE t (id UInt64) ENGINE = MergeTree() ORDER BY id")
	s.Query(t, "INSERT INTO t SELECT number FROM system.numbers LIMIT 10")

	conn := s.Conn(t)
	var n uint64
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT count() FROM t").Scan(&n))
	require.Equal(t, uint64(10), n)

	pid := s.PID()
	require.NoError(t, s.Kill())
	require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "killed server is gone")

	s.Restart(t)
	require.NotEqual(t, pid, s.PID())
	require.Equal(t, "10", s.Query(t, "SELECT count() FROM t"), "same data folder after restart")
	require.Contains(t, s.DSN(), s.Addr())
}

func TestMigrated(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	s := Migrated(t)
	require.Equal(t, migrate.DefaultDatabase, s.Database)
	st, err := migrate.Status(context.Background(), s.Conn(t), migrate.Options{})
	require.NoError(t, err)
	require.NotEmpty(t, st)
	for _, m := range st {
		require.True(t, m.Applied, m.File)
	}
	require.Equal(t, "0", s.Query(t, "SELECT count() FROM posts"))
}
