package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/stretchr/testify/require"
)

func TestSnakeName(t *testing.T) {
	for _, tc := range []struct{ in, prefix, want string }{
		{"messageEntityUrl", "messageEntity", "url"},
		{"messageEntityTextUrl", "messageEntity", "text_url"},
		{"messageEntityMentionName", "messageEntity", "mention_name"},
		{"messageEntityBotCommand", "messageEntity", "bot_command"},
		{"messageActionChannelCreate", "messageAction", "channel_create"},
		{"messageActionChatEditTitle", "messageAction", "chat_edit_title"},
		{"messageActionGiftTON", "messageAction", "gift_ton"},
		{"messageMediaGeoLive", "messageMedia", "geo_live"},
		{"messageMediaWebPage", "messageMedia", "web_page"},
	} {
		require.Equal(t, tc.want, snakeName(tc.in, tc.prefix), tc.in)
	}
}

func TestChannelInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   tg.ChatClass
		want ChannelInfo
		ok   bool
	}{
		{
			name: "channel",
			in: &tg.Channel{ID: 5, AccessHash: 9, Title: "T", Username: "chan", Broadcast: true, Verified: true,
				Scam: true, Fake: true, Restricted: true, Left: true, Date: 1700000000,
				RestrictionReason: []tg.RestrictionReason{{Platform: "all", Reason: "terms", Text: "t"}, {Platform: "android", Reason: "porn"}}},
			want: ChannelInfo{Peer: Peer{ChannelID: 5, AccessHash: 9, Username: "chan"}, Title: "T", Username: "chan",
				Verified: true, Scam: true, Fake: true, Restricted: true, Left: true, Broadcast: true,
				Date: time.Unix(1700000000, 0).UTC(), RestrictionReasons: []string{"all:terms", "android:porn"}},
			ok: true,
		},
		{
			name: "collectible username",
			in: &tg.Channel{ID: 6, Megagroup: true, Min: true, Usernames: []tg.Username{
				{Username: "old"}, {Username: "bought", Active: true}}},
			want: ChannelInfo{Peer: Peer{ChannelID: 6, Username: "bought"}, Username: "bought", Megagroup: true, Min: true},
			ok:   true,
		},
		{
			name: "forbidden",
			in:   &tg.ChannelForbidden{ID: 7, AccessHash: 8, Title: "Gone", Broadcast: true},
			want: ChannelInfo{Peer: Peer{ChannelID: 7, AccessHash: 8}, Title: "Gone", Broadcast: true, Forbidden: true},
			ok:   true,
		},
		{name: "basic group", in: &tg.Chat{ID: 1, Title: "group"}},
		{name: "empty", in: &tg.ChatEmpty{ID: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := channelInfo(tc.in)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestFullChannel(t *testing.T) {
	full, ok := fullChannel(&tg.MessagesChatFull{
		FullChat: &tg.ChannelFull{ID: 5, About: "about", ParticipantsCount: 1000, LinkedChatID: 77, PinnedMsgID: 12},
		Chats:    []tg.ChatClass{&tg.Channel{ID: 77, Title: "linked"}, &tg.Channel{ID: 5, AccessHash: 3, Title: "main"}},
	})
	require.True(t, ok)
	require.Equal(t, FullChannel{
		ChannelInfo:  ChannelInfo{Peer: Peer{ChannelID: 5, AccessHash: 3}, Title: "main"},
		About:        "about",
		Subscribers:  1000,
		LinkedChatID: 77,
		PinnedMsgID:  12,
	}, full)

	_, ok = fullChannel(&tg.MessagesChatFull{FullChat: &tg.ChatFull{ID: 1}})
	require.False(t, ok)
}

func TestMessage(t *testing.T) {
	const date = 1700000000
	at := func(sec int) time.Time { return time.Unix(int64(sec), 0).UTC() }
	for _, tc := range []struct {
		name string
		in   tg.MessageClass
		want Message
		ok   bool
	}{
		{
			name: "post with entities, counters and reactions",
			in: &tg.Message{
				ID: 10, Date: date, EditDate: date + 60, Message: "see https://x.com and @chan #tag",
				Entities: []tg.MessageEntityClass{
					&tg.MessageEntityURL{Offset: 4, Length: 13},
					&tg.MessageEntityTextURL{Offset: 0, Length: 3, URL: "https://example.org/a"},
					&tg.MessageEntityMention{Offset: 22, Length: 5},
					&tg.MessageEntityMentionName{Offset: 0, Length: 3, UserID: 99},
					&tg.MessageEntityHashtag{Offset: 28, Length: 4},
					&tg.MessageEntityBold{Offset: 0, Length: 1},
				},
				Views: 500, Forwards: 7, Replies: tg.MessageReplies{Replies: 3},
				Reactions: tg.MessageReactions{Results: []tg.ReactionCount{
					{Reaction: &tg.ReactionEmoji{Emoticon: "🔥"}, Count: 4},
					{Reaction: &tg.ReactionCustomEmoji{DocumentID: 123}, Count: 2},
					{Reaction: &tg.ReactionPaid{}, Count: 1},
					{Reaction: &tg.ReactionEmpty{}, Count: 9},
				}},
				ReplyTo: &tg.MessageReplyHeader{ReplyToMsgID: 8},
			},
			want: Message{
				ID: 10, Date: at(date), EditDate: at(date + 60), Text: "see https://x.com and @chan #tag",
				Entities: []Entity{
					{Type: "url", Offset: 4, Length: 13},
					{Type: "text_url", Offset: 0, Length: 3, URL: "https://example.org/a"},
					{Type: "mention", Offset: 22, Length: 5},
					{Type: "mention_name", Offset: 0, Length: 3},
					{Type: "hashtag", Offset: 28, Length: 4},
					{Type: "bold", Offset: 0, Length: 1},
				},
				Views: 500, Forwards: 7, Replies: 3, ReplyTo: 8,
				Reactions: []Reaction{{Emoji: "🔥", Count: 4}, {Emoji: "custom:123", Count: 2}, {Emoji: "paid", Count: 1}},
			},
			ok: true,
		},
		{
			name: "forward from a channel, in an album",
			in: &tg.Message{ID: 11, Date: date, GroupedID: 42, Media: &tg.MessageMediaPhoto{},
				FwdFrom: tg.MessageFwdHeader{FromID: &tg.PeerChannel{ChannelID: 77}, ChannelPost: 5, Date: date - 100}},
			want: Message{ID: 11, Date: at(date), GroupedID: 42, Media: "photo", FwdChannelID: 77, FwdPostID: 5, FwdDate: at(date - 100)},
			ok:   true,
		},
		{
			name: "forward from a hidden person",
			in:   &tg.Message{ID: 12, Date: date, FwdFrom: tg.MessageFwdHeader{FromName: "Jane Doe", Date: date - 5}},
			want: Message{ID: 12, Date: at(date), FwdFromName: "Jane Doe", FwdDate: at(date - 5)},
			ok:   true,
		},
		{
			name: "forward from a visible person",
			in:   &tg.Message{ID: 13, Date: date, FwdFrom: tg.MessageFwdHeader{FromID: &tg.PeerUser{UserID: 5150}, Date: date - 5}},
			want: Message{ID: 13, Date: at(date), FwdUserID: 5150, FwdDate: at(date - 5)},
			ok:   true,
		},
		{
			name: "service",
			in:   &tg.MessageService{ID: 1, Date: date, Action: &tg.MessageActionChannelCreate{Title: "x"}},
			want: Message{ID: 1, Date: at(date), Service: true, Action: "channel_create", Text: "x"},
			ok:   true,
		},
		{
			name: "pin service",
			in:   &tg.MessageService{ID: 30, Date: date, Action: &tg.MessageActionPinMessage{}, ReplyTo: &tg.MessageReplyHeader{ReplyToMsgID: 29}},
			want: Message{ID: 30, Date: at(date), Service: true, Action: "pin_message", ReplyTo: 29},
			ok:   true,
		},
		{
			name: "rename",
			in:   &tg.MessageService{ID: 31, Date: date, Action: &tg.MessageActionChatEditTitle{Title: "New"}},
			want: Message{ID: 31, Date: at(date), Service: true, Action: "chat_edit_title", Text: "New"},
			ok:   true,
		},
		{name: "deleted", in: &tg.MessageEmpty{ID: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := message(tc.in)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestMediaKind(t *testing.T) {
	doc := func(attrs ...tg.DocumentAttributeClass) *tg.MessageMediaDocument {
		return &tg.MessageMediaDocument{Document: &tg.Document{Attributes: attrs}}
	}
	for _, tc := range []struct {
		in   tg.MessageMediaClass
		want string
	}{
		{nil, ""},
		{&tg.MessageMediaEmpty{}, ""},
		{&tg.MessageMediaPhoto{}, "photo"},
		{&tg.MessageMediaWebPage{}, "web_page"},
		{&tg.MessageMediaPoll{}, "poll"},
		{&tg.MessageMediaGeoLive{}, "geo_live"},
		{doc(), "document"},
		{doc(&tg.DocumentAttributeFilename{FileName: "a.pdf"}), "document"},
		{doc(&tg.DocumentAttributeVideo{}, &tg.DocumentAttributeFilename{}), "video"},
		{doc(&tg.DocumentAttributeVideo{RoundMessage: true}), "round_video"},
		{doc(&tg.DocumentAttributeAudio{}), "audio"},
		{doc(&tg.DocumentAttributeAudio{Voice: true}), "voice"},
		{doc(&tg.DocumentAttributeVideo{}, &tg.DocumentAttributeAnimated{}), "animation"},
		{doc(&tg.DocumentAttributeSticker{}), "sticker"},
		{&tg.MessageMediaDocument{Voice: true}, "voice"},
		{&tg.MessageMediaDocument{Document: &tg.DocumentEmpty{}}, "document"},
	} {
		name := "nil"
		if tc.in != nil {
			name = fmt.Sprintf("%T", tc.in)
		}
		require.Equal(t, tc.want, mediaKind(tc.in), name)
	}
}

func TestHistoryPage(t *testing.T) {
	src := &tg.Channel{ID: 77, AccessHash: 1, Title: "source", Username: "src"}
	page := historyPage(&tg.MessagesChannelMessages{
		Count: 1000,
		Messages: []tg.MessageClass{
			&tg.Message{ID: 3, FwdFrom: tg.MessageFwdHeader{FromID: &tg.PeerChannel{ChannelID: 77}, ChannelPost: 9}},
			&tg.MessageEmpty{ID: 2},
			&tg.Message{ID: 1},
		},
		Chats: []tg.ChatClass{&tg.Channel{ID: 5, Title: "main"}, src, &tg.Chat{ID: 3}},
	})
	require.Equal(t, 1000, page.Count)
	require.Equal(t, []int64{5, 77}, []int64{page.Chats[0].ChannelID, page.Chats[1].ChannelID})
	require.Len(t, page.Messages, 2)
	require.Equal(t, []ChannelInfo{page.Chats[1]}, page.Messages[0].Mentioned)
	require.Nil(t, page.Messages[1].Mentioned)

	plain := historyPage(&tg.MessagesMessages{Messages: []tg.MessageClass{&tg.Message{ID: 1}, &tg.Message{ID: 2}}})
	require.Equal(t, 2, plain.Count)
	require.Equal(t, 0, historyPage(&tg.MessagesMessagesNotModified{Count: 0}).Count)
}

func TestMessagesByIDAndCounters(t *testing.T) {
	msgs := messagesByID([]int{5, 6, 7}, &tg.MessagesChannelMessages{Messages: []tg.MessageClass{
		&tg.Message{ID: 7}, &tg.MessageEmpty{ID: 6}, &tg.Message{ID: 5},
	}})
	require.Len(t, msgs, 3)
	require.Equal(t, 5, msgs[0].ID)
	require.Nil(t, msgs[1])
	require.Equal(t, 7, msgs[2].ID)

	c := counters([]int{5, 6}, &tg.MessagesMessageViews{Views: []tg.MessageViews{
		{Views: 10, Forwards: 2, Replies: tg.MessageReplies{Replies: 1}}, {},
	}})
	require.Equal(t, []Counters{{ID: 5, Views: 10, Forwards: 2, Replies: 1}, {ID: 6}}, c)
}

func TestMapError(t *testing.T) {
	const m = MethodGetHistory
	for _, tc := range []struct {
		in   error
		want error
	}{
		{tgerr.New(400, "CHANNEL_PRIVATE"), ErrChannelPrivate},
		{tgerr.New(400, "CHANNEL_INVALID"), ErrChannelInvalid},
		{tgerr.New(400, "USERNAME_NOT_OCCUPIED"), ErrUsernameNotOccupied},
		{tgerr.New(400, "USERNAME_INVALID"), ErrUsernameInvalid},
		{tgerr.New(401, "AUTH_KEY_UNREGISTERED"), ErrAuthRequired},
		{tgerr.New(401, "SESSION_REVOKED"), ErrAuthRequired},
		{tgerr.New(401, "SESSION_EXPIRED"), ErrAuthRequired},
		{tgerr.New(401, "USER_DEACTIVATED"), ErrAccountBanned},
		{tgerr.New(401, "USER_DEACTIVATED_BAN"), ErrAccountBanned},
		{tgerr.New(400, "PHONE_NUMBER_BANNED"), ErrAccountBanned},
		{tgerr.New(400, "PHONE_CODE_INVALID"), ErrPhoneCodeInvalid},
		{tgerr.New(400, "PHONE_CODE_EXPIRED"), ErrPhoneCodeInvalid},
		{tgerr.New(401, "SESSION_PASSWORD_NEEDED"), ErrPasswordRequired},
		{tgerr.New(400, "PASSWORD_HASH_INVALID"), ErrPasswordInvalid},
		{tgerr.New(400, "PHONE_NUMBER_INVALID"), ErrPhoneInvalid},
		{tgerr.New(500, "INTERNAL"), ErrTransient},
		{tgerr.New(500, "SOMETHING_NEW"), ErrTransient},
		{tgerr.New(-503, "TIMEOUT"), ErrTransient},
		{fmt.Errorf("wrapped: %w", tgerr.New(400, "CHANNEL_PRIVATE")), ErrChannelPrivate},
		{io.ErrUnexpectedEOF, ErrTransient},
		{&net.OpError{Op: "read", Err: errors.New("connection reset")}, ErrTransient},
		{context.Canceled, context.Canceled},
		{context.DeadlineExceeded, context.DeadlineExceeded},
		{fmt.Errorf("sign in with password: %w", auth.ErrPasswordInvalid), ErrPasswordInvalid},
		{fmt.Errorf("get password: %w", auth.ErrPasswordNotProvided), ErrPasswordRequired},
		{fmt.Errorf("sign in: %w", &auth.SignUpRequired{}), ErrPhoneUnregistered},
	} {
		t.Run(fmt.Sprint(tc.in), func(t *testing.T) {
			err := mapError(m, tc.in)
			require.ErrorIs(t, err, tc.want)
			require.True(t, strings.HasPrefix(err.Error(), m+": "), err.Error())
		})
	}

	require.NoError(t, mapError(m, nil))

	for _, msg := range []string{"FLOOD_WAIT_30", "FLOOD_PREMIUM_WAIT_30"} {
		err := mapError(m, fmt.Errorf("rpc: %w", tgerr.New(420, msg)))
		var fw *FloodWaitError
		require.ErrorAs(t, err, &fw)
		require.Equal(t, &FloodWaitError{Method: m, Wait: 30 * time.Second}, fw)
		require.Equal(t, "messages.getHistory: flood wait 30s", err.Error())
	}

	other := mapError(m, tgerr.New(400, "MSG_ID_INVALID"))
	require.EqualError(t, other, "messages.getHistory: rpc error 400: MSG_ID_INVALID")
	require.NotErrorIs(t, other, ErrTransient)
}

func TestClosedError(t *testing.T) {
	done := make(chan struct{})
	a := &Account{done: done}
	require.EqualError(t, a.closedError(MethodGetHistory), "messages.getHistory: account closed")

	close(done)
	a.err = context.Canceled // Close ended it
	err := a.closedError(MethodGetHistory)
	require.ErrorIs(t, err, ErrClosed)
	require.NotErrorIs(t, err, ErrAuthRequired)

	a.err = fmt.Errorf("connection: %w", tgerr.New(401, "AUTH_KEY_UNREGISTERED")) // it ended by itself
	err = a.closedError(MethodGetHistory)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, err, ErrAuthRequired)
}
