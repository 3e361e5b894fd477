package tgsim

import (
	"errors"
	"hash/fnv"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

// worldError maps the world's sentinels to Telegram's RPC errors.
func worldError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, world.ErrUsernameNotOccupied):
		return tgerr.New(400, "USERNAME_NOT_OCCUPIED")
	case errors.Is(err, world.ErrUsernameInvalid):
		return tgerr.New(400, "USERNAME_INVALID")
	case errors.Is(err, world.ErrChannelPrivate):
		return tgerr.New(400, "CHANNEL_PRIVATE")
	case errors.Is(err, world.ErrChannelInvalid):
		return tgerr.New(400, "CHANNEL_INVALID")
	}
	return err
}

func unix(t time.Time) int {
	if t.IsZero() {
		return 0
	}
	return int(t.Unix())
}

// channelObject is a channel as it appears in a chats list: a broadcast
// channel the caller has not joined, or channelForbidden when it cannot be
// read any more.
func channelObject(v world.ChannelView) tg.ChatClass {
	if v.Status != world.StatusActive {
		return &tg.ChannelForbidden{Broadcast: true, ID: v.ID, AccessHash: v.AccessHash, Title: v.Title}
	}
	ch := &tg.Channel{
		Broadcast:  true,
		Left:       true,
		ID:         v.ID,
		AccessHash: v.AccessHash,
		Title:      v.Title,
		Photo:      &tg.ChatPhotoEmpty{},
		Date:       unix(v.Created),
		Verified:   v.Verified,
		Scam:       v.Scam,
		Fake:       v.Fake,
		Restricted: v.Restricted,
		HasLink:    v.LinkedChatID != 0,
	}
	ch.SetAccessHash(v.AccessHash)
	if v.Username != "" {
		ch.SetUsername(v.Username)
	}
	ch.SetParticipantsCount(v.Subscribers)
	if len(v.RestrictionReasons) > 0 {
		rr := make([]tg.RestrictionReason, len(v.RestrictionReasons))
		for i, r := range v.RestrictionReasons {
			rr[i] = tg.RestrictionReason{Platform: r.Platform, Reason: r.Reason, Text: r.Text}
		}
		ch.SetRestrictionReason(rr)
	}
	return ch
}

// linkedChatObject is a channel's discussion group. It is not part of the
// world; Telegram lists it next to the channel in channels.getFullChannel.
func linkedChatObject(v world.ChannelView) tg.ChatClass {
	ch := &tg.Channel{
		Megagroup:  true,
		Left:       true,
		HasLink:    true,
		ID:         v.LinkedChatID,
		AccessHash: stubID("linked", v.LinkedChatID, 0),
		Title:      v.Title + " Chat",
		Photo:      &tg.ChatPhotoEmpty{},
		Date:       unix(v.Created),
	}
	ch.SetAccessHash(ch.AccessHash)
	return ch
}

// stubID derives stable ids and access hashes for media and other objects
// the world does not model.
func stubID(kind string, a int64, b int) int64 {
	h := fnv.New64a()
	var buf [12]byte
	for i := range 8 {
		buf[i] = byte(a >> (8 * i))
	}
	for i := range 4 {
		buf[8+i] = byte(b >> (8 * i))
	}
	h.Write([]byte(kind))
	h.Write(buf[:])
	return int64(h.Sum64() >> 1)
}

func entityObject(e world.Entity) tg.MessageEntityClass {
	switch e.Type {
	case "url":
		return &tg.MessageEntityURL{Offset: e.Offset, Length: e.Length}
	case "text_url":
		return &tg.MessageEntityTextURL{Offset: e.Offset, Length: e.Length, URL: e.URL}
	case "mention":
		return &tg.MessageEntityMention{Offset: e.Offset, Length: e.Length}
	case "hashtag":
		return &tg.MessageEntityHashtag{Offset: e.Offset, Length: e.Length}
	case "bold":
		return &tg.MessageEntityBold{Offset: e.Offset, Length: e.Length}
	case "italic":
		return &tg.MessageEntityItalic{Offset: e.Offset, Length: e.Length}
	case "code":
		return &tg.MessageEntityCode{Offset: e.Offset, Length: e.Length}
	case "email":
		return &tg.MessageEntityEmail{Offset: e.Offset, Length: e.Length}
	case "cashtag":
		return &tg.MessageEntityCashtag{Offset: e.Offset, Length: e.Length}
	}
	return &tg.MessageEntityUnknown{Offset: e.Offset, Length: e.Length}
}

func photoObject(channelID int64, msgID int, date time.Time, dc int) *tg.Photo {
	return &tg.Photo{
		ID:            stubID("photo", channelID, msgID),
		AccessHash:    stubID("photo hash", channelID, msgID),
		FileReference: []byte{1, 2, 3, 4},
		Date:          unix(date),
		Sizes: []tg.PhotoSizeClass{
			&tg.PhotoSize{Type: "m", W: 320, H: 240, Size: 14_000},
			&tg.PhotoSize{Type: "x", W: 800, H: 600, Size: 61_000},
		},
		DCID: dc,
	}
}

