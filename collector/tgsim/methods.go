package tgsim

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

type methodFunc = func(context.Context, *callCtx) (bin.Encoder, string, error)

// bindMethod decodes the request of method id and binds its implementation.
// Methods without one are answered METHOD_NOT_SUPPORTED (but recorded).
func (s *Server) bindMethod(inv *invocation, id uint32, buf *bin.Buffer) error {
	switch id {
	case tg.HelpGetConfigRequestTypeID:
		inv.noAuth, inv.noFaults = true, true
		inv.run = s.helpGetConfig
	case tg.HelpGetNearestDCRequestTypeID:
		inv.noAuth = true
		inv.run = func(context.Context, *callCtx) (bin.Encoder, string, error) {
			return &tg.NearestDC{Country: "NL", ThisDC: s.dc, NearestDC: s.dc}, "", nil
		}
	case tg.UpdatesGetStateRequestTypeID:
		// The accounts follow no chats: their update state never moves.
		inv.run = func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
			return &tg.UpdatesState{Pts: 1, Seq: 1, Date: int(c.world.Unix())}, "", nil
		}
	case tg.UpdatesGetDifferenceRequestTypeID:
		inv.run = func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
			return &tg.UpdatesDifferenceEmpty{Seq: 1, Date: int(c.world.Unix())}, "", nil
		}
	case tg.UsersGetUsersRequestTypeID:
		var req tg.UsersGetUsersRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.params = fmt.Sprintf("ids=%d", len(req.ID))
		inv.run = s.usersGetUsers(&req)
	case tg.AuthSendCodeRequestTypeID:
		var req tg.AuthSendCodeRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.noAuth = true
		inv.run = s.authSendCode(&req)
	case tg.AuthSignInRequestTypeID:
		var req tg.AuthSignInRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.noAuth = true
		inv.run = s.authSignIn(&req)
	case tg.AccountGetPasswordRequestTypeID:
		inv.noAuth = true
		inv.run = s.accountGetPassword
	case tg.AuthCheckPasswordRequestTypeID:
		var req tg.AuthCheckPasswordRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.noAuth = true
		inv.run = s.authCheckPassword(&req)
	case tg.AuthLogOutRequestTypeID:
		inv.run = s.authLogOut
	case tg.ContactsResolveUsernameRequestTypeID:
		var req tg.ContactsResolveUsernameRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.params = "username=" + req.Username
		inv.run = s.resolveUsername(req.Username)
	case tg.ChannelsGetChannelsRequestTypeID:
		var req tg.ChannelsGetChannelsRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.params = fmt.Sprintf("ids=%d", len(req.ID))
		inv.run = s.getChannels(req.ID)
	case tg.ChannelsGetFullChannelRequestTypeID:
		var req tg.ChannelsGetFullChannelRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.params = "channel=" + inputChannelID(req.Channel)
		inv.run = s.getFullChannel(req.Channel)
	case tg.MessagesGetHistoryRequestTypeID:
		var req tg.MessagesGetHistoryRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.params = fmt.Sprintf("peer=%s offset_id=%d offset_date=%d add_offset=%d limit=%d max_id=%d min_id=%d",
			inputPeerID(req.Peer), req.OffsetID, req.OffsetDate, req.AddOffset, req.Limit, req.MaxID, req.MinID)
		inv.run = s.getHistory(&req)
	case tg.MessagesGetMessagesViewsRequestTypeID:
		var req tg.MessagesGetMessagesViewsRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.params = fmt.Sprintf("peer=%s ids=%d increment=%t", inputPeerID(req.Peer), len(req.ID), req.Increment)
		inv.run = s.getMessagesViews(&req)
	case tg.ChannelsGetMessagesRequestTypeID:
		var req tg.ChannelsGetMessagesRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.params = fmt.Sprintf("channel=%s ids=%d", inputChannelID(req.Channel), len(req.ID))
		inv.run = s.getMessages(&req)
	case tg.ChannelsGetChannelRecommendationsRequestTypeID:
		var req tg.ChannelsGetChannelRecommendationsRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		ch, _ := req.GetChannel()
		inv.params = "channel=" + inputChannelID(ch)
		inv.run = s.getRecommendations(ch)
	case tg.ChannelsJoinChannelRequestTypeID:
		// Recorded like every call, so tests can assert a collector never
		// joins; the simulator's accounts cannot join channels.
		var req tg.ChannelsJoinChannelRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.params = "channel=" + inputChannelID(req.Channel)
	case tg.ChannelsGetParticipantsRequestTypeID:
		var req tg.ChannelsGetParticipantsRequest
		if err := req.Decode(buf); err != nil {
			return err
		}
		inv.params = "channel=" + inputChannelID(req.Channel)
		// Broadcast channels hide their members from non-admins.
		inv.run = func(context.Context, *callCtx) (bin.Encoder, string, error) {
			return nil, "", tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
	}
	return nil
}

