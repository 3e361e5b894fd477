package telegram

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gotd/td/tg"
)

// The functions below turn gotd's tg objects into this package's plain types. They
// are pure, so the unit tests feed them hand-built tg objects.

// unixTime converts Telegram's Unix seconds; 0 means "not set" and stays zero.
func unixTime(sec int) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(int64(sec), 0).UTC()
}

// snakeName turns a TL constructor name into our snake-case kind:
// ("messageEntityTextUrl", "messageEntity") gives "text_url", and a run of
// capitals stays one word ("messageActionGiftTON" gives "gift_ton").
func snakeName(typeName, prefix string) string {
	rs := []rune(strings.TrimPrefix(typeName, prefix))
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && !unicode.IsUpper(rs[i-1])
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// channelInfo converts one chat of an answer's chat list; ok is false for basic
// groups and anything else that is not a channel.
func channelInfo(c tg.ChatClass) (ChannelInfo, bool) {
	switch c := c.(type) {
	case *tg.Channel:
		username := c.Username
		if username == "" {
			// Channels with collectible handles carry them only in Usernames.
			for _, u := range c.Usernames {
				if u.Active {
					username = u.Username
					break
				}
			}
		}
		info := ChannelInfo{
			Peer:       Peer{ChannelID: c.ID, AccessHash: c.AccessHash, Username: username},
			Title:      c.Title,
			Username:   username,
			Verified:   c.Verified,
			Scam:       c.Scam,
			Fake:       c.Fake,
			Restricted: c.Restricted,
			Date:       unixTime(c.Date),
			Broadcast:  c.Broadcast,
			Megagroup:  c.Megagroup,
			Left:       c.Left,
			Min:        c.Min,
		}
		for _, r := range c.RestrictionReason {
			info.RestrictionReasons = append(info.RestrictionReasons, r.Platform+":"+r.Reason)
		}
		return info, true
	case *tg.ChannelForbidden:
		return ChannelInfo{
			Peer:      Peer{ChannelID: c.ID, AccessHash: c.AccessHash},
			Title:     c.Title,
			Broadcast: c.Broadcast,
			Megagroup: c.Megagroup,
			Forbidden: true,
		}, true
	}
	return ChannelInfo{}, false
}

// channelInfos converts the channels of a chat list, in order.
func channelInfos(chats []tg.ChatClass) []ChannelInfo {
	out := make([]ChannelInfo, 0, len(chats))
	for _, c := range chats {
		if info, ok := channelInfo(c); ok {
			out = append(out, info)
		}
	}
	return out
}

// fullChannel converts channels.getFullChannel's answer; ok is false when the
// answer describes no channel (a basic group's full chat).
func fullChannel(r *tg.MessagesChatFull) (FullChannel, bool) {
	full, ok := r.FullChat.(*tg.ChannelFull)
	if !ok {
		return FullChannel{}, false
	}
	out := FullChannel{
		About:        full.About,
		Subscribers:  full.ParticipantsCount,
		LinkedChatID: full.LinkedChatID,
		PinnedMsgID:  full.PinnedMsgID,
	}
	for _, info := range channelInfos(r.Chats) {
		if info.ChannelID == full.ID {
			out.ChannelInfo = info
			break
		}
	}
	out.ChannelID = full.ID // even if the chat list lacked the channel
	return out, true
}

// entities converts message entities; mention_name keeps only its span, since
// its user id names a person.
func entities(in []tg.MessageEntityClass) []Entity {
	if len(in) == 0 {
		return nil
	}
	out := make([]Entity, 0, len(in))
	for _, e := range in {
		ent := Entity{
			Type:   snakeName(e.TypeName(), "messageEntity"),
			Offset: e.GetOffset(),
			Length: e.GetLength(),
		}
		switch e := e.(type) {
		case *tg.MessageEntityTextURL:
			ent.URL = e.URL
		case *tg.InputMessageEntityMentionName:
			ent.Type = "mention_name"
		}
		out = append(out, ent)
	}
	return out
}

// mediaKind names a message's attachment; documents are told apart by their
// attributes because "document" alone hides videos, voice notes and stickers.
func mediaKind(m tg.MessageMediaClass) string {
	switch m := m.(type) {
	case nil, *tg.MessageMediaEmpty:
		return ""
	case *tg.MessageMediaDocument:
		switch {
		case m.Round:
			return "round_video"
		case m.Voice:
			return "voice"
		case m.Video:
			return "video"
		}
		doc, ok := m.Document.(*tg.Document)
		if !ok {
			return "document"
		}
		kind := "document"
		for _, a := range doc.Attributes {
			switch a := a.(type) {
			case *tg.DocumentAttributeSticker:
				return "sticker"
			case *tg.DocumentAttributeAnimated:
				return "animation"
			case *tg.DocumentAttributeVideo:
				if a.RoundMessage {
					kind = "round_video"
				} else {
					kind = "video"
				}
			case *tg.DocumentAttributeAudio:
				if a.Voice {
					kind = "voice"
				} else {
					kind = "audio"
				}
			}
		}
		return kind
	}
	return snakeName(m.TypeName(), "messageMedia")
}

// reactionKey names one reaction.
func reactionKey(r tg.ReactionClass) (string, bool) {
	switch r := r.(type) {
	case *tg.ReactionEmoji:
		return r.Emoticon, true
	case *tg.ReactionCustomEmoji:
		return "custom:" + strconv.FormatInt(r.DocumentID, 10), true
	case *tg.ReactionPaid:
		return "paid", true
	}
	return "", false
}

func reactions(r tg.MessageReactions) []Reaction {
	if len(r.Results) == 0 {
		return nil
	}
	out := make([]Reaction, 0, len(r.Results))
	for _, c := range r.Results {
		if key, ok := reactionKey(c.Reaction); ok {
			out = append(out, Reaction{Emoji: key, Count: c.Count})
		}
	}
	return out
}

func replyTo(r tg.MessageReplyHeaderClass) int {
	if h, ok := r.(*tg.MessageReplyHeader); ok {
		return h.ReplyToMsgID
	}
	return 0
}

// message converts one message; ok is false for messageEmpty (a deleted or
// never-existing id).
func message(m tg.MessageClass) (Message, bool) {
	switch m := m.(type) {
	case *tg.Message:
		out := Message{
			ID:        m.ID,
			Date:      unixTime(m.Date),
			EditDate:  unixTime(m.EditDate),
			Text:      m.Message,
			Entities:  entities(m.Entities),
			GroupedID: m.GroupedID,
			Media:     mediaKind(m.Media),
			ReplyTo:   replyTo(m.ReplyTo),
			Views:     m.Views,
			Forwards:  m.Forwards,
			Replies:   m.Replies.Replies,
			Reactions: reactions(m.Reactions),
		}
		// The header's presence flag is set only on decoded messages; a zero header
		// means none either way.
		if fwd := m.FwdFrom; !fwd.Zero() {
			out.FwdDate = unixTime(fwd.Date)
			out.FwdFromName = fwd.FromName
			switch p := fwd.FromID.(type) {
			case *tg.PeerChannel:
				out.FwdChannelID = p.ChannelID
				out.FwdPostID = fwd.ChannelPost
			case *tg.PeerUser:
				out.FwdUserID = p.UserID
			}
		}
		return out, true
	case *tg.MessageService:
		out := Message{
			ID:        m.ID,
			Date:      unixTime(m.Date),
			Service:   true,
			Action:    snakeName(m.Action.TypeName(), "messageAction"),
			ReplyTo:   replyTo(m.ReplyTo),
			Reactions: reactions(m.Reactions),
		}
		// A title given by the action is the service message's text: a rename is
		// then visible in the history as well as in snapshots.
		switch a := m.Action.(type) {
		case *tg.MessageActionChannelCreate:
			out.Text = a.Title
		case *tg.MessageActionChatEditTitle:
			out.Text = a.Title
		}
		return out, true
	}
	return Message{}, false
}

// mentioned picks from chats the channels that msg refers to.
func mentioned(msg *Message, chats map[int64]ChannelInfo) {
	if msg.FwdChannelID == 0 {
		return
	}
	if info, ok := chats[msg.FwdChannelID]; ok {
		msg.Mentioned = []ChannelInfo{info}
	}
}

// chatIndex indexes converted channels by id.
func chatIndex(infos []ChannelInfo) map[int64]ChannelInfo {
	idx := make(map[int64]ChannelInfo, len(infos))
	for _, info := range infos {
		idx[info.ChannelID] = info
	}
	return idx
}

// historyPage converts any answer of messages.getHistory.
func historyPage(r tg.MessagesMessagesClass) HistoryPage {
	var (
		msgs  []tg.MessageClass
		chats []tg.ChatClass
		count int
	)
	switch r := r.(type) {
	case *tg.MessagesChannelMessages:
		msgs, chats, count = r.Messages, r.Chats, r.Count
	case *tg.MessagesMessagesSlice:
		msgs, chats, count = r.Messages, r.Chats, r.Count
	case *tg.MessagesMessages:
		msgs, chats, count = r.Messages, r.Chats, len(r.Messages)
	case *tg.MessagesMessagesNotModified:
		count = r.Count
	}
	page := HistoryPage{Count: count, Chats: channelInfos(chats)}
	idx := chatIndex(page.Chats)
	page.Messages = make([]Message, 0, len(msgs))
	for _, m := range msgs {
		msg, ok := message(m)
		if !ok {
			continue
		}
		mentioned(&msg, idx)
		page.Messages = append(page.Messages, msg)
	}
	return page
}

// messagesByID converts channels.getMessages' answer into one entry per asked
// id, in the order asked, nil where the message is deleted or never existed.
func messagesByID(ids []int, r tg.MessagesMessagesClass) []*Message {
	page := historyPage(r)
	byID := make(map[int]*Message, len(page.Messages))
	for i := range page.Messages {
		byID[page.Messages[i].ID] = &page.Messages[i]
	}
	out := make([]*Message, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out
}

// counters converts messages.getMessagesViews' answer: Telegram returns one entry
// per asked id, in order.
func counters(ids []int, r *tg.MessagesMessageViews) []Counters {
	out := make([]Counters, 0, len(ids))
	for i, v := range r.Views {
		if i >= len(ids) {
			break
		}
		out = append(out, Counters{ID: ids[i], Views: v.Views, Forwards: v.Forwards, Replies: v.Replies.Replies})
	}
	return out
}

// chatsOf returns the chat list of a messages.Chats answer.
func chatsOf(r tg.MessagesChatsClass) []tg.ChatClass {
	switch r := r.(type) {
	case *tg.MessagesChats:
		return r.Chats
	case *tg.MessagesChatsSlice:
		return r.Chats
	}
	return nil
}
