package tgsim

import (
	"context"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"testing"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/stretchr/testify/require"
)

func TestSmoke(t *testing.T) {
	s := startSim(t, Options{Limits: Limits{Off: true}})
	w := mustWorld(t)
	at := testTime(w)
	tr, err := w.Truth(world.TruthOptions{SnapshotTimes: []time.Time{at}, Until: at})
	require.NoError(t, err)
	var username string
	for _, sn := range tr.Snapshots {
		if sn.Username != "" {
			username = sn.Username
			break
		}
	}
	require.NotEmpty(t, username)
	withClient(t, s, clientConfig(t, s, testPhone), func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		p, err := api.ContactsResolveUsername(ctx, &tg.ContactsResolveUsernameRequest{Username: username})
		require.NoError(t, err)
		ch := p.Chats[0].(*tg.Channel)
		h, err := api.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{
			Peer: &tg.InputPeerChannel{ChannelID: ch.ID, AccessHash: ch.AccessHash}, Limit: 100,
		})
		require.NoError(t, err)
		cm := h.(*tg.MessagesChannelMessages)
		t.Logf("%s: %d messages of %d", username, len(cm.Messages), cm.Count)
		require.NotEmpty(t, cm.Messages)
	})
	t.Log(s.Stats())
}
