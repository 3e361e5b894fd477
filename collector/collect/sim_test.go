package collect_test

import (
	"context"
	"crypto/rsa"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/collect"
	"github.com/tidewatch/tidewatch/collector/collect/budget"
	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/collector/tgsim"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// The integration tests run the engine with the real Telegram client against the
// simulated Telegram, writing into a real ClickHouse, and compare what was stored with
// the simulated world's ground truth.

const testAPIHash = "0123456789abcdef0123456789abcdef"

var hashKey = []byte("integration-test-hash-key")

// simEnv is a running simulator, ClickHouse and logged-in accounts.
type simEnv struct {
	w      *world.World
	srv    *tgsim.Server
	ch     *chtest.Server
	db     *store.DB
	accs   []collect.Client
	dir    string
	start  time.Time
	worldT time.Time
	// flushEvery is the writers' flush interval (store's default when zero).
	flushEvery time.Duration
	// simPID is the simulator's process when it runs in a child (srv is nil then).
	simPID int
}

type codePrompt struct{}

func (codePrompt) Code(context.Context) (string, error)     { return "22222", nil }
func (codePrompt) Password(context.Context) (string, error) { return "", telegram.ErrPasswordRequired }

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test with the simulated Telegram and ClickHouse")
	}
}

// newSimEnv serves world w frozen at start, with limits, and logs in n accounts.
func newSimEnv(t *testing.T, w *world.World, start time.Time, limits tgsim.Limits, n int) *simEnv {
	t.Helper()
	return newSimEnvTB(t, w, start, limits, n)
}

func newSimEnvTB(t testing.TB, w *world.World, start time.Time, limits tgsim.Limits, n int) *simEnv {
	t.Helper()
	srv, err := tgsim.New(tgsim.Options{World: w, Clock: tgsim.Clock{Start: start, Speed: 1e-9}, Limits: limits})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, srv.Start(ctx, "127.0.0.1:0"))
	t.Cleanup(func() {
		cancel()
		require.NoError(t, srv.Close())
	})
	e := &simEnv{w: w, srv: srv, dir: t.TempDir(), start: start, worldT: start, flushEvery: 200 * time.Millisecond}
	for i := 0; i < n; i++ {
		e.accs = append(e.accs, e.dial(t, fmt.Sprintf("acc%d", i+1), fmt.Sprintf("+99966210%02d", i+1)))
	}
	e.ch = chtest.Migrated(t)
	dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
	defer dcancel()
	e.db, err = store.Open(dctx, store.Options{Addr: []string{e.ch.Addr()}, Database: e.ch.Database})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.db.Close()) })
	return e
}

func (e *simEnv) dial(t testing.TB, label, phone string) *telegram.Account {
	t.Helper()
	co := e.srv.ClientOptions()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acc, err := telegram.Dial(ctx, telegram.Options{
		APIID: 17, APIHash: testAPIHash, Phone: phone, Label: label,
		SessionDir: filepath.Join(e.dir, "sessions"), DC: co.DC, DCAddr: co.Addr,
		PublicKeys: []*rsa.PublicKey{co.Key},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = acc.Close() })
	require.NoError(t, acc.Login(ctx, codePrompt{}))
	return acc
}

// setTime moves the world (and the engine's fake clock) to t.
func (e *simEnv) setTime(clk *clock.Fake, t time.Time) {
	e.srv.SetWorldTime(t, 1e-9)
	clk.Set(t)
	e.worldT = t
}

// seedsAt picks n channels active at t with a username and a history.
func seedsAt(t testing.TB, w *world.World, at time.Time, n int) []string {
	t.Helper()
	var out []string
	for _, id := range w.ChannelIDs() {
		hash, _ := w.AccessHash(id)
		v, err := w.Channel(id, hash, at)
		if err != nil || v.Username == "" {
			continue
		}
		if _, count, err := w.History(id, at, world.HistoryQuery{Limit: 1}); err != nil || count < 20 {
			continue
		}
		out = append(out, v.Username)
		if len(out) == n {
			break
		}
	}
	require.Len(t, out, n)
	return out
}

// runner runs a collector in the background.
type runner struct {
	c    *collect.Collector
	out  *collect.StoreOutput
	stop context.CancelFunc
	done chan struct{}
	sum  collect.Summary
	err  error
}

