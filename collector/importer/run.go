package importer

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tidewatch/tidewatch/links/accountlink"
	"github.com/tidewatch/tidewatch/schema"
)

// Sink receives the rows of an import. The store-backed sink writes them to ClickHouse
// through the batched writers; tests collect them.
type Sink interface {
	// Write takes the rows of one record (or a slice of the merged channels). The rows must be
	// copied if kept: the caller reuses their storage.
	Write(ctx context.Context, rows *Rows) error
	// WriteRun records the run's row (rewritten as the run progresses).
	WriteRun(ctx context.Context, run schema.Run) error
	// Flush returns once everything written so far is stored.
	Flush(ctx context.Context) error
}

// Options configure [Run]. Zero fields get defaults where one is said.
type Options struct {
	// Format is the kind of export.
	Format Format
	// Files are read in order; all are validated before any is imported.
	Files []string
	// DryRun parses and validates, counts what would be written and writes nothing.
	DryRun bool
	// Rejects, when set, receives the bad records with their reasons (CSV: file, line,
	// errors, record) and the good records are imported. Nil means a file set with any bad
	// record imports nothing.
	Rejects io.Writer
	// Sink receives the rows; required unless DryRun.
	Sink Sink
	// HashKey is the privacy key persons are hashed with; required unless DryRun.
	HashKey []byte
	// Study holds accounts under study known beforehand (from the channels table); the
	// authors of the imported posts are added to it.
	Study *Study
	// StoreText keeps posts' text.
	StoreText bool
	// ObservedAt dates counters and follower counts the export does not date (zero = unknown).
	ObservedAt time.Time
	// Location reads local times written without a zone (UTC when nil).
	Location *time.Location
	// Progress receives progress lines (nil = none).
	Progress io.Writer
	// ProgressEvery is the time between progress lines (default 1s).
	ProgressEvery time.Duration
	// ProgressTerminal rewrites one progress line in place.
	ProgressTerminal bool
	// MaxErrors is how many errors a [ValidationError] lists (default 100; all are counted).
	MaxErrors int
	// CodeVersion, ConfigHash and Args go into the runs row.
	CodeVersion string
	ConfigHash  string
	Args        string
	// Logger gets a line per file (nil = silent).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// RunID names the run (default: "import-" + start time + random digits).
	RunID string
}

// FileSummary describes one file of an import.
type FileSummary struct {
	Name     string `json:"name"`
	Bytes    int64  `json:"bytes"`
	SHA256   string `json:"sha256"`
	Records  int64  `json:"records"`
	Rejected int64  `json:"rejected"`
}

// Summary is what an import did (or, for a dry run, would do).
type Summary struct {
	Format   string        `json:"format"`
	RunID    string        `json:"run_id,omitempty"`
	DryRun   bool          `json:"dry_run"`
	Files    []FileSummary `json:"files"`
	Records  int64         `json:"records"`
	Rejected int64         `json:"rejected"`
	// Rows counts rows per table (channels after merging per account).
	Rows    map[string]int64 `json:"rows"`
	Elapsed time.Duration    `json:"elapsed_ns"`
}

