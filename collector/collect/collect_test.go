package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tidewatch/tidewatch/collector/collect/budget"
	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema"
)

// smallWorld builds alpha (the seed, 250 messages over three pages, 3 deleted before
// collection) forwarding from beta, linking to gamma, and mentioning delta (a group).
func smallWorld(f *fakeTG, clk *clock.Fake) {
	old := clk.Now().Add(-30 * 24 * time.Hour)
	f.add(&fakeChannel{id: 100, username: "alpha", title: "Alpha", about: "Also on https://twitter.com/alpha_news and t.me/gamma", subs: 5000})
	f.add(&fakeChannel{id: 200, username: "beta", title: "Beta", subs: 100})
	f.add(&fakeChannel{id: 300, username: "gamma", title: "Gamma", subs: 10})
	f.add(&fakeChannel{id: 400, username: "delta", title: "Delta chat", subs: 900, megagroup: true})
	for i := 0; i < 30; i++ {
		f.post(200, telegram.Message{Date: old.Add(time.Duration(i) * time.Hour), Text: "beta post"})
	}
	f.post(100, telegram.Message{Date: old, Service: true, Action: "channel_create"})
	for i := 1; i < 250; i++ {
		m := telegram.Message{Date: old.Add(time.Duration(i) * time.Hour), Text: fmt.Sprintf("post %d", i)}
		switch i % 50 {
		case 1:
			m.FwdChannelID, m.FwdPostID = 200, 3
		case 2:
			m.Text = "see https://t.me/gamma/5 and http://example.com/x?utm_source=a"
		case 3:
			m.Text = "ask @delta, join https://t.me/+AbCdEf123"
			m.Entities = []telegram.Entity{{Type: "mention", Offset: 4, Length: 6}}
		case 4:
			m.FwdFromName = "Jane Person"
		case 5, 6:
			m.GroupedID = int64(i/50+1) * 1000
			m.Media = "photo"
		}
		f.post(100, m)
	}
	f.set(100, func(ch *fakeChannel) {
		for id := 10; id <= 12; id++ {
			ch.deleted[id] = true
		}
	})
}

func newTest(t *testing.T, f *fakeTG, clk *clock.Fake, dir string, out *sink, mod func(*Options)) *Collector {
	t.Helper()
	opts := Options{
		Accounts: []Client{f.account("acc1")},
		Output:   out.output(),
		State:    StateOptions{Dir: dir},
		Scope: Scope{
			Seeds: []string{"alpha"},
			Rules: discovery.Rules{MaxDepth: 1, MinReferences: 1, MinSubscribers: 50, Via: discovery.AllRules},
		},
		Privacy: Privacy{HashKey: testKey},
		Clock:   clk,
		Run:     RunInfo{ID: "run-" + t.Name()},
	}
	noLimits(&opts)
	if mod != nil {
		mod(&opts)
	}
	c, err := New(opts)
	require.NoError(t, err)
	return c
}

