package notebooks_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/chserver"
	"github.com/tidewatch/tidewatch/schema/chtest"
)

// jupyter is Debian's Jupyter (package jupyter-nbconvert), whose kernel is /usr/bin/python3
// with Debian's pandas, matplotlib and clickhouse-driver.
const jupyter = "/usr/bin/jupyter"

// noTruthNote is what a notebook prints when it skips its comparison with the truth.
const noTruthNote = "No truth tables loaded"

// TestNotebooks executes every notebook headless against a throwaway server holding a
// collected simulated world and one run of every analysis job, as the read-only analyst
// user: first before the world's truth is loaded (each notebook must say it skips its
// comparison), then with it. A failing cell fails the test. The cookbook of README.md runs
// on the same data.
func TestNotebooks(t *testing.T) {
	books, err := filepath.Glob("*.ipynb")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(books), 5, "notebooks 01 to 05")
	for _, b := range books {
		checkClean(t, b)
	}
	_, err = os.Stat(jupyter)
	require.NoError(t, err, "the notebooks need Debian's Jupyter: make deps installs it")

	began := time.Now()
	l := loadWorld(t)
	t.Logf("world collected and analysed in %s", time.Since(began).Round(time.Second))

	t.Run("without truth", func(t *testing.T) {
		outs := executeAll(t, l.ch, books)
		for b, out := range outs {
			require.Contains(t, out, noTruthNote, "%s must say it skips the truth", b)
		}
	})
	l.loadTruth(t)
	t.Run("with truth", func(t *testing.T) {
		outs := executeAll(t, l.ch, books)
		for b, out := range outs {
			require.NotContains(t, out, noTruthNote, "%s must compare with the loaded truth", b)
		}
	})
	t.Run("cookbook", func(t *testing.T) { runCookbook(t, l.ch) })
}

// checkClean fails when a committed notebook holds outputs or execution counts.
func checkClean(t *testing.T, path string) {
	t.Helper()
	var nb struct {
		Cells []struct {
			CellType       string            `json:"cell_type"`
			Outputs        []json.RawMessage `json:"outputs"`
			ExecutionCount *int              `json:"execution_count"`
		} `json:"cells"`
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &nb), path)
	for i, c := range nb.Cells {
		require.Empty(t, c.Outputs, "%s cell %d: clear the outputs before committing", path, i)
		require.Nil(t, c.ExecutionCount, "%s cell %d: clear the outputs before committing", path, i)
	}
}

// executeAll runs the notebooks two at a time and returns the text each printed.
func executeAll(t *testing.T, srv *chtest.Server, books []string) map[string]string {
	t.Helper()
	outs := map[string]string{}
	var mu sync.Mutex
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	errs := make([]error, len(books))
	for i, b := range books {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out, err := execute(t, srv, b)
			errs[i] = err
			mu.Lock()
			outs[b] = out
			mu.Unlock()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, books[i])
	}
	return outs
}

// execute runs one notebook with nbconvert in a folder of its own (where it may write its
// exports) and returns the text of its outputs.
func execute(t *testing.T, srv *chtest.Server, book string) (string, error) {
	dir := t.TempDir()
	src, err := os.ReadFile(book)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, book), src, 0o644); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	began := time.Now()
	cmd := exec.CommandContext(ctx, jupyter, "nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.timeout=240", "--output", "executed", book)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"TIDEWATCH_CH_HOST="+chserver.Host,
		"TIDEWATCH_CH_PORT="+strconv.Itoa(srv.Options.TCPPort),
		"TIDEWATCH_CH_USER="+chserver.AnalystUser,
		"TIDEWATCH_CH_PASSWORD=",
		"TIDEWATCH_CH_DATABASE="+srv.Database,
		"HOME="+dir,
		"MPLCONFIGDIR="+filepath.Join(dir, "mpl"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(dir, "runtime"),
		"PYDEVD_DISABLE_FILE_VALIDATION=1",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", &execError{book: book, err: err, out: tail(string(out), 60)}
	}
	t.Logf("%s executed in %s", book, time.Since(began).Round(100*time.Millisecond))
	return outputText(filepath.Join(dir, "executed.ipynb"))
}

type execError struct {
	book, out string
	err       error
}

func (e *execError) Error() string { return e.book + ": " + e.err.Error() + "\n" + e.out }

// outputText joins the printed and displayed text of an executed notebook.
func outputText(path string) (string, error) {
	var nb struct {
		Cells []struct {
			Outputs []struct {
				Text json.RawMessage            `json:"text"`
				Data map[string]json.RawMessage `json:"data"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(raw, &nb); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			for _, part := range []json.RawMessage{o.Text, o.Data["text/plain"]} {
				b.WriteString(jsonText(part))
			}
		}
	}
	return b.String(), nil
}

// jsonText reads a notebook text field: a string or a list of strings.
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []string
	_ = json.Unmarshal(raw, &parts)
	return strings.Join(parts, "")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cookbookQuery is one fenced sql block of README.md with the heading above it.
type cookbookQuery struct {
	title, sql string
}

var (
	fence   = regexp.MustCompile("(?s)```sql\n(.*?)```")
	heading = regexp.MustCompile(`(?m)^#{2,4} (.+)$`)
)

// cookbook extracts the sql blocks of README.md.
func cookbook(t *testing.T) []cookbookQuery {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	text := string(raw)
	var qs []cookbookQuery
	for _, m := range fence.FindAllStringSubmatchIndex(text, -1) {
		title := ""
		if hs := heading.FindAllStringSubmatch(text[:m[0]], -1); len(hs) > 0 {
			title = hs[len(hs)-1][1]
		}
		qs = append(qs, cookbookQuery{title: title, sql: strings.TrimSpace(text[m[2]:m[3]])})
	}
	return qs
}

// runCookbook runs every query of the README's cookbook as the analyst user with
// clickhouse-client and requires each to return rows.
func runCookbook(t *testing.T, srv *chtest.Server) {
	qs := cookbook(t)
	require.GreaterOrEqual(t, len(qs), 15, "the cookbook holds the 15 most useful queries")
	for i, q := range qs {
		t.Run(strconv.Itoa(i+1), func(t *testing.T) {
			out, err := srv.Client(q.sql, []string{"--user", chserver.AnalystUser, "--format", "TSV"})
			require.NoError(t, err, "%s:\n%s", q.title, q.sql)
			require.NotEmpty(t, out, "%s returned no rows:\n%s", q.title, q.sql)
			t.Logf("%s: %d rows", q.title, strings.Count(out, "\n")+1)
		})
	}
}