// Run imports files: a first pass validates every file (and finds the accounts under study), a
// second pass writes. Both passes stream, so memory does not grow with the files' size; what
// is held is one record, the merged channels (one per account) and the study set.
//
// With bad records and no Rejects writer, Run writes nothing and returns a
// [*ValidationError]. A file whose structure breaks (an unclosed quote, JSON that is not an
// export) fails the whole import, even with Rejects. Every import that writes records a runs
// row (job import:<format>) with its counts, the files' SHA-256 and the code version.
func Run(ctx context.Context, opts Options) (*Summary, error) {
	if opts.Format.Open == nil {
		return nil, errors.New("import: no format")
	}
	if len(opts.Files) == 0 {
		return nil, errors.New("import: no files")
	}
	if !opts.DryRun && opts.Sink == nil {
		return nil, errors.New("import: no sink")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 100
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = time.Second
	}
	key := opts.HashKey
	if opts.DryRun && len(key) == 0 {
		// Nothing is stored in a dry run: a throwaway key lets the rows be built all the same.
		key = make([]byte, MinHashKey)
		_, _ = rand.Read(key)
	}
	hasher, err := NewHasher(key)
	if err != nil {
		return nil, err
	}
	study := opts.Study
	if study == nil {
		study = NewStudy()
	}
	started := now()
	sum := &Summary{Format: opts.Format.Name, DryRun: opts.DryRun, Rows: map[string]int64{}}
	if !opts.DryRun {
		sum.RunID = opts.RunID
		if sum.RunID == "" {
			sum.RunID = newRunID(started)
		}
	}
	env := Env{
		Source:     "import:" + strings.ReplaceAll(opts.Format.Name, "-", "_"),
		RunID:      sum.RunID,
		Hasher:     hasher,
		Study:      study,
		StoreText:  opts.StoreText,
		ObservedAt: opts.ObservedAt,
		Location:   opts.Location,
	}

	prog := &progress{w: opts.Progress, every: opts.ProgressEvery, terminal: opts.ProgressTerminal, now: now}
	pctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if opts.Progress != nil {
		wg.Add(1)
		go func() { defer wg.Done(); prog.run(pctx) }()
	}
	defer func() { stop(); wg.Wait() }()

	// Pass 1: validate, hash the files, gather the accounts under study, count.
	var rejects *csv.Writer
	if opts.Rejects != nil {
		rejects = csv.NewWriter(opts.Rejects)
		if err := rejects.Write([]string{"file", "line", "errors", "record"}); err != nil {
			return nil, fmt.Errorf("write rejects: %w", err)
		}
	}
	verr := &ValidationError{}
	channels := NewChannelSet()
	validate := env
	validate.validating = !opts.DryRun // a dry run counts every row, links included
	for _, name := range opts.Files {
		fs := FileSummary{Name: name}
		h := sha256.New()
		err := readFile(ctx, name, opts.Format, validate, prog, "validate", h, func(rec *Record) error {
			if len(rec.Errors) > 0 {
				fs.Rejected++
				verr.Records++
				verr.Total += len(rec.Errors)
				for _, fe := range rec.Errors {
					if len(verr.Errors) < opts.MaxErrors {
						c := *fe
						verr.Errors = append(verr.Errors, &c)
					}
				}
				if rejects != nil {
					reasons := make([]string, len(rec.Errors))
					for i, fe := range rec.Errors {
						reasons[i] = fe.Reason()
					}
					if err := rejects.Write([]string{name, fmt.Sprint(rec.Line), strings.Join(reasons, "; "), string(rec.Raw)}); err != nil {
						return fmt.Errorf("write rejects: %w", err)
					}
				}
				return nil
			}
			for _, a := range rec.Authors {
				study.Add(a)
			}
			if opts.DryRun {
				countRows(sum.Rows, &rec.Rows)
				for _, c := range rec.Rows.Channels {
					channels.Add(c)
				}
			}
			return nil
		}, &fs)
		if err != nil {
			return nil, err
		}
		fs.SHA256 = hex.EncodeToString(h.Sum(nil))
		sum.Files = append(sum.Files, fs)
		sum.Records += fs.Records
		sum.Rejected += fs.Rejected
		if opts.Logger != nil {
			opts.Logger.Info("validated", "file", name, "records", fs.Records, "rejected", fs.Rejected)
		}
	}
	if rejects != nil {
		rejects.Flush()
		if err := rejects.Error(); err != nil {
			return nil, fmt.Errorf("write rejects: %w", err)
		}
	}
	if opts.DryRun {
		merged := channels.Rows()
		sum.Rows[schema.TableChannels] = int64(len(merged))
		if n := len(aboutLinks(merged)); n > 0 {
			sum.Rows[schema.TableAccountLinks] += int64(n)
		}
		sum.Elapsed = now().Sub(started)
		if verr.Total > 0 && rejects == nil {
			return sum, verr
		}
		return sum, nil
	}
	if verr.Total > 0 && rejects == nil {
		sum.Elapsed = now().Sub(started)
		return sum, verr
	}

	// Pass 2: write.
	run := schema.Run{
		RunID:       sum.RunID,
		Job:         "import:" + opts.Format.Name,
		StartedAt:   started.UTC(),
		Status:      "running",
		ConfigHash:  opts.ConfigHash,
		CodeVersion: opts.CodeVersion,
		Args:        runArgs(opts, sum),
	}
	run.Version = schema.Version(now())
	if err := opts.Sink.WriteRun(ctx, run); err != nil {
		return nil, fmt.Errorf("write run: %w", err)
	}
	importErr := func() error {
		for i, name := range opts.Files {
			var fs FileSummary
			err := readFile(ctx, name, opts.Format, env, prog, "import", nil, func(rec *Record) error {
				if len(rec.Errors) > 0 {
					return nil // listed in the rejects by the first pass
				}
				for _, c := range rec.Rows.Channels {
					channels.Add(c)
				}
				rec.Rows.Channels = rec.Rows.Channels[:0]
				if rec.Rows.Empty() {
					return nil
				}
				countRows(sum.Rows, &rec.Rows)
				return opts.Sink.Write(ctx, &rec.Rows)
			}, &fs)
			if err != nil {
				return err
			}
			if fs.Records != sum.Files[i].Records {
				return fmt.Errorf("%s changed while it was imported: %d records, then %d", name, sum.Files[i].Records, fs.Records)
			}
		}
		merged := channels.Rows()
		sum.Rows[schema.TableChannels] = int64(len(merged))
		// Bios that name accounts on other platforms become proposed account links.
		if al := aboutLinks(merged); len(al) > 0 {
			sum.Rows[schema.TableAccountLinks] += int64(len(al))
			for len(al) > 0 {
				n := min(len(al), 10000)
				if err := opts.Sink.Write(ctx, &Rows{AccountLinks: al[:n]}); err != nil {
					return err
				}
				al = al[n:]
			}
		}
		for len(merged) > 0 {
			n := min(len(merged), 10000)
			if err := opts.Sink.Write(ctx, &Rows{Channels: merged[:n]}); err != nil {
				return err
			}
			merged = merged[n:]
		}
		return opts.Sink.Flush(ctx)
	}()
	sum.Elapsed = now().Sub(started)
	run.FinishedAt = now().UTC()
	run.Status = "ok"
	if importErr != nil {
		run.Status = "failed"
		run.Errors = []string{importErr.Error()}
		if errors.Is(importErr, context.Canceled) {
			run.Status = "interrupted"
		}
	}
	run.CountNames, run.CountValues = runCounts(sum)
	run.Version = schema.Version(now())
	// The final runs row is written even when the context was cancelled, so the run does not
	// stay "running" forever.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	werr := opts.Sink.WriteRun(fctx, run)
	if werr == nil {
		werr = opts.Sink.Flush(fctx)
	}
	if importErr != nil {
		return sum, errors.Join(importErr, werr)
	}
	if werr != nil {
		return sum, fmt.Errorf("write run: %w", werr)
	}
	return sum, nil
}

