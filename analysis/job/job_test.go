package job

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/job/jobtest"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

func TestParseScope(t *testing.T) {
	cases := []struct {
		in      string
		want    Scope
		wantErr string
	}{
		{in: "", want: Scope{Kind: ScopePlatform}},
		{in: "platform", want: Scope{Kind: ScopePlatform}},
		{in: "platform:telegram,twitter", want: Scope{Kind: ScopePlatform, Values: []string{"telegram", "twitter"}}},
		{in: "channels:@a, 123", want: Scope{Kind: ScopeChannels, Values: []string{"@a", "123"}}},
		{in: "community:far-right", want: Scope{Kind: ScopeCommunity, Values: []string{"far-right"}}},
		{in: "actor:A1", want: Scope{Kind: ScopeActor, Values: []string{"A1"}}},
		{in: "community", wantErr: "--scope: \"community\" names no community"},
		{in: "channels:", wantErr: "names no channels"},
		{in: "galaxy", wantErr: "--scope: unknown scope \"galaxy\""},
	}
	for _, c := range cases {
		got, err := ParseScope(c.in)
		if c.wantErr != "" {
			require.ErrorContains(t, err, c.wantErr, c.in)
			require.True(t, IsParamError(err), c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
		back, err := ParseScope(got.String())
		require.NoError(t, err)
		require.Equal(t, got, back, "String reads back")
	}
}

func TestParamsValidate(t *testing.T) {
	d := func(s string) time.Time { v, err := ParseTime("--x", s); require.NoError(t, err); return v }
	require.NoError(t, Params{From: d("2026-01-01"), To: d("2026-02-01")}.Validate())
	for _, c := range []struct {
		p    Params
		want string
	}{
		{Params{To: d("2026-02-01")}, "--from: required"},
		{Params{From: d("2026-02-01")}, "--to: required"},
		{Params{From: d("2026-02-01"), To: d("2026-02-01")}, "--from/--to: empty range"},
		{Params{From: d("2026-03-01"), To: d("2026-02-01T10:00:00Z")}, "empty range"},
	} {
		err := c.p.Validate()
		require.ErrorContains(t, err, c.want)
		require.True(t, IsParamError(err))
	}
	_, err := ParseTime("--from", "last tuesday")
	require.ErrorContains(t, err, `--from: "last tuesday" is not a date`)
	at, err := ParseTime("--to", "2026-03-01T12:00:00+02:00")
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), at)
}

func TestFilterAll(t *testing.T) {
	f, args := Channels{All: true}.Filter()
	require.Equal(t, "1", f)
	require.Nil(t, args)
	f, args = Channels{All: true, Platforms: []string{"telegram"}}.Filter()
	require.Equal(t, "has(?, platform)", f)
	require.Equal(t, []any{[]string{"telegram"}}, args)
	_, args = Channels{Keys: []Key{{"telegram", 5}, {"twitter", 7}}}.Filter()
	require.Equal(t, []any{[]string{"telegram:5", "twitter:7"}}, args)
}

func TestRunAndScopeInClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	srv, db, wopts := jobtest.Store(t)
	ctx := context.Background()

	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	chans, err := store.NewWriter[schema.Channel](db, schema.TableChannels, wopts)
	require.NoError(t, err)
	require.NoError(t, chans.Write(ctx,
		schema.Channel{Platform: "telegram", ChannelID: 11, Username: "Alpha", LastSeenAt: at, Version: 1},
		schema.Channel{Platform: "telegram", ChannelID: 12, Username: "beta", LastSeenAt: at.Add(time.Hour), Version: 1},
		schema.Channel{Platform: "twitter", ChannelID: 11, Username: "alpha_x", LastSeenAt: at, Version: 1},
	))
	require.NoError(t, chans.Close(ctx))
	comm, err := store.NewWriter[schema.Community](db, schema.TableCommunities, wopts)
	require.NoError(t, err)
	require.NoError(t, comm.Write(ctx,
		schema.Community{Community: "c1", Platform: "telegram", ChannelID: 11, Source: "manual", AddedAt: at, Version: 1},
		schema.Community{Community: "c1", Platform: "twitter", ChannelID: 11, Source: "manual", AddedAt: at, Version: 1},
		schema.Community{Community: "c1", Platform: "telegram", ChannelID: 12, Source: "manual", AddedAt: at, Version: 1},
		// A later row removes channel 12 from c1.
		schema.Community{Community: "c1", Platform: "telegram", ChannelID: 12, Source: "manual", AddedAt: at, Removed: 1, Version: 2},
	))
	require.NoError(t, comm.Close(ctx))

	got, err := Resolve(ctx, db, Scope{Kind: ScopeCommunity, Values: []string{"c1"}})
	require.NoError(t, err)
	require.Equal(t, []Key{{"telegram", 11}, {"twitter", 11}}, got.Keys)
	got, err = Resolve(ctx, db, Scope{Kind: ScopeChannels, Values: []string{"@alpha", "12"}})
	require.NoError(t, err)
	require.Equal(t, []Key{{"telegram", 11}, {"telegram", 12}}, got.Keys)
	_, err = Resolve(ctx, db, Scope{Kind: ScopeCommunity, Values: []string{"nobody"}})
	require.ErrorContains(t, err, "--scope: community:nobody matches no stored channel")
	require.True(t, IsParamError(err))

	// The filter keeps exactly the scope's channels.
	got, err = Resolve(ctx, db, Scope{Kind: ScopeCommunity, Values: []string{"c1"}})
	require.NoError(t, err)
	cond, args := got.Filter()
	var n uint64
	require.NoError(t, db.QueryRow(ctx, "SELECT count() FROM "+db.Table(schema.TableChannels)+" FINAL WHERE "+cond, args...).Scan(&n))
	require.Equal(t, uint64(2), n)

	clock := at.Add(48 * time.Hour)
	p := Params{From: at.Add(-24 * time.Hour), To: at.Add(24 * time.Hour), Scope: Scope{Kind: ScopePlatform}}
	run, err := Start(ctx, db, "growth", p, []string{schema.TableChannels, schema.TablePosts}, Meta{
		ConfigHash: "cfg1", CodeVersion: "v-test", Now: func() time.Time { return clock }, Writer: wopts,
	})
	require.NoError(t, err)
	require.Equal(t, []schema.RunInput{
		{RunID: run.ID, InputTable: "channels", Rows: 3, Latest: at.Add(time.Hour), Version: schema.Version(clock)},
		{RunID: run.ID, InputTable: "posts", Rows: 0, Latest: time.Unix(0, 0).UTC(), Version: schema.Version(clock)},
	}, run.Inputs)
	require.Equal(t, "running", srv.Query(t, "SELECT status FROM runs FINAL WHERE run_id = '"+run.ID+"'"))
	clock = clock.Add(time.Minute)
	require.NoError(t, run.Finish(ctx, StatusOK, map[string]uint64{"fitted": 2, "skipped": 1}, nil))
	require.Equal(t, "analyze:growth\tok\tcfg1\tv-test\t['fitted','skipped']\t[2,1]\t"+p.String(),
		srv.Query(t, "SELECT job, status, config_hash, code_version, count_names, count_values, args FROM runs FINAL WHERE run_id = '"+run.ID+"'"))
	require.Equal(t, "channels\t3\nposts\t0", srv.Query(t, "SELECT input_table, rows FROM run_inputs FINAL WHERE run_id = '"+run.ID+"' ORDER BY input_table"))

	_, err = DataVersion(ctx, db, []string{"no_such_table"})
	require.ErrorContains(t, err, "no_such_table")

	// Batches: channels in key order, cut by rows and by platform.
	bs, err := Batches(ctx, db, schema.TableChannels, "1", 10)
	require.NoError(t, err)
	require.Equal(t, []Batch{{Platform: "telegram", Lo: 11, Hi: 12, Channels: 2, Rows: 2}, {Platform: "twitter", Lo: 11, Hi: 11, Channels: 1, Rows: 1}}, bs)
	bs, err = Batches(ctx, db, schema.TableChannels, "channel_id > ?", 1, uint64(0))
	require.NoError(t, err)
	require.Len(t, bs, 3)
	var n2 uint64
	cond, args = bs[1].Filter()
	require.NoError(t, db.QueryRow(ctx, "SELECT count() FROM "+db.Table(schema.TableChannels)+" WHERE "+cond, args...).Scan(&n2))
	require.Equal(t, uint64(1), n2)
	_, err = Batches(ctx, db, "no_such_table", "1", 0)
	require.ErrorContains(t, err, "no_such_table")
}

