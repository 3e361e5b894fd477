package collect

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tidewatch/tidewatch/links"
)

// SeedFileName is the seed list's file name in the collector's state folder.
const SeedFileName = "seeds.txt"

// ReadSeeds reads the seed list (usernames, one a line, "#" comments). A missing file is
// an empty list. Every line must be a valid seed: the file is written by WriteSeeds, and a
// hand edit that broke it is reported with its line numbers.
func ReadSeeds(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read seeds: %w", err)
	}
	seeds, bad := links.ParseSeedFile(bytes.NewReader(data))
	if len(bad) > 0 {
		msgs := make([]string, len(bad))
		for i, b := range bad {
			msgs[i] = b.Error()
		}
		return nil, fmt.Errorf("seed list %s: %s", path, strings.Join(msgs, "; "))
	}
	out := make([]string, len(seeds))
	for i, s := range seeds {
		out[i] = s.Username
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// WriteSeeds replaces the seed list atomically with the usernames, sorted.
func WriteSeeds(path string, usernames []string) error {
	list := slices.Clone(usernames)
	slices.Sort(list)
	list = slices.Compact(list)
	var b strings.Builder
	b.WriteString("# tidewatch seed list: one channel username a line. Edit with 'tidewatch seeds'.\n")
	for _, u := range list {
		b.WriteString(u)
		b.WriteByte('\n')
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write seeds: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write seeds: %w", err)
	}
	f, err := os.Open(tmp)
	if err != nil {
		return fmt.Errorf("write seeds: %w", err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("write seeds: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(fmt.Errorf("write seeds: %w", err), os.Remove(tmp))
	}
	return nil
}