// aboutLinks proposes account links from the about texts of the merged channels.
func aboutLinks(channels []schema.Channel) []schema.AccountLink {
	var out []schema.AccountLink
	for _, c := range channels {
		for _, l := range accountlink.AboutLinks(accountlink.Account{
			Platform: c.Platform, ChannelID: c.ChannelID, Username: c.Username, Title: c.Title,
			About: c.About, FirstSeen: c.FirstSeenAt, LastSeen: c.LastSeenAt,
		}) {
			out = append(out, l.Rows()...)
		}
	}
	return out
}

// readFile parses one file, calling fn for every record. hash, when set, receives the file's
// bytes.
func readFile(ctx context.Context, name string, f Format, env Env, prog *progress, phase string, hash io.Writer, fn func(*Record) error, fs *FileSummary) error {
	file, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, errors.Unwrap(err))
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: expected a regular file (it is read twice)", name)
	}
	fs.Bytes = st.Size()
	var r io.Reader = countingReader{r: file, n: &prog.bytes}
	if hash != nil {
		r = io.TeeReader(r, hash)
	}
	prog.begin(phase, filepath.Base(name), st.Size())
	defer prog.end()
	env.File = name
	p, err := f.Open(bufio.NewReaderSize(r, 64<<10), &env)
	if err != nil {
		return err
	}
	var rec Record
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec.Reset()
		err := p.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *FatalError
			if errors.As(err, &fe) {
				return err
			}
			return fmt.Errorf("read %s: %w", name, err)
		}
		if len(rec.Errors) == 0 && !utf8.Valid(rec.Raw) {
			// encoding/json would turn the bytes into U+FFFD and import the damage unseen.
			rec.Fail(&env, "record", "UTF-8 text", invalidUTF8Context(rec.Raw))
		}
		if rec.Skip && len(rec.Errors) == 0 {
			continue
		}
		prog.records.Add(1)
		fs.Records++
		if err := fn(&rec); err != nil {
			return err
		}
	}
	if hash != nil {
		// Hash what the parser did not read (trailing bytes after the last record).
		if _, err := io.Copy(io.Discard, r); err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
	return nil
}

