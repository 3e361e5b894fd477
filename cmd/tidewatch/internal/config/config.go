package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/schema/privacy"
)

// Config is tidewatch's whole configuration after all layers were merged,
// decoded and validated by [Load].
type Config struct {
	// DataDir holds everything tidewatch keeps on disk unless a key moves it.
	DataDir    string     `mapstructure:"data_dir" default:".tidewatch" doc:"Folder for the local ClickHouse, the spool and the sessions (relative to the working directory)."`
	Log        Log        `mapstructure:"log" doc:"Log lines go to stderr."`
	ClickHouse ClickHouse `mapstructure:"clickhouse" doc:"Where the data is stored. With no addr, tidewatch runs its own local clickhouse-server."`
	Writer     Writer     `mapstructure:"writer" doc:"The batched writer every collector and importer writes through."`
	Telegram   Telegram   `mapstructure:"telegram" doc:"The Telegram API (https://my.telegram.org) or the simulator."`
	Privacy    Privacy    `mapstructure:"privacy" doc:"Persons are stored only as keyed hashes."`
	Metrics    Metrics    `mapstructure:"metrics" doc:"Prometheus metrics over HTTP."`
	Collect    Collect    `mapstructure:"collect" doc:"The Telegram collector: cadences, counter ages, rate limits, discovery."`
}

// Log configures the process logger.
type Log struct {
	Level  string `mapstructure:"level" default:"info" doc:"One of debug, info, warn, error."`
	Format string `mapstructure:"format" default:"text" doc:"One of text, json."`
}

// ClickHouse says which ClickHouse to use and how to log in.
type ClickHouse struct {
	Addr         []string    `mapstructure:"addr" default:"" doc:"host:port of the native protocol, one or more (a cluster); empty means the managed local server."`
	Database     string      `mapstructure:"database" default:"tidewatch" doc:"Database holding tidewatch's tables; created by 'db migrate'."`
	User         string      `mapstructure:"user" default:"default" doc:"User to log in as."`
	Password     Secret      `mapstructure:"password" default:"" doc:"Password (prefer password_file or TIDEWATCH_CLICKHOUSE_PASSWORD)."`
	PasswordFile string      `mapstructure:"password_file" default:"" file_of:"password" doc:"File holding the password; a trailing newline is ignored."`
	TLS          bool        `mapstructure:"tls" default:"false" doc:"Connect with TLS."`
	Cluster      string      `mapstructure:"cluster" default:"" doc:"Cluster name for ON CLUSTER DDL; empty means a single node."`
	Local        LocalServer `mapstructure:"local" doc:"The managed local clickhouse-server, used when addr is empty."`
}

// Managed reports whether tidewatch runs its own local server, which it does
// exactly when no address is configured.
func (c ClickHouse) Managed() bool { return len(c.Addr) == 0 }

// LocalClusterName names the managed local cluster when clickhouse.cluster is
// empty.
const LocalClusterName = "tidewatch"

// ClusterName is the cluster the migrations and status speak of: clickhouse.cluster,
// or LocalClusterName when the managed server runs as a local cluster.
func (c ClickHouse) ClusterName() string {
	if c.Cluster == "" && c.Managed() && c.Local.Cluster {
		return LocalClusterName
	}
	return c.Cluster
}

// LocalServer configures the managed clickhouse-server. It listens on 127.0.0.1 only.
type LocalServer struct {
	Dir             string `mapstructure:"dir" default:"{data_dir}/clickhouse" doc:"Data folder of the local server."`
	Binary          string `mapstructure:"binary" default:"" doc:"clickhouse-server executable; empty means the one on PATH, in /usr/bin or /usr/sbin."`
	TCPPort         Port   `mapstructure:"tcp_port" default:"19000" doc:"Native protocol port."`
	HTTPPort        Port   `mapstructure:"http_port" default:"18123" doc:"HTTP port."`
	InterserverPort Port   `mapstructure:"interserver_port" default:"19009" doc:"Interserver HTTP port."`
	Cluster         bool   `mapstructure:"cluster" default:"false" doc:"Run a local cluster instead: ZooKeeper (apt package zookeeper) and 2 shards x 2 replicas on native ports 19100-19103, named by clickhouse.cluster (default tidewatch)."`
	ClusterDir      string `mapstructure:"cluster_dir" default:"{data_dir}/cluster" doc:"Data folder of the local cluster (one folder per node and one for ZooKeeper)."`
}

// Writer configures the batched writer.
type Writer struct {
	BatchRows     int           `mapstructure:"batch_rows" default:"100000" doc:"Rows per insert; a batch is sent when it is full or flush_interval has passed."`
	FlushInterval time.Duration `mapstructure:"flush_interval" default:"1s" doc:"Longest time a row waits before it is sent."`
	SpoolDir      string        `mapstructure:"spool_dir" default:"{data_dir}/spool" doc:"Batches ClickHouse did not accept wait here and are replayed when it returns."`
}

