package importer

import (
	"io"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/privacy"
)

// Rows are the table rows one record of an export becomes.
type Rows struct {
	// Channels are observations of accounts' identities. The importer merges them per account
	// and writes one row per account at the end (see [ChannelSet]).
	Channels     []schema.Channel
	Snapshots    []schema.ChannelSnapshot
	Posts        []schema.Post
	PostLinks    []schema.PostLink
	AccountLinks []schema.AccountLink
	Events       []schema.Event
	Communities  []schema.Community
}

// Reset empties the rows, keeping their storage.
func (r *Rows) Reset() {
	r.Channels = r.Channels[:0]
	r.Snapshots = r.Snapshots[:0]
	r.Posts = r.Posts[:0]
	r.PostLinks = r.PostLinks[:0]
	r.AccountLinks = r.AccountLinks[:0]
	r.Events = r.Events[:0]
	r.Communities = r.Communities[:0]
}

// Empty tells whether there are no rows at all.
func (r *Rows) Empty() bool {
	return len(r.Channels)+len(r.Snapshots)+len(r.Posts)+len(r.PostLinks)+len(r.AccountLinks)+len(r.Events)+len(r.Communities) == 0
}

// PartialIdentityVersion is the version of channels rows built from exports that name an
// account without describing it (a posts file, a Telegram Desktop export: no about text, no
// followers). channels is a ReplacingMergeTree that keeps whole rows, so such a row must lose
// to any fuller observation, whatever its time, and still exist when there is none.
const PartialIdentityVersion = 1

// AccountRef names an account of a platform by its id, its handle or both.
type AccountRef struct {
	Platform string
	ID       string
	Handle   string
}

// Record is one unit of an export (a CSV row, a JSON line, a message) after parsing: the rows
// it becomes, or what is wrong with it.
type Record struct {
	// Line is where the record starts in its file (1-based).
	Line int
	// Raw is the record's source text, for rejects files.
	Raw []byte
	// Errors lists what is wrong; a record with errors is not imported.
	Errors []*FieldError
	// Rows are what the record becomes.
	Rows Rows
	// Authors are the accounts whose posts the record holds: the accounts under study, whose
	// ids and handles are stored in clear.
	Authors []AccountRef
	// Skip marks a record that is valid but carries nothing to import (a header repeated
	// inside a file, a JSON line of stream metadata).
	Skip bool
}

// Reset empties the record, keeping its storage.
func (r *Record) Reset() {
	r.Line = 0
	r.Raw = r.Raw[:0]
	r.Errors = r.Errors[:0]
	r.Rows.Reset()
	r.Authors = r.Authors[:0]
	r.Skip = false
}

// Fail adds an error about field to the record.
func (r *Record) Fail(env *Env, field, expected, got string) {
	r.Errors = append(r.Errors, &FieldError{File: env.File, Line: r.Line, Field: field, Expected: expected, Got: got})
}

// Parser reads the records of one file.
type Parser interface {
	// Next fills rec (already reset) with the next record. It returns io.EOF after the last
	// one; a [*FatalError] or a read error ends the file.
	Next(rec *Record) error
}

// Format is one kind of export the importer reads.
type Format struct {
	// Name is the FORMAT argument of `tidewatch import` ("crowdtangle", "twitter-v2", ...).
	Name string
	// Summary is one line for help texts.
	Summary string
	// Open starts reading one file.
	Open func(r io.Reader, env *Env) (Parser, error)
}

// Env is what a parser needs besides its input. Parsers must treat it as read-only.
type Env struct {
	// File names the file in errors.
	File string
	// Source is the value of the source columns ("import:crowdtangle").
	Source string
	// RunID goes into the run_id columns.
	RunID string
	// Hasher hashes persons (see [NewHasher]).
	Hasher *privacy.Hasher
	// Study holds the accounts under study; anyone else is a person and hashed.
	Study *Study
	// StoreText keeps posts' text; off, only its length and hash are stored.
	StoreText bool
	// ObservedAt is when the export was made, when the user says so: it dates counters and
	// follower counts that the export does not date itself. Zero = unknown.
	ObservedAt time.Time
	// Location reads local times written without a zone (UTC when nil).
	Location *time.Location

	// validating is set in the first pass of an import that will write: only errors and
	// authors matter then, so Extract skips the links, which cannot be wrong.
	validating bool
}

// Loc is the location of local times without a zone.
func (e *Env) Loc() *time.Location {
	if e.Location == nil {
		return time.UTC
	}
	return e.Location
}

// Person is the stored form of someone who appears in a post: in clear (the id) when the
// account is under study (studied is then true), else its keyed hash.
func (e *Env) Person(platform, id string) (value string, studied bool) {
	if e.Study.HasID(platform, id) {
		return id, true
	}
	return e.Hasher.Person(platform, id), false
}

// MentionName is the stored form of an @mention: the lowercased handle when the account is
// under study, else its keyed hash.
func (e *Env) MentionName(platform, handle string) string {
	h := strings.ToLower(strings.TrimPrefix(handle, "@"))
	if e.Study.HasHandle(platform, h) {
		return h
	}
	return e.Hasher.Handle(platform, h)
}

// Study is the set of accounts under study, by id and by handle. The zero value and nil are
// empty sets.
type Study struct {
	ids     map[studyKey]struct{}
	handles map[studyKey]struct{}
}

type studyKey struct{ platform, value string }

// NewStudy makes an empty set.
func NewStudy() *Study {
	return &Study{ids: map[studyKey]struct{}{}, handles: map[studyKey]struct{}{}}
}

// Add puts an account into the set.
func (s *Study) Add(a AccountRef) {
	if s.ids == nil {
		s.ids = map[studyKey]struct{}{}
		s.handles = map[studyKey]struct{}{}
	}
	if a.ID != "" {
		k := studyKey{a.Platform, a.ID}
		if _, ok := s.ids[k]; !ok {
			s.ids[k] = struct{}{}
		}
	}
	if a.Handle != "" {
		k := studyKey{a.Platform, strings.ToLower(strings.TrimPrefix(a.Handle, "@"))}
		if _, ok := s.handles[k]; !ok {
			s.handles[k] = struct{}{}
		}
	}
}

// HasID tells whether the account with this id is under study.
func (s *Study) HasID(platform, id string) bool {
	if s == nil || id == "" {
		return false
	}
	_, ok := s.ids[studyKey{platform, id}]
	return ok
}

// HasHandle tells whether the account with this handle is under study.
func (s *Study) HasHandle(platform, handle string) bool {
	if s == nil || handle == "" {
		return false
	}
	_, ok := s.handles[studyKey{platform, strings.ToLower(strings.TrimPrefix(handle, "@"))}]
	return ok
}

// Len is the number of ids in the set.
func (s *Study) Len() int {
	if s == nil {
		return 0
	}
	return len(s.ids)
}
