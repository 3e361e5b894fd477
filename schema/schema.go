// Package schema holds tidewatch's ClickHouse schema: the versioned SQL
// migrations embedded in the binary, the row types written to the tables, and
// the rendering of a migration for one deployment mode.
//
// A migration file is named NNNN_name.sql and is a Go text/template. The same
// file serves a single server and a cluster (replicated local tables behind
// Distributed tables): every part that differs between the two modes goes
// through one of the template functions below, so the engine and ON CLUSTER
// choices live in this file alone.
//
//	{{.DB}}                                   database name
//	{{local "posts"}}                         db.posts | db.posts_local
//	{{onCluster}}                             "" | ON CLUSTER c
//	{{engine "posts" "ReplacingMergeTree" "version"}}
//	                                          ReplacingMergeTree(version) |
//	                                          ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/posts_local', '{replica}', version)
//	{{distributed "posts" "cityHash64(channel_id)"}}
//	                                          "" | CREATE TABLE IF NOT EXISTS db.posts ON CLUSTER c AS db.posts_local ENGINE = Distributed(c, db, posts_local, cityHash64(channel_id))
//	{{view "mv_posts_daily"}}                 db.mv_posts_daily
//
// Statements end with a ";" at the end of a line. Whole-line "--" comments
// and trailing "--" comments outside quotes are removed before a statement is
// sent, and statements left empty (for example a distributed table in single
// mode) are skipped.
package schema

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

//go:embed migrations/*.sql
var embedded embed.FS

// Migration is one versioned SQL file. Checksum covers the raw file, before
// rendering, so that any edit of an applied migration is detected whatever the
// deployment mode.
type Migration struct {
	// Version is the number before the first underscore of the file name.
	Version uint32
	// Name is the rest of the file name without ".sql".
	Name string
	// File is the base name of the file, for error messages.
	File string
	// SQL is the raw template text.
	SQL string
	// Checksum is the hex SHA-256 of the raw file.
	Checksum string
}

// RenderOptions selects the deployment mode a migration is rendered for.
type RenderOptions struct {
	// DB is the database every table lives in. Required.
	DB string
	// Cluster is the name of a ClickHouse cluster from <remote_servers>. Empty
	// means a single server.
	Cluster string
}

// Engine families the engine template function accepts. Replicated variants
// are derived from these in cluster mode.
var engineFamilies = map[string]bool{
	"MergeTree":            true,
	"ReplacingMergeTree":   true,
	"AggregatingMergeTree": true,
	"SummingMergeTree":     true,
	"CollapsingMergeTree":  true,
}

var fileNameRE = regexp.MustCompile(`^([0-9]+)_([A-Za-z0-9_]+)\.sql$`)

// identRE restricts names spliced into SQL by the template functions to plain
// identifiers, which keeps quoting questions out of the migrations.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Migrations returns the embedded migrations ordered by version.
func Migrations() ([]Migration, error) {
	return Load(embedded, "migrations")
}

