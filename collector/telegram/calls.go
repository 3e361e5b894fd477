package telegram

import (
	"context"
	"fmt"
	"strings"

	"github.com/gotd/td/tg"
)

// Each call below is exactly one RPC: the engine's scheduler decides when and on
// which account, so nothing here retries, waits or calls twice.

func inputChannel(p Peer) *tg.InputChannel {
	return &tg.InputChannel{ChannelID: p.ChannelID, AccessHash: p.AccessHash}
}

func inputPeer(p Peer) *tg.InputPeerChannel {
	return &tg.InputPeerChannel{ChannelID: p.ChannelID, AccessHash: p.AccessHash}
}

// ResolveUsername resolves a public username (with or without "@") to a channel
// (contacts.resolveUsername). Telegram limits this call hardest: resolve each
// username once and keep the Peer. A username of a user or bot gives ErrNotChannel.
func (a *Account) ResolveUsername(ctx context.Context, username string) (Peer, error) {
	username = strings.TrimPrefix(strings.TrimSpace(username), "@")
	if username == "" {
		return Peer{}, fmt.Errorf("%s: %w (empty)", MethodResolveUsername, ErrUsernameInvalid)
	}
	var r *tg.ContactsResolvedPeer
	err := a.call(ctx, MethodResolveUsername, func(ctx context.Context) (err error) {
		r, err = a.api.ContactsResolveUsername(ctx, &tg.ContactsResolveUsernameRequest{Username: username})
		return err
	})
	if err != nil {
		return Peer{}, err
	}
	pc, ok := r.Peer.(*tg.PeerChannel)
	if !ok {
		return Peer{}, fmt.Errorf("%s: %w", MethodResolveUsername, ErrNotChannel)
	}
	for _, info := range channelInfos(r.Chats) {
		if info.ChannelID == pc.ChannelID {
			p := info.Peer
			if p.Username == "" {
				p.Username = username
			}
			return p, nil
		}
	}
	return Peer{}, fmt.Errorf("%s: answer lacks channel %d", MethodResolveUsername, pc.ChannelID)
}

// GetChannels describes channels by their peers (channels.getChannels). Channels
// this account can no longer see come back with Forbidden set.
func (a *Account) GetChannels(ctx context.Context, peers []Peer) ([]ChannelInfo, error) {
	if len(peers) == 0 {
		return nil, nil
	}
	ids := make([]tg.InputChannelClass, len(peers))
	for i, p := range peers {
		ids[i] = inputChannel(p)
	}
	var r tg.MessagesChatsClass
	err := a.call(ctx, MethodGetChannels, func(ctx context.Context) (err error) {
		r, err = a.api.ChannelsGetChannels(ctx, ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	return channelInfos(chatsOf(r)), nil
}

// GetFullChannel returns a channel's full description (channels.getFullChannel):
// about text, subscribers, linked chat, pinned post.
func (a *Account) GetFullChannel(ctx context.Context, p Peer) (FullChannel, error) {
	var r *tg.MessagesChatFull
	err := a.call(ctx, MethodGetFullChannel, func(ctx context.Context) (err error) {
		r, err = a.api.ChannelsGetFullChannel(ctx, inputChannel(p))
		return err
	})
	if err != nil {
		return FullChannel{}, err
	}
	full, ok := fullChannel(r)
	if !ok {
		return FullChannel{}, fmt.Errorf("%s: %w", MethodGetFullChannel, ErrNotChannel)
	}
	return full, nil
}

// GetHistory returns one page of a channel's history, newest first
// (messages.getHistory). The page's Chats carry the forward sources.
func (a *Account) GetHistory(ctx context.Context, p Peer, q HistoryQuery) (HistoryPage, error) {
	limit := q.Limit
	if limit <= 0 || limit > MaxHistoryLimit {
		limit = MaxHistoryLimit
	}
	req := &tg.MessagesGetHistoryRequest{
		Peer:      inputPeer(p),
		OffsetID:  q.OffsetID,
		AddOffset: q.AddOffset,
		Limit:     limit,
		MaxID:     q.MaxID,
		MinID:     q.MinID,
	}
	if !q.OffsetDate.IsZero() {
		req.OffsetDate = int(q.OffsetDate.Unix())
	}
	var r tg.MessagesMessagesClass
	err := a.call(ctx, MethodGetHistory, func(ctx context.Context) (err error) {
		r, err = a.api.MessagesGetHistory(ctx, req)
		return err
	})
	if err != nil {
		return HistoryPage{}, err
	}
	return historyPage(r), nil
}

// GetMessagesViews re-reads the counters of known messages without counting a
// view (messages.getMessagesViews, increment=false). The result has one entry
// per id, in order; a deleted message reads as zero counters, so deletions are
// told by GetMessages.
func (a *Account) GetMessagesViews(ctx context.Context, p Peer, ids []int) ([]Counters, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var r *tg.MessagesMessageViews
	err := a.call(ctx, MethodGetMessagesViews, func(ctx context.Context) (err error) {
		r, err = a.api.MessagesGetMessagesViews(ctx, &tg.MessagesGetMessagesViewsRequest{
			Peer: inputPeer(p), ID: ids, Increment: false,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return counters(ids, r), nil
}

// GetMessages fetches messages by id (channels.getMessages). The result has one
// entry per id, in order: nil where the message was deleted or never existed.
func (a *Account) GetMessages(ctx context.Context, p Peer, ids []int) ([]*Message, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in := make([]tg.InputMessageClass, len(ids))
	for i, id := range ids {
		in[i] = &tg.InputMessageID{ID: id}
	}
	var r tg.MessagesMessagesClass
	err := a.call(ctx, MethodGetMessages, func(ctx context.Context) (err error) {
		r, err = a.api.ChannelsGetMessages(ctx, &tg.ChannelsGetMessagesRequest{Channel: inputChannel(p), ID: in})
		return err
	})
	if err != nil {
		return nil, err
	}
	return messagesByID(ids, r), nil
}

// GetRecommendations returns the channels Telegram shows as similar to p
// (channels.getChannelRecommendations).
func (a *Account) GetRecommendations(ctx context.Context, p Peer) ([]ChannelInfo, error) {
	var r tg.MessagesChatsClass
	err := a.call(ctx, MethodGetRecommendations, func(ctx context.Context) (err error) {
		req := &tg.ChannelsGetChannelRecommendationsRequest{}
		req.SetChannel(inputChannel(p))
		r, err = a.api.ChannelsGetChannelRecommendations(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	return channelInfos(chatsOf(r)), nil
}
