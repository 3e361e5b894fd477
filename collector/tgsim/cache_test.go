package tgsim

import (
	"context"
	"testing"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/stretchr/testify/require"
)

func TestPageCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newPageCache(1000)
	page := func(n int) rawObject { return make(rawObject, n) }
	c.put(historyKey{channel: 9}, page(251), "too big")
	_, _, ok := c.get(historyKey{channel: 9})
	require.False(t, ok, "a page over a quarter of the cache is not kept")
	for ch := int64(1); ch <= 4; ch++ {
		c.put(historyKey{channel: ch}, page(250), "p")
	}
	_, _, ok = c.get(historyKey{channel: 1}) // 1 is now the most recently used
	require.True(t, ok)
	c.put(historyKey{channel: 5}, page(250), "five") // evicts 2, the least recently used
	_, _, ok = c.get(historyKey{channel: 2})
	require.False(t, ok)
	for _, ch := range []int64{1, 3, 4, 5} {
		_, _, ok := c.get(historyKey{channel: ch})
		require.True(t, ok, ch)
	}
	_, summary, _ := c.get(historyKey{channel: 5})
	require.Equal(t, "five", summary)
	require.Equal(t, 1000, c.size)

	off := newPageCache(0)
	off.put(historyKey{channel: 1}, page(10), "x")
	_, _, ok = off.get(historyKey{channel: 1})
	require.False(t, ok)
}

// With the cache on, a page asked for again within one bucket is the same
// bytes, served without the world.
func TestCachedPagesOverTheWire(t *testing.T) {
	w := mustWorld(t)
	s := startSim(t, Options{World: w, Limits: Limits{Off: true}, CacheBytes: 1 << 20})
	ref := activeRefs(t, w, testTime(w))[0]
	withClient(t, s, clientConfig(t, s, testPhone), func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		var pages [2][]byte
		for i := range pages {
			res, err := api.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{
				Peer: &tg.InputPeerChannel{ChannelID: ref.ID, AccessHash: ref.Hash}, Limit: 100,
			})
			require.NoError(t, err)
			var b bin.Buffer
			require.NoError(t, res.Encode(&b))
			pages[i] = b.Buf
		}
		require.Equal(t, pages[0], pages[1])
	})
	hits, misses := s.cache.stats()
	require.Equal(t, int64(1), hits)
	require.Equal(t, int64(1), misses)
	calls := s.Calls()
	require.Equal(t, calls[len(calls)-1].Result, calls[len(calls)-2].Result)
}