func runOnce(t *testing.T, c *Collector) Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sum, err := c.Run(ctx)
	require.NoError(t, err)
	return sum
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOneShotCollectsSeedAndDiscovers(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	smallWorld(f, clk)
	out := &sink{}
	c := newTest(t, f, clk, t.TempDir(), out, nil)
	sum := runOnce(t, c)
	requireNoViolations(t, f)
	require.Equal(t, "ok", sum.Status)
	require.Equal(t, 2, sum.Channels, "alpha and beta")

	posts := out.posts.all()
	ids := postIDs(posts)
	require.Len(t, ids, 247+30, "250 - 3 deleted, plus beta's 30")
	require.Len(t, ids, len(posts), "every post written once")
	byID := map[string]schema.Post{}
	for _, p := range posts {
		byID[fmt.Sprintf("%d/%d", p.ChannelID, p.PostID)] = p
	}
	require.Equal(t, schema.KindService, byID["100/1"].Kind)
	require.Equal(t, "channel_create", byID["100/1"].ServiceAction)
	// Message i of the loop has id i+1 (id 1 is the service message).
	require.EqualValues(t, 200, byID["100/52"].FwdChannelID)
	require.EqualValues(t, 3, byID["100/52"].FwdPostID)
	require.Len(t, byID["100/55"].FwdPersonHash, 64, "hidden forward names are keyed hashes")
	require.NotContains(t, byID["100/55"].FwdPersonHash, "Jane")
	require.Equal(t, "", byID["100/53"].Text, "text is off by default")
	require.NotZero(t, byID["100/53"].TextHash)
	require.EqualValues(t, len("see https://t.me/gamma/5 and http://example.com/x?utm_source=a"), byID["100/53"].TextLength)
	require.EqualValues(t, 2, byID["100/53"].LinkCount)
	require.Equal(t, byID["100/56"].AlbumID, byID["100/57"].AlbumID)
	require.NotZero(t, byID["100/56"].AlbumID)
	require.Equal(t, "photo", byID["100/56"].PostType)
	require.Equal(t, []string{"delta"}, byID["100/54"].Mentions)

	// Links: t.me resolved to gamma (known once resolved), invites hashed, mentions kept.
	var tme, invite, mention, web int
	for _, l := range out.links.all() {
		switch {
		case l.LinkKind == "invite":
			invite++
			require.NotContains(t, l.URL, "AbCdEf123")
			require.Equal(t, "telegram", l.DestPlatform)
		case l.LinkKind == "mention":
			mention++
			require.Equal(t, "delta", l.TargetUsername)
		case l.TargetUsername == "gamma" && l.SourceKind != "about":
			tme++
			require.EqualValues(t, 5, l.TargetPostID)
		case l.RegisteredDomain == "example.com":
			web++
			require.Equal(t, "http://example.com/x", l.URL, "tracking parameters dropped")
			require.Equal(t, "web", l.DestPlatform)
		}
	}
	require.Equal(t, 5, tme)
	require.Equal(t, 5, invite)
	require.Equal(t, 5, mention)
	require.Equal(t, 5, web)

	// Discovery: seed, forward source admitted, small channel and group excluded.
	disc := map[uint64]schema.Discovery{}
	for _, d := range out.discovery.all() {
		disc[d.ChannelID] = d // the latest version
	}
	require.Equal(t, "seed", disc[100].Rule)
	require.EqualValues(t, 1, disc[100].Included)
	require.Equal(t, "forward", disc[200].Rule)
	require.EqualValues(t, 1, disc[200].Included)
	require.EqualValues(t, 1, disc[200].Depth)
	require.EqualValues(t, 5, disc[200].References)
	require.EqualValues(t, 0, disc[300].Included)
	require.Equal(t, "subscribers 10 < 50", disc[300].Reason)
	require.EqualValues(t, 0, disc[400].Included)
	require.Equal(t, "not a broadcast channel", disc[400].Reason)
	for _, d := range out.discovery.all() {
		require.Equal(t, c.ckpt.frameID, d.FrameID)
	}

	// Snapshots of all four (candidates are looked at once), account links from alpha's about.
	require.Len(t, out.snapshots.all(), 4)
	var handles []string
	for _, al := range out.accountLinks.all() {
		handles = append(handles, al.ToPlatform+":"+al.ToHandle+":"+al.Status+":"+al.Evidence)
		require.EqualValues(t, 100, al.FromChannelID)
	}
	require.Equal(t, []string{"twitter:alpha_news:proposed:handle_in_about"}, handles)

	// Completeness: three gaps explain the missing ids.
	comp := latestCompleteness(out.completeness.all())
	a := comp[100]
	require.EqualValues(t, 250, a.IDsExpected)
	require.EqualValues(t, 247, a.Stored)
	require.EqualValues(t, 3, a.Gaps)
	require.EqualValues(t, 0, a.NotFetched)
	require.EqualValues(t, 247, a.TelegramCount)
	require.EqualValues(t, 1, a.HistoryDone)

	runs := out.runs.all()
	require.Equal(t, "running", runs[0].Status)
	require.Equal(t, "ok", runs[len(runs)-1].Status)
	frames := out.frames.all()
	require.EqualValues(t, 2, frames[len(frames)-1].Channels)

	// Resolving happened once per username: the seed, and gamma and delta that were only
	// named; beta came with its access hash in the forward.
	require.Len(t, f.callsOf(telegram.MethodResolveUsername), 3)
}

