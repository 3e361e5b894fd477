// Package registry builds the rows of the events registry: takedowns, suspensions, bans,
// attacks and policy changes that researchers record (origin registry or import), and the
// status changes the collector detects (origin detected). Analyses join the registry to
// growth and activity series by time window.
//
// An event's id is derived from what it is (time, platform, kind, targets), so recording the
// same event twice, or importing the same file again, replaces the row instead of adding one.
package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/schema"
)

// Origins of events.
const (
	OriginRegistry = schema.EventOriginRegistry // recorded with `tidewatch events add`
	OriginImport   = schema.EventOriginImport   // read from a file with `tidewatch events import`
	OriginDetected = schema.EventOriginDetected // seen by the collector
)

// Target kinds.
const (
	TargetAccount   = "account"
	TargetChannel   = "channel"
	TargetCommunity = "community"
	TargetPlatform  = "platform"
)

// Kinds are the event kinds in common use; others are accepted when they are lowercase tokens,
// so a study can add its own.
var Kinds = []string{
	"takedown", "suspension", "ban", "deplatforming", "attack", "policy_change", "law",
	"election", "outage", "went_private", "banned", "deleted", "username_freed", "reappeared",
}

var token = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Event is a curated event as a researcher records it.
type Event struct {
	// At is when it happened (required); End is when it ended, for events that last (zero =
	// a moment).
	At, End time.Time
	// Platform is where it happened ("telegram", "twitter", ...); empty for events off any
	// platform (an attack).
	Platform string
	// Kind is what happened: takedown, suspension, ban, attack, policy_change, ...
	Kind string
	// TargetKind says what the targets are: account, channel, community or platform.
	TargetKind string
	// Targets are the accounts, channels or communities hit, as given (@handles, ids, names).
	Targets []string
	// TargetChannelIDs are the channel ids of targets known to tidewatch.
	TargetChannelIDs []uint64
	Title            string
	// Source is the citation or URL the event comes from (required for curated events).
	Source string
	Note   string
}

// FieldError is an invalid field of an event.
type FieldError struct {
	Field, Expected, Got string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: expected %s, got %q", e.Field, e.Expected, e.Got)
}

// Validate checks an event; every problem is reported.
func (e Event) Validate() error {
	var errs []error
	bad := func(field, expected, got string) { errs = append(errs, &FieldError{field, expected, got}) }
	if e.At.IsZero() {
		bad("at", "the time of the event", "")
	}
	if !e.End.IsZero() && e.End.Before(e.At) {
		bad("end", "a time after the event's start", e.End.UTC().Format(time.RFC3339))
	}
	if e.Platform != "" && !token.MatchString(e.Platform) {
		bad("platform", "a lowercase platform name like telegram or twitter", e.Platform)
	}
	if !token.MatchString(e.Kind) {
		bad("kind", "a lowercase kind like "+strings.Join(Kinds[:6], ", "), e.Kind)
	}
	switch e.TargetKind {
	case "", TargetAccount, TargetChannel, TargetCommunity, TargetPlatform:
	default:
		bad("target_kind", "account, channel, community or platform", e.TargetKind)
	}
	if strings.TrimSpace(e.Source) == "" {
		bad("source", "a citation or URL saying where the event is documented", e.Source)
	}
	return errors.Join(errs...)
}