func countRows(m map[string]int64, r *Rows) {
	add := func(t string, n int) {
		if n > 0 {
			m[t] += int64(n)
		}
	}
	add(schema.TableChannelSnapshots, len(r.Snapshots))
	add(schema.TablePosts, len(r.Posts))
	add(schema.TablePostLinks, len(r.PostLinks))
	add(schema.TableAccountLinks, len(r.AccountLinks))
	add(schema.TableEvents, len(r.Events))
	add(schema.TableCommunities, len(r.Communities))
}

// runCounts lists the counts for the runs row, in a fixed order.
func runCounts(s *Summary) ([]string, []uint64) {
	names := []string{"files", "records", "rejected"}
	values := []uint64{uint64(len(s.Files)), uint64(s.Records), uint64(s.Rejected)}
	for _, t := range []string{schema.TableChannels, schema.TableChannelSnapshots, schema.TablePosts, schema.TablePostLinks, schema.TableAccountLinks, schema.TableEvents, schema.TableCommunities} {
		names = append(names, "rows_"+t)
		values = append(values, uint64(s.Rows[t]))
	}
	return names, values
}

// runArgs describes the import for the runs row: the files with their hashes and the options
// that change what is stored.
func runArgs(opts Options, s *Summary) string {
	a := struct {
		Format     string        `json:"format"`
		Files      []FileSummary `json:"files"`
		Rejects    bool          `json:"rejects"`
		StoreText  bool          `json:"store_text"`
		ObservedAt string        `json:"observed_at,omitempty"`
		Location   string        `json:"location,omitempty"`
		Command    string        `json:"command,omitempty"`
	}{Format: opts.Format.Name, Files: s.Files, Rejects: opts.Rejects != nil, StoreText: opts.StoreText, Command: opts.Args}
	if !opts.ObservedAt.IsZero() {
		a.ObservedAt = opts.ObservedAt.UTC().Format(time.RFC3339)
	}
	if opts.Location != nil {
		a.Location = opts.Location.String()
	}
	b, _ := json.Marshal(a)
	return string(b)
}

// newRunID names a run: its start time and 8 random hex digits.
func newRunID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "import-" + t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// invalidUTF8Context is the part of raw that starts a little before its first byte that is
// not UTF-8, so that an error shows where the damage is, not how the record begins.
func invalidUTF8Context(raw []byte) string {
	i := 0
	for i < len(raw) {
		r, n := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	start := max(0, i-20)
	for start > 0 && !utf8.RuneStart(raw[start]) {
		start--
	}
	s := string(raw[start:min(len(raw), i+4*maxGot)])
	if start > 0 {
		s = "…" + s
	}
	return s
}
