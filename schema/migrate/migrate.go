// Package migrate applies tidewatch's embedded schema migrations to ClickHouse
// and records each one, with the checksum of its file, in a schema_migrations
// table of the target database.
//
// Applying is idempotent: a migration already recorded is skipped, so a
// second run changes nothing. A recorded migration whose file changed since
// (another checksum) stops the run before anything is applied, naming the
// file: an applied migration is history, and a change belongs in a new one.
// A database that records a version this binary does not know was migrated by
// a newer tidewatch and is refused too.
//
// Every statement is rendered for the deployment mode (single server or
// cluster) by schema.Render. A migration is recorded only after all of its
// statements succeeded; its statements use IF NOT EXISTS, so a run that was
// interrupted half-way through a migration is completed by the next run.
// Runs are not locked against each other: run one migration at a time.
//
// Why not a migration library. pressly/goose v3 (v3.30.0) and
// golang-migrate v4 (v4.20.1) were both tried against clickhouse-server
// 18.16.1 through clickhouse-go v2.51.0's database/sql driver. Both create
// their version table and then hang on their first bookkeeping insert, which
// they send as INSERT ... VALUES through database/sql, something 18.16 never
// answers over the native protocol:
//
//   - goose: Provider.Up returned "failed to initialize: context deadline
//     exceeded" after the 20 s deadline; goose_db_version existed, empty
//     (INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, $2)).
//   - golang-migrate: Migrate.Up did not return within 20 s; schema_migrations
//     existed, empty, and the first migration's table was never created
//     (INSERT INTO schema_migrations (version, dirty, sequence) VALUES (?, ?, ?)).
//
// Neither records a checksum, so neither could detect an edited migration.
// This runner records with INSERT ... SELECT and an explicit column list,
// which 18.16 answers, and runs on anything with Exec and QueryRow: a
// *store.DB in the binaries, a chtest connection in tests. It never sees the
// driver itself.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/schema"
)

// DefaultDatabase is the database migrated when Options.Database is empty.
const DefaultDatabase = "tidewatch"

// Table is the name of the bookkeeping table inside the migrated database.
const Table = "schema_migrations"

// ErrChecksumMismatch is wrapped when an applied migration's file changed.
var ErrChecksumMismatch = errors.New("applied migration was changed")

// ErrUnknownMigration is wrapped when the database records a migration that
// the given list lacks.
var ErrUnknownMigration = errors.New("database has a migration this version does not know")

// Row is one result row, as DB.QueryRow returns it. It is the same type as
// store.Row, so *store.DB satisfies DB.
type Row = interface {
	Scan(dest ...any) error
	Err() error
}