func inputChannelID(c tg.InputChannelClass) string {
	if ch, ok := c.(*tg.InputChannel); ok {
		return strconv.FormatInt(ch.ChannelID, 10)
	}
	if c == nil {
		return "none"
	}
	return strings.TrimPrefix(c.TypeName(), "input")
}

func inputPeerID(p tg.InputPeerClass) string {
	if ch, ok := p.(*tg.InputPeerChannel); ok {
		return strconv.FormatInt(ch.ChannelID, 10)
	}
	if p == nil {
		return "none"
	}
	return strings.TrimPrefix(p.TypeName(), "input")
}

// channelRef extracts channel id and access hash from an input channel.
func channelRef(c tg.InputChannelClass) (int64, int64, error) {
	ch, ok := c.(*tg.InputChannel)
	if !ok {
		return 0, 0, tgerr.New(400, "CHANNEL_INVALID")
	}
	return ch.ChannelID, ch.AccessHash, nil
}

// peerRef extracts channel id and access hash from an input peer.
func peerRef(p tg.InputPeerClass) (int64, int64, error) {
	ch, ok := p.(*tg.InputPeerChannel)
	if !ok {
		return 0, 0, tgerr.New(400, "PEER_ID_INVALID")
	}
	return ch.ChannelID, ch.AccessHash, nil
}

// readable returns the channel if the caller may read it at `at`.
func (s *Server) readable(id, hash int64, at time.Time) (world.ChannelView, error) {
	v, err := s.world.Channel(id, hash, at)
	if err != nil {
		return v, worldError(err)
	}
	if v.Status != world.StatusActive {
		return v, tgerr.New(400, "CHANNEL_PRIVATE")
	}
	return v, nil
}

// channelByID returns a channel as seen at `at` without the caller knowing
// its access hash (forward sources, recommendations); ok is false for ids
// unknown or not created yet. Inactive channels come back with their status.
func (s *Server) channelByID(id int64, at time.Time) (world.ChannelView, bool) {
	hash, ok := s.world.AccessHash(id)
	if !ok {
		return world.ChannelView{}, false
	}
	v, err := s.world.Channel(id, hash, at)
	if err != nil && v.ID == 0 {
		return v, false
	}
	return v, true
}

// chatsFor lists the channel and every other world channel referenced by
// forwards in msgs, as Telegram does so that clients can resolve peers.
func (s *Server) chatsFor(self world.ChannelView, msgs []world.Message, at time.Time) []tg.ChatClass {
	chats := []tg.ChatClass{channelObject(self)}
	var seen map[int64]bool
	for i := range msgs {
		f := msgs[i].Fwd
		if f == nil || f.ChannelID == 0 || f.ChannelID == self.ID || seen[f.ChannelID] {
			continue
		}
		if seen == nil {
			seen = map[int64]bool{}
		}
		seen[f.ChannelID] = true
		v, ok := s.channelByID(f.ChannelID, at)
		if !ok {
			continue
		}
		chats = append(chats, channelObject(v))
	}
	return chats
}

func (s *Server) resolveUsername(username string) methodFunc {
	return func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
		v, err := s.world.ResolveUsername(username, c.world)
		if err != nil {
			return nil, "", worldError(err)
		}
		if v.Status != world.StatusActive {
			return nil, "", tgerr.New(400, "USERNAME_NOT_OCCUPIED")
		}
		return &tg.ContactsResolvedPeer{
			Peer:  &tg.PeerChannel{ChannelID: v.ID},
			Chats: []tg.ChatClass{channelObject(v)},
			Users: []tg.UserClass{},
		}, "channel=" + strconv.FormatInt(v.ID, 10), nil
	}
}

func (s *Server) getChannels(ids []tg.InputChannelClass) methodFunc {
	return func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
		out := &tg.MessagesChats{Chats: make([]tg.ChatClass, 0, len(ids))}
		for _, in := range ids {
			id, hash, err := channelRef(in)
			if err != nil {
				return nil, "", err
			}
			v, err := s.world.Channel(id, hash, c.world)
			if err != nil {
				werr := worldError(err)
				if !tgerr.Is(werr, "CHANNEL_PRIVATE") {
					return nil, "", werr
				}
				// A channel that cannot be read any more is listed as
				// channelForbidden, not failed: the world returns its view.
				if v.Status == world.StatusActive {
					v.Status = world.StatusPrivate
				}
			}
			out.Chats = append(out.Chats, channelObject(v))
		}
		return out, fmt.Sprintf("%d chats", len(out.Chats)), nil
	}
}

