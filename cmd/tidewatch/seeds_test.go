package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// runCollector executes the CLI with the collector's commands present (the root registers
// them; a root that does not yet gets them added here).
func runCollector(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut}
	root := newRootCmd(a)
	if c, _, err := root.Find([]string{"seeds"}); err != nil || c == root {
		root.AddCommand(newSeedsCmd(a))
	}
	if c, _, err := root.Find([]string{"collect"}); err != nil || c == root {
		root.AddCommand(newCollectCmd(a))
	}
	root.SetArgs(args)
	ctx := context.Background()
	err := root.ExecuteContext(ctx)
	code = exitCode(ctx, err)
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return code, out.String(), errOut.String()
}

func TestSeedsAddListRemove(t *testing.T) {
	dir := isolate(t)
	code, out, errOut := runCollector(t, "seeds", "add", "@Alpha", "t.me/beta", "https://t.me/s/gamma", "https://t.me/delta/123")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "added 4 seed(s), 0 already present")

	code, out, _ = runCollector(t, "seeds", "add", "alpha")
	require.Equal(t, 0, code)
	require.Contains(t, out, "added 0 seed(s), 1 already present")

	code, out, _ = runCollector(t, "seeds", "list")
	require.Equal(t, 0, code)
	require.Equal(t, "@alpha\n@beta\n@delta\n@gamma\n", out)
	_, err := os.Stat(filepath.Join(dir, ".tidewatch", "collect", "seeds.txt"))
	require.NoError(t, err)

	code, out, errOut = runCollector(t, "seeds", "remove", "@beta", "@nobody")
	require.Equal(t, 1, code)
	require.Contains(t, out, "removed 1 seed(s); 3 left")
	require.Contains(t, errOut, "not in the seed list: @nobody")
}

func TestSeedsFileRejectedWholeUnlessSkipInvalid(t *testing.T) {
	dir := isolate(t)
	file := filepath.Join(dir, "seeds.txt")
	require.NoError(t, os.WriteFile(file, []byte("# my seeds\n@good_one\nhttps://t.me/+InviteHash\n\nt.me/c/123/4\nanother_good # trailing comment\n"), 0o600))

	code, _, errOut := runCollector(t, "seeds", "add", "--file", file)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "nothing added: 2 invalid seed(s)")
	require.Contains(t, errOut, file+":3: ")
	require.Contains(t, errOut, file+":5: ")
	code, out, _ := runCollector(t, "seeds", "list")
	require.Equal(t, 0, code)
	require.Empty(t, out)

	code, out, errOut = runCollector(t, "seeds", "add", "--file", file, "--skip-invalid")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, "skipped 2 invalid seed(s)")
	require.Contains(t, out, "added 2 seed(s)")
	_, out, _ = runCollector(t, "seeds", "list")
	require.Equal(t, "@another_good\n@good_one\n", out)

	code, _, errOut = runCollector(t, "seeds", "add")
	require.Equal(t, 2, code, errOut)
}