// Normalize trims the fields, lowercases platform and kind, and sorts and deduplicates the
// targets (compared without case, the first spelling kept).
func (e Event) Normalize() Event {
	e.At, e.End = e.At.UTC().Truncate(time.Second), e.End.UTC().Truncate(time.Second)
	if e.End.IsZero() {
		e.End = time.Time{}
	}
	e.Platform = strings.ToLower(strings.TrimSpace(e.Platform))
	e.Kind = strings.ToLower(strings.TrimSpace(e.Kind))
	e.TargetKind = strings.ToLower(strings.TrimSpace(e.TargetKind))
	e.Title, e.Source, e.Note = strings.TrimSpace(e.Title), strings.TrimSpace(e.Source), strings.TrimSpace(e.Note)
	seen := map[string]bool{}
	var targets []string
	for _, t := range e.Targets {
		t = strings.TrimSpace(t)
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		seen[strings.ToLower(t)] = true
		targets = append(targets, t)
	}
	slices.SortFunc(targets, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	e.Targets = targets
	ids := slices.Clone(e.TargetChannelIDs)
	slices.Sort(ids)
	e.TargetChannelIDs = slices.Compact(ids)
	return e
}

// EventID is the stable id of an event: the first 16 hex digits of the SHA-256 of its time
// (UTC seconds), platform, kind and targets (lowercased, sorted). The same event recorded twice
// gets the same id; title, source and notes can be corrected without changing it.
func EventID(at time.Time, platform, kind string, targets []string) string {
	norm := make([]string, 0, len(targets))
	for _, t := range targets {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			norm = append(norm, t)
		}
	}
	slices.Sort(norm)
	norm = slices.Compact(norm)
	h := sha256.New()
	fmt.Fprintf(h, "%d\x1f%s\x1f%s", at.UTC().Unix(), strings.ToLower(strings.TrimSpace(platform)), strings.ToLower(strings.TrimSpace(kind)))
	for _, t := range norm {
		h.Write([]byte{0x1f})
		h.Write([]byte(t))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Row validates and normalizes a curated event and returns its registry row, with origin
// (OriginRegistry or OriginImport) and version = when it was recorded, so a corrected entry
// replaces the earlier one.
func Row(e Event, origin string, recorded time.Time) (schema.Event, error) {
	e = e.Normalize()
	if err := e.Validate(); err != nil {
		return schema.Event{}, err
	}
	if e.TargetKind == "" && len(e.Targets) > 0 {
		e.TargetKind = TargetAccount
	}
	return schema.Event{
		EventID:          EventID(e.At, e.Platform, e.Kind, e.Targets),
		EventAt:          e.At,
		EndAt:            e.End,
		Platform:         e.Platform,
		Kind:             e.Kind,
		TargetKind:       e.TargetKind,
		Targets:          nonNil(e.Targets),
		TargetChannelIDs: nonNilIDs(e.TargetChannelIDs),
		Title:            e.Title,
		Source:           e.Source,
		Origin:           origin,
		Note:             e.Note,
		Version:          schema.Version(recorded),
	}, nil
}

// Deleted returns the row that removes an event from the registry (deleted = 1, a newer
// version), keeping what it was for the record.
func Deleted(e schema.Event, at time.Time) schema.Event {
	e.Deleted = 1
	e.Version = schema.Version(at)
	return e
}

// Detection is a status change the collector saw on a channel.
type Detection struct {
	At        time.Time
	Platform  string
	ChannelID uint64
	Username  string
	// Kind is the channel event kind (schema.EventWentPrivate, EventBanned, EventDeleted,
	// EventUsernameFreed, EventReappeared).
	Kind string
	// Old and New are the statuses before and after.
	Old, New string
}

// Detected is the registry row of a detected status change. Its id is derived from what was
// detected ("detected:<platform>:<channel>:<kind>:<unix time>"), so a detection written again
// after a restart replaces itself, and its version is the time of the detection.
func Detected(d Detection) schema.Event {
	targets := []string{strconv.FormatUint(d.ChannelID, 10)}
	if d.Username != "" {
		targets = append(targets, "@"+d.Username)
	}
	at := d.At.UTC().Truncate(time.Second)
	return schema.Event{
		EventID:          fmt.Sprintf("detected:%s:%d:%s:%d", d.Platform, d.ChannelID, d.Kind, at.Unix()),
		EventAt:          at,
		Platform:         d.Platform,
		Kind:             d.Kind,
		TargetKind:       TargetChannel,
		Targets:          targets,
		TargetChannelIDs: []uint64{d.ChannelID},
		Title:            fmt.Sprintf("channel %d: %s", d.ChannelID, strings.ReplaceAll(d.Kind, "_", " ")),
		Source:           "tidewatch collector",
		Origin:           OriginDetected,
		Note:             strings.TrimSpace(d.Old + " -> " + d.New),
		Version:          schema.Version(at),
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilIDs(s []uint64) []uint64 {
	if s == nil {
		return []uint64{}
	}
	return s
}
