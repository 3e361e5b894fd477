package tgsim

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

// worldStates are channels of the test world in each state at testTime.
type worldStates struct {
	active, gone, future world.TruthChannel
	goneName             string // a username the gone channel held
}

func statesAt(t *testing.T, w *world.World, at time.Time) worldStates {
	t.Helper()
	tr, err := w.Truth(world.TruthOptions{NoPosts: true})
	require.NoError(t, err)
	var st worldStates
	for _, c := range tr.Channels {
		status := world.Status(0)
		for _, s := range c.Statuses {
			if !s.From.After(at) {
				status = s.Status
			}
		}
		name := ""
		for _, u := range c.Usernames {
			if u.Value != "" && !u.From.After(at) {
				name = u.Value
			}
		}
		switch {
		case c.Created.After(at):
			st.future = c
		case status == world.StatusActive && name != "" && st.active.ID == 0:
			st.active = c
		case status != world.StatusActive && name != "":
			st.gone, st.goneName = c, name
		}
	}
	require.NotZero(t, st.active.ID)
	require.NotZero(t, st.gone.ID, "a channel banned, deleted or private by then")
	require.NotZero(t, st.future.ID, "a channel created later")
	return st
}

// Telegram's errors for each way a channel can be out of reach.
func TestChannelErrors(t *testing.T) {
	w := mustWorld(t)
	at := testTime(w)
	st := statesAt(t, w, at)
	s := startSim(t, Options{World: w, Limits: Limits{Off: true}})
	withClient(t, s, clientConfig(t, s, testPhone), func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		history := func(id, hash int64) error {
			_, err := api.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{Peer: &tg.InputPeerChannel{ChannelID: id, AccessHash: hash}, Limit: 1})
			return err
		}
		full := func(id, hash int64) error {
			_, err := api.ChannelsGetFullChannel(ctx, &tg.InputChannel{ChannelID: id, AccessHash: hash})
			return err
		}
		resolve := func(name string) error {
			_, err := api.ContactsResolveUsername(ctx, &tg.ContactsResolveUsernameRequest{Username: name})
			return err
		}
		for _, tc := range []struct {
			name string
			err  error
			code int
			typ  string
		}{
			{"history of a banned or deleted channel", history(st.gone.ID, st.gone.AccessHash), 400, "CHANNEL_PRIVATE"},
			{"full channel of a banned or deleted channel", full(st.gone.ID, st.gone.AccessHash), 400, "CHANNEL_PRIVATE"},
			{"wrong access hash", history(st.active.ID, st.active.AccessHash+1), 400, "CHANNEL_INVALID"},
			{"wrong access hash, full channel", full(st.active.ID, st.active.AccessHash+1), 400, "CHANNEL_INVALID"},
			{"unknown channel", history(42, 42), 400, "CHANNEL_INVALID"},
			{"channel not created yet", history(st.future.ID, st.future.AccessHash), 400, "CHANNEL_INVALID"},
			{"username of a gone channel", resolve(st.goneName), 400, "USERNAME_NOT_OCCUPIED"},
			{"username nobody holds", resolve("nobody_holds_this_name"), 400, "USERNAME_NOT_OCCUPIED"},
			{"malformed username", resolve("a b"), 400, "USERNAME_INVALID"},
			{"too short username", resolve("abc"), 400, "USERNAME_INVALID"},
		} {
			t.Run(tc.name, func(t *testing.T) { requireRPCError(t, tc.err, tc.code, tc.typ) })
		}

		_, err := api.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{Peer: &tg.InputPeerUser{UserID: 1, AccessHash: 1}, Limit: 1})
		requireRPCError(t, err, 400, "PEER_ID_INVALID")

		// channels.getChannels lists what cannot be read as channelForbidden.
		chats, err := api.ChannelsGetChannels(ctx, []tg.InputChannelClass{
			&tg.InputChannel{ChannelID: st.active.ID, AccessHash: st.active.AccessHash},
			&tg.InputChannel{ChannelID: st.gone.ID, AccessHash: st.gone.AccessHash},
		})
		require.NoError(t, err)
		list := chats.GetChats()
		require.Len(t, list, 2)
		ch, ok := list[0].(*tg.Channel)
		require.True(t, ok, "%T", list[0])
		require.True(t, ch.Broadcast)
		require.True(t, ch.Left, "the test account never joined")
		forbidden, ok := list[1].(*tg.ChannelForbidden)
		require.True(t, ok, "%T", list[1])
		require.Equal(t, st.gone.ID, forbidden.ID)
		_, err = api.ChannelsGetChannels(ctx, []tg.InputChannelClass{&tg.InputChannel{ChannelID: st.active.ID, AccessHash: 1}})
		requireRPCError(t, err, 400, "CHANNEL_INVALID")
	})
}