// Load reads every *.sql file of dir in fsys as a migration, ordered by
// version. A file name that is not NNNN_name.sql, or two files with the same
// version, is an error.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	seen := map[uint32]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m := fileNameRE.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: file name must be NNNN_name.sql", e.Name())
		}
		v, err := strconv.ParseUint(m[1], 10, 32)
		if err != nil || v == 0 {
			return nil, fmt.Errorf("migration %s: version must be a positive number", e.Name())
		}
		if prev, ok := seen[uint32(v)]; ok {
			return nil, fmt.Errorf("migration %s: version %d already used by %s", e.Name(), v, prev)
		}
		seen[uint32(v)] = e.Name()
		raw, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(raw)
		out = append(out, Migration{
			Version:  uint32(v),
			Name:     m[2],
			File:     e.Name(),
			SQL:      string(raw),
			Checksum: hex.EncodeToString(sum[:]),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Render executes the migration's template for opts and splits the result
// into statements, without their trailing ";". Empty statements are dropped.
func Render(m Migration, opts RenderOptions) ([]string, error) {
	text, err := RenderText(m.File, m.SQL, opts)
	if err != nil {
		return nil, err
	}
	return SplitStatements(text), nil
}

// RenderText executes one template text for opts. name labels errors.
func RenderText(name, text string, opts RenderOptions) (string, error) {
	if !identRE.MatchString(opts.DB) {
		return "", fmt.Errorf("render %s: database name %q is not a plain identifier", name, opts.DB)
	}
	if opts.Cluster != "" && !identRE.MatchString(opts.Cluster) {
		return "", fmt.Errorf("render %s: cluster name %q is not a plain identifier", name, opts.Cluster)
	}
	r := renderer{opts: opts}
	tmpl, err := template.New(name).Option("missingkey=error").Funcs(template.FuncMap{
		"local":       r.local,
		"onCluster":   r.onCluster,
		"engine":      r.engine,
		"distributed": r.distributed,
		"view":        r.view,
	}).Parse(text)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", name, err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, struct{ DB, Cluster string }{opts.DB, opts.Cluster}); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return b.String(), nil
}

type renderer struct{ opts RenderOptions }

func (r renderer) cluster() bool { return r.opts.Cluster != "" }

func checkIdent(what, s string) error {
	if !identRE.MatchString(s) {
		return fmt.Errorf("%s %q is not a plain identifier", what, s)
	}
	return nil
}

// localName is the bare name of the table that holds the data on one server.
func (r renderer) localName(table string) string {
	if r.cluster() {
		return table + "_local"
	}
	return table
}

func (r renderer) local(table string) (string, error) {
	if err := checkIdent("table", table); err != nil {
		return "", err
	}
	return r.opts.DB + "." + r.localName(table), nil
}

func (r renderer) onCluster() string {
	if !r.cluster() {
		return ""
	}
	return "ON CLUSTER " + r.opts.Cluster
}

func (r renderer) engine(table, family string, args ...string) (string, error) {
	if err := checkIdent("table", table); err != nil {
		return "", err
	}
	if !engineFamilies[family] {
		return "", fmt.Errorf("engine %q is not a MergeTree family this schema supports", family)
	}
	if !r.cluster() {
		return family + "(" + strings.Join(args, ", ") + ")", nil
	}
	// The ZooKeeper path names the local table: it is where the replicas of
	// one shard meet, so it must be the same on every replica and differ per
	// shard, which the {shard} and {replica} macros of each server provide.
	zk := fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s'", r.opts.DB, r.localName(table))
	all := append([]string{zk, "'{replica}'"}, args...)
	return "Replicated" + family + "(" + strings.Join(all, ", ") + ")", nil
}

func (r renderer) distributed(table, shardingKey string) (string, error) {
	if err := checkIdent("table", table); err != nil {
		return "", err
	}
	if strings.TrimSpace(shardingKey) == "" {
		return "", errors.New("distributed table needs a sharding key")
	}
	if !r.cluster() {
		return "", nil
	}
	c, db := r.opts.Cluster, r.opts.DB
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s ON CLUSTER %s AS %s.%s ENGINE = Distributed(%s, %s, %s, %s)",
		db, table, c, db, r.localName(table), c, db, r.localName(table), shardingKey), nil
}

func (r renderer) view(name string) (string, error) {
	if err := checkIdent("view", name); err != nil {
		return "", err
	}
	return r.opts.DB + "." + name, nil
}

// SplitStatements cuts rendered SQL into statements at each ";" that ends a
// line outside a quoted string, drops "--" comments (outside quotes) and blank
// lines, and skips statements that are empty after that.
func SplitStatements(text string) []string {
	var out []string
	var cur []string
	flush := func() {
		s := strings.TrimSpace(strings.Join(cur, "\n"))
		cur = cur[:0]
		s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
		if s != "" {
			out = append(out, s)
		}
	}
	var quote byte // quote state carries over line ends
	for _, raw := range strings.Split(text, "\n") {
		inQuote := quote != 0
		var line string
		line, quote = stripComment(raw, quote)
		if !inQuote {
			line = strings.TrimRight(line, " \t\r")
			if strings.TrimSpace(line) == "" {
				continue
			}
		}
		cur = append(cur, line)
		if quote == 0 && strings.HasSuffix(strings.TrimRight(line, " \t\r"), ";") {
			flush()
		}
	}
	flush()
	return out
}

// stripComment removes a "--" comment that starts outside a quoted string or
// identifier. quote is the quote open at the start of the line; the quote
// open at its end is returned.
func stripComment(line string, quote byte) (string, byte) {
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '-' && i+1 < len(line) && line[i+1] == '-':
			return line[:i], 0
		}
	}
	return line, quote
}