func mediaObject(channelID int64, m *world.Message, dc int) tg.MessageMediaClass {
	switch m.Media {
	case "photo":
		return &tg.MessageMediaPhoto{Photo: photoObject(channelID, m.ID, m.Date, dc)}
	case "video":
		return &tg.MessageMediaDocument{Video: true, Document: &tg.Document{
			ID:            stubID("video", channelID, m.ID),
			AccessHash:    stubID("video hash", channelID, m.ID),
			FileReference: []byte{1, 2, 3, 4},
			Date:          unix(m.Date),
			MimeType:      "video/mp4",
			Size:          4_200_000,
			DCID:          dc,
			Attributes: []tg.DocumentAttributeClass{
				&tg.DocumentAttributeVideo{SupportsStreaming: true, Duration: 42, W: 1280, H: 720},
				&tg.DocumentAttributeFilename{FileName: "video.mp4"},
			},
		}}
	case "document":
		return &tg.MessageMediaDocument{Document: &tg.Document{
			ID:            stubID("document", channelID, m.ID),
			AccessHash:    stubID("document hash", channelID, m.ID),
			FileReference: []byte{1, 2, 3, 4},
			Date:          unix(m.Date),
			MimeType:      "application/pdf",
			Size:          310_000,
			DCID:          dc,
			Attributes: []tg.DocumentAttributeClass{
				&tg.DocumentAttributeFilename{FileName: "document.pdf"},
			},
		}}
	}
	return nil
}

// messageObject converts a world message of a channel to Telegram's form.
// linked is the channel's discussion group (0 = none): with one, replies
// are comments.
func messageObject(channelID, linked int64, m *world.Message, dc int) tg.MessageClass {
	peer := &tg.PeerChannel{ChannelID: channelID}
	if m.Service {
		svc := &tg.MessageService{Post: true, ID: m.ID, PeerID: peer, Date: unix(m.Date)}
		switch m.Action {
		case world.ActionChannelCreate:
			svc.Action = &tg.MessageActionChannelCreate{Title: m.Text}
		case world.ActionTitleChanged:
			svc.Action = &tg.MessageActionChatEditTitle{Title: m.Text}
		case world.ActionPhotoChanged:
			svc.Action = &tg.MessageActionChatEditPhoto{Photo: photoObject(channelID, m.ID, m.Date, dc)}
		case world.ActionPin:
			svc.Action = &tg.MessageActionPinMessage{}
		default:
			svc.Action = &tg.MessageActionEmpty{}
		}
		if m.ReplyTo != 0 {
			h := &tg.MessageReplyHeader{}
			h.SetReplyToMsgID(m.ReplyTo)
			svc.SetReplyTo(h)
		}
		return svc
	}
	msg := &tg.Message{Post: true, ID: m.ID, PeerID: peer, Date: unix(m.Date), Message: m.Text}
	msg.SetViews(m.Views)
	msg.SetForwards(m.Forwards)
	if len(m.Entities) > 0 {
		ents := make([]tg.MessageEntityClass, len(m.Entities))
		for i, e := range m.Entities {
			ents[i] = entityObject(e)
		}
		msg.SetEntities(ents)
	}
	if f := m.Fwd; f != nil {
		h := tg.MessageFwdHeader{Date: unix(f.Date)}
		if f.ChannelID != 0 {
			h.SetFromID(&tg.PeerChannel{ChannelID: f.ChannelID})
			if f.PostID != 0 {
				h.SetChannelPost(f.PostID)
			}
		} else {
			h.SetFromName(f.FromName)
		}
		msg.SetFwdFrom(h)
	}
	if m.GroupedID != 0 {
		msg.SetGroupedID(m.GroupedID)
	}
	if media := mediaObject(channelID, m, dc); media != nil {
		msg.SetMedia(media)
	}
	if m.ReplyTo != 0 {
		h := &tg.MessageReplyHeader{}
		h.SetReplyToMsgID(m.ReplyTo)
		msg.SetReplyTo(h)
	}
	if linked != 0 || m.Replies > 0 {
		msg.SetReplies(repliesObject(linked, m.Replies))
	}
	if !m.EditDate.IsZero() {
		msg.SetEditDate(unix(m.EditDate))
	}
	if len(m.Reactions) > 0 {
		rs := make([]tg.ReactionCount, len(m.Reactions))
		for i, r := range m.Reactions {
			rs[i] = tg.ReactionCount{Reaction: &tg.ReactionEmoji{Emoticon: r.Emoji}, Count: r.Count}
		}
		msg.SetReactions(tg.MessageReactions{Results: rs})
	}
	return msg
}

func repliesObject(linked int64, n int) tg.MessageReplies {
	r := tg.MessageReplies{Replies: n, RepliesPts: n}
	if linked != 0 {
		r.Comments = true
		r.SetChannelID(linked)
	}
	return r
}