// encodeChannelMessages writes messages.channelMessages for a page,
// converting and encoding one message at a time (see msgScratch): the bytes
// are those of tg.MessagesChannelMessages{Pts: pts, Count: count, Messages:
// ..., Chats: chats}.Encode.
func encodeChannelMessages(b *bin.Buffer, sc *msgScratch, peer *tg.PeerChannel, linked int64,
	msgs []world.Message, count, pts int, chats []tg.ChatClass, dc int,
) error {
	b.PutID(tg.MessagesChannelMessagesTypeID)
	b.PutUint32(0) // flags: exact count, no offset_id_offset
	b.PutInt(pts)
	b.PutInt(count)
	b.PutVectorHeader(len(msgs))
	for i := range msgs {
		if err := sc.fill(peer, linked, &msgs[i], dc).Encode(b); err != nil {
			return err
		}
	}
	b.PutVectorHeader(0) // topics
	b.PutVectorHeader(len(chats))
	for _, c := range chats {
		if err := c.Encode(b); err != nil {
			return err
		}
	}
	b.PutVectorHeader(0) // users
	return nil
}

// topID returns the newest visible message id of a channel (its pts here).
func (s *Server) topID(id int64, at time.Time) int {
	msgs, _, err := s.world.History(id, at, world.HistoryQuery{Limit: 1})
	if err != nil || len(msgs) == 0 {
		return 0
	}
	return msgs[0].ID
}

func (s *Server) getFullChannel(in tg.InputChannelClass) methodFunc {
	return func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
		id, hash, err := channelRef(in)
		if err != nil {
			return nil, "", err
		}
		v, err := s.readable(id, hash, c.world)
		if err != nil {
			return nil, "", err
		}
		top := s.topID(id, c.world)
		full := &tg.ChannelFull{
			ID:              v.ID,
			About:           v.About,
			ReadInboxMaxID:  top,
			ReadOutboxMaxID: top,
			ChatPhoto:       &tg.PhotoEmpty{},
			NotifySettings:  tg.PeerNotifySettings{},
			BotInfo:         []tg.BotInfo{},
			Pts:             top,
		}
		full.SetParticipantsCount(v.Subscribers)
		if v.PinnedMsgID != 0 {
			full.SetPinnedMsgID(v.PinnedMsgID)
		}
		chats := []tg.ChatClass{channelObject(v)}
		if v.LinkedChatID != 0 {
			full.SetLinkedChatID(v.LinkedChatID)
			chats = append(chats, linkedChatObject(v))
		}
		return &tg.MessagesChatFull{FullChat: full, Chats: chats, Users: []tg.UserClass{}},
			fmt.Sprintf("subscribers=%d", v.Subscribers), nil
	}
}

// historyKey identifies an encoded history page in the cache.
type historyKey struct {
	channel, hash int64
	at            int64 // world time, bucketed
	offsetID      int
	offsetDate    int
	addOffset     int
	limit         int
	maxID, minID  int
}

func (s *Server) getHistory(req *tg.MessagesGetHistoryRequest) methodFunc {
	return func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
		if _, ok := req.Peer.(*tg.InputPeerSelf); ok {
			// Saved messages of a test account: empty.
			return &tg.MessagesMessages{Messages: []tg.MessageClass{}, Chats: []tg.ChatClass{}, Users: []tg.UserClass{}}, "0 messages", nil
		}
		id, hash, err := peerRef(req.Peer)
		if err != nil {
			return nil, "", err
		}
		key := historyKey{
			channel: id, hash: hash, at: c.world.UnixNano(),
			offsetID: req.OffsetID, offsetDate: req.OffsetDate, addOffset: req.AddOffset,
			limit: req.Limit, maxID: req.MaxID, minID: req.MinID,
		}
		if raw, summary, ok := s.cache.get(key); ok {
			return raw, summary, nil
		}
		v, err := s.readable(id, hash, c.world)
		if err != nil {
			return nil, "", err
		}
		q := world.HistoryQuery{
			OffsetID:  req.OffsetID,
			AddOffset: req.AddOffset,
			Limit:     req.Limit,
			MaxID:     req.MaxID,
			MinID:     req.MinID,
		}
		if req.OffsetDate != 0 {
			q.OffsetDate = time.Unix(int64(req.OffsetDate), 0).UTC()
		}
		var (
			n, count int
			werr     error
		)
		page, err := s.cache.encodeWith(func(e *encoder) error {
			var msgs []world.Message
			msgs, count, werr = s.world.AppendHistory(e.msgs[:0], id, c.world, q)
			if werr != nil {
				return werr
			}
			e.msgs, n = msgs, len(msgs)
			pts := 0
			for i := range msgs {
				pts = max(pts, msgs[i].ID)
			}
			return encodeChannelMessages(&e.buf, e.sc, &tg.PeerChannel{ChannelID: id}, v.LinkedChatID,
				msgs, count, pts, s.chatsFor(v, msgs, c.world), s.dc)
		})
		if werr != nil {
			return nil, "", worldError(werr)
		}
		if err != nil {
			return nil, "", err
		}
		summary := fmt.Sprintf("%d messages count=%d", n, count)
		s.cache.put(key, page.bytes(), summary)
		return page, summary, nil
	}
}

