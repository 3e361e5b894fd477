package bursts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Name is the job's name in runs (analyze:bursts) and on the command line.
const Name = "bursts"

// Defaults and limits of Options.
const (
	DefaultWindow = 24 * time.Hour
	DefaultWeeks  = 4
	MaxWeeks      = 52
	// TopN is how many of the strongest bursts a Summary lists.
	TopN = 10
)

// Row statuses, as stored in bursts_channels.status and bursts_communities.status.
const (
	StatusOK      = "ok"
	StatusSkipped = "skipped"
)

// Options of a bursts run.
type Options struct {
	Params job.Params
	Meta   job.Meta
	// Window is the length of the window after each event, in whole hours from the start
	// of the event's hour, at most a week. Default DefaultWindow.
	Window time.Duration
	// Weeks is how many preceding weeks make the baseline, at least 2 (a standard
	// deviation needs two). Default DefaultWeeks.
	Weeks int
	// Events selects the registry events scored (default: every kind, origins registry and
	// import).
	Events job.EventFilter
	// Progress, when set, is called after each channel row with the count so far.
	Progress func(channels int)
}

// Burst is one scored row, as a Summary lists it: a channel (Platform, ChannelID) or a
// community (Community) after an event.
type Burst struct {
	EventID   string
	EventAt   time.Time
	EventKind string
	Platform  string
	ChannelID uint64
	Community string
	Count     float64
	Mean      float64
	Z         float64
}

// Summary is what a run did.
type Summary struct {
	RunID              string
	Status             string
	Events             int // registry events in the range
	Channels           int // channel rows (event, channel) written
	ChannelsScored     int
	ChannelsSkipped    int
	Communities        int // community rows (event, community) written
	CommunitiesScored  int
	CommunitiesSkipped int
	// TopChannels and TopCommunities are the scored rows with the highest z, at most
	// TopN each, highest first.
	TopChannels    []Burst
	TopCommunities []Burst
	Reasons        []string // why the whole run was skipped
}

// hourRow is one channel's posts in one hour (unix seconds / 3600).
type hourRow struct {
	Platform  string `ch:"platform"`
	ChannelID uint64 `ch:"channel_id"`
	Hour      uint32 `ch:"hour"`
	Posts     uint64 `ch:"posts"`
}

// spanRow is a channel's first and latest stored post.
type spanRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	First     time.Time `ch:"first"`
	Latest    time.Time `ch:"latest"`
}

type memberRow struct {
	Community string `ch:"community"`
	Platform  string `ch:"platform"`
	ChannelID uint64 `ch:"channel_id"`
}

// Run scores, for every registry event in the range, the posting of every channel in
// scope and of every community (its member channels in scope summed) in the window after
// the event against the same hours of the preceding weeks, and writes the rows, keyed by a
// new run, to bursts_channels and bursts_communities. Hourly post counts are aggregated
// in ClickHouse. A bad parameter is a job.ParamError and nothing is written; a range
// without events, or without posts around them, is a skipped run with its reason.
func Run(ctx context.Context, db *store.DB, o Options) (Summary, error) {
	if err := o.Check(); err != nil {
		return Summary{}, err
	}
	var sum Summary
	var err error
	sum.Status, sum.Reasons, err = job.Execute(ctx, db, Name, o.Params, []string{schema.TableEvents, schema.TablePosts, schema.TableCommunities}, o.Meta,
		func(scope job.Channels, runID string) (map[string]uint64, string, error) {
			sum.RunID = runID
			werr := compute(ctx, db, o, scope, runID, &sum)
			skip := ""
			switch {
			case sum.Events == 0:
				skip = "no registry events in the range (of the kinds and origins asked for)"
			case sum.Channels == 0:
				skip = "no posts of channels in scope in the windows after the events or their baseline weeks"
			}
			counts := map[string]uint64{
				"events":              uint64(sum.Events),
				"channels":            uint64(sum.Channels),
				"channels_scored":     uint64(sum.ChannelsScored),
				"channels_skipped":    uint64(sum.ChannelsSkipped),
				"communities":         uint64(sum.Communities),
				"communities_scored":  uint64(sum.CommunitiesScored),
				"communities_skipped": uint64(sum.CommunitiesSkipped),
			}
			return counts, skip, werr
		})
	return sum, err
}

