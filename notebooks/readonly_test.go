package notebooks_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/chserver"
	"github.com/tidewatch/tidewatch/schema/chtest"
)

// TestAnalystIsReadOnly: on a migrated throwaway server (the same configuration as the
// managed one), the analyst user reads the tidewatch tables but every statement that
// writes, creates, drops or alters is refused, and the default user's data is unchanged.
func TestAnalystIsReadOnly(t *testing.T) {
	srv := chtest.Migrated(t)
	srv.Query(t, "INSERT INTO events (event_id, title, version) SELECT 'kept', 'a registry event', 1")
	analyst := []string{"--user", chserver.AnalystUser}

	out, err := srv.Client("SELECT event_id, title FROM events FINAL", analyst)
	require.NoError(t, err, "the analyst reads")
	require.Equal(t, "kept\ta registry event", out)
	out, err = srv.Client("SELECT count() FROM system.tables WHERE database = 'tidewatch' AND name = 'posts'", analyst)
	require.NoError(t, err, "the analyst reads the system tables")
	require.Equal(t, "1", out)

	refused := map[string]string{
		"INSERT":        "INSERT INTO events (event_id, title, version) SELECT 'written', 'by the analyst', 2",
		"CREATE TABLE":  "CREATE TABLE analyst_table (x UInt8) ENGINE = Memory",
		"CREATE DB":     "CREATE DATABASE analyst_db",
		"DROP TABLE":    "DROP TABLE events",
		"DROP DATABASE": "DROP DATABASE tidewatch",
		"TRUNCATE":      "TRUNCATE TABLE events",
		"ALTER ADD":     "ALTER TABLE events ADD COLUMN analyst_note String",
		"ALTER DELETE":  "ALTER TABLE events DELETE WHERE 1",
		"RENAME":        "RENAME TABLE events TO analyst_events",
		"SET":           "SET readonly = 0",
	}
	for name, sql := range refused {
		t.Run(name, func(t *testing.T) {
			_, err := srv.Client(sql, analyst)
			require.Error(t, err, "the analyst must not run %s", sql)
			require.Contains(t, err.Error(), "readonly", "refused for being read-only, not for another reason")
		})
	}
	_, err = srv.Client("SELECT count() FROM default.nothing_here", analyst)
	require.Error(t, err, "the analyst reads only the tidewatch database")
	require.Contains(t, err.Error(), "Access denied")

	require.Equal(t, "kept", srv.Query(t, "SELECT arrayStringConcat(groupArray(event_id), ',') FROM events FINAL"))
	require.Equal(t, "0", srv.Query(t, "SELECT count() FROM system.tables WHERE database = 'tidewatch' AND name LIKE 'analyst%'"))
	require.Equal(t, "0", srv.Query(t, "SELECT count() FROM system.databases WHERE name = 'analyst_db'"))
	require.Equal(t, "0", srv.Query(t, "SELECT count() FROM system.columns WHERE database = 'tidewatch' AND name = 'analyst_note'"))
}