func (e *simEnv) startCollector(t testing.TB, clk *clock.Fake, state string, mod func(*collect.Options)) *runner {
	t.Helper()
	out, err := collect.OpenOutput(e.db, store.WriterOptions{SpoolDir: filepath.Join(e.dir, "spool"), FlushInterval: e.flushEvery})
	require.NoError(t, err)
	opts := collect.Options{
		Accounts: e.accs, Output: out.Output, Posts: collect.StoreReader{DB: e.db}, Recovery: collect.StoreReader{DB: e.db},
		State: collect.StateOptions{Dir: state, CheckpointInterval: time.Second}, Privacy: collect.Privacy{HashKey: hashKey},
		Clock: clk, RateClock: clock.Real{}, Watch: true,
	}
	if mod != nil {
		mod(&opts)
	}
	c, err := collect.New(opts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{c: c, out: out, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.sum, r.err = c.Run(ctx)
	}()
	return r
}

// finish stops the collector gracefully and flushes its writers.
func (r *runner) finish(t testing.TB) collect.Summary {
	t.Helper()
	r.stop()
	<-r.done
	require.NoError(t, r.err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, r.out.Close(ctx))
	return r.sum
}

func (r *runner) idle(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	require.NoError(t, r.c.WaitIdle(ctx))
}

// step advances the world from its current time to until in steps, waiting each time
// until the collector has done what is due.
func (e *simEnv) step(t testing.TB, clk *clock.Fake, r *runner, until time.Time, step time.Duration) {
	t.Helper()
	began := time.Now()
	r.idle(t)
	t.Logf("first pass: %s", time.Since(began).Round(time.Millisecond))
	began = time.Now()
	n := 0
	for e.worldT.Before(until) {
		e.setTime(clk, minTime(e.worldT.Add(step), until))
		r.idle(t)
		n++
	}
	if n > 0 {
		t.Logf("%d steps of %s: %s each", n, step, (time.Since(began) / time.Duration(n)).Round(time.Millisecond))
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// query reads rows of T from ClickHouse.
func query[T any](t testing.TB, e *simEnv, q string) []T {
	t.Helper()
	out, err := store.Select[T](context.Background(), e.db, q)
	require.NoError(t, err)
	return out
}

type postKey struct {
	Channel int64
	ID      int
}

// requireTextLength checks the stored text length of post k against the world: Telegram's
// length in UTF-16 code units, the truth's for a post and the action's title for a service
// message (whose text the collector takes from its action). It reports whether the text's
// UTF-16 length differs from its number of code points (a character outside the BMP).
func requireTextLength(t testing.TB, w *world.World, k postKey, tp world.TruthPost, postedAt time.Time, got uint32) bool {
	t.Helper()
	msgs, err := w.MessagesByID(k.Channel, postedAt, []int{k.ID})
	require.NoError(t, err, "post %v in the world at %s", k, postedAt)
	require.NotNil(t, msgs[0], "post %v visible when posted", k)
	text := msgs[0].Text
	units := len(utf16.Encode([]rune(text)))
	if !tp.Service {
		require.EqualValues(t, tp.TextLength, got, "%v text length against the truth", k)
	}
	require.EqualValues(t, units, got, "%v text length in UTF-16 code units of %q", k, text)
	return units != utf8.RuneCountInString(text)
}

// truthRun is one collection of a simulated world compared with its truth.
type truthRun struct {
	channels int
	seed     int64
	seeds    int
	days     int
	step     time.Duration
	depth    int
}

func TestSimulatedWorldMatchesTruth(t *testing.T) {
	skipShort(t)
	collectAndCompare(t, truthRun{channels: 50, seed: 11, seeds: 5, days: 3, step: 10 * time.Minute, depth: 2})
}

// BenchmarkWorldMatchesTruth1000Channels30Days is the full-size comparison: a 1,000-channel
// world collected for 30 simulated days with discovery from 20 seeds. It takes many minutes,
// so it runs with the benchmarks (go test -run '^$' -bench WorldMatchesTruth -benchtime 1x).
func BenchmarkWorldMatchesTruth1000Channels30Days(b *testing.B) {
	collectAndCompare(b, truthRun{channels: 1000, seed: 17, seeds: 20, days: 30, step: 30 * time.Minute, depth: 2})
}

// collectAndCompare collects a world with the real client against the simulator into
// ClickHouse, stepping the world's clock, and compares everything stored with the truth.
func collectAndCompare(t testing.TB, run truthRun) {
	t.Helper()
	began := time.Now()
	w, err := world.Generate(world.DefaultSpec(run.channels), run.seed)
	require.NoError(t, err)
	start := w.Start().Add(12 * 24 * time.Hour)
	end := start.Add(time.Duration(run.days) * 24 * time.Hour)
	e := newSimEnvTB(t, w, start, tgsim.Limits{Off: true}, 2)
	clk := clock.NewFake(start)
	seeds := seedsAt(t, w, start, run.seeds)
	rules := discovery.Rules{MaxDepth: run.depth, MinReferences: 2, Via: discovery.AllRules}
	r := e.startCollector(t, clk, filepath.Join(e.dir, "state"), func(o *collect.Options) {
		o.Scope.Seeds = seeds
		o.Scope.Rules = rules
		// The sim's limits are off: this test is about what is stored, not about pacing.
		o.Rates.Limits = map[string]budget.Limit{}
		o.Rates.DefaultLimit = budget.Limit{Rate: -1, Burst: 1}
	})
	stepSize := run.step
	e.step(t, clk, r, end, stepSize)
	sum := r.finish(t)
	require.Equal(t, "interrupted", sum.Status, "a watch run ends by interruption")
	t.Logf("collected %d simulated days in %s", run.days, time.Since(began).Round(time.Second))

	// Ethics: never joined, never listed members.
	for _, m := range []string{"channels.joinChannel", "channels.getParticipants", "messages.importChatInvite", "channels.getParticipant"} {
		require.Zero(t, e.srv.CallCount(m), m)
	}

	db := e.db.Database()
	type frameRow struct {
		ChannelID uint64 `ch:"channel_id"`
		Username  string `ch:"username"`
		Depth     uint8  `ch:"depth"`
		Rule      string `ch:"rule"`
	}
	frame := query[frameRow](t, e, fmt.Sprintf("SELECT channel_id, username, depth, rule FROM %s.discovery FINAL WHERE included = 1", db))
	included := map[int64]bool{}
	for _, f := range frame {
		included[int64(f.ChannelID)] = true
		require.LessOrEqual(t, int(f.Depth), rules.MaxDepth)
	}
	for _, s := range seeds {
		found := false
		for _, f := range frame {
			found = found || (f.Rule == "seed" && strings.EqualFold(f.Username, s))
		}
		require.True(t, found, "seed %s in the frame", s)
	}
	require.Greater(t, len(included), len(seeds), "discovery found channels")
	t.Logf("frame: %d channels from %d seeds", len(included), len(seeds))

	ids := make([]int64, 0, len(included))
	for id := range included {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ages := collect.DefaultCounterAges()
	tr, err := w.Truth(world.TruthOptions{Until: end, CounterAges: ages, Channels: ids})
	require.NoError(t, err)
	statusAt := func(id int64, at time.Time) world.Status {
		for _, c := range tr.Channels {
			if c.ID == id {
				st := world.Status(0)
				for _, s := range c.Statuses {
					if !s.From.After(at) {
						st = s.Status
					}
				}
				return st
			}
		}
		return 0
	}

	// Posts: every post visible at the end (posted at least two history intervals before
	// it) is stored, and everything stored is a world post with the same facts.
	type postRow struct {
		ChannelID    uint64    `ch:"channel_id"`
		PostID       uint64    `ch:"post_id"`
		PostedAt     time.Time `ch:"posted_at"`
		Kind         string    `ch:"kind"`
		AlbumID      uint64    `ch:"album_id"`
		FwdChannelID uint64    `ch:"fwd_channel_id"`
		FwdPostID    uint64    `ch:"fwd_post_id"`
		MediaType    string    `ch:"media_type"`
		Deleted      uint8     `ch:"deleted"`
		TextLength   uint32    `ch:"text_length"`
		CountersAt   time.Time `ch:"counters_at"`
	}
	posts := query[postRow](t, e, fmt.Sprintf("SELECT channel_id, post_id, posted_at, kind, album_id, fwd_channel_id, fwd_post_id, media_type, deleted, text_length, counters_at FROM %s.posts FINAL", db))
	stored := map[postKey]postRow{}
	for _, p := range posts {
		stored[postKey{int64(p.ChannelID), int(p.PostID)}] = p
	}
	truthPosts := map[postKey]world.TruthPost{}
	missing := 0
	for _, p := range tr.Posts {
		k := postKey{p.Channel, p.ID}
		truthPosts[k] = p
		if p.Date.After(end.Add(-2*time.Hour)) || statusAt(p.Channel, end) != world.StatusActive {
			continue
		}
		if p.Deleted != nil {
			continue
		}
		if _, ok := stored[k]; !ok {
			missing++
			if missing < 5 {
				t.Errorf("post %d/%d (%s) not stored", p.Channel, p.ID, p.Date)
			}
		}
	}
	require.Zero(t, missing, "posts missing")
	unequal := 0
	for k, p := range stored {
		tp, ok := truthPosts[k]
		require.True(t, ok, "stored post %v is not in the world", k)
		require.Equal(t, tp.Date.UTC(), p.PostedAt.UTC(), "%v date", k)
		require.Equal(t, tp.Service, p.Kind == schema.KindService, "%v kind", k)
		require.EqualValues(t, tp.GroupedID, p.AlbumID, "%v album", k)
		require.EqualValues(t, tp.FwdChannel, p.FwdChannelID, "%v forward", k)
		require.EqualValues(t, tp.FwdPost, p.FwdPostID, "%v forward post", k)
		if !tp.Service {
			require.Equal(t, tp.Media, p.MediaType, "%v media", k)
		}
		if p.Deleted == 1 {
			require.NotNil(t, tp.Deleted, "%v marked deleted but never deleted", k)
		}
		if requireTextLength(t, w, k, tp, p.PostedAt, p.TextLength) {
			unequal++
		}
	}
	require.Positive(t, unequal, "posts whose UTF-16 length differs from their count of code points")
	t.Logf("posts: %d stored, %d with lengths that differ by unit", len(stored), unequal)

	// Counters: each read equals the world's counters at the time of the read, and each post
	// seen in time has its reads at every age the window reached, within tolerance plus a step.
	type counterRow struct {
		ChannelID  uint64    `ch:"channel_id"`
		PostID     uint64    `ch:"post_id"`
		ReadAt     time.Time `ch:"read_at"`
		AgeS       uint32    `ch:"age_s"`
		TargetAgeS uint32    `ch:"target_age_s"`
		Views      uint64    `ch:"views"`
		Forwards   uint64    `ch:"forwards"`
		Replies    uint64    `ch:"replies"`
		Deleted    uint8     `ch:"deleted"`
	}
	reads := query[counterRow](t, e, fmt.Sprintf("SELECT channel_id, post_id, read_at, age_s, target_age_s, views, forwards, replies, deleted FROM %s.post_counters FINAL", db))
	require.NotEmpty(t, reads)
	byPostAge := map[postKey]map[uint32]counterRow{}
	checked := 0
	for _, rd := range reads {
		k := postKey{int64(rd.ChannelID), int(rd.PostID)}
		if byPostAge[k] == nil {
			byPostAge[k] = map[uint32]counterRow{}
		}
		_, dup := byPostAge[k][rd.TargetAgeS]
		require.False(t, dup, "%v read twice at age %ds", k, rd.TargetAgeS)
		byPostAge[k][rd.TargetAgeS] = rd
		if rd.Deleted == 1 {
			continue
		}
		msgs, err := w.MessagesByID(k.Channel, rd.ReadAt, []int{k.ID})
		if err != nil || msgs[0] == nil {
			continue // gone by then: the read came from the moment before
		}
		m := msgs[0]
		require.EqualValues(t, m.Views, rd.Views, "%v views at %s", k, rd.ReadAt)
		require.EqualValues(t, m.Forwards, rd.Forwards, "%v forwards at %s", k, rd.ReadAt)
		require.EqualValues(t, m.Replies, rd.Replies, "%v replies at %s", k, rd.ReadAt)
		checked++
	}
	onSchedule := 0
	for k, p := range stored {
		if p.Kind == schema.KindService || p.PostedAt.Before(start) || p.Deleted == 1 {
			continue
		}
		tp := truthPosts[k]
		for _, age := range ages {
			due := p.PostedAt.Add(age)
			if due.After(end.Add(-stepSize)) || (tp.Deleted != nil && !tp.Deleted.After(due.Add(time.Hour))) {
				continue
			}
			// A post first seen (counters_at of its first fetch) after an age's tolerance has
			// missed that age; the completeness table counts it, nothing can be read.
			if p.CountersAt.Sub(p.PostedAt) > age+max(2*time.Minute, age/10) {
				continue
			}
			if statusAt(k.Channel, due) != world.StatusActive || statusAt(k.Channel, end) != world.StatusActive {
				continue
			}
			rd, ok := byPostAge[k][uint32(age/time.Second)]
			require.True(t, ok, "%v has no read at %s (posted %s)", k, age, p.PostedAt)
			tol := max(2*time.Minute, age/10) + stepSize
			require.InDelta(t, age.Seconds(), float64(rd.AgeS), tol.Seconds(), "%v read at %ds for %s", k, rd.AgeS, age)
			onSchedule++
		}
	}
	t.Logf("counters: %d reads checked against the world, %d scheduled reads on time", checked, onSchedule)
	require.Greater(t, onSchedule, 50)

	// Snapshots equal the world's view at their time.
	type snapRow struct {
		ChannelID   uint64    `ch:"channel_id"`
		SnapshotAt  time.Time `ch:"snapshot_at"`
		Username    string    `ch:"username"`
		Title       string    `ch:"title"`
		About       string    `ch:"about"`
		Subscribers uint64    `ch:"subscribers"`
	}
	snaps := query[snapRow](t, e, fmt.Sprintf("SELECT channel_id, snapshot_at, username, title, about, subscribers FROM %s.channel_snapshots FINAL", db))
	require.NotEmpty(t, snaps)
	for _, s := range snaps {
		hash, _ := w.AccessHash(int64(s.ChannelID))
		v, err := w.Channel(int64(s.ChannelID), hash, s.SnapshotAt)
		require.NoError(t, err, "snapshot of %d at %s", s.ChannelID, s.SnapshotAt)
		require.Equal(t, strings.ToLower(v.Username), s.Username)
		require.Equal(t, v.Title, s.Title)
		require.Equal(t, v.About, s.About)
		require.EqualValues(t, v.Subscribers, s.Subscribers, "subscribers of %d at %s", s.ChannelID, s.SnapshotAt)
	}

	// Events: every identity or status change of a channel in the frame, after it was first
	// seen and early enough for a snapshot to notice, was detected in time.
	type eventRow struct {
		ChannelID uint64    `ch:"channel_id"`
		EventAt   time.Time `ch:"event_at"`
		Kind      string    `ch:"kind"`
		OldValue  string    `ch:"old_value"`
		NewValue  string    `ch:"new_value"`
	}
	evs := query[eventRow](t, e, fmt.Sprintf("SELECT channel_id, event_at, kind, old_value, new_value FROM %s.channel_events FINAL", db))
	firstSnap := map[int64]time.Time{}
	for _, s := range snaps {
		if f, ok := firstSnap[int64(s.ChannelID)]; !ok || s.SnapshotAt.Before(f) {
			firstSnap[int64(s.ChannelID)] = s.SnapshotAt
		}
	}
	kindOf := map[string]string{
		world.TruthRenamed: schema.EventRenamed, world.TruthTitleChanged: schema.EventTitleChanged,
		world.TruthAboutChanged: schema.EventAboutChanged, world.TruthWentPrivate: schema.EventWentPrivate,
		world.TruthBanned: schema.EventWentPrivate, world.TruthDeleted: schema.EventWentPrivate,
	}
	expected := 0
	for _, te := range tr.Events {
		kind, ok := kindOf[te.Kind]
		first, seen := firstSnap[te.Channel]
		if !ok || !seen || !te.At.After(first) || te.At.After(end.Add(-7*time.Hour)) {
			continue
		}
		if te.Old == te.New && te.Old != "" {
			continue // a change to the same value leaves nothing to see
		}
		expected++
		found := false
		for _, ev := range evs {
			if int64(ev.ChannelID) == te.Channel && ev.Kind == kind && !ev.EventAt.Before(te.At) &&
				ev.EventAt.Before(te.At.Add(6*time.Hour+stepSize)) {
				found = true
			}
		}
		require.True(t, found, "truth event %+v not detected", te)
	}
	t.Logf("events: %d expected detected, %d stored", expected, len(evs))

	// Links: each planted link of a stored post is there with its platform; invites hashed.
	type linkRow struct {
		ChannelID    uint64 `ch:"channel_id"`
		PostID       uint64 `ch:"post_id"`
		URL          string `ch:"url"`
		LinkKind     string `ch:"link_kind"`
		DestPlatform string `ch:"dest_platform"`
	}
	links := query[linkRow](t, e, fmt.Sprintf("SELECT channel_id, post_id, url, link_kind, dest_platform FROM %s.post_links FINAL WHERE link_kind != 'mention'", db))
	have := map[postKey][]linkRow{}
	for _, l := range links {
		k := postKey{int64(l.ChannelID), int(l.PostID)}
		have[k] = append(have[k], l)
		if l.LinkKind == "invite" {
			require.True(t, strings.HasPrefix(l.URL, "tg-invite:"), l.URL)
		}
	}
	planted := 0
	for _, pl := range tr.Links {
		k := postKey{pl.Channel, pl.Post}
		if _, ok := stored[k]; !ok {
			continue
		}
		planted++
		found := false
		for _, l := range have[k] {
			if pl.Invite {
				found = found || l.LinkKind == "invite"
			} else {
				found = found || l.DestPlatform == pl.Platform
			}
		}
		require.True(t, found, "planted link %+v missing (have %+v)", pl, have[k])
	}
	t.Logf("links: %d planted links found", planted)

	// Completeness explains every id.
	require.Equal(t, "0", e.ch.Query(t, "SELECT count() FROM channel_completeness WHERE included = 1 AND unexplained != 0"))
}