func TestCountersMessagesAndRecommendations(t *testing.T) {
	w := mustWorld(t)
	at := testTime(w)
	st := statesAt(t, w, at)
	s := startSim(t, Options{World: w, Limits: Limits{Off: true}})
	tr, err := w.Truth(world.TruthOptions{Until: at, Channels: []int64{st.active.ID}})
	require.NoError(t, err)
	var deleted, visible []int
	for _, p := range tr.Posts {
		switch {
		case p.Deleted != nil:
			deleted = append(deleted, p.ID)
		case !p.Service:
			visible = append(visible, p.ID)
		}
	}
	require.NotEmpty(t, visible)
	in := &tg.InputChannel{ChannelID: st.active.ID, AccessHash: st.active.AccessHash}
	peer := &tg.InputPeerChannel{ChannelID: st.active.ID, AccessHash: st.active.AccessHash}
	withClient(t, s, clientConfig(t, s, testPhone), func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		// Counters of known ids; ids that do not exist (any more) get zeros.
		ids := []int{visible[0], visible[len(visible)-1], 1_000_000}
		ids = append(ids, deleted...)
		views, err := api.MessagesGetMessagesViews(ctx, &tg.MessagesGetMessagesViewsRequest{Peer: peer, ID: ids})
		require.NoError(t, err)
		require.Len(t, views.Views, len(ids))
		want, err := w.MessagesByID(st.active.ID, at, ids)
		require.NoError(t, err)
		for i, v := range views.Views {
			if want[i] == nil {
				require.Zero(t, v.Views, "id %d", ids[i])
				require.Zero(t, v.Forwards)
				continue
			}
			require.Equal(t, want[i].Views, v.Views)
			require.Equal(t, want[i].Forwards, v.Forwards)
			require.Equal(t, want[i].Replies, v.Replies.Replies)
		}

		// channels.getMessages: deleted ids come back as messageEmpty.
		req := []tg.InputMessageClass{&tg.InputMessageID{ID: visible[0]}, &tg.InputMessagePinned{}}
		for _, id := range deleted {
			req = append(req, &tg.InputMessageID{ID: id})
		}
		got, err := api.ChannelsGetMessages(ctx, &tg.ChannelsGetMessagesRequest{Channel: in, ID: req})
		require.NoError(t, err)
		msgs := got.(*tg.MessagesChannelMessages).Messages
		require.Equal(t, visible[0], msgs[0].GetID())
		_, isMsg := msgs[0].(*tg.Message)
		require.True(t, isMsg)
		rest := msgs[1:]
		v, err := w.Channel(st.active.ID, st.active.AccessHash, at)
		require.NoError(t, err)
		if v.PinnedMsgID != 0 {
			require.Equal(t, v.PinnedMsgID, rest[0].GetID())
			rest = rest[1:]
		}
		require.Len(t, rest, len(deleted))
		for _, m := range rest {
			_, empty := m.(*tg.MessageEmpty)
			require.True(t, empty, "%T", m)
		}

		// Similar channels: readable world channels with their access hashes.
		recs, err := api.ChannelsGetChannelRecommendations(ctx, &tg.ChannelsGetChannelRecommendationsRequest{Channel: in})
		require.NoError(t, err)
		wantIDs, err := w.Recommendations(st.active.ID, at)
		require.NoError(t, err)
		require.Len(t, recs.GetChats(), len(wantIDs))
		for i, c := range recs.GetChats() {
			ch := c.(*tg.Channel)
			require.Equal(t, wantIDs[i], ch.ID)
			_, err := w.Channel(ch.ID, ch.AccessHash, at)
			require.NoError(t, err)
		}
	})
}

// unknownRequest is a constructor Telegram has never heard of.
type unknownRequest struct{}

func (unknownRequest) Encode(b *bin.Buffer) error {
	b.PutID(0x0badc0de)
	return nil
}

// Methods the simulator does not serve answer with an RPC error, never a
// crash, and every call is recorded with its account.
func TestUnsupportedMethodsAreRecorded(t *testing.T) {
	w := mustWorld(t)
	st := statesAt(t, w, testTime(w))
	s := startSim(t, Options{World: w, Limits: Limits{Off: true}})
	in := &tg.InputChannel{ChannelID: st.active.ID, AccessHash: st.active.AccessHash}
	withClient(t, s, clientConfig(t, s, testPhone), func(ctx context.Context, api *tg.Client, c *telegram.Client) {
		_, err := api.ChannelsJoinChannel(ctx, in)
		requireRPCError(t, err, 400, "METHOD_NOT_SUPPORTED")
		_, err = api.ChannelsGetParticipants(ctx, &tg.ChannelsGetParticipantsRequest{Channel: in, Filter: &tg.ChannelParticipantsRecent{}, Limit: 10})
		requireRPCError(t, err, 400, "CHAT_ADMIN_REQUIRED")
		_, err = api.MessagesSendMessage(ctx, &tg.MessagesSendMessageRequest{Peer: &tg.InputPeerSelf{}, Message: "hi", RandomID: 1})
		requireRPCError(t, err, 400, "METHOD_NOT_SUPPORTED")
		var out tg.BoolBox
		err = c.Invoke(ctx, unknownRequest{}, &out)
		requireRPCError(t, err, 400, "INPUT_METHOD_INVALID_195936478")
		// The connection survived all of it.
		_, err = api.HelpGetConfig(ctx)
		require.NoError(t, err)
		// What clients with an update handler ask on connecting is answered.
		state, err := api.UpdatesGetState(ctx)
		require.NoError(t, err)
		require.Equal(t, testTime(w).Unix(), int64(state.Date))
		nearest, err := api.HelpGetNearestDC(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, nearest.ThisDC)
	})
	st2 := s.Stats()
	require.Equal(t, 1, st2.Methods["channels.joinChannel"])
	require.Equal(t, 1, st2.Methods["channels.getParticipants"])
	require.Equal(t, 1, st2.Methods["messages.sendMessage"])
	require.Equal(t, 1, st2.Methods["#0badc0de"])
	var join *Call
	for _, c := range s.Calls() {
		if c.Method == "channels.joinChannel" {
			join = &c
		}
	}
	require.NotNil(t, join)
	require.Equal(t, testPhone, join.Account)
	require.Equal(t, "channel="+strconv.FormatInt(st.active.ID, 10), join.Params)
	require.Equal(t, "METHOD_NOT_SUPPORTED", join.Error)
	require.Equal(t, 400, join.Code)
	require.Len(t, join.AuthKey, 16)
	require.False(t, join.Time.IsZero())
	require.Equal(t, testTime(w).Unix(), join.World.Unix())

	s.ResetCalls()
	require.Empty(t, s.Calls())
	require.Zero(t, s.Stats().Calls)
}
