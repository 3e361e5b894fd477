package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzLoad feeds arbitrary bytes to Load as the config file. Whatever the file holds, Load
// returns a configuration or an *Error whose every problem names the file (there is no
// other layer here); a configuration it accepts, shown and read back, is the same
// configuration.
func FuzzLoad(f *testing.F) {
	for _, key := range Keys() {
		f.Setenv(EnvName(key), "")
	}
	for _, dir := range []string{"testdata/good", "testdata/bad"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		require.NoError(f, err)
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(data)
		}
	}
	f.Add(InitFile())
	f.Add([]byte("a: &a [x,x]\nb: [*a,*a]\n"))
	f.Add([]byte("log:\n  level: \"\\0\"\n  format: !!binary aGk=\n"))
	f.Add([]byte("collect:\n  counter_ages: [1h, 1h]\n  discovery:\n    via: [forward, forward]\n"))
	f.Add([]byte("writer:\n  flush_interval: 1d12h\n  batch_rows: 1e5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		file := filepath.Join(dir, "fuzz.yaml")
		require.NoError(t, os.WriteFile(file, data, 0o600))
		loaded, err := Load(LoadOptions{File: file})
		if err != nil {
			require.Nil(t, loaded)
			var cerr *Error
			require.True(t, errors.As(err, &cerr), "not a config error: %v", err)
			require.NotEmpty(t, cerr.Problems)
			for _, p := range cerr.Problems {
				require.True(t, strings.HasPrefix(p.Where, file), "problem without its place: %q", p.String())
				require.NotEmpty(t, p.Msg, p.String())
			}
			return
		}
		require.Equal(t, file, loaded.File)

		// Read back what Show prints, with the secrets Show hides as *** put back (those
		// read from a *_file key are filled again from the file).
		c := *loaded.Config
		shown, err := Show(&c, nil)
		require.NoError(t, err)
		for _, s := range []struct {
			name     string
			value    Secret
			fromFile bool
		}{
			{"password", c.ClickHouse.Password, c.ClickHouse.PasswordFile != ""},
			{"api_hash", c.Telegram.APIHash, false},
			{"hash_key", c.Privacy.HashKey, c.Privacy.HashKeyFile != ""},
		} {
			put := strconv.Quote(s.value.Value())
			if s.fromFile {
				put = `""`
			}
			shown = bytes.Replace(shown, []byte(" "+s.name+": '***'\n"), []byte(" "+s.name+": "+put+"\n"), 1)
		}
		again := filepath.Join(dir, "again.yaml")
		require.NoError(t, os.WriteFile(again, shown, 0o600))
		reloaded, err := Load(LoadOptions{File: again})
		require.NoError(t, err, "the shown configuration does not load:\n%s", shown)
		require.Equal(t, Fingerprint(loaded.Config), Fingerprint(reloaded.Config), "shown:\n%s", shown)
	})
}