// TestOneShotEndsWhileTheWorldClockRuns: a one-shot run does the work due when it started,
// and what that work discovers, even when world time races ahead while it runs (a
// simulator at high speed): it does not chase the work that falls due meanwhile.
func TestOneShotEndsWhileTheWorldClockRuns(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	smallWorld(f, clk)
	seeds := []string{"alpha"}
	for i := 1; i <= 40; i++ {
		f.add(&fakeChannel{id: int64(1000 + i), username: fmt.Sprintf("busy%d", i), title: "Busy", subs: 1000})
		for k := 0; k < 5; k++ {
			f.post(int64(1000+i), telegram.Message{Date: clk.Now().Add(-time.Duration(k) * time.Hour), Text: "old"})
		}
		seeds = append(seeds, fmt.Sprintf("busy%d", i))
	}
	// The world runs at about 100,000 times real speed and every channel posts all the time:
	// the hourly history polls of 41 channels (spread over the hour) and the counter reads
	// of new posts fall due again and again while the run goes on. Each channel posts at
	// most 85 new posts, so that its history fits one page however late (on a loaded
	// machine) its first call comes: a second call is then work that fell due later.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				clk.Advance(2 * time.Minute)
				for i := 1; i <= 40 && n < 85; i++ {
					f.post(int64(1000+i), telegram.Message{Date: clk.Now(), Text: "new"})
				}
			}
		}
	}()
	out := &sink{}
	c := newTest(t, f, clk, t.TempDir(), out, func(o *Options) { o.Scope.Seeds = seeds })
	sum := runOnce(t, c)
	require.Equal(t, "ok", sum.Status, "the run ended by itself")
	require.Equal(t, 42, sum.Channels, "the seeds and beta, the channel alpha's forwards found")
	ids := postIDs(out.posts.all())
	require.GreaterOrEqual(t, len(ids), 247+30+40*5, "every history")
	// Only the work due at the start: one page of each busy channel's history (a second
	// poll would be work that fell due later), and no counter read of a post newer than the
	// start.
	polls := map[int64]int{}
	for _, call := range f.callsOf(telegram.MethodGetHistory) {
		polls[call.Channel]++
	}
	for i := 1; i <= 40; i++ {
		require.Equal(t, 1, polls[int64(1000+i)], "history calls of busy%d", i)
	}
}

func latestCompleteness(rows []schema.Completeness) map[uint64]schema.Completeness {
	out := map[uint64]schema.Completeness{}
	for _, r := range rows {
		if r.Version >= out[r.ChannelID].Version {
			out[r.ChannelID] = r
		}
	}
	return out
}

func TestIncrementalRunsContinueWithoutGapOrDuplicate(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	smallWorld(f, clk)
	dir := t.TempDir()
	out1 := &sink{}
	runOnce(t, newTest(t, f, clk, dir, out1, nil))

	clk.Advance(2 * time.Hour)
	for i := 0; i < 130; i++ {
		f.post(100, telegram.Message{Text: "new"})
	}
	out2 := &sink{}
	runOnce(t, newTest(t, f, clk, dir, out2, nil))
	got := postIDs(out2.posts.all())
	require.Len(t, got, 130)
	require.Equal(t, "100/00251", got[0])
	require.Len(t, out2.posts.all(), 130, "no post written twice")
	require.Len(t, f.callsOf(telegram.MethodResolveUsername), 3, "no resolving on the second run")
	requireNoViolations(t, f)
}