func compute(ctx context.Context, db *store.DB, o Options, scope job.Channels, runID string, sum *Summary) error {
	events, err := job.Events(ctx, db, o.Params.From, o.Params.To)
	if err != nil {
		return err
	}
	events = o.Events.Apply(events)
	sum.Events = len(events)
	if len(events) == 0 {
		return nil
	}
	cond, args := scope.Filter()

	// Current memberships of the channels in scope: the latest version of each, removed
	// ones left out (argMax over versions, so unmerged replacements read right without FINAL).
	members := map[job.Key][]string{}
	err = store.Each(ctx, db, fmt.Sprintf(`SELECT community, platform, channel_id
FROM %s
WHERE (%s)
GROUP BY community, platform, channel_id
HAVING argMax(removed, version) = 0
ORDER BY community, platform, channel_id`, db.Table(schema.TableCommunities), cond), func(r *memberRow) error {
		k := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
		members[k] = append(members[k], r.Community)
		return nil
	}, args...)
	if err != nil {
		return err
	}

	// Each channel's first stored post (history) and each platform's latest (collection).
	first := map[job.Key]time.Time{}
	latest := map[string]time.Time{}
	err = store.Each(ctx, db, fmt.Sprintf(`SELECT platform, channel_id, min(posted_at) AS first, max(posted_at) AS latest
FROM %s
WHERE kind != 'service' AND (%s)
GROUP BY platform, channel_id`, db.Table(schema.TablePosts), cond), func(r *spanRow) error {
		first[job.Key{Platform: r.Platform, ChannelID: r.ChannelID}] = r.First.UTC()
		if l := r.Latest.UTC(); l.After(latest[r.Platform]) {
			latest[r.Platform] = l
		}
		return nil
	}, args...)
	if err != nil {
		return err
	}

	wopts := o.Meta.Writer
	chans, err := store.NewWriter[schema.BurstChannel](db, schema.TableBurstsChannels, wopts)
	if err != nil {
		return err
	}
	comms, err := store.NewWriter[schema.BurstCommunity](db, schema.TableBurstsCommunities, wopts)
	if err != nil {
		return errors.Join(err, chans.Close(ctx))
	}
	var top, topComm []Burst
	for _, e := range events {
		if err = event(ctx, db, o, e, cond, args, members, first, latest, runID, chans, comms, sum, &top, &topComm); err != nil {
			break
		}
	}
	cerr := errors.Join(chans.Close(ctx), comms.Close(ctx))
	sum.TopChannels, sum.TopCommunities = top, topComm
	return errors.Join(err, cerr)
}

// community gathers one community's summed hourly series for one event.
type community struct {
	hourly   []float64
	keys     []job.Key // members summed
	all      []job.Key // members with posts near the event, summed or not
	excluded int
}

