package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Defaults for the zero fields of Options. DefaultAddr is the managed local
// server's native port (see schema/chserver).
const (
	DefaultAddr         = "127.0.0.1:19000"
	DefaultDatabase     = "tidewatch"
	DefaultUsername     = "default"
	DefaultDialTimeout  = 5 * time.Second
	DefaultReadTimeout  = 5 * time.Minute
	DefaultMaxOpenConns = 8
)

// SessionSettings are sent with every query so that a cluster (Distributed
// tables over replicated local tables) loses nothing; on a single server they
// change nothing. insert_distributed_sync = 1 makes an insert into a
// Distributed table return only after every shard has its rows: ClickHouse's
// default queues them on the node that took the insert and sends them later,
// so an acknowledged batch could still be lost with that node, out of reach of
// the writer's retries and spool. Only numeric settings can be sent to 18.16
// (the driver encodes no string setting for its protocol revision); the
// cluster's own profile sets load_balancing = in_order and
// insert_allow_materialized_columns = 1 (see schema/chserver).
var SessionSettings = map[string]any{
	"insert_distributed_sync": 1,
}

// ErrUnknownDatabase is wrapped by Open when the database does not exist.
var ErrUnknownDatabase = errors.New("database does not exist (run the migrations first)")

// Options say where ClickHouse is and how to log in. Zero fields get
// defaults.
type Options struct {
	// Addr lists host:port native-protocol addresses; every connection
	// goes to the first one that answers (a dead one is skipped), so that
	// on a cluster a process reads its own writes. Default DefaultAddr.
	Addr []string
	// Database holds the tables. Default DefaultDatabase.
	Database string
	// Username default DefaultUsername; Password default empty. The
	// password never appears in errors or logs.
	Username string
	Password string
	// TLS turns on TLS with the system's roots; TLSConfig replaces that
	// configuration when set.
	TLS       bool
	TLSConfig *tls.Config
	// DialTimeout bounds connecting; ReadTimeout bounds waiting for the
	// server during a query or insert.
	DialTimeout time.Duration
	ReadTimeout time.Duration
	// MaxOpenConns caps the connection pool.
	MaxOpenConns int
	// Compression of the native protocol: "lz4", "zstd" or "none". By
	// default, none when every address is a loopback one (a local server:
	// compressing costs both processes CPU and saves nothing worth it) and
	// lz4 otherwise.
	Compression string
	// ReadOnlyUser says that the user's profile has readonly = 1, which
	// forbids changing any setting: the connection then sends none of
	// SessionSettings.
	ReadOnlyUser bool
	// Logger receives connection-level messages; nil is silent.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if len(o.Addr) == 0 {
		o.Addr = []string{DefaultAddr}
	}
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	if o.Username == "" {
		o.Username = DefaultUsername
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = DefaultMaxOpenConns
	}
	if o.Compression == "" {
		o.Compression = "none"
		for _, a := range o.Addr {
			if !isLoopback(a) {
				o.Compression = "lz4"
			}
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// isLoopback tells whether a host:port address is on the loopback
// interface.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var compressionMethods = map[string]clickhouse.CompressionMethod{
	"none": clickhouse.CompressionNone,
	"lz4":  clickhouse.CompressionLZ4,
	"zstd": clickhouse.CompressionZSTD,
}

// DB is an open connection pool to one ClickHouse database.
type DB struct {
	conn driver.Conn
	opts Options
}

// Open connects over the native protocol and checks that the server
// answers and the database exists.
func Open(ctx context.Context, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	method, ok := compressionMethods[opts.Compression]
	if !ok {
		return nil, fmt.Errorf("open clickhouse: unknown compression %q (want lz4, zstd or none)", opts.Compression)
	}
	var tlsConf *tls.Config
	if opts.TLSConfig != nil {
		tlsConf = opts.TLSConfig
	} else if opts.TLS {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	settings := clickhouse.Settings{}
	if !opts.ReadOnlyUser {
		for k, v := range SessionSettings {
			settings[k] = v
		}
	}
	// Connections open in order, not round robin: a process reads what it
	// wrote only when its reads and writes go through the same node. A
	// synchronous insert into a Distributed table stores the rows of the
	// node's own shard on that node (18.16 does so whatever
	// prefer_localhost_replica says), and a read takes that shard from the
	// node's local table; through another replica of the shard, rows written a
	// moment ago are missing until replication fetches them (the collector's
	// read-back of posts to mark them deleted found nothing, and the deletion
	// never reached posts). The other shards go to their first healthy replica
	// for both (load_balancing = in_order in the cluster's profile). On a
	// single server this changes nothing.
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol: clickhouse.Native,
		Settings: settings,
		Addr:     opts.Addr,
		Auth: clickhouse.Auth{
			Database: opts.Database,
			Username: opts.Username,
			Password: opts.Password,
		},
		TLS:              tlsConf,
		DialTimeout:      opts.DialTimeout,
		ReadTimeout:      opts.ReadTimeout,
		MaxOpenConns:     opts.MaxOpenConns,
		MaxIdleConns:     opts.MaxOpenConns,
		ConnMaxLifetime:  time.Hour,
		ConnOpenStrategy: clickhouse.ConnOpenInOrder, // not round robin: see above
		Compression:      &clickhouse.Compression{Method: method},
		// 18.16 is far older than the driver's supported range; the
		// native protocol parts tidewatch uses work (measured).
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, fmt.Errorf("open clickhouse %v: %w", opts.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close()
		var exc *clickhouse.Exception
		if errors.As(err, &exc) && exc.Code == 81 {
			return nil, fmt.Errorf("open clickhouse %v: %s: %w", opts.Addr, opts.Database, ErrUnknownDatabase)
		}
		return nil, fmt.Errorf("ping clickhouse %v as %s: %w", opts.Addr, opts.Username, err)
	}
	return &DB{conn: conn, opts: opts}, nil
}

// Database is the database the tables live in.
func (db *DB) Database() string { return db.opts.Database }

// Close closes the connection pool.
func (db *DB) Close() error { return db.conn.Close() }
