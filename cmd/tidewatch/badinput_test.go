package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"

	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

var updateBadInput = flag.Bool("update-badinput", false, "rewrite the expected exit, stdout and stderr of testdata/badinput/*.txtar from what the command does now")

// A bad-input case is one txtar archive under testdata/badinput. Its comment holds
// directives, one a line:
//
//	exit N          the expected exit code (never 0)
//	env KEY=VALUE   an environment variable for the run
//	expand          in the files, ⟦N×TEXT⟧ stands for TEXT repeated N times (huge lines)
//	# ...           a note saying what the case is about
//
// Its files are: args (the command line after "tidewatch", one argument a line),
// stdout and stderr (the exact expected output, with what changes from run to run masked:
// "in ELAPSED", "run RUNID", "time=TIME"),
// and the inputs, written into an empty working directory.
type badInputCase struct {
	name   string
	exit   int
	env    [][2]string
	args   []string
	stdout string
	stderr string
	inputs map[string][]byte
	arch   *txtar.Archive
	path   string
}

var expandRE = regexp.MustCompile(`⟦(\d+)×([^⟧]*)⟧`)

func readBadInputCase(t *testing.T, path string) badInputCase {
	t.Helper()
	arch, err := txtar.ParseFile(path)
	require.NoError(t, err)
	c := badInputCase{name: strings.TrimSuffix(filepath.Base(path), ".txtar"), exit: -1, inputs: map[string][]byte{}, arch: arch, path: path}
	expand := false
	for _, line := range strings.Split(string(arch.Comment), "\n") {
		switch f := strings.Fields(line); {
		case len(f) == 0 || strings.HasPrefix(f[0], "#"):
		case f[0] == "exit" && len(f) == 2:
			c.exit, err = strconv.Atoi(f[1])
			require.NoError(t, err, "%s: %s", path, line)
		case f[0] == "env" && len(f) == 2 && strings.Contains(f[1], "="):
			k, v, _ := strings.Cut(f[1], "=")
			c.env = append(c.env, [2]string{k, v})
		case f[0] == "expand" && len(f) == 1:
			expand = true
		default:
			t.Fatalf("%s: unknown directive %q", path, line)
		}
	}
	for _, f := range arch.Files {
		switch f.Name {
		case "args":
			c.args = strings.Split(strings.TrimSuffix(string(f.Data), "\n"), "\n")
		case "stdout":
			c.stdout = string(f.Data)
		case "stderr":
			c.stderr = string(f.Data)
		default:
			data := f.Data
			if expand {
				data = expandRE.ReplaceAllFunc(data, func(m []byte) []byte {
					sub := expandRE.FindSubmatch(m)
					n, err := strconv.Atoi(string(sub[1]))
					require.NoError(t, err)
					return bytes.Repeat(sub[2], n)
				})
			}
			c.inputs[f.Name] = data
		}
	}
	require.NotNil(t, c.args, "%s: no args file", path)
	require.True(t, *updateBadInput || c.exit > 0, "%s: a bad input must exit with a nonzero code (exit N)", path)
	return c
}

// What changes from run to run: the run time and the run id that summaries print, the
// time of log lines.
var (
	elapsedRE = regexp.MustCompile(`\bin \d+(\.\d+)?(ns|µs|ms|s|m\d+(\.\d+)?s)\b`)
	runIDRE   = regexp.MustCompile(`\brun [a-z]+-\d{8}T\d{6}Z-[0-9a-f]+\b`)
	logTimeRE = regexp.MustCompile(`(?m)^time=\S+ `)
)

func maskVarying(s string) string {
	s = elapsedRE.ReplaceAllString(s, "in ELAPSED")
	s = runIDRE.ReplaceAllString(s, "run RUNID")
	return logTimeRE.ReplaceAllString(s, "time=TIME ")
}

func withNewline(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}

// filesUnder lists the regular files under dir with their sizes and SHA-256. The writers'
// empty lock files in the spool are left out: they hold no rows.
func filesUnder(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if m, _ := filepath.Match(".tidewatch/spool/*/.lock", rel); m && len(data) == 0 {
			return nil
		}
		got[rel] = fmt.Sprintf("%d bytes, sha256 %x", len(data), sha256.Sum256(data))
		return nil
	}))
	return got
}

