package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/tidewatch/tidewatch/collector/collect/budget"
)

// Snapshot is the state as loaded.
type Snapshot struct {
	Channels map[int64]*Channel
	Pending  map[string]*Pending
	Accounts map[string]*Account
	Meta     Meta
}

// record is one journal line: exactly one field is set.
type record struct {
	Channel *Channel `json:"c,omitempty"`
	Pending *Pending `json:"p,omitempty"`
	// Resolved drops a pending username (it became a channel or was given up).
	Resolved string `json:"x,omitempty"`
	// End closes a snapshot file with its number of records.
	End *int `json:"end,omitempty"`
}

// Store is an open state folder. Only one process may open a folder at a time.
type Store struct {
	dir     string
	lock    *os.File
	journal *os.File
	gen     int
	// records counts lines in the journal; live is the number of live records, which
	// decides when compaction pays.
	records, live int
	// size is the length of the journal up to its last complete append.
	size int64
}

var snapName = regexp.MustCompile(`^channels-([0-9]+)\.snap$`)

// Open opens (creating it if needed) the state folder dir, takes its lock, and loads the
// state. A journal whose last line was torn by a crash is cut back to its last good line.
func Open(dir string) (*Store, *Snapshot, error) {
	if err := os.MkdirAll(filepath.Join(dir, floodsDir), 0o700); err != nil {
		return nil, nil, fmt.Errorf("state: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "accounts"), 0o700); err != nil {
		return nil, nil, fmt.Errorf("state: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("state: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, nil, fmt.Errorf("state: %s is in use by another collector: %w", dir, err)
	}
	s := &Store{dir: dir, lock: lock}
	snap, err := s.load()
	if err != nil {
		return nil, nil, errors.Join(err, s.Close())
	}
	return s, snap, nil
}

func (s *Store) load() (*Snapshot, error) {
	snap := &Snapshot{Channels: map[int64]*Channel{}, Pending: map[string]*Pending{}, Accounts: map[string]*Account{}}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	var gens []int
	for _, e := range entries {
		if m := snapName.FindStringSubmatch(e.Name()); m != nil {
			g, _ := strconv.Atoi(m[1])
			gens = append(gens, g)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(gens)))
	// The newest complete snapshot wins; an incomplete one can only be a leftover of a
	// copy by hand, since snapshots are renamed into place whole.
	for _, g := range gens {
		ok, err := s.readSnapshot(g, snap)
		if err != nil {
			return nil, err
		}
		if ok {
			s.gen = g
			break
		}
		snap.Channels, snap.Pending = map[int64]*Channel{}, map[string]*Pending{}
	}
	if err := s.openJournal(snap); err != nil {
		return nil, err
	}
	if err := s.removeStale(entries); err != nil {
		return nil, err
	}
	s.live = len(snap.Channels) + len(snap.Pending)
	if err := readJSON(filepath.Join(s.dir, "meta.json"), &snap.Meta); err != nil {
		return nil, err
	}
	accEntries, err := os.ReadDir(filepath.Join(s.dir, "accounts"))
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	for _, e := range accEntries {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		a := &Account{}
		if err := readJSON(filepath.Join(s.dir, "accounts", e.Name()), a); err != nil {
			return nil, err
		}
		if a.Peers == nil {
			a.Peers = map[int64]int64{}
		}
		snap.Accounts[a.Label] = a
	}
	if err := s.loadFloods(snap); err != nil {
		return nil, err
	}
	return snap, nil
}

// floodsDir holds one file per account with the flood waits it was given, written the
// moment a wait arrives (SaveFloods): a process killed before its next checkpoint still
// honours them after a restart, where calling again would count as ignoring the wait
// (Telegram bans an account that keeps calling during its waits).
const floodsDir = "floods"

// SaveFloods replaces the account's flood-wait file with parks.
func (s *Store) SaveFloods(label string, parks []budget.Park) error {
	if label == "" || filepath.Base(label) != label || label[0] == '.' {
		return fmt.Errorf("state: account label %q cannot name a file", label)
	}
	return writeJSON(filepath.Join(s.dir, floodsDir, label+".json"), parks)
}

// loadFloods adds the flood waits of the floods folder to the accounts' parks (a wait
// there may be newer than the last checkpoint; budget.Restore keeps the later end).
func (s *Store) loadFloods(snap *Snapshot) error {
	entries, err := os.ReadDir(filepath.Join(s.dir, floodsDir))
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	for _, e := range entries {
		label, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		var parks []budget.Park
		if err := readJSON(filepath.Join(s.dir, floodsDir, e.Name()), &parks); err != nil {
			return err
		}
		a := snap.Accounts[label]
		if a == nil {
			a = &Account{Label: label, Peers: map[int64]int64{}}
			snap.Accounts[label] = a
		}
		a.Parks = mergeParks(a.Parks, parks)
	}
	return nil
}

// mergeParks adds parks to have, one park per account and method, with the later end.
func mergeParks(have, parks []budget.Park) []budget.Park {
next:
	for _, p := range parks {
		for i, h := range have {
			if h.Account == p.Account && h.Method == p.Method {
				if p.Until.After(h.Until) {
					have[i].Until = p.Until
				}
				continue next
			}
		}
		have = append(have, p)
	}
	return have
}

var journalName = regexp.MustCompile(`^journal-([0-9]+)\.log$`)

// removeStale deletes files of other generations and temporary files left by a crash in the
// middle of a compaction.
func (s *Store) removeStale(entries []os.DirEntry) error {
	var errs []error
	for _, e := range entries {
		name := e.Name()
		m := snapName.FindStringSubmatch(name)
		if m == nil {
			m = journalName.FindStringSubmatch(name)
		}
		stale := filepath.Ext(name) == ".tmp"
		if m != nil {
			g, _ := strconv.Atoi(m[1])
			stale = g != s.gen
		}
		if stale {
			errs = append(errs, removeIfExists(filepath.Join(s.dir, name)))
		}
	}
	return errors.Join(errs...)
}

func (s *Store) snapPath(g int) string {
	return filepath.Join(s.dir, fmt.Sprintf("channels-%d.snap", g))
}

func (s *Store) journalPath(g int) string {
	return filepath.Join(s.dir, fmt.Sprintf("journal-%d.log", g))
}

// readSnapshot reads generation g into snap; it reports false when the file lacks its end
// record.
func (s *Store) readSnapshot(g int, snap *Snapshot) (bool, error) {
	f, err := os.Open(s.snapPath(g))
	if err != nil {
		return false, fmt.Errorf("state: %w", err)
	}
	defer f.Close()
	n := 0
	complete := false
	_, err = scanRecords(f, func(r record) {
		if r.End != nil {
			complete = *r.End == n
			return
		}
		n++
		apply(snap, r)
	})
	if err != nil {
		return false, err
	}
	return complete, nil
}

// openJournal replays the journal of the current generation into snap and opens it for
// appending, cutting a torn tail.
func (s *Store) openJournal(snap *Snapshot) error {
	path := s.journalPath(s.gen)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	good, err := scanRecords(f, func(r record) {
		s.records++
		apply(snap, r)
	})
	if err != nil {
		f.Close()
		return err
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return fmt.Errorf("state: cut torn journal: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("state: %w", err)
	}
	s.journal, s.size = f, good
	return nil
}

func apply(snap *Snapshot, r record) {
	switch {
	case r.Channel != nil:
		snap.Channels[r.Channel.ID] = r.Channel
	case r.Pending != nil:
		snap.Pending[r.Pending.Username] = r.Pending
	case r.Resolved != "":
		delete(snap.Pending, r.Resolved)
	}
}

// scanRecords calls fn for every good line of r and returns the offset just after the last
// good line. A line with a bad CRC or bad JSON ends the scan: it can only be the torn tail of
// an interrupted append.
func scanRecords(r io.Reader, fn func(record)) (int64, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var off int64
	var long []byte
	for {
		// ReadSlice reuses the reader's buffer: loading a large state makes no garbage per line.
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if errors.Is(err, io.EOF) {
			return off, nil // a last line without '\n' is torn
		}
		if err != nil {
			return off, fmt.Errorf("state: read: %w", err)
		}
		rec, ok := decodeLine(line)
		if !ok {
			return off, nil
		}
		fn(rec)
		off += int64(len(line))
	}
}

// lineEncoder writes records as lines "crc32hex json\n" to w, one at a time through one
// reused buffer: a checkpoint of thousands of records never holds their encoding whole.
type lineEncoder struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
	n   int64 // bytes written
}

func newLineEncoder(w io.Writer) *lineEncoder {
	e := &lineEncoder{w: w}
	e.enc = json.NewEncoder(&e.buf)
	return e
}

func (e *lineEncoder) encode(r record) error {
	e.buf.Reset()
	e.buf.WriteString("00000000 ")
	// Encode writes what json.Marshal does, and a newline.
	if err := e.enc.Encode(r); err != nil {
		return fmt.Errorf("state: encode: %w", err)
	}
	b := e.buf.Bytes()
	crc := crc32.ChecksumIEEE(b[9 : len(b)-1])
	const digits = "0123456789abcdef"
	for i := 7; i >= 0; i-- {
		b[i] = digits[crc&15]
		crc >>= 4
	}
	n, err := e.w.Write(b)
	e.n += int64(n)
	return err
}

// encodeLine renders one record as "crc32hex json\n".
func encodeLine(buf *bytes.Buffer, r record) error {
	return newLineEncoder(buf).encode(r)
}

func decodeLine(line []byte) (record, bool) {
	var r record
	if len(line) < 10 || line[8] != ' ' {
		return r, false
	}
	want, err := strconv.ParseUint(string(line[:8]), 16, 32)
	if err != nil {
		return r, false
	}
	body := bytes.TrimSuffix(line[9:], []byte("\n"))
	if crc32.ChecksumIEEE(body) != uint32(want) {
		return r, false
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return r, false
	}
	return r, true
}

// Batch is the content of one checkpoint.
type Batch struct {
	Channels []*Channel
	Pending  []*Pending
	// Resolved are usernames no longer pending.
	Resolved []string
}

// Len returns the number of records in b.
func (b Batch) Len() int { return len(b.Channels) + len(b.Pending) + len(b.Resolved) }

// Append writes b to the journal and syncs it. The records must be copies no longer
// mutated by anyone.
func (s *Store) Append(b Batch) error {
	if b.Len() == 0 {
		return nil
	}
	w := bufio.NewWriterSize(s.journal, 64<<10)
	e := newLineEncoder(w)
	err := func() error {
		for _, c := range b.Channels {
			if err := e.encode(record{Channel: c}); err != nil {
				return err
			}
		}
		for _, p := range b.Pending {
			if err := e.encode(record{Pending: p}); err != nil {
				return err
			}
		}
		for _, u := range b.Resolved {
			if err := e.encode(record{Resolved: u}); err != nil {
				return err
			}
		}
		return w.Flush()
	}()
	if err != nil {
		// Lines of a failed append may have reached the file; a torn one would end every
		// later load there, so the journal goes back to its last complete append.
		return errors.Join(fmt.Errorf("state: append: %w", err), s.cutJournal())
	}
	if err := s.journal.Sync(); err != nil {
		return fmt.Errorf("state: sync journal: %w", err)
	}
	s.size += e.n
	s.records += b.Len()
	return nil
}

// cutJournal drops what follows the last complete append.
func (s *Store) cutJournal() error {
	if err := s.journal.Truncate(s.size); err != nil {
		return fmt.Errorf("state: cut journal: %w", err)
	}
	if _, err := s.journal.Seek(s.size, io.SeekStart); err != nil {
		return fmt.Errorf("state: cut journal: %w", err)
	}
	return nil
}

// NeedsCompaction reports whether the journal has grown well past the live state, given the
// number of live records.
func (s *Store) NeedsCompaction(live int) bool {
	s.live = live
	return s.records > 10_000 && s.records > 3*live
}

// Compact writes every live record into a new snapshot generation and starts a new, empty
// journal; the old generation's files are removed once the new one is in place.
func (s *Store) Compact(channels []*Channel, pending []*Pending) error {
	return s.CompactEach(slices.Values(channels), slices.Values(pending))
}

// CompactEach is Compact over sequences, so a caller can stream its live records into the
// snapshot without copying them all first.
func (s *Store) CompactEach(channels iter.Seq[*Channel], pending iter.Seq[*Pending]) error {
	next := s.gen + 1
	tmp := s.snapPath(next) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("state: compact: %w", err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	e := newLineEncoder(w)
	n := 0
	write := e.encode
	fail := func(err error) error {
		return errors.Join(fmt.Errorf("state: compact: %w", err), f.Close(), os.Remove(tmp))
	}
	for c := range channels {
		if err := write(record{Channel: c}); err != nil {
			return fail(err)
		}
		n++
	}
	for p := range pending {
		if err := write(record{Pending: p}); err != nil {
			return fail(err)
		}
		n++
	}
	if err := write(record{End: &n}); err != nil {
		return fail(err)
	}
	if err := errors.Join(w.Flush(), f.Sync(), f.Close()); err != nil {
		return errors.Join(fmt.Errorf("state: compact: %w", err), os.Remove(tmp))
	}
	// The new journal exists before the snapshot that makes it current.
	j, err := os.OpenFile(s.journalPath(next), os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	if err != nil {
		return errors.Join(fmt.Errorf("state: compact: %w", err), os.Remove(tmp))
	}
	if err := os.Rename(tmp, s.snapPath(next)); err != nil {
		return errors.Join(fmt.Errorf("state: compact: %w", err), j.Close(), os.Remove(tmp))
	}
	if err := syncDir(s.dir); err != nil {
		return errors.Join(err, j.Close())
	}
	old := s.gen
	oldJournal := s.journal
	s.gen, s.journal, s.records, s.live, s.size = next, j, 0, n, 0
	return errors.Join(oldJournal.Close(), removeIfExists(s.snapPath(old)), removeIfExists(s.journalPath(old)))
}

// SaveAccount replaces the account's file atomically.
func (s *Store) SaveAccount(a *Account) error {
	if a.Label == "" || filepath.Base(a.Label) != a.Label || a.Label[0] == '.' {
		return fmt.Errorf("state: account label %q cannot name a file", a.Label)
	}
	return writeJSON(filepath.Join(s.dir, "accounts", a.Label+".json"), a)
}

// SaveMeta replaces the metadata file atomically.
func (s *Store) SaveMeta(m Meta) error {
	return writeJSON(filepath.Join(s.dir, "meta.json"), m)
}

// Close releases the journal and the lock.
func (s *Store) Close() error {
	var errs []error
	if s.journal != nil {
		errs = append(errs, s.journal.Close())
		s.journal = nil
	}
	if s.lock != nil {
		errs = append(errs, syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN), s.lock.Close())
		s.lock = nil
	}
	return errors.Join(errs...)
}

// writeJSON replaces path with v's JSON: temporary file, fsync, rename, fsync of the folder.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("state: encode %s: %w", filepath.Base(path), err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		return errors.Join(fmt.Errorf("state: write %s: %w", filepath.Base(path), err), f.Close(), os.Remove(tmp))
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return errors.Join(fmt.Errorf("state: write %s: %w", filepath.Base(path), err), os.Remove(tmp))
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(fmt.Errorf("state: %w", err), os.Remove(tmp))
	}
	return syncDir(filepath.Dir(path))
}

// readJSON fills v from path; a missing file leaves v as it is.
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("state: %s: %w", filepath.Base(path), err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return errors.Join(d.Sync(), d.Close())
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}