func TestProgressIsSavedOnlyAfterTheWriterAcknowledged(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	smallWorld(f, clk)
	dir := t.TempDir()
	out1 := &sink{}
	out1.posts.setFail(errors.New("clickhouse is down"))
	c := newTest(t, f, clk, dir, out1, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.Run(ctx)
	require.ErrorContains(t, err, "clickhouse is down")
	require.Empty(t, out1.posts.ackedRows())

	// Nothing was acknowledged, so the next run fetches everything again.
	out2 := &sink{}
	runOnce(t, newTest(t, f, clk, dir, out2, nil))
	require.Len(t, postIDs(out2.posts.all()), 277)
}

func TestInterruptedSweepResumes(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	smallWorld(f, clk)
	dir := t.TempDir()
	out1 := &sink{}
	c := newTest(t, f, clk, dir, out1, func(o *Options) { o.Rates.MaxInFlight = 1 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	pages := 0
	f.onCall = func(call fakeCall) {
		if call.Method == telegram.MethodGetHistory && call.Channel == 100 {
			pages++
			if pages == 2 {
				once.Do(cancel) // interrupt after alpha's second page is on its way
			}
		}
	}
	sum, err := c.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, "interrupted", sum.Status)
	f.onCall = nil
	first := postIDs(out1.posts.all())
	require.NotEmpty(t, first)
	require.Less(t, len(first), 277)

	out2 := &sink{}
	runOnce(t, newTest(t, f, clk, dir, out2, nil))
	second := postIDs(out2.posts.all())
	all := append(append([]string(nil), first...), second...)
	sort.Strings(all)
	require.Len(t, all, 277, "no post fetched twice")
	for i := 1; i < len(all); i++ {
		require.NotEqual(t, all[i-1], all[i])
	}
	requireNoViolations(t, f)
}

func TestFloodWaitParksAndHandsOver(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	smallWorld(f, clk)
	f.flood("acc1", telegram.MethodGetHistory, time.Hour)
	dir := t.TempDir()
	out := &sink{}
	c := newTest(t, f, clk, dir, out, func(o *Options) {
		o.Accounts = []Client{f.account("acc1"), f.account("acc2")}
	})
	sum := runOnce(t, c)
	requireNoViolations(t, f)
	require.Equal(t, 1, sum.Floods)
	require.Len(t, postIDs(out.posts.all()), 277, "every post collected despite the wait")
	var acc1 int
	for _, call := range f.callsOf(telegram.MethodGetHistory) {
		if call.Account == "acc1" {
			acc1++
		}
	}
	require.Equal(t, 1, acc1, "acc1 made only the call that was refused")

	// The park is remembered: a new run 45 minutes later leaves acc1's history alone, and
	// as a one-shot run stops rather than wait 15 minutes (more than MaxWait).
	st, snap, err := state.Open(dir)
	require.NoError(t, err)
	require.Len(t, snap.Accounts["acc1"].Parks, 1)
	require.Equal(t, t0.Add(time.Hour), snap.Accounts["acc1"].Parks[0].Until)
	require.NoError(t, st.Close())

	clk.Advance(45 * time.Minute)
	f.post(100, telegram.Message{Text: "late"})
	before := len(f.callsOf(telegram.MethodGetHistory))
	out2 := &sink{}
	sum = runOnce(t, newTest(t, f, clk, dir, out2, func(o *Options) { o.Accounts = []Client{f.account("acc1")} }))
	require.Equal(t, "ok", sum.Status)
	requireNoViolations(t, f)
	for _, call := range f.callsOf(telegram.MethodGetHistory)[before:] {
		require.NotEqual(t, "acc1", call.Account, "called during its flood wait")
	}
}

// A flood wait is durable the moment it arrives: with the checkpoint's account file gone (a
// process killed before its next checkpoint never wrote it), a new run still knows the wait.
func TestFloodWaitDurableBeforeCheckpoint(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	smallWorld(f, clk)
	f.flood("acc1", telegram.MethodGetHistory, time.Hour)
	dir := t.TempDir()
	c := newTest(t, f, clk, dir, &sink{}, func(o *Options) {
		o.Accounts = []Client{f.account("acc1"), f.account("acc2")}
	})
	require.Equal(t, 1, runOnce(t, c).Floods)
	require.NoError(t, os.Remove(filepath.Join(dir, "accounts", "acc1.json")))
	st, snap, err := state.Open(dir)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	require.Len(t, snap.Accounts["acc1"].Parks, 1)
	require.Equal(t, t0.Add(time.Hour), snap.Accounts["acc1"].Parks[0].Until)
}

// A one-shot run waits out the backoff of a failed call and retries it: it does not end with
// the task left for a later run (a retry due at a later data time is past its horizon).
func TestOneShotRetriesFailedCalls(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	smallWorld(f, clk)
	f.failNext[telegram.MethodGetHistory] = 1
	out := &sink{}
	// The backoff (5 s) runs on the rate clock, real time as in production.
	sum := runOnce(t, newTest(t, f, clk, t.TempDir(), out, func(o *Options) { o.RateClock = clock.Real{} }))
	require.Equal(t, "ok", sum.Status)
	require.Len(t, postIDs(out.posts.all()), 277, "every post collected despite the failure")
}

func TestBudgetSpacesCalls(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	smallWorld(f, clk)
	out := &sink{}
	c := newTest(t, f, clk, t.TempDir(), out, func(o *Options) {
		o.Rates.Limits = DefaultLimits()
		o.Rates.Limits[telegram.MethodGetFullChannel] = budget.Limit{Rate: 2, Burst: 2}
		o.Rates.DefaultLimit = budgetLimit(1)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx)
		done <- err
	}()
	// Drive the clock: every blocked queue waits on a timer.
	for {
		select {
		case <-time.After(time.Millisecond):
			clk.Advance(50 * time.Millisecond)
			continue
		case err := <-done:
			require.NoError(t, err)
			requireNoViolations(t, f)
			calls := f.callsOf(telegram.MethodGetFullChannel)
			require.Len(t, calls, 4)
			// Two per second with a burst of two: the third and fourth wait for tokens.
			require.True(t, calls[3].At.Sub(calls[0].At) >= time.Second, "%v", calls)
			require.True(t, calls[2].At.Sub(calls[0].At) >= 500*time.Millisecond, "%v", calls)
			require.Len(t, postIDs(out.posts.all()), 277)
			return
		}
	}
}

func budgetLimit(rate float64) budget.Limit { return budget.Limit{Rate: rate, Burst: 1} }

func TestCountersAtAgesAndDeletion(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	f.add(&fakeChannel{id: 100, username: "alpha", title: "Alpha", subs: 5000})
	f.post(100, telegram.Message{Service: true, Action: "channel_create", Date: t0.Add(-time.Hour)})
	out := &sink{}
	c := newTest(t, f, clk, t.TempDir(), out, func(o *Options) {
		o.Watch = true
		o.Posts = sinkPosts{&out.posts}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx)
		done <- err
	}()
	wait := func() {
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer wcancel()
		require.NoError(t, c.WaitIdle(wctx))
	}
	wait()
	posted := []int{f.post(100, telegram.Message{Text: "one"}), f.post(100, telegram.Message{Text: "two"})}
	step := 10 * time.Minute
	for elapsed := time.Duration(0); elapsed < 8*24*time.Hour; elapsed += step {
		if elapsed == 3*time.Hour {
			// The checkpoint has stored the posts (as ClickHouse would have long before).
			require.NoError(t, c.Sync(context.Background()))
			f.set(100, func(ch *fakeChannel) { ch.deleted[posted[1]] = true })
		}
		clk.Advance(step)
		wait()
	}
	require.NoError(t, c.Sync(context.Background()))
	cancel()
	require.NoError(t, <-done)
	requireNoViolations(t, f)

	reads := map[int][]schema.PostCounters{}
	for _, r := range out.counters.all() {
		reads[int(r.PostID)] = append(reads[int(r.PostID)], r)
	}
	one := reads[posted[0]]
	require.Len(t, one, 5, "%+v", one)
	for i, age := range DefaultCounterAges() {
		r := one[i]
		require.EqualValues(t, age/time.Second, r.TargetAgeS)
		tol := c.opts.Schedule.tolerance(age)
		require.InDelta(t, float64(age/time.Second), float64(r.AgeS), float64(tol/time.Second), "age %s read at %ds", age, r.AgeS)
		require.NotZero(t, r.Views)
		require.Zero(t, r.Deleted)
	}
	two := reads[posted[1]]
	require.Len(t, two, 2, "read at 1h, then found deleted at 6h: %+v", two)
	require.EqualValues(t, 1, two[1].Deleted)
	var deleted []schema.Post
	for _, p := range out.posts.all() {
		if p.Deleted == 1 {
			deleted = append(deleted, p)
		}
	}
	require.Len(t, deleted, 1, "flushes %d, acked %d", out.posts.flushes, len(out.posts.ackedRows()))
	require.EqualValues(t, posted[1], deleted[0].PostID)
	require.Equal(t, "two", "two")
	require.NotZero(t, deleted[0].TextHash, "the deletion row keeps the stored columns")
	comp := latestCompleteness(out.completeness.all())[100]
	require.EqualValues(t, 1, comp.Deleted)
	require.EqualValues(t, 6, comp.CountersDone)
	require.EqualValues(t, 0, comp.CountersLost)
}

// sinkPosts reads posts back from a memWriter, as ClickHouse would.
type sinkPosts struct{ w *memWriter[schema.Post] }

func (s sinkPosts) Posts(_ context.Context, channel int64, ids []int) ([]schema.Post, error) {
	want := map[uint64]bool{}
	for _, id := range ids {
		want[uint64(id)] = true
	}
	latest := map[uint64]schema.Post{}
	for _, p := range s.w.ackedRows() {
		if p.ChannelID == uint64(channel) && want[p.PostID] && p.Version >= latest[p.PostID].Version {
			latest[p.PostID] = p
		}
	}
	out := make([]schema.Post, 0, len(latest))
	for _, p := range latest {
		out = append(out, p)
	}
	return out, nil
}

func TestEventsFromSnapshots(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	f.add(&fakeChannel{id: 100, username: "alpha", title: "Alpha", about: "first", subs: 5000})
	out := &sink{}
	c := newTest(t, f, clk, t.TempDir(), out, func(o *Options) { o.Watch = true })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx)
		done <- err
	}()
	wait := func() {
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer wcancel()
		require.NoError(t, c.WaitIdle(wctx))
	}
	advance := func(d time.Duration) {
		for step := 30 * time.Minute; d > 0; d -= step {
			clk.Advance(min(step, d))
			wait()
		}
	}
	wait()
	f.set(100, func(ch *fakeChannel) { ch.title, ch.about, ch.username = "Alpha News", "second", "alpha_news" })
	advance(7 * time.Hour)
	f.set(100, func(ch *fakeChannel) { ch.status = "private" })
	advance(7 * time.Hour)
	f.set(100, func(ch *fakeChannel) { ch.status = "" })
	advance(25 * time.Hour)
	require.NoError(t, c.Sync(context.Background()))
	cancel()
	require.NoError(t, <-done)
	requireNoViolations(t, f)

	var kinds []string
	for _, e := range out.events.all() {
		kinds = append(kinds, e.Kind+":"+e.OldValue+">"+e.NewValue)
	}
	require.Equal(t, []string{
		"renamed:alpha>alpha_news", "title_changed:Alpha>Alpha News", "about_changed:first>second",
		"username_freed:alpha>",
		"went_private:active>private",
		"username_freed:alpha_news>",
		"reappeared:private>active",
	}, kinds)
	var reg []string
	for _, e := range out.registry.all() {
		reg = append(reg, e.Kind)
		require.Equal(t, "detected", e.Origin)
		require.Equal(t, []uint64{100}, e.TargetChannelIDs)
	}
	require.Equal(t, []string{"username_freed", "went_private", "username_freed", "reappeared"}, reg)
}