// Telegram configures the MTProto client.
type Telegram struct {
	APIID         int    `mapstructure:"api_id" default:"0" doc:"api_id from https://my.telegram.org (0 = not configured)."`
	APIHash       Secret `mapstructure:"api_hash" default:"" doc:"api_hash belonging to api_id (prefer TIDEWATCH_TELEGRAM_API_HASH)."`
	DC            int    `mapstructure:"dc" default:"2" doc:"Data center to connect to first (1-5)."`
	DCAddr        string `mapstructure:"dc_addr" default:"" doc:"host:port replacing the data center's address, e.g. the simulator's."`
	PublicKeyFile string `mapstructure:"public_key_file" default:"" doc:"PEM file with the server's RSA public key, e.g. the simulator's."`
	SessionsDir   string `mapstructure:"sessions_dir" default:"{data_dir}/sessions" doc:"Folder for login sessions (files are written with mode 0600)."`
	// Accounts name accounts by the labels given at login, never by phone: the
	// phone is needed only to log in, and stays out of config files.
	Accounts []string `mapstructure:"accounts" default:"" doc:"Labels of the logged-in accounts to collect with (see 'tidewatch accounts list'); empty means every stored session."`
}

// Privacy configures how persons are pseudonymized.
type Privacy struct {
	HashKey     Secret `mapstructure:"hash_key" default:"" doc:"Key of the hash that replaces every person's id (prefer hash_key_file)."`
	HashKeyFile string `mapstructure:"hash_key_file" default:"" file_of:"hash_key" doc:"File holding the hash key; a trailing newline is ignored."`
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	Listen string `mapstructure:"listen" default:"" doc:"host:port to serve /metrics on; empty means off."`
}

// Secret is a string that never shows itself: printing or marshaling it gives
// "***" (or "" when empty). Use [Secret.Value] where the real value is needed.
type Secret string

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

// String returns "***" for a set secret so that it cannot leak through fmt.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "***"
}

// GoString keeps %#v from printing the secret.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText redacts the secret in YAML, JSON and anything else using encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Port is a TCP port number; the loader accepts only 1-65535.
type Port int