func (s *Server) getMessagesViews(req *tg.MessagesGetMessagesViewsRequest) methodFunc {
	return func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
		id, hash, err := peerRef(req.Peer)
		if err != nil {
			return nil, "", err
		}
		v, err := s.readable(id, hash, c.world)
		if err != nil {
			return nil, "", err
		}
		if len(req.ID) > 100 {
			return nil, "", tgerr.New(400, "LIMIT_INVALID")
		}
		msgs, err := s.world.MessagesByID(id, c.world, req.ID)
		if err != nil {
			return nil, "", worldError(err)
		}
		out := &tg.MessagesMessageViews{
			Views: make([]tg.MessageViews, len(req.ID)),
			Chats: []tg.ChatClass{channelObject(v)},
			Users: []tg.UserClass{},
		}
		found := 0
		for i, m := range msgs {
			if m == nil || m.Service {
				continue // Telegram answers zeros for ids it cannot count
			}
			found++
			mv := tg.MessageViews{}
			mv.SetViews(m.Views)
			mv.SetForwards(m.Forwards)
			if v.LinkedChatID != 0 || m.Replies > 0 {
				mv.SetReplies(repliesObject(v.LinkedChatID, m.Replies))
			}
			out.Views[i] = mv
		}
		return out, fmt.Sprintf("%d of %d found", found, len(req.ID)), nil
	}
}

func (s *Server) getMessages(req *tg.ChannelsGetMessagesRequest) methodFunc {
	return func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
		id, hash, err := channelRef(req.Channel)
		if err != nil {
			return nil, "", err
		}
		v, err := s.readable(id, hash, c.world)
		if err != nil {
			return nil, "", err
		}
		if len(req.ID) > 100 {
			return nil, "", tgerr.New(400, "LIMIT_INVALID")
		}
		ids := make([]int, 0, len(req.ID))
		for _, in := range req.ID {
			switch m := in.(type) {
			case *tg.InputMessageID:
				ids = append(ids, m.ID)
			case *tg.InputMessagePinned:
				if v.PinnedMsgID != 0 {
					ids = append(ids, v.PinnedMsgID)
				}
			case *tg.InputMessageReplyTo:
				got, err := s.world.MessagesByID(id, c.world, []int{m.ID})
				if err != nil {
					return nil, "", worldError(err)
				}
				if len(got) == 1 && got[0] != nil && got[0].ReplyTo != 0 {
					ids = append(ids, got[0].ReplyTo)
				}
			}
		}
		msgs, err := s.world.MessagesByID(id, c.world, ids)
		if err != nil {
			return nil, "", worldError(err)
		}
		out := &tg.MessagesChannelMessages{
			Count:    len(ids),
			Messages: make([]tg.MessageClass, len(ids)),
			Users:    []tg.UserClass{},
		}
		var present []world.Message
		found := 0
		for i, m := range msgs {
			if m == nil {
				// Deleted or not yet posted.
				e := &tg.MessageEmpty{ID: ids[i]}
				e.SetPeerID(&tg.PeerChannel{ChannelID: id})
				out.Messages[i] = e
				continue
			}
			found++
			present = append(present, *m)
			out.Messages[i] = messageObject(&tg.PeerChannel{ChannelID: id}, v.LinkedChatID, m, s.dc)
			out.Pts = max(out.Pts, m.ID)
		}
		out.Chats = s.chatsFor(v, present, c.world)
		return out, fmt.Sprintf("%d of %d found", found, len(ids)), nil
	}
}

func (s *Server) getRecommendations(in tg.InputChannelClass) methodFunc {
	return func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
		out := &tg.MessagesChats{Chats: []tg.ChatClass{}}
		if in == nil {
			// Recommendations for the account's own subscriptions: none.
			return out, "0 chats", nil
		}
		id, hash, err := channelRef(in)
		if err != nil {
			return nil, "", err
		}
		if _, err := s.readable(id, hash, c.world); err != nil {
			return nil, "", err
		}
		recs, err := s.world.Recommendations(id, c.world)
		if err != nil {
			return nil, "", worldError(err)
		}
		for _, rid := range recs {
			v, ok := s.channelByID(rid, c.world)
			if !ok || v.Status != world.StatusActive {
				continue
			}
			out.Chats = append(out.Chats, channelObject(v))
		}
		return out, fmt.Sprintf("%d chats", len(out.Chats)), nil
	}
}
