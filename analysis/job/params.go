// Package job is what every analysis job shares: its parameters (the time range and the
// scope of channels it covers), their validation, and its run record: a runs row with the
// job, parameters, configuration hash and code version, and run_inputs rows with the data
// version it read (row count and latest ingest of every input table).
//
// Jobs read ClickHouse through schema/store only and write their results through store
// writers, each row carrying the run's id, so every figure can be traced to the run, the
// parameters and the data behind it.
package job

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// ParamError is a bad parameter: Param names it as the user gave it (a flag such as
// "--from"), Msg says what is wrong. A command reports it as a usage error (exit 2) before
// anything is written.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Msg }

// IsParamError tells whether err is or wraps a ParamError.
func IsParamError(err error) bool {
	var pe *ParamError
	return errors.As(err, &pe)
}

// Scope kinds: which channels a job covers.
const (
	ScopePlatform  = "platform"  // every channel, or those of the named platforms
	ScopeChannels  = "channels"  // the named channels (@handles or numeric ids)
	ScopeCommunity = "community" // the channels labelled with the named communities
	ScopeActor     = "actor"     // the accounts of the named actors
)

// Scope is the set of channels a job covers: a kind and its values, written
// KIND[:VALUE,VALUE...] on the command line ("platform", "platform:telegram",
// "channels:@a,@b", "community:far-right", "actor:A1").
type Scope struct {
	Kind   string
	Values []string
}

// String is the scope as ParseScope reads it.
func (s Scope) String() string {
	if len(s.Values) == 0 {
		return s.Kind
	}
	return s.Kind + ":" + strings.Join(s.Values, ",")
}

// ParseScope reads a scope written KIND[:VALUE,...]; an empty string is every channel of
// every platform.
func ParseScope(s string) (Scope, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Scope{Kind: ScopePlatform}, nil
	}
	kind, rest, _ := strings.Cut(s, ":")
	var vals []string
	for v := range strings.SplitSeq(rest, ",") {
		if v = strings.TrimSpace(v); v != "" {
			vals = append(vals, v)
		}
	}
	switch kind {
	case ScopePlatform:
	case ScopeChannels, ScopeCommunity, ScopeActor:
		if len(vals) == 0 {
			return Scope{}, &ParamError{"--scope", fmt.Sprintf("%q names no %s (write %s:NAME[,NAME...])", s, kind, kind)}
		}
	default:
		return Scope{}, &ParamError{"--scope", fmt.Sprintf("unknown scope %q (want platform, channels, community or actor, optionally followed by :NAME,...)", kind)}
	}
	return Scope{Kind: kind, Values: vals}, nil
}

// Params are what every job takes: the half-open time range [From, To) and the scope.
type Params struct {
	From, To time.Time
	Scope    Scope
}

// Validate checks the range: both ends set, From before To.
func (p Params) Validate() error {
	switch {
	case p.From.IsZero():
		return &ParamError{"--from", "required"}
	case p.To.IsZero():
		return &ParamError{"--to", "required"}
	case !p.From.Before(p.To):
		return &ParamError{"--from/--to", fmt.Sprintf("empty range: --from %s is not before --to %s",
			p.From.UTC().Format(time.RFC3339), p.To.UTC().Format(time.RFC3339))}
	}
	return nil
}

// String is the parameters as stored in runs.args.
func (p Params) String() string {
	return fmt.Sprintf("--from %s --to %s --scope %s", p.From.UTC().Format(time.RFC3339), p.To.UTC().Format(time.RFC3339), p.Scope)
}

// ParseTime reads a range end: a date (2026-03-01, midnight UTC) or an RFC 3339 time.
func ParseTime(flag, s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, &ParamError{flag, fmt.Sprintf("%q is not a date (2026-03-01) or an RFC 3339 time (2026-03-01T12:00:00Z)", s)}
}

// Key is one channel of one platform.
type Key struct {
	Platform  string `ch:"platform"`
	ChannelID uint64 `ch:"channel_id"`
}

// Compare orders keys by platform, then channel id.
func (k Key) Compare(o Key) int {
	return cmp.Or(cmp.Compare(k.Platform, o.Platform), cmp.Compare(k.ChannelID, o.ChannelID))
}

// Handle is a handle as jobs compare them: trimmed, without a leading "@", lowercased.
func Handle(h string) string { return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@")) }

// Channels is a resolved scope: the channels it covers, or every channel (All) of the
// listed platforms (every platform when Platforms is empty).
type Channels struct {
	All       bool
	Platforms []string
	Keys      []Key
}

// Filter is a WHERE condition on a table with platform and channel_id columns that keeps
// the scope's channels, and its arguments.
func (c Channels) Filter() (string, []any) {
	if c.All {
		if len(c.Platforms) == 0 {
			return "1", nil
		}
		return "has(?, platform)", []any{c.Platforms}
	}
	keys := make([]string, len(c.Keys))
	for i, k := range c.Keys {
		keys[i] = k.Platform + ":" + strconv.FormatUint(k.ChannelID, 10)
	}
	return "has(?, concat(platform, ':', toString(channel_id)))", []any{keys}
}

// Resolve finds the channels of a scope in the store. A scope that names channels,
// communities or actors the store does not know is a ParamError: a job over nothing would
// write nothing and look like a result.
func Resolve(ctx context.Context, db *store.DB, s Scope) (Channels, error) {
	var (
		keys []Key
		err  error
	)
	switch s.Kind {
	case ScopePlatform, "":
		return Channels{All: true, Platforms: s.Values}, nil
	case ScopeChannels:
		var ids []uint64
		var handles []string
		for _, v := range s.Values {
			if n, perr := strconv.ParseUint(v, 10, 64); perr == nil {
				ids = append(ids, n)
			} else {
				handles = append(handles, Handle(v))
			}
		}
		if ids == nil {
			ids = []uint64{}
		}
		if handles == nil {
			handles = []string{}
		}
		keys, err = store.Select[Key](ctx, db, "SELECT platform, channel_id FROM "+db.Table(schema.TableChannels)+
			" FINAL WHERE has(?, channel_id) OR has(?, lower(username)) ORDER BY platform, channel_id", ids, handles)
	case ScopeCommunity:
		keys, err = store.Select[Key](ctx, db, "SELECT platform, channel_id FROM "+db.Table(schema.TableCommunities)+
			" FINAL WHERE has(?, community) AND removed = 0 ORDER BY platform, channel_id", s.Values)
	case ScopeActor:
		keys, err = store.Select[Key](ctx, db, "SELECT platform, channel_id FROM "+db.Table(schema.TableActorAccounts)+
			" FINAL WHERE has(?, actor_id) AND removed = 0 AND channel_id != 0 ORDER BY platform, channel_id", s.Values)
	default:
		return Channels{}, &ParamError{"--scope", fmt.Sprintf("unknown scope %q", s.Kind)}
	}
	if err != nil {
		return Channels{}, fmt.Errorf("resolve scope %s: %w", s, err)
	}
	if len(keys) == 0 {
		return Channels{}, &ParamError{"--scope", fmt.Sprintf("%s matches no stored channel", s)}
	}
	return Channels{Keys: keys}, nil
}