func event(ctx context.Context, db *store.DB, o Options, e schema.Event, cond string, args []any,
	members map[job.Key][]string, first map[job.Key]time.Time, latest map[string]time.Time, runID string,
	chans *store.Writer[schema.BurstChannel], comms *store.Writer[schema.BurstCommunity], sum *Summary, top, topComm *[]Burst) error {
	l := NewLayout(e.EventAt, o.Window, o.Weeks)
	// Posts per channel and UTC hour (intDiv of the unix time: toStartOfHour in UTC,
	// whatever the server's time zone), only in the window and the same hours of the
	// baseline weeks. uniqExact(post_key) counts an album once and a row stored twice
	// (not yet merged) once, so no FINAL is needed.
	start := l.Start.Unix()
	q := fmt.Sprintf(`SELECT platform, channel_id, toUInt32(intDiv(toUInt32(posted_at), 3600)) AS hour, uniqExact(post_key) AS posts
FROM %s
WHERE posted_at >= toDateTime(%d) AND posted_at < toDateTime(%d)
  AND modulo(toInt64(toUInt32(posted_at)) - %d, %d) < %d
  AND kind != 'service' AND (%s)
GROUP BY platform, channel_id, hour
ORDER BY platform, channel_id, hour`, db.Table(schema.TablePosts), start, l.End.Unix(), start, int64(week/time.Second), int64(o.Window/time.Second), cond)

	comm := map[string]*community{}
	hourly := make([]float64, l.Hours)
	var (
		cur  job.Key
		have bool
	)
	flush := func() error {
		if !have {
			return nil
		}
		row, included := channelRow(cur, hourly, l, e, first[cur], latest[cur.Platform], members[cur])
		row.RunID = runID
		sum.Channels++
		if row.Status == StatusOK {
			sum.ChannelsScored++
			*top = pushTop(*top, Burst{EventID: e.EventID, EventAt: e.EventAt, EventKind: e.Kind, Platform: cur.Platform, ChannelID: cur.ChannelID,
				Count: float64(row.WindowPosts), Mean: row.BaselineMean, Z: row.Z})
		} else {
			sum.ChannelsSkipped++
		}
		for _, c := range members[cur] {
			a := comm[c]
			if a == nil {
				a = &community{hourly: make([]float64, l.Hours)}
				comm[c] = a
			}
			a.all = append(a.all, cur)
			if !included {
				a.excluded++
				continue
			}
			a.keys = append(a.keys, cur)
			for i, v := range hourly {
				a.hourly[i] += v
			}
		}
		if err := chans.Write(ctx, row); err != nil {
			return err
		}
		if o.Progress != nil {
			o.Progress(sum.Channels)
		}
		clear(hourly)
		have = false
		return nil
	}
	err := store.Each(ctx, db, q, func(r *hourRow) error {
		k := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
		if k != cur || !have {
			if err := flush(); err != nil {
				return err
			}
			cur, have = k, true
		}
		if i, ok := l.Index(int64(r.Hour)); ok {
			hourly[i] += float64(r.Posts)
		}
		return nil
	}, args...)
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	names := make([]string, 0, len(comm))
	for c := range comm {
		names = append(names, c)
	}
	slices.Sort(names)
	for _, c := range names {
		row := communityRow(c, comm[c], l, e)
		row.RunID = runID
		sum.Communities++
		if row.Status == StatusOK {
			sum.CommunitiesScored++
			*topComm = pushTop(*topComm, Burst{EventID: e.EventID, EventAt: e.EventAt, EventKind: e.Kind, Community: c,
				Count: float64(row.WindowPosts), Mean: row.BaselineMean, Z: row.Z})
		} else {
			sum.CommunitiesSkipped++
		}
		if err := comms.Write(ctx, row); err != nil {
			return err
		}
	}
	return nil
}

// channelRow scores one channel's hourly series for event e, and tells whether the
// channel goes into its communities' sums (it has the history and its window is
// collected).
func channelRow(k job.Key, hourly []float64, l Layout, e schema.Event, first, latest time.Time, communities []string) (schema.BurstChannel, bool) {
	s := ScoreSeries(hourly, l)
	row := schema.BurstChannel{
		EventID: e.EventID, EventAt: e.EventAt, EventKind: e.Kind, Platform: k.Platform, ChannelID: k.ChannelID,
		WindowStart: l.WindowStart, WindowHours: uint16(l.Window), Weeks: uint8(l.Weeks),
		WindowPosts: uint64(s.Count), BaselinePosts: counts(s.Baseline),
		BaselineMean: s.Mean, BaselineSD: s.SD, ZSD: s.ZSD, Z: s.Z, Status: StatusOK,
	}
	if job.Applies(e, k, communities) {
		row.Targeted = 1
	}
	included := false
	switch {
	case !HasHistory(first, l):
		row.Status, row.Reason = StatusSkipped, fmt.Sprintf("first post %s is after the baseline starts (%s): %d weeks of history needed",
			first.UTC().Format(time.RFC3339), l.Start.Format(time.RFC3339), l.Weeks)
	case !Collected(latest, l):
		row.Status, row.Reason = StatusSkipped, fmt.Sprintf("window not collected yet: the latest stored %s post is at %s, the window ends %s",
			k.Platform, latest.UTC().Format(time.RFC3339), l.End.Format(time.RFC3339))
	case !s.OK:
		included = true
		row.Status, row.Reason = StatusSkipped, UndefinedReason(s, l.Weeks)
	default:
		included = true
	}
	if row.Status != StatusOK {
		row.ZSD, row.Z = math.NaN(), math.NaN()
	}
	return row, included
}

