package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// TestSecretsStayOut logs in to the simulated Telegram with an account that has a 2FA
// password, collects and writes a report, all with debug logging, and then looks for the
// api hash, the phone number, the login code, the 2FA password and the session's auth key
// in every line the commands printed, every file of the report and every row of every
// table. It finds none. Session files are private to their owner.
func TestSecretsStayOut(t *testing.T) {
	if testing.Short() {
		t.Skip("collects from the simulated Telegram into ClickHouse")
	}
	dir := isolate(t)
	s := startLoginSim(t)
	ch := chtest.Migrated(t)
	t.Setenv(config.EnvName("clickhouse.addr"), ch.Addr())
	t.Setenv(config.EnvName("clickhouse.database"), ch.Database)
	t.Setenv(config.EnvName("privacy.hash_key"), "a-key-for-the-secrets-test-0123")
	t.Setenv(config.EnvName("collect.discovery.max_depth"), "0")
	t.Setenv(config.EnvName("log.level"), "debug")
	const code = "22222"

	var printed strings.Builder // everything every command wrote
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := loginRun(ctx, loginOptions{Env: loadEnv(t, &stdout, &stderr), Phone: "+" + loginTwoFA, Label: "guarded", Code: code,
		In: strings.NewReader(loginPassword + "\n"), Terminal: -1})
	require.NoError(t, err, stderr.String())
	require.Contains(t, stderr.String(), "level=DEBUG", "debug logging is on")
	printed.WriteString(stdout.String() + stderr.String())

	cli := func(args ...string) string {
		t.Helper()
		c, out, errOut := run(t, args...)
		printed.WriteString(out + errOut)
		require.Equal(t, 0, c, "%v: %s", args, errOut)
		return out
	}
	w, err := loginWorld()
	require.NoError(t, err)
	var seeds []string
	for _, id := range w.ChannelIDs() {
		hash, _ := w.AccessHash(id)
		if v, err := w.Channel(id, hash, s.WorldNow()); err == nil && v.Username != "" {
			seeds = append(seeds, "@"+v.Username)
		}
		if len(seeds) == 3 {
			break
		}
	}
	cli(append([]string{"seeds", "add"}, seeds...)...)
	cli("collect")
	cli("collect", "--status")
	cli("accounts", "list")
	now := s.WorldNow().UTC()
	reportDir := filepath.Join(dir, "report")
	cli("report", "--from", now.AddDate(0, 0, -60).Format(time.DateOnly), "--to", now.AddDate(0, 0, 1).Format(time.DateOnly), "--out", reportDir)
	cli("config", "show", "--sources")

	// The session: its file and folder are the owner's only; its auth key is a secret too.
	sessions := filepath.Join(".tidewatch", "sessions")
	st, err := os.Stat(sessions)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm(), sessions)
	entries, err := os.ReadDir(sessions)
	require.NoError(t, err)
	var authKeys [][]byte
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		if info.IsDir() {
			continue
		}
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), e.Name())
		data, err := os.ReadFile(filepath.Join(sessions, e.Name()))
		require.NoError(t, err)
		var f struct {
			Session struct {
				Data struct {
					AuthKey []byte
				}
			} `json:"session"`
		}
		require.NoError(t, json.Unmarshal(data, &f), e.Name())
		if len(f.Session.Data.AuthKey) > 0 {
			authKeys = append(authKeys, f.Session.Data.AuthKey)
		}
	}
	require.NotEmpty(t, authKeys, "no stored session holds an auth key")

	secrets := map[string]string{
		"api hash":     loginAPIHash,
		"phone":        loginTwoFA,
		"2FA password": loginPassword,
	}
	for i, k := range authKeys {
		secrets["auth key (base64) "+string(rune('0'+i))] = base64.StdEncoding.EncodeToString(k)
		secrets["auth key (hex) "+string(rune('0'+i))] = hex.EncodeToString(k)
		secrets["auth key (bytes) "+string(rune('0'+i))] = string(k[:32])
	}

	// What the commands printed, and the report's files.
	texts := map[string]string{"output": printed.String()}
	require.NoError(t, filepath.WalkDir(reportDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		texts[path] = string(data)
		return err
	}))
	require.Contains(t, texts, filepath.Join(reportDir, "report.html"))
	for where, text := range texts {
		for name, secret := range secrets {
			require.NotContains(t, text, secret, "%s holds the %s", where, name)
		}
		require.NotRegexp(t, `(^|[^0-9])`+code+`([^0-9]|$)`, text, "%s holds the login code", where)
	}

	// Every row of every table, as text.
	db, err := store.Open(ctx, store.Options{Addr: []string{ch.Addr()}, Database: ch.Database})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	type table struct {
		Name string `ch:"name"`
	}
	tables, err := store.Select[table](ctx, db, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' ORDER BY name")
	require.NoError(t, err)
	var posts uint64
	require.NoError(t, db.QueryRow(ctx, "SELECT count() FROM posts").Scan(&posts))
	require.NotZero(t, posts, "the collection stored nothing to search")
	for _, tb := range tables {
		type column struct {
			Name string `ch:"name"`
		}
		cols, err := store.Select[column](ctx, db, "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = ?", tb.Name)
		require.NoError(t, err)
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = "toString(`" + c.Name + "`)"
		}
		row := "arrayStringConcat([" + strings.Join(parts, ", ") + "], '\\t')"
		for name, secret := range secrets {
			var n uint64
			require.NoError(t, db.QueryRow(ctx, "SELECT countIf(position("+row+", ?) > 0) FROM `"+tb.Name+"`", secret).Scan(&n))
			require.Zero(t, n, "table %s holds the %s", tb.Name, name)
		}
		var n uint64
		require.NoError(t, db.QueryRow(ctx, "SELECT countIf(match("+row+", ?)) FROM `"+tb.Name+"`", `(^|[^0-9])`+code+`([^0-9]|$)`).Scan(&n))
		require.Zero(t, n, "table %s holds the login code", tb.Name)
		if tb.Name == "channels" {
			// The same search finds what is there: a seed's username.
			require.NoError(t, db.QueryRow(ctx, "SELECT countIf(position("+row+", ?) > 0) FROM channels", strings.ToLower(strings.TrimPrefix(seeds[0], "@"))).Scan(&n))
			require.NotZero(t, n, "the search of the tables finds nothing at all")
		}
	}
}

// TestNoSecretHasAFlag: no command takes a password, api hash or key on its command line,
// which every user of the machine can read; config.AddFlag refuses secrets, and this checks
// the flags added by hand too.
func TestNoSecretHasAFlag(t *testing.T) {
	isolate(t)
	walk(newRootCmd(&app{}), func(c *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				for _, word := range []string{"password", "api-hash", "hash-key", "secret"} {
					require.NotContains(t, f.Name, word, "%s --%s", c.CommandPath(), f.Name)
				}
			})
		}
	})
	code, _, stderr := run(t, "db", "status", "--clickhouse-password", "x")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "set TIDEWATCH_CLICKHOUSE_PASSWORD, clickhouse.password_file (a file holding it)")
}
