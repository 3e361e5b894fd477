package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Output file names.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
	ManifestName = "manifest.json"
)

// CheckOutDir makes sure dir is a directory that can take the report's files (creating it
// if it does not exist), before any job runs.
func CheckOutDir(dir string) error {
	if dir == "" {
		return errors.New("--out: required")
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("--out %s: %w", dir, err)
		}
	case err != nil:
		return fmt.Errorf("--out %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("--out %s: not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".report-check-*")
	if err != nil {
		return fmt.Errorf("--out %s: cannot write there: %w", dir, err)
	}
	name := f.Name()
	return errors.Join(f.Close(), os.Remove(name))
}

// Write renders the report into dir: report.html, report.md, one CSV per chart and
// table, and manifest.json last (it lists the others with their checksums). Each file is
// written to a temporary file in dir and renamed over the old one, so a reader never
// sees half a file. It returns the manifest.
func Write(dir string, r *Report) (Manifest, error) {
	html, err := RenderHTML(r)
	if err != nil {
		return Manifest{}, err
	}
	csvs, err := CSVFiles(r)
	if err != nil {
		return Manifest{}, fmt.Errorf("render csv: %w", err)
	}
	files := append([]File{{Name: HTMLFile, Data: html}, {Name: MarkdownFile, Data: RenderMarkdown(r)}}, csvs...)
	for _, f := range files {
		if err := writeAtomic(dir, f.Name, f.Data); err != nil {
			return Manifest{}, err
		}
	}
	m := NewManifest(r, files)
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, fmt.Errorf("encode manifest: %w", err)
	}
	return m, writeAtomic(dir, ManifestName, append(data, '\n'))
}

// writeAtomic writes data to dir/name through a synced temporary file and a rename.
func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if err := errors.Join(werr, f.Close(), os.Chmod(tmp, 0o644)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}