func TestMinReferencesAndDepth(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	smallWorld(f, clk)
	// beta is forwarded 5 times, gamma linked 5 times: with 6 references needed, neither.
	out := &sink{}
	runOnce(t, newTest(t, f, clk, t.TempDir(), out, func(o *Options) {
		o.Scope.Rules = discovery.Rules{MaxDepth: 1, MinReferences: 6, Via: discovery.AllRules}
	}))
	require.Len(t, postIDs(out.posts.all()), 247)
	require.Len(t, f.callsOf(telegram.MethodGetFullChannel), 1, "candidates below the rules cost no call")

	out2 := &sink{}
	runOnce(t, newTest(t, f, clk, t.TempDir(), out2, func(o *Options) {
		o.Scope.Rules = discovery.Rules{MaxDepth: 0, MinReferences: 1, Via: discovery.AllRules}
	}))
	require.Len(t, postIDs(out2.posts.all()), 247, "depth 0 is the seeds alone")
}

func TestStateFilesAreWritten(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	smallWorld(f, clk)
	dir := t.TempDir()
	runOnce(t, newTest(t, f, clk, dir, &sink{}, nil))
	for _, name := range []string{"meta.json", "accounts/acc1.json", "journal-0.log"} {
		_, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
	}
	st, snap, err := state.Open(dir)
	require.NoError(t, err)
	defer st.Close()
	require.Equal(t, 250, snap.Channels[100].LastID)
	require.True(t, snap.Channels[100].Included)
	require.Equal(t, hashFor("acc1", 100), snap.Accounts["acc1"].Peers[100])
	require.Equal(t, hashFor("acc1", 200), snap.Accounts["acc1"].Peers[200], "learnt from the forward, no resolve")
}