// printable fails when out holds a character a terminal would act on or hide: control
// characters other than newline and tab, invalid UTF-8, and bidirectional overrides,
// which let a hostile file name or value disguise the message around it.
func printable(t *testing.T, what, out string) {
	t.Helper()
	require.True(t, utf8.ValidString(out), "%s is not valid UTF-8: %q", what, out)
	for _, r := range out {
		ok := r == '\n' || r == '\t' || (unicode.IsPrint(r) || r == ' ') && !unicode.Is(unicode.Bidi_Control, r)
		require.True(t, ok, "%s holds %U: %q", what, r, out)
	}
}

// TestBadInput runs every case of testdata/badinput against the real command tree,
// with a throwaway ClickHouse behind every command, and checks the exit code, the
// exact messages, that the output is safe to print, and that nothing was written:
// no new or changed file in the working directory, no new row in any table.
func TestBadInput(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "badinput", "*.txtar"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(paths), 50, "the corpus has shrunk")
	abs := make([]string, len(paths))
	for i, p := range paths {
		abs[i], err = filepath.Abs(p)
		require.NoError(t, err)
	}

	srv := chtest.Migrated(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Addr: []string{srv.Addr()}, Database: srv.Database})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	rowCounts := func(t *testing.T) map[string]uint64 {
		t.Helper()
		type table struct {
			Name string `ch:"name"`
		}
		tables, err := store.Select[table](ctx, db, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' ORDER BY name")
		require.NoError(t, err)
		require.NotEmpty(t, tables)
		counts := map[string]uint64{}
		for _, tb := range tables {
			var n uint64
			require.NoError(t, db.QueryRow(ctx, "SELECT count() FROM `"+tb.Name+"`").Scan(&n))
			counts[tb.Name] = n
		}
		return counts
	}
	baseline := rowCounts(t)

	for _, path := range abs {
		c := readBadInputCase(t, path)
		t.Run(c.name, func(t *testing.T) {
			dir := isolate(t)
			t.Setenv("TIDEWATCH_CLICKHOUSE_ADDR", srv.Addr())
			t.Setenv("TIDEWATCH_CLICKHOUSE_DATABASE", srv.Database)
			t.Setenv("TIDEWATCH_PRIVACY_HASH_KEY", "bad-input-test-key-0123456789")
			for _, kv := range c.env {
				t.Setenv(kv[0], kv[1])
			}
			for name, data := range c.inputs {
				require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
			}
			before := filesUnder(t, dir)

			code, stdout, stderr := run(t, c.args...)
			// An archive's file always ends in a newline.
			stdout, stderr = withNewline(maskVarying(stdout)), withNewline(maskVarying(stderr))
			if *updateBadInput {
				rewriteBadInputCase(t, c, code, stdout, stderr)
				return
			}
			require.Equal(t, c.exit, code, "exit code; stderr:\n%s", stderr)
			require.Equal(t, c.stderr, stderr, "stderr")
			require.Equal(t, c.stdout, stdout, "stdout")
			printable(t, "stderr", stderr)
			printable(t, "stdout", stdout)

			require.Equal(t, before, filesUnder(t, dir), "files were written or changed")
			require.Equal(t, baseline, rowCounts(t), "rows were written")
		})
	}
}

func rewriteBadInputCase(t *testing.T, c badInputCase, code int, stdout, stderr string) {
	t.Helper()
	var comment []string
	for _, line := range strings.Split(strings.TrimSuffix(string(c.arch.Comment), "\n"), "\n") {
		if !strings.HasPrefix(line, "exit ") {
			comment = append(comment, line)
		}
	}
	comment = append(comment, fmt.Sprintf("exit %d", code))
	c.arch.Comment = []byte(strings.Join(comment, "\n") + "\n")
	var files []txtar.File
	for _, f := range c.arch.Files {
		if f.Name != "stdout" && f.Name != "stderr" {
			files = append(files, f)
		}
	}
	if stdout != "" {
		files = append(files, txtar.File{Name: "stdout", Data: []byte(stdout)})
	}
	if stderr != "" {
		files = append(files, txtar.File{Name: "stderr", Data: []byte(stderr)})
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].Name == "args" && files[j].Name != "args" })
	c.arch.Files = files
	require.NoError(t, os.WriteFile(c.path, txtar.Format(c.arch), 0o644))
}
