package job

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Events returns the registry events (deleted ones left out) that start in [from, to),
// ordered by time.
func Events(ctx context.Context, db *store.DB, from, to time.Time) ([]schema.Event, error) {
	return store.Select[schema.Event](ctx, db, "SELECT "+store.Columns[schema.Event]()+" FROM "+db.Table(schema.TableEvents)+
		" FINAL WHERE deleted = 0 AND event_at >= toDateTime(?) AND event_at < toDateTime(?) ORDER BY event_at, event_id",
		from.Unix(), to.Unix())
}

// DailyAudienceQuery selects, for the channels that cond keeps, each channel's last snapshot
// of every day in [from, to) with a non-zero audience: columns platform, channel_id, at and
// subs, ordered by channel and time. Its arguments are cond's.
func DailyAudienceQuery(db *store.DB, cond string, from, to time.Time) string {
	return fmt.Sprintf(`SELECT platform, channel_id, max(snapshot_at) AS at, argMax(subscribers, snapshot_at) AS subs
FROM %s
WHERE snapshot_at >= toDateTime(%d) AND snapshot_at < toDateTime(%d) AND subscribers > 0 AND (%s)
GROUP BY platform, channel_id, toDate(snapshot_at)
ORDER BY platform, channel_id, at`, db.Table(schema.TableChannelSnapshots), from.Unix(), to.Unix(), cond)
}

// NotForwarded is a condition on rows keyed by (platform, channel_id, post_id), such as
// post_links, that leaves out those of forwarded posts (their text is their source's): the
// forwarded posts of [from, to) of the channels cond keeps. Its arguments are cond's.
// GLOBAL: on a cluster the subquery runs once, over the Distributed posts table, and its set
// goes to every shard (a plain IN between two Distributed tables is refused there); on a
// single server it is a plain NOT IN.
func NotForwarded(db *store.DB, cond string, from, to time.Time) string {
	return fmt.Sprintf(`(platform, channel_id, post_id) GLOBAL NOT IN (SELECT platform, channel_id, post_id FROM %s
      WHERE fwd_channel_id != 0 AND posted_at >= toDateTime(%d) AND posted_at < toDateTime(%d) AND (%s))`,
		db.Table(schema.TablePosts), from.Unix(), to.Unix(), cond)
}

// Memberships maps each channel to the communities it belongs to now (the latest version
// of each membership, removed ones left out), each list sorted.
func Memberships(ctx context.Context, db *store.DB) (map[Key][]string, error) {
	type row struct {
		Community string `ch:"community"`
		Platform  string `ch:"platform"`
		ChannelID uint64 `ch:"channel_id"`
	}
	out := map[Key][]string{}
	err := store.Each(ctx, db, "SELECT community, platform, channel_id FROM "+db.Table(schema.TableCommunities)+
		" FINAL WHERE removed = 0 ORDER BY community", func(r *row) error {
		k := Key{Platform: r.Platform, ChannelID: r.ChannelID}
		out[k] = append(out[k], r.Community)
		return nil
	})
	return out, err
}

// Applies reports whether event e concerns the channel k, a member of communities: an event
// that names channels (target_channel_ids) concerns those channels; one that targets
// communities concerns their members; any other event (a platform's policy change, a
// takedown of accounts elsewhere) concerns every channel, since audiences move between
// platforms.
func Applies(e schema.Event, k Key, communities []string) bool {
	switch {
	case e.TargetKind == "community":
		for _, c := range e.Targets {
			if slices.Contains(communities, c) {
				return true
			}
		}
		return false
	case e.TargetKind == "channel" || len(e.TargetChannelIDs) > 0:
		return e.Platform == k.Platform && slices.Contains(e.TargetChannelIDs, k.ChannelID)
	}
	return true
}

// DefaultEventOrigins are the events jobs score by default: curated and imported ones, not
// the status changes the collector detected in single channels.
var DefaultEventOrigins = []string{schema.EventOriginRegistry, schema.EventOriginImport}

// EventFilter selects registry events by kind and origin. Empty Kinds keeps every kind;
// nil Origins is DefaultEventOrigins.
type EventFilter struct {
	Kinds   []string
	Origins []string
}

// Check fills in the default origins and checks the filter; a bad value is a ParamError
// naming the flag.
func (f *EventFilter) Check() error {
	if f.Origins == nil {
		f.Origins = slices.Clone(DefaultEventOrigins)
	}
	for _, o := range f.Origins {
		switch o {
		case schema.EventOriginRegistry, schema.EventOriginImport, schema.EventOriginDetected:
		default:
			return &ParamError{Param: "--event-origins", Msg: fmt.Sprintf("%q: want registry, import or detected", o)}
		}
	}
	if len(f.Origins) == 0 {
		return &ParamError{Param: "--event-origins", Msg: "empty: no event would be kept"}
	}
	for _, k := range f.Kinds {
		if k == "" {
			return &ParamError{Param: "--event-kinds", Msg: "an empty kind"}
		}
	}
	return nil
}

// Keep tells whether the filter keeps e.
func (f EventFilter) Keep(e schema.Event) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind) {
		return false
	}
	return slices.Contains(f.Origins, e.Origin) || (f.Origins == nil && slices.Contains(DefaultEventOrigins, e.Origin))
}

// Apply returns the events the filter keeps, in their order.
func (f EventFilter) Apply(es []schema.Event) []schema.Event {
	return slices.DeleteFunc(es, func(e schema.Event) bool { return !f.Keep(e) })
}
