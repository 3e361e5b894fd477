package collect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSeedFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "collect", SeedFileName)
	got, err := ReadSeeds(path)
	require.NoError(t, err)
	require.Empty(t, got, "no file, no seeds")

	require.NoError(t, WriteSeeds(path, []string{"beta", "alpha", "beta"}))
	got, err = ReadSeeds(path)
	require.NoError(t, err)
	require.Equal(t, []string{"alpha", "beta"}, got)

	require.NoError(t, os.WriteFile(path, []byte("alpha\nnot a seed!\n"), 0o600))
	_, err = ReadSeeds(path)
	require.ErrorContains(t, err, "line 2")
}
