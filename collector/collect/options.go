// Package collect is tidewatch's collection engine. It decides what to ask Telegram, when
// and on which account, and turns the answers into rows: channel snapshots and identity
// events, full then incremental histories, counters re-read at fixed post ages, links and
// cross-platform handles, and the snowball discovery of new channels with its provenance.
//
// The engine talks to Telegram through the small [Client] interface (satisfied by
// *telegram.Account) and writes through [Output] (satisfied by schema/store writers), so
// unit tests run it against fakes and integration tests against the simulator and a real
// ClickHouse.
//
// One goroutine, the dispatcher, owns all state: the channels, the schedule and the rate
// budgets. It starts each task (one Telegram call) on a worker goroutine, which calls
// Telegram, builds and writes the rows, and hands back a function that the dispatcher runs
// to update the state. Checkpoints take a copy of what changed, flush the writers, and only
// then append the copy to the durable state: progress is never recorded before the rows it
// covers were acknowledged, so a restart after kill -9 continues without a gap.
package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tidewatch/tidewatch/collector/collect/budget"
	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/privacy"
)

// Client is the part of a Telegram account the engine uses; *telegram.Account satisfies
// it. Each call is one RPC. Methods are called concurrently.
type Client interface {
	Label() string
	ResolveUsername(ctx context.Context, username string) (telegram.Peer, error)
	GetFullChannel(ctx context.Context, p telegram.Peer) (telegram.FullChannel, error)
	GetHistory(ctx context.Context, p telegram.Peer, q telegram.HistoryQuery) (telegram.HistoryPage, error)
	GetMessagesViews(ctx context.Context, p telegram.Peer, ids []int) ([]telegram.Counters, error)
	GetMessages(ctx context.Context, p telegram.Peer, ids []int) ([]*telegram.Message, error)
	GetRecommendations(ctx context.Context, p telegram.Peer) ([]telegram.ChannelInfo, error)
}

// Writer receives rows of one table. Write may buffer; Flush returns once every row
// written before it was called is stored (or safely spooled). Both are called from several
// goroutines.
type Writer[T any] interface {
	Write(ctx context.Context, rows ...T) error
	Flush(ctx context.Context) error
}

// Output holds a writer per table. Every field is required.
type Output struct {
	Channels     Writer[schema.Channel]
	Snapshots    Writer[schema.ChannelSnapshot]
	Posts        Writer[schema.Post]
	Counters     Writer[schema.PostCounters]
	Links        Writer[schema.PostLink]
	Events       Writer[schema.ChannelEvent]
	Registry     Writer[schema.Event]
	AccountLinks Writer[schema.AccountLink]
	Discovery    Writer[schema.Discovery]
	Frames       Writer[schema.SamplingFrame]
	Runs         Writer[schema.Run]
	Completeness Writer[schema.Completeness]
}

func (o Output) check() error {
	if o.Channels == nil || o.Snapshots == nil || o.Posts == nil || o.Counters == nil || o.Links == nil ||
		o.Events == nil || o.Registry == nil || o.AccountLinks == nil || o.Discovery == nil ||
		o.Frames == nil || o.Runs == nil || o.Completeness == nil {
		return errors.New("collect: every Output writer is required")
	}
	return nil
}

