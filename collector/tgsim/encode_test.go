package tgsim

import (
	"testing"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

// The streamed encoding of a page must be byte for byte what gotd encodes
// from the same messages built as separate objects: the scratch structs are
// reused across messages, and a field left over from the previous message
// would show here.
func TestStreamEncodingMatchesGotd(t *testing.T) {
	w := mustWorld(t)
	at := testTime(w)
	s, err := New(Options{World: w})
	require.NoError(t, err)
	pages := 0
	for _, ref := range activeRefs(t, w, at) {
		v, err := w.Channel(ref.ID, ref.Hash, at)
		require.NoError(t, err)
		offset := 0
		for {
			msgs, count, err := w.History(ref.ID, at, world.HistoryQuery{OffsetID: offset, Limit: 100})
			require.NoError(t, err)
			if len(msgs) == 0 {
				break
			}
			pages++
			chats := s.chatsFor(v, msgs, at)
			peer := &tg.PeerChannel{ChannelID: ref.ID}

			var streamed bin.Buffer
			require.NoError(t, encodeChannelMessages(&streamed, newMsgScratch(), peer, v.LinkedChatID, msgs, count, msgs[0].ID, chats, 2))

			want := &tg.MessagesChannelMessages{Pts: msgs[0].ID, Count: count, Chats: chats, Users: []tg.UserClass{}}
			for i := range msgs {
				want.Messages = append(want.Messages, messageObject(&tg.PeerChannel{ChannelID: ref.ID}, v.LinkedChatID, &msgs[i], 2))
			}
			var built bin.Buffer
			require.NoError(t, want.Encode(&built))
			require.Equal(t, built.Buf, streamed.Buf, "channel %d offset %d", ref.ID, offset)

			var back tg.MessagesChannelMessages
			require.NoError(t, back.Decode(&streamed))
			require.Len(t, back.Messages, len(msgs))
			offset = msgs[len(msgs)-1].ID
		}
	}
	require.Greater(t, pages, 20)
}
