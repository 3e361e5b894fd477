package budget

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

const hist = "messages.getHistory"

func TestTokenBucket(t *testing.T) {
	clk := clock.NewFake(t0)
	b := New(Options{Clock: clk, Limits: map[string]Limit{hist: {Rate: 2, Burst: 2}}})

	for i := 0; i < 2; i++ {
		ok, _ := b.Take("a", hist)
		require.True(t, ok, "burst call %d", i)
	}
	ok, at := b.Take("a", hist)
	require.False(t, ok)
	require.Equal(t, t0.Add(500*time.Millisecond), at)
	require.Equal(t, at, b.ReadyAt("a", hist))

	// Another account has its own bucket.
	ok, _ = b.Take("b", hist)
	require.True(t, ok)

	clk.Advance(500 * time.Millisecond)
	ok, _ = b.Take("a", hist)
	require.True(t, ok)

	// A quiet spell saves up no more than the burst.
	clk.Advance(time.Hour)
	for i := 0; i < 2; i++ {
		ok, _ = b.Take("a", hist)
		require.True(t, ok)
	}
	ok, _ = b.Take("a", hist)
	require.False(t, ok)
}

func TestDefaultLimitAndRefund(t *testing.T) {
	clk := clock.NewFake(t0)
	b := New(Options{Clock: clk})
	ok, _ := b.Take("a", "channels.getFullChannel")
	require.True(t, ok)
	ok, at := b.Take("a", "channels.getFullChannel")
	require.False(t, ok)
	require.Equal(t, t0.Add(time.Second), at)
	b.Refund("a", "channels.getFullChannel")
	ok, _ = b.Take("a", "channels.getFullChannel")
	require.True(t, ok)
}

func TestUnlimited(t *testing.T) {
	b := New(Options{Clock: clock.NewFake(t0), Limits: map[string]Limit{hist: {Rate: 0}}})
	for i := 0; i < 1000; i++ {
		ok, _ := b.Take("a", hist)
		require.True(t, ok)
	}
}

func TestFloodParksOnlyThatPair(t *testing.T) {
	clk := clock.NewFake(t0)
	b := New(Options{Clock: clk, Limits: map[string]Limit{hist: {Rate: 10, Burst: 1}}})
	until := b.Flood("a", hist, 30*time.Second)
	require.Equal(t, t0.Add(30*time.Second), until)

	ok, at := b.Take("a", hist)
	require.False(t, ok)
	require.Equal(t, until, at)
	require.Equal(t, until, b.ParkedUntil("a", hist))

	ok, _ = b.Take("b", hist)
	require.True(t, ok, "another account is not parked")
	ok, _ = b.Take("a", "channels.getFullChannel")
	require.True(t, ok, "another method is not parked")

	// A shorter wait never shortens a running park.
	require.Equal(t, until, b.Flood("a", hist, time.Second))

	clk.Advance(30 * time.Second)
	require.True(t, b.ParkedUntil("a", hist).IsZero())
	ok, _ = b.Take("a", hist)
	require.True(t, ok)
}

func TestFloodLowersRateAndSuccessRestoresIt(t *testing.T) {
	clk := clock.NewFake(t0)
	b := New(Options{Clock: clk, Limits: map[string]Limit{hist: {Rate: 10, Burst: 1}}, Backoff: 0.5, Floor: 0.3, RecoverEvery: 2, RecoverStep: 0.1})
	b.Flood("a", hist, 0)
	require.InDelta(t, 5, stat(t, b, "a", hist).Rate, 1e-9)
	b.Flood("a", hist, 0)
	require.InDelta(t, 3, stat(t, b, "a", hist).Rate, 1e-9, "never below the floor")

	for i := 0; i < 2; i++ {
		b.Success("a", hist)
	}
	require.InDelta(t, 4, stat(t, b, "a", hist).Rate, 1e-9)
	for i := 0; i < 100; i++ {
		b.Success("a", hist)
	}
	require.InDelta(t, 10, stat(t, b, "a", hist).Rate, 1e-9, "never above the limit")
	require.EqualValues(t, 2, stat(t, b, "a", hist).Floods)
}

func TestParksSurviveRestore(t *testing.T) {
	clk := clock.NewFake(t0)
	b := New(Options{Clock: clk})
	b.Flood("a", hist, time.Hour)
	b.Flood("b", "contacts.resolveUsername", time.Second)
	parks := b.Parks()
	require.Len(t, parks, 2)

	clk.Advance(2 * time.Second)
	b2 := New(Options{Clock: clk})
	b2.Restore(parks)
	require.Equal(t, []Park{{Account: "a", Method: hist, Until: t0.Add(time.Hour)}}, b2.Parks())
	ok, at := b2.Take("a", hist)
	require.False(t, ok)
	require.Equal(t, t0.Add(time.Hour), at)
	ok, _ = b2.Take("b", "contacts.resolveUsername")
	require.True(t, ok)
}

func TestAccountWideLimit(t *testing.T) {
	clk := clock.NewFake(t0)
	b := New(Options{Clock: clk, Default: Limit{Rate: 100, Burst: 10}, Account: Limit{Rate: 1, Burst: 2}})
	ok, _ := b.Take("a", "m1")
	require.True(t, ok)
	ok, _ = b.Take("a", "m2")
	require.True(t, ok)
	ok, at := b.Take("a", "m3")
	require.False(t, ok)
	require.Equal(t, t0.Add(time.Second), at)
	ok, _ = b.Take("b", "m3")
	require.True(t, ok)
}

func stat(t *testing.T, b *Budget, account, method string) Stat {
	t.Helper()
	for _, s := range b.Stats() {
		if s.Account == account && s.Method == method {
			return s
		}
	}
	t.Fatalf("no stat for %s %s", account, method)
	return Stat{}
}