// flush flushes every writer at once (each waits for its own insert, so a checkpoint
// takes as long as the slowest table, not the sum); all are tried even when one fails.
func (o Output) flush(ctx context.Context) error {
	flushers := []func(context.Context) error{
		o.Posts.Flush, o.Counters.Flush, o.Links.Flush, o.Snapshots.Flush,
		o.Channels.Flush, o.Events.Flush, o.Registry.Flush, o.AccountLinks.Flush,
		o.Discovery.Flush, o.Frames.Flush, o.Completeness.Flush, o.Runs.Flush,
	}
	errs := make([]error, len(flushers))
	var wg sync.WaitGroup
	for i, f := range flushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// PostReader reads stored posts back. The engine needs it to mark a post deleted: posts is
// a ReplacingMergeTree, so the row marking the deletion must carry every column of the
// stored row or it would erase them. Without a PostReader deletions are still recorded in
// post_counters (deleted = 1) and the completeness counts, but the posts row is left as it
// was.
type PostReader interface {
	Posts(ctx context.Context, channelID int64, ids []int) ([]schema.Post, error)
}

// Recovery reads back rows stored after the last checkpoint. After a crash (kill -9) the
// durable state lags what reached ClickHouse by up to one checkpoint: snapshots taken,
// counters read and statuses detected in that time are applied from here, so the restart
// neither takes a second reading for the same counter age nor reports a change twice.
// Without it a restart after a crash may repeat those few observations.
type Recovery interface {
	SnapshotsSince(ctx context.Context, since time.Time) ([]schema.ChannelSnapshot, error)
	CountersSince(ctx context.Context, since time.Time) ([]schema.PostCounters, error)
	EventsSince(ctx context.Context, since time.Time) ([]schema.ChannelEvent, error)
	// FirstSightsSince returns when each post posted at or after postedAfter was first
	// stored, for posts stored at or after since: a page fetched again after a crash plans
	// its posts' counter reads from their first sight, as the run before the crash did.
	FirstSightsSince(ctx context.Context, since, postedAfter time.Time) ([]FirstSight, error)
}

// FirstSight is when a post was first stored (the counters_at of its first posts row).
type FirstSight struct {
	ChannelID uint64    `ch:"channel_id"`
	PostID    uint64    `ch:"post_id"`
	At        time.Time `ch:"at"`
}

// Schedule sets how often each kind of work is done.
type Schedule struct {
	// SnapshotInterval is the time between metadata snapshots (default 6h);
	// HotSnapshotInterval applies to hot channels (default 1h).
	SnapshotInterval, HotSnapshotInterval time.Duration
	// HistoryInterval is the time between incremental history polls (default 1h);
	// HotHistoryInterval applies to hot channels (default 10m).
	HistoryInterval, HotHistoryInterval time.Duration
	// GoneInterval is the time between snapshots of channels that went private, were
	// banned or deleted, to see them reappear (default 24h).
	GoneInterval time.Duration
	// RecommendInterval is the time between asking for a channel's recommendations
	// (default 7 days; only when discovery counts recommendations).
	RecommendInterval time.Duration
	// CounterAges are the post ages at which counters are re-read (default 1h, 6h, 24h,
	// 72h, 7d), ascending.
	CounterAges []time.Duration
	// CounterTolerance is the share of an age by which a read may miss it and still count
	// as on time (default 0.1: the 24h read is on time between 21.6h and 26.4h); it is at
	// least two minutes.
	CounterTolerance float64
	// HotSubscribers and HotPostsPerDay make a channel hot (defaults 100,000 and 24).
	HotSubscribers, HotPostsPerDay int
}

func (s Schedule) withDefaults() Schedule {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&s.SnapshotInterval, 6*time.Hour)
	def(&s.HotSnapshotInterval, time.Hour)
	def(&s.HistoryInterval, time.Hour)
	def(&s.HotHistoryInterval, 10*time.Minute)
	def(&s.GoneInterval, 24*time.Hour)
	def(&s.RecommendInterval, 7*24*time.Hour)
	if len(s.CounterAges) == 0 {
		s.CounterAges = DefaultCounterAges()
	}
	s.CounterAges = slices.Clone(s.CounterAges)
	slices.Sort(s.CounterAges)
	s.CounterAges = slices.Compact(s.CounterAges)
	if s.CounterTolerance <= 0 {
		s.CounterTolerance = 0.1
	}
	if s.HotSubscribers <= 0 {
		s.HotSubscribers = 100_000
	}
	if s.HotPostsPerDay <= 0 {
		s.HotPostsPerDay = 24
	}
	return s
}

// DefaultCounterAges are the post ages at which counters are re-read.
func DefaultCounterAges() []time.Duration {
	return []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour}
}

// tolerance is how far from age a read still counts as on time.
func (s Schedule) tolerance(age time.Duration) time.Duration {
	return max(2*time.Minute, time.Duration(float64(age)*s.CounterTolerance))
}

// DefaultLimits are per-account call rates. Telegram publishes no limits; these are 99% of
// the Telegram-like budgets of the simulator (collector/tgsim) with bursts no larger than
// its, so a collector alone on an account never meets a flood wait there, and the adaptive
// backoff takes care of a server that is stricter. Resolving usernames keeps a wider
// margin (90%): its waits escalate. Tune per deployment with collect.limits.
func DefaultLimits() map[string]budget.Limit {
	return map[string]budget.Limit{
		telegram.MethodResolveUsername:    {Rate: 0.45, Burst: 3},
		telegram.MethodGetHistory:         {Rate: 9.9, Burst: 10},
		telegram.MethodGetMessagesViews:   {Rate: 9.9, Burst: 10},
		telegram.MethodGetMessages:        {Rate: 4.95, Burst: 10},
		telegram.MethodGetChannels:        {Rate: 4.95, Burst: 10},
		telegram.MethodGetFullChannel:     {Rate: 1.98, Burst: 5},
		telegram.MethodGetRecommendations: {Rate: 0.45, Burst: 2},
	}
}

// Options configure a Collector. Zero fields get defaults where a default exists.
type Options struct {
	// Accounts are the logged-in accounts to collect with (at least one). Their labels must
	// differ: the durable state is kept per label.
	Accounts []Client
	// Output receives the rows. Required.
	Output Output
	// Posts reads stored posts back to mark deletions (optional, see PostReader).
	Posts PostReader
	// Recovery reads back what was stored after the last checkpoint (optional, see Recovery).
	Recovery Recovery
	// State is where the progress is kept and how often it is saved.
	State StateOptions
	// Scope is what the run collects: the sampling frame and this process's share of it.
	Scope Scope
	// Schedule sets the cadences.
	Schedule Schedule
	// Rates are the call budgets and the answers to flood waits.
	Rates Rates
	// Watch keeps the collector running; otherwise it stops when nothing is due.
	Watch bool
	// Privacy sets what the rows keep of persons and texts.
	Privacy Privacy
	// Run names this run in its rows.
	Run RunInfo
	// Clock is the time of the data (post ages, cadences, stored times): Telegram's time,
	// which against the simulator runs faster than real time. Default the wall clock.
	Clock clock.Clock
	// RateClock is the time of rate limits and flood waits, which is always real time.
	// Default Clock.
	RateClock clock.Clock
	// Logger receives progress and problems; nil is silent.
	Logger *slog.Logger
	// Registerer receives the metrics (tidewatch_collect_*); nil means none.
	Registerer prometheus.Registerer
}

