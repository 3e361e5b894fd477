package tgsim

import (
	"context"
	"testing"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/tgsim/internal/testclient"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

// Every messages.getHistory parameter reaches the world with Telegram's
// meaning, over the wire of a real client.
func TestHistoryPagingParameters(t *testing.T) {
	w := mustWorld(t)
	at := testTime(w)
	s := startSim(t, Options{World: w, Limits: Limits{Off: true}})

	// The channel with the longest history.
	var ref testclient.Ref
	best := 0
	for _, r := range activeRefs(t, w, at) {
		_, n, err := w.History(r.ID, at, world.HistoryQuery{Limit: 1})
		require.NoError(t, err)
		if n > best {
			ref, best = r, n
		}
	}
	require.Greater(t, best, 300)
	all, _, err := w.History(ref.ID, at, world.HistoryQuery{Limit: 100})
	require.NoError(t, err)
	top := all[0].ID
	mid := all[50]

	withClient(t, s, clientConfig(t, s, testPhone), func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		peer := &tg.InputPeerChannel{ChannelID: ref.ID, AccessHash: ref.Hash}
		for _, tc := range []struct {
			name  string
			req   tg.MessagesGetHistoryRequest
			check func(t *testing.T, ids []int, count int)
		}{
			{"newest first", tg.MessagesGetHistoryRequest{Limit: 10}, func(t *testing.T, ids []int, count int) {
				require.Len(t, ids, 10)
				require.Equal(t, top, ids[0])
				require.Equal(t, best, count, "the true count, not the page size")
			}},
			{"limit capped at 100", tg.MessagesGetHistoryRequest{Limit: 150}, func(t *testing.T, ids []int, _ int) {
				require.Len(t, ids, 100)
			}},
			{"offset_id is exclusive", tg.MessagesGetHistoryRequest{OffsetID: mid.ID, Limit: 5}, func(t *testing.T, ids []int, _ int) {
				require.Len(t, ids, 5)
				require.Less(t, ids[0], mid.ID)
				require.Equal(t, all[51].ID, ids[0])
			}},
			{"negative add_offset reaches newer messages", tg.MessagesGetHistoryRequest{OffsetID: mid.ID, AddOffset: -5, Limit: 10}, func(t *testing.T, ids []int, _ int) {
				// The window starts add_offset places before the first
				// message older than offset_id: offset_id itself is 4 in.
				require.Len(t, ids, 10)
				require.Equal(t, all[46].ID, ids[0])
				require.Equal(t, mid.ID, ids[4])
			}},
			{"positive add_offset skips", tg.MessagesGetHistoryRequest{AddOffset: 20, Limit: 5}, func(t *testing.T, ids []int, _ int) {
				require.Equal(t, all[20].ID, ids[0])
			}},
			{"offset_date", tg.MessagesGetHistoryRequest{OffsetDate: int(mid.Date.Unix()), Limit: 5}, func(t *testing.T, ids []int, _ int) {
				require.NotEmpty(t, ids)
				for _, id := range ids {
					require.Less(t, id, mid.ID+1)
				}
			}},
			{"max_id filters the window, exclusive", tg.MessagesGetHistoryRequest{MaxID: all[1].ID, Limit: 3}, func(t *testing.T, ids []int, _ int) {
				// As on Telegram, min_id and max_id filter the page the
				// offsets select; they do not move it.
				require.Equal(t, []int{all[2].ID}, ids)
			}},
			{"max_id with offset_id pages below it", tg.MessagesGetHistoryRequest{OffsetID: mid.ID, MaxID: all[52].ID, Limit: 5}, func(t *testing.T, ids []int, _ int) {
				require.Equal(t, []int{all[53].ID, all[54].ID, all[55].ID}, ids)
			}},
			{"min_id is exclusive", tg.MessagesGetHistoryRequest{MinID: all[10].ID, Limit: 100}, func(t *testing.T, ids []int, _ int) {
				require.Len(t, ids, 10)
				require.Equal(t, top, ids[0])
			}},
			{"min_id and max_id together", tg.MessagesGetHistoryRequest{MinID: all[20].ID, MaxID: all[10].ID, Limit: 100}, func(t *testing.T, ids []int, _ int) {
				require.Len(t, ids, 9)
			}},
			{"past the oldest", tg.MessagesGetHistoryRequest{OffsetID: 1, Limit: 100}, func(t *testing.T, ids []int, _ int) {
				require.Empty(t, ids)
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := tc.req
				req.Peer = peer
				res, err := api.MessagesGetHistory(ctx, &req)
				require.NoError(t, err)
				cm, ok := res.(*tg.MessagesChannelMessages)
				require.True(t, ok, "%T", res)
				ids := make([]int, len(cm.Messages))
				for i, m := range cm.Messages {
					ids[i] = m.GetID()
				}
				for i := 1; i < len(ids); i++ {
					require.Less(t, ids[i], ids[i-1], "newest first")
				}
				// The wire answer is the world's answer.
				q := world.HistoryQuery{OffsetID: req.OffsetID, AddOffset: req.AddOffset, Limit: req.Limit, MaxID: req.MaxID, MinID: req.MinID}
				if req.OffsetDate != 0 {
					q.OffsetDate = time.Unix(int64(req.OffsetDate), 0)
				}
				msgs, count, err := w.History(ref.ID, at, q)
				require.NoError(t, err)
				require.Equal(t, count, cm.Count)
				require.Len(t, ids, len(msgs))
				for i := range msgs {
					require.Equal(t, msgs[i].ID, ids[i])
				}
				tc.check(t, ids, cm.Count)
			})
		}
	})
}
