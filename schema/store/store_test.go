package store

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/chtest"
)

func TestOpen(t *testing.T) {
	integration(t)
	srv := chtest.Start(t)
	ctx := context.Background()

	db, err := Open(ctx, Options{Addr: []string{srv.Addr()}, Database: "default"})
	require.NoError(t, err)
	require.Equal(t, "default", db.Database())
	var one uint8
	require.NoError(t, db.QueryRow(ctx, "SELECT 1").Scan(&one))
	require.Equal(t, uint8(1), one)
	require.NoError(t, db.Close())

	_, err = Open(ctx, Options{Addr: []string{srv.Addr()}, Database: "nope"})
	require.ErrorIs(t, err, ErrUnknownDatabase)
	require.ErrorContains(t, err, "nope")

	_, err = Open(ctx, Options{Addr: []string{srv.Addr()}, Database: "default", Username: "default", Password: "s3cret-value"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret-value", "passwords never reach errors")

	// Nothing listens on a port that was just freed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := l.Addr().String()
	require.NoError(t, l.Close())
	_, err = Open(ctx, Options{Addr: []string{dead}, DialTimeout: time.Second})
	require.ErrorContains(t, err, dead)
}