// StateOptions place the durable state.
type StateOptions struct {
	// Dir holds the durable state. Required.
	Dir string
	// CheckpointInterval is the time between checkpoints (default 5s).
	CheckpointInterval time.Duration
}

// Scope is what a run collects.
type Scope struct {
	// Seeds are the usernames (without "@") the frame starts from.
	Seeds []string
	// Rules are the discovery rules (MinReferences defaults to 1).
	Rules discovery.Rules
	// Shard and Shards make this process collect only the channels whose stable hash falls
	// in shard Shard of Shards (0 <= Shard < Shards; Shards 0 or 1 means all).
	Shard, Shards int
	// Since limits the history fetched on first sight to posts from then on (zero: all).
	Since time.Time
	// SinceAge, when positive, sets Since to that long before the data's time (Clock) when
	// the collector is made.
	SinceAge time.Duration
}

// Rates are the per-account call budgets and what a flood wait does.
type Rates struct {
	// Limits are the per-account, per-method call rates (default DefaultLimits); methods
	// missing there get DefaultLimit (default 1 call per second).
	Limits       map[string]budget.Limit
	DefaultLimit budget.Limit
	// AccountLimit, when its Rate is positive, caps all calls of one account together.
	AccountLimit budget.Limit
	// MaxInFlight is the number of calls one account makes at once (default 4).
	MaxInFlight int
	// HandoffAfter: a flood wait longer than this moves the account's channels to free
	// accounts (default 2 minutes).
	HandoffAfter time.Duration
	// MaxWait: a one-shot run stops instead of waiting for flood waits longer than this
	// (default 10 minutes).
	MaxWait time.Duration
}

// Privacy sets what the rows keep of persons and texts.
type Privacy struct {
	// HashKey keys the hashes that replace persons and invite links (at least
	// privacy.MinKeyLen bytes).
	HashKey []byte
	// StoreText stores message text; its length and hash are always stored.
	StoreText bool
}

// RunInfo names a run: ID goes to every row; ConfigHash, CodeVersion and Args go to the
// runs row.
type RunInfo struct {
	ID, ConfigHash, CodeVersion, Args string
}

func (o Options) withDefaults() (Options, error) {
	if len(o.Accounts) == 0 {
		return o, errors.New("collect: at least one account is required")
	}
	seen := map[string]bool{}
	for _, a := range o.Accounts {
		if a.Label() == "" || seen[a.Label()] {
			return o, fmt.Errorf("collect: account labels must be set and differ (%q)", a.Label())
		}
		seen[a.Label()] = true
	}
	if err := o.Output.check(); err != nil {
		return o, err
	}
	if o.State.Dir == "" {
		return o, errors.New("collect: a state folder is required")
	}
	if len(o.Privacy.HashKey) < privacy.MinKeyLen {
		return o, fmt.Errorf("collect: a hash key of at least %d bytes is required (privacy.hash_key)", privacy.MinKeyLen)
	}
	sc := &o.Scope
	if sc.Rules.MinReferences == 0 {
		sc.Rules.MinReferences = 1
	}
	sc.Rules = sc.Rules.Normalize()
	if err := sc.Rules.Validate(); err != nil {
		return o, fmt.Errorf("collect: discovery rules: %w", err)
	}
	if sc.Shards < 0 || (sc.Shards > 0 && (sc.Shard < 0 || sc.Shard >= sc.Shards)) {
		return o, fmt.Errorf("collect: shard %d/%d: want 0 <= shard < shards", sc.Shard, sc.Shards)
	}
	o.Schedule = o.Schedule.withDefaults()
	r := &o.Rates
	if r.Limits == nil {
		r.Limits = DefaultLimits()
	}
	if r.MaxInFlight <= 0 {
		r.MaxInFlight = 4
	}
	if r.HandoffAfter <= 0 {
		r.HandoffAfter = 2 * time.Minute
	}
	if r.MaxWait <= 0 {
		r.MaxWait = 10 * time.Minute
	}
	if o.State.CheckpointInterval <= 0 {
		o.State.CheckpointInterval = 5 * time.Second
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.RateClock == nil {
		o.RateClock = o.Clock
	}
	if sc.SinceAge > 0 {
		sc.Since = o.Clock.Now().Add(-sc.SinceAge)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Run.ID == "" {
		o.Run.ID = fmt.Sprintf("collect-%d", o.Clock.Now().UnixNano())
	}
	return o, nil
}