func TestPipeline(t *testing.T) {
	produce := func(n int) func(context.Context, func(int) error) error {
		return func(_ context.Context, emit func(int) error) error {
			for i := range n {
				if err := emit(i); err != nil {
					return err
				}
			}
			return nil
		}
	}
	square := func(i int) int {
		time.Sleep(time.Duration(i%3) * time.Millisecond) // results finish out of order
		return i * i
	}
	var got []int
	require.NoError(t, Pipeline(context.Background(), 4, produce(50), square, func(v int) error { got = append(got, v); return nil }))
	require.Len(t, got, 50)
	for i, v := range got {
		require.Equal(t, i*i, v, "results in emission order")
	}

	// An error of produce is returned after the results emitted before it.
	boom := errors.New("boom")
	got = nil
	err := Pipeline(context.Background(), 2, func(ctx context.Context, emit func(int) error) error {
		for i := range 5 {
			if err := emit(i); err != nil {
				return err
			}
		}
		return boom
	}, square, func(v int) error { got = append(got, v); return nil })
	require.ErrorIs(t, err, boom)
	require.Equal(t, []int{0, 1, 4, 9, 16}, got)

	// An error of use stops the producer.
	var emitted atomic.Int64
	err = Pipeline(context.Background(), 2, func(ctx context.Context, emit func(int) error) error {
		for i := range 1_000_000 {
			emitted.Add(1)
			if err := emit(i); err != nil {
				return err
			}
		}
		return nil
	}, square, func(v int) error {
		if v == 4 {
			return boom
		}
		return nil
	})
	require.ErrorIs(t, err, boom)
	require.Less(t, emitted.Load(), int64(100))

	// A cancelled context ends it.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Pipeline(ctx, 0, produce(10), square, func(int) error { return nil })
	require.ErrorIs(t, err, context.Canceled)
}

func TestEventFilter(t *testing.T) {
	es := []schema.Event{
		{EventID: "a", Kind: "takedown", Origin: schema.EventOriginRegistry},
		{EventID: "b", Kind: "attack", Origin: schema.EventOriginImport},
		{EventID: "c", Kind: "went_private", Origin: schema.EventOriginDetected},
	}
	ids := func(es []schema.Event) (out []string) {
		for _, e := range es {
			out = append(out, e.EventID)
		}
		return out
	}
	var f EventFilter
	require.NoError(t, f.Check())
	require.Equal(t, []string{"a", "b"}, ids(f.Apply(slices.Clone(es))), "detected events are left out by default")
	f = EventFilter{Kinds: []string{"attack", "went_private"}, Origins: []string{"import", "detected"}}
	require.NoError(t, f.Check())
	require.Equal(t, []string{"b", "c"}, ids(f.Apply(slices.Clone(es))))
	for _, bad := range []EventFilter{{Origins: []string{"curated"}}, {Origins: []string{}}, {Kinds: []string{""}}} {
		err := bad.Check()
		require.True(t, IsParamError(err), "%+v", bad)
	}
	err := (&EventFilter{Origins: []string{"curated"}}).Check()
	require.ErrorContains(t, err, "--event-origins")
}
