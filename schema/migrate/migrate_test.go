package migrate_test

import (
	"context"
	"strconv"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/migrate"
)

func load(t *testing.T, files map[string]string) []schema.Migration {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys["m/"+name] = &fstest.MapFile{Data: []byte(text)}
	}
	migs, err := schema.Load(fsys, "m")
	require.NoError(t, err)
	return migs
}

const m1 = `-- first
CREATE TABLE IF NOT EXISTS {{local "a"}} {{onCluster}} (id UInt64, v UInt64)
ENGINE = {{engine "a" "ReplacingMergeTree" "v"}} ORDER BY id;
{{distributed "a" "id"}};
`

const m2 = `CREATE TABLE IF NOT EXISTS {{local "b"}} (id UInt64) ENGINE = {{engine "b" "MergeTree"}} ORDER BY id;
ALTER TABLE {{local "a"}} ADD COLUMN note String;
`

func TestMigrate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	srv := chtest.Start(t)
	conn := srv.Conn(t)
	ctx := context.Background()
	count := func(t *testing.T, db string) string {
		return srv.Query(t, "SELECT count() FROM "+db+".schema_migrations")
	}

	t.Run("embedded schema is idempotent", func(t *testing.T) {
		opts := migrate.Options{Database: "tw_real"}
		all, err := schema.Migrations()
		require.NoError(t, err)
		applied, err := migrate.Migrate(ctx, conn, opts)
		require.NoError(t, err)
		require.Len(t, applied, len(all))
		tables := srv.Query(t, "SELECT count() FROM system.tables WHERE database = 'tw_real'")
		require.NotEqual(t, "0", tables)

		applied, err = migrate.Migrate(ctx, conn, opts)
		require.NoError(t, err)
		require.Empty(t, applied, "second run changes nothing")
		require.Equal(t, tables, srv.Query(t, "SELECT count() FROM system.tables WHERE database = 'tw_real'"))
		require.Equal(t, strconv.Itoa(len(all)), count(t, "tw_real"))

		st, err := migrate.Status(ctx, conn, opts)
		require.NoError(t, err)
		require.Len(t, st, len(all))
		for i, s := range st {
			require.Equal(t, all[i].Version, s.Version)
			require.True(t, s.Applied)
			require.False(t, s.Changed)
			require.False(t, s.AppliedAt.IsZero())
		}
	})

	t.Run("pending migrations are applied in order", func(t *testing.T) {
		opts := migrate.Options{Database: "tw_pending", Migrations: load(t, map[string]string{"0001_a.sql": m1})}
		applied, err := migrate.Migrate(ctx, conn, opts)
		require.NoError(t, err)
		require.Len(t, applied, 1)

		opts.Migrations = load(t, map[string]string{"0001_a.sql": m1, "0002_b.sql": m2})
		st, err := migrate.Status(ctx, conn, opts)
		require.NoError(t, err)
		require.Len(t, st, 2)
		require.True(t, st[0].Applied)
		require.False(t, st[1].Applied)
		require.Equal(t, "0002_b.sql", st[1].File)

		applied, err = migrate.Migrate(ctx, conn, opts)
		require.NoError(t, err)
		require.Len(t, applied, 1)
		require.Equal(t, uint32(2), applied[0].Version)
		require.Equal(t, "1", srv.Query(t, "SELECT count() FROM system.columns WHERE database = 'tw_pending' AND table = 'a' AND name = 'note'"))
		require.Equal(t, "2", count(t, "tw_pending"))
		row := srv.Query(t, "SELECT version, name, checksum FROM tw_pending.schema_migrations WHERE version = 2")
		require.Equal(t, "2\tb\t"+opts.Migrations[1].Checksum, row)
	})

	t.Run("changed applied migration is an error naming the file", func(t *testing.T) {
		opts := migrate.Options{Database: "tw_changed", Migrations: load(t, map[string]string{"0001_a.sql": m1})}
		_, err := migrate.Migrate(ctx, conn, opts)
		require.NoError(t, err)

		opts.Migrations = load(t, map[string]string{
			"0001_a.sql": m1 + "-- an innocent-looking edit\n",
			"0002_b.sql": m2,
		})
		_, err = migrate.Migrate(ctx, conn, opts)
		require.ErrorIs(t, err, migrate.ErrChecksumMismatch)
		require.ErrorContains(t, err, "migration 0001_a.sql")
		require.Equal(t, "0", srv.Query(t, "SELECT count() FROM system.tables WHERE database = 'tw_changed' AND name = 'b'"),
			"nothing is applied after a mismatch")

		st, err := migrate.Status(ctx, conn, opts)
		require.NoError(t, err)
		require.True(t, st[0].Changed)
		require.NotEqual(t, st[0].Checksum, st[0].RecordedChecksum)
	})

	t.Run("unknown recorded version is refused", func(t *testing.T) {
		opts := migrate.Options{Database: "tw_newer", Migrations: load(t, map[string]string{"0001_a.sql": m1, "0002_b.sql": m2})}
		_, err := migrate.Migrate(ctx, conn, opts)
		require.NoError(t, err)
		opts.Migrations = opts.Migrations[:1]
		_, err = migrate.Migrate(ctx, conn, opts)
		require.ErrorIs(t, err, migrate.ErrUnknownMigration)
		require.ErrorContains(t, err, "migration 2 (b)")
		st, err := migrate.Status(ctx, conn, opts)
		require.NoError(t, err)
		require.Len(t, st, 2)
		require.True(t, st[1].Unknown)
	})

	t.Run("failing statement is not recorded", func(t *testing.T) {
		opts := migrate.Options{Database: "tw_fail", Migrations: load(t, map[string]string{
			"0001_a.sql": m1,
			"0002_bad.sql": "CREATE TABLE IF NOT EXISTS {{local \"c\"}} (id UInt64) ENGINE = {{engine \"c\" \"MergeTree\"}} ORDER BY id;\n" +
				"ALTER TABLE {{local \"c\"}} ADD COLUMN oops NoSuchType;\n",
		})}
		applied, err := migrate.Migrate(ctx, conn, opts)
		require.ErrorContains(t, err, "migration 0002_bad.sql, statement 2 (ALTER TABLE tw_fail.c ADD COLUMN oops NoSuchType)")
		require.Len(t, applied, 1)
		require.Equal(t, "1", count(t, "tw_fail"))

		// The fixed file completes the migration; IF NOT EXISTS makes the
		// statement that did succeed harmless to repeat.
		opts.Migrations = load(t, map[string]string{
			"0001_a.sql": m1,
			"0002_bad.sql": "CREATE TABLE IF NOT EXISTS {{local \"c\"}} (id UInt64) ENGINE = {{engine \"c\" \"MergeTree\"}} ORDER BY id;\n" +
				"ALTER TABLE {{local \"c\"}} ADD COLUMN fine String;\n",
		})
		applied, err = migrate.Migrate(ctx, conn, opts)
		require.NoError(t, err)
		require.Len(t, applied, 1)
		require.Equal(t, "2", count(t, "tw_fail"))
	})
}