// communityRow scores a community's summed series for event e.
func communityRow(name string, a *community, l Layout, e schema.Event) schema.BurstCommunity {
	row := schema.BurstCommunity{
		EventID: e.EventID, EventAt: e.EventAt, EventKind: e.Kind, Community: name,
		WindowStart: l.WindowStart, WindowHours: uint16(l.Window), Weeks: uint8(l.Weeks),
		Channels: uint32(len(a.keys)), ChannelsExcluded: uint32(a.excluded),
		BaselinePosts: []uint64{}, BaselineMean: math.NaN(), BaselineSD: math.NaN(), ZSD: math.NaN(), Z: math.NaN(),
	}
	if communityTargeted(e, name, a.all) {
		row.Targeted = 1
	}
	if len(a.keys) == 0 {
		row.Status, row.Reason = StatusSkipped, fmt.Sprintf("no member channel with %d weeks of history and a collected window", l.Weeks)
		return row
	}
	s := ScoreSeries(a.hourly, l)
	row.WindowPosts, row.BaselinePosts = uint64(s.Count), counts(s.Baseline)
	row.BaselineMean, row.BaselineSD, row.ZSD, row.Z = s.Mean, s.SD, s.ZSD, s.Z
	row.Status = StatusOK
	if !s.OK {
		row.Status, row.Reason = StatusSkipped, UndefinedReason(s, l.Weeks)
	}
	return row
}

// communityTargeted reports whether event e concerns community name: an event that
// targets communities concerns those it names; one that names channels concerns the
// communities of those channels (members, the community's channels near the event); any
// other concerns every community, as job.Applies has it for channels.
func communityTargeted(e schema.Event, name string, members []job.Key) bool {
	if e.TargetKind == "community" {
		return slices.Contains(e.Targets, name)
	}
	for _, k := range members {
		if job.Applies(e, k, []string{name}) {
			return true
		}
	}
	return false
}

func counts(v []float64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = uint64(x)
	}
	return out
}

// pushTop adds b to the list of the strongest bursts, keeping at most TopN, highest z
// first (ties by event, then channel or community, so the order is stable).
func pushTop(top []Burst, b Burst) []Burst {
	top = append(top, b)
	slices.SortStableFunc(top, func(x, y Burst) int {
		return cmp.Or(cmp.Compare(y.Z, x.Z), cmp.Compare(x.EventID, y.EventID), cmp.Compare(x.Platform, y.Platform),
			cmp.Compare(x.ChannelID, y.ChannelID), cmp.Compare(x.Community, y.Community))
	})
	if len(top) > TopN {
		top = top[:TopN]
	}
	return top
}

// Check fills in the defaults and checks the options; a bad one is a job.ParamError. Run
// calls it; a caller running several jobs calls it first for all of them.
func (o *Options) Check() error {
	if err := o.Params.Validate(); err != nil {
		return err
	}
	if err := o.Events.Check(); err != nil {
		return err
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.Weeks == 0 {
		o.Weeks = DefaultWeeks
	}
	if o.Window < time.Hour || o.Window > week || o.Window%time.Hour != 0 {
		return &job.ParamError{Param: "--window", Msg: fmt.Sprintf("%s: want whole hours, from 1h to 168h (the baseline is the same hours of earlier weeks)", o.Window)}
	}
	if o.Weeks < 2 || o.Weeks > MaxWeeks {
		return &job.ParamError{Param: "--weeks", Msg: fmt.Sprintf("%d: want 2 to %d (a standard deviation needs at least 2 baseline weeks)", o.Weeks, MaxWeeks)}
	}
	return nil
}