// FieldError is one invalid value: Key is the full dotted key, Msg says what is
// expected (and what was found, unless the key holds a secret).
type FieldError struct {
	Key string
	Msg string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

// expected builds the usual "expected X, got Y" FieldError.
func expected(key, what string, got any) *FieldError {
	return &FieldError{Key: key, Msg: "expected " + what + ", got " + describe(got)}
}

// Validate checks what involves more than one section.
func (c Config) Validate() error {
	if strings.TrimSpace(c.DataDir) == "" {
		return expected("data_dir", "a folder path", c.DataDir)
	}
	return nil
}

// Validate checks the level and format names.
func (l Log) Validate() error {
	var errs []error
	if !oneOf(l.Level, "debug", "info", "warn", "error") {
		errs = append(errs, expected("log.level", "one of debug, info, warn, error", l.Level))
	}
	if !oneOf(l.Format, "text", "json") {
		errs = append(errs, expected("log.format", "one of text, json", l.Format))
	}
	return errors.Join(errs...)
}

// identifier is what ClickHouse accepts unquoted as a database name; tidewatch
// splices the name into DDL, so nothing else is allowed.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// clusterName is what a <remote_servers> element may be called.
var clusterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// Validate checks addresses and names.
func (c ClickHouse) Validate() error {
	var errs []error
	for _, a := range c.Addr {
		if want := checkHostPort(a, true); want != "" {
			errs = append(errs, expected("clickhouse.addr", want, a))
		}
	}
	if !identifier.MatchString(c.Database) {
		errs = append(errs, expected("clickhouse.database", "a name of letters, digits and _ not starting with a digit", c.Database))
	}
	if c.User == "" {
		errs = append(errs, expected("clickhouse.user", "a user name", c.User))
	}
	if c.Cluster != "" && !clusterName.MatchString(c.Cluster) {
		errs = append(errs, expected("clickhouse.cluster", "a cluster name of letters, digits, _, . and -", c.Cluster))
	}
	return errors.Join(errs...)
}

// Validate checks that the three ports differ.
func (l LocalServer) Validate() error {
	var errs []error
	if strings.TrimSpace(l.Dir) == "" {
		errs = append(errs, expected("clickhouse.local.dir", "a folder path", l.Dir))
	}
	if l.Cluster && strings.TrimSpace(l.ClusterDir) == "" {
		errs = append(errs, expected("clickhouse.local.cluster_dir", "a folder path", l.ClusterDir))
	}
	if l.HTTPPort == l.TCPPort {
		errs = append(errs, &FieldError{Key: "clickhouse.local.http_port", Msg: fmt.Sprintf("expected a port other than clickhouse.local.tcp_port, got %d", l.HTTPPort)})
	}
	if l.InterserverPort == l.TCPPort || l.InterserverPort == l.HTTPPort {
		errs = append(errs, &FieldError{Key: "clickhouse.local.interserver_port", Msg: fmt.Sprintf("expected a port other than clickhouse.local.tcp_port and http_port, got %d", l.InterserverPort)})
	}
	return errors.Join(errs...)
}

// MinBatchRows is the smallest batch the writer sends (schema/store raises smaller
// values to it, since small inserts leave ClickHouse too many parts to merge);
// asking for less is a configuration error rather than a silent change.
const MinBatchRows = 10_000

// Validate checks the batch size and interval.
func (w Writer) Validate() error {
	var errs []error
	if w.BatchRows < MinBatchRows {
		errs = append(errs, expected("writer.batch_rows", fmt.Sprintf("a number of rows of at least %d", MinBatchRows), w.BatchRows))
	}
	if w.FlushInterval <= 0 {
		errs = append(errs, expected("writer.flush_interval", "a positive duration such as 1s or 500ms", w.FlushInterval))
	}
	if strings.TrimSpace(w.SpoolDir) == "" {
		errs = append(errs, expected("writer.spool_dir", "a folder path", w.SpoolDir))
	}
	return errors.Join(errs...)
}

// Validate checks the API credentials' shape and the data center.
func (t Telegram) Validate() error {
	var errs []error
	if t.APIID < 0 {
		errs = append(errs, expected("telegram.api_id", "a positive number (0 = not configured)", t.APIID))
	}
	if t.APIID > 0 && t.APIHash == "" {
		errs = append(errs, &FieldError{Key: "telegram.api_hash", Msg: "expected an api_hash with telegram.api_id, got none"})
	}
	if t.APIID == 0 && t.APIHash != "" {
		errs = append(errs, &FieldError{Key: "telegram.api_id", Msg: "expected an api_id with telegram.api_hash, got none"})
	}
	if t.DC < 1 || t.DC > 5 {
		errs = append(errs, expected("telegram.dc", "a data center number 1-5", t.DC))
	}
	if t.DCAddr != "" {
		if want := checkHostPort(t.DCAddr, true); want != "" {
			errs = append(errs, expected("telegram.dc_addr", want, t.DCAddr))
		}
	}
	if t.PublicKeyFile != "" {
		if err := checkFile(t.PublicKeyFile); err != nil {
			errs = append(errs, &FieldError{Key: "telegram.public_key_file", Msg: fmt.Sprintf("expected a readable file, got %q: %v", t.PublicKeyFile, err)})
		}
	}
	if strings.TrimSpace(t.SessionsDir) == "" {
		errs = append(errs, expected("telegram.sessions_dir", "a folder path", t.SessionsDir))
	}
	seen := map[string]bool{}
	for _, label := range t.Accounts {
		switch {
		case !accountLabel.MatchString(label):
			errs = append(errs, expected("telegram.accounts", "account labels of letters, digits, _, . and - (at most 64)", label))
		case seen[label]:
			errs = append(errs, &FieldError{Key: "telegram.accounts", Msg: fmt.Sprintf("expected each account once, got %q twice", label)})
		}
		seen[label] = true
	}
	return errors.Join(errs...)
}

// accountLabel is what `tidewatch login --label` accepts (the same rule as the
// Telegram client's ValidLabel; this package stays free of the client).
var accountLabel = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Validate checks the hash key's length (privacy.MinKeyLen, the shortest key the hashes
// accept).
func (p Privacy) Validate() error {
	if p.HashKey != "" && len(p.HashKey) < privacy.MinKeyLen {
		return &FieldError{Key: "privacy.hash_key", Msg: fmt.Sprintf("expected at least %d bytes, got %d", privacy.MinKeyLen, len(p.HashKey))}
	}
	return nil
}

// Validate checks the listen address.
func (m Metrics) Validate() error {
	if m.Listen == "" {
		return nil
	}
	if want := checkHostPort(m.Listen, false); want != "" {
		return expected("metrics.listen", want, m.Listen)
	}
	return nil
}

// checkHostPort returns what addr should have been, or "" when it is fine.
func checkHostPort(addr string, needHost bool) string {
	want := "host:port"
	if !needHost {
		want = "host:port or :port"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || (needHost && host == "") {
		return want
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return want + " with a port 1-65535"
	}
	return ""
}

// checkFile reports why path is not a readable regular file.
func checkFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return errors.Unwrap(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return errors.New("is a folder")
	}
	return nil
}

func oneOf(s string, choices ...string) bool {
	for _, c := range choices {
		if s == c {
			return true
		}
	}
	return false
}