// DB is what a migration run needs of a connection: statements that return
// nothing and queries that return one row. *store.DB satisfies it.
type DB interface {
	Exec(ctx context.Context, query string, args ...any) error
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Options configure a migration run. Zero fields get defaults.
type Options struct {
	// Database to create and migrate. Default DefaultDatabase.
	Database string
	// Cluster renders the migrations for a cluster of that name (replicated
	// local tables, Distributed tables, ON CLUSTER DDL). Empty: one server.
	Cluster string
	// Migrations to apply, ordered by version. Default: schema.Migrations(),
	// the ones embedded in the binary.
	Migrations []schema.Migration
	// Logger receives one line per applied migration; nil is silent.
	Logger *slog.Logger
}

// MigrationStatus is one line of Status.
type MigrationStatus struct {
	Version uint32
	Name    string
	// File is empty for a migration known only to the database.
	File string
	// Applied is true when the database records the migration.
	Applied bool
	// AppliedAt is when it was recorded; zero when pending.
	AppliedAt time.Time
	// Checksum is the file's checksum, or the recorded one when the file is
	// unknown.
	Checksum string
	// RecordedChecksum is the checksum recorded when it was applied.
	RecordedChecksum string
	// Changed is true when the recorded checksum differs from the file's.
	Changed bool
	// Unknown is true when the database records a version that the
	// migration list lacks.
	Unknown bool
}

type record struct {
	Version   uint32
	Name      string
	Checksum  string
	AppliedAt time.Time
}

func resolve(opts Options) (Options, error) {
	if opts.Database == "" {
		opts.Database = DefaultDatabase
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Migrations == nil {
		migs, err := schema.Migrations()
		if err != nil {
			return opts, err
		}
		opts.Migrations = migs
	}
	return opts, nil
}

func (o Options) render() schema.RenderOptions {
	return schema.RenderOptions{DB: o.Database, Cluster: o.Cluster}
}

// bookkeeping creates the database and the schema_migrations table. It is
// rendered like a migration, so in cluster mode it exists on every node.
const bookkeeping = `CREATE DATABASE IF NOT EXISTS {{.DB}} {{onCluster}};
CREATE TABLE IF NOT EXISTS {{local "schema_migrations"}} {{onCluster}}
(
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime
)
ENGINE = {{engine "schema_migrations" "ReplacingMergeTree" "applied_at"}}
ORDER BY version;
`

// Migrate applies the pending migrations in version order and returns the
// ones it applied (none when the database is up to date).
func Migrate(ctx context.Context, conn DB, opts Options) ([]schema.Migration, error) {
	opts, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	if err := ensureBookkeeping(ctx, conn, opts); err != nil {
		return nil, err
	}
	status, err := status(ctx, conn, opts)
	if err != nil {
		return nil, err
	}
	// Refuse before touching anything, so a changed or foreign history
	// never ends up half-migrated.
	var problems []error
	for _, s := range status {
		switch {
		case s.Changed:
			problems = append(problems, fmt.Errorf("migration %s: %w: its checksum is %s, the database recorded %s when it was applied at %s; undo the edit and put the change in a new migration",
				s.File, ErrChecksumMismatch, s.Checksum, s.RecordedChecksum, s.AppliedAt.UTC().Format(time.RFC3339)))
		case s.Unknown:
			problems = append(problems, fmt.Errorf("migration %d (%s): %w; it was applied by a newer tidewatch", s.Version, s.Name, ErrUnknownMigration))
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	byVersion := map[uint32]schema.Migration{}
	for _, m := range opts.Migrations {
		byVersion[m.Version] = m
	}
	var applied []schema.Migration
	for _, s := range status {
		if s.Applied {
			continue
		}
		m := byVersion[s.Version]
		if err := apply(ctx, conn, opts, m); err != nil {
			return applied, err
		}
		applied = append(applied, m)
		opts.Logger.Info("applied migration", "file", m.File, "database", opts.Database)
	}
	return applied, nil
}

// Status lists every migration, known or recorded, in version order, with
// whether it is applied, pending, changed or unknown. It creates the
// bookkeeping table when missing, so it works on an empty server.
func Status(ctx context.Context, conn DB, opts Options) ([]MigrationStatus, error) {
	opts, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	if err := ensureBookkeeping(ctx, conn, opts); err != nil {
		return nil, err
	}
	return status(ctx, conn, opts)
}

func ensureBookkeeping(ctx context.Context, conn DB, opts Options) error {
	text, err := schema.RenderText(Table, bookkeeping, opts.render())
	if err != nil {
		return err
	}
	for _, stmt := range schema.SplitStatements(text) {
		if err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("create %s.%s: %w", opts.Database, Table, err)
		}
	}
	return nil
}

func (o Options) table() string {
	name := Table
	if o.Cluster != "" {
		name += "_local"
	}
	return o.Database + "." + name
}

func records(ctx context.Context, conn DB, opts Options) (map[uint32]record, error) {
	// One row of parallel arrays: DB reads single rows only, and the table
	// holds one row per applied migration.
	var (
		versions        []uint32
		names, checksum []string
		at              []time.Time
	)
	q := "SELECT groupArray(version), groupArray(name), groupArray(checksum), groupArray(applied_at) FROM " + opts.table()
	if err := conn.QueryRow(ctx, q).Scan(&versions, &names, &checksum, &at); err != nil {
		return nil, fmt.Errorf("read %s: %w", opts.table(), err)
	}
	if len(names) != len(versions) || len(checksum) != len(versions) || len(at) != len(versions) {
		return nil, fmt.Errorf("read %s: columns of different lengths", opts.table())
	}
	rs := make([]record, len(versions))
	for i := range versions {
		rs[i] = record{Version: versions[i], Name: names[i], Checksum: checksum[i], AppliedAt: at[i]}
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Version != rs[j].Version {
			return rs[i].Version < rs[j].Version
		}
		return rs[i].AppliedAt.Before(rs[j].AppliedAt)
	})
	out := map[uint32]record{}
	for _, r := range rs {
		// Rows are ordered by applied_at: the first application counts.
		if _, ok := out[r.Version]; !ok {
			out[r.Version] = r
		}
	}
	return out, nil
}

func status(ctx context.Context, conn DB, opts Options) ([]MigrationStatus, error) {
	recs, err := records(ctx, conn, opts)
	if err != nil {
		return nil, err
	}
	var out []MigrationStatus
	for _, m := range opts.Migrations {
		s := MigrationStatus{Version: m.Version, Name: m.Name, File: m.File, Checksum: m.Checksum}
		if r, ok := recs[m.Version]; ok {
			s.Applied = true
			s.AppliedAt = r.AppliedAt
			s.RecordedChecksum = r.Checksum
			s.Changed = r.Checksum != m.Checksum
			delete(recs, m.Version)
		}
		out = append(out, s)
	}
	for _, r := range recs {
		out = append(out, MigrationStatus{Version: r.Version, Name: r.Name, Applied: true, AppliedAt: r.AppliedAt, Checksum: r.Checksum, RecordedChecksum: r.Checksum, Unknown: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

func apply(ctx context.Context, conn DB, opts Options, m schema.Migration) error {
	stmts, err := schema.Render(m, opts.render())
	if err != nil {
		return err
	}
	for i, stmt := range stmts {
		if err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("migration %s, statement %d (%s): %w", m.File, i+1, firstLine(stmt), err)
		}
	}
	// The values bind client side; the server runs the SELECT itself, so
	// no data block is sent (18.16 never answers INSERT ... VALUES over the
	// native protocol).
	at := time.Now().UTC().Truncate(time.Second)
	if err := conn.Exec(ctx, "INSERT INTO "+opts.table()+" (version, name, checksum, applied_at) SELECT toUInt32(?), ?, ?, toDateTime(?)",
		m.Version, m.Name, m.Checksum, at.Unix()); err != nil {
		return fmt.Errorf("record migration %s: %w", m.File, err)
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}
