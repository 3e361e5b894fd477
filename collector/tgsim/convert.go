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

// msgScratch converts world messages into reused tg structs, so that a page
// of messages is encoded one message at a time with almost no allocation.
// Everything it returns is valid until its next fill.
type msgScratch struct {
	msg     tg.Message
	svc     tg.MessageService
	reply   tg.MessageReplyHeader
	fwdPeer tg.PeerChannel
	ents    []tg.MessageEntityClass
	urls    []tg.MessageEntityURL
	textURL []tg.MessageEntityTextURL
	mention []tg.MessageEntityMention
	hashtag []tg.MessageEntityHashtag
	bold    []tg.MessageEntityBold
	other   []tg.MessageEntityUnknown
	reacts  []tg.ReactionCount
	emoji   []tg.ReactionEmoji
	photo   tg.Photo
	mPhoto  tg.MessageMediaPhoto
	doc     tg.Document
	mDoc    tg.MessageMediaDocument

	create    tg.MessageActionChannelCreate
	editTitle tg.MessageActionChatEditTitle
	editPhoto tg.MessageActionChatEditPhoto
	pin       tg.MessageActionPinMessage
	empty     tg.MessageActionEmpty

	// Constant parts of the media stubs.
	fileRef    []byte
	photoSizes []tg.PhotoSizeClass
	videoAttrs []tg.DocumentAttributeClass
	docAttrs   []tg.DocumentAttributeClass
}

func newMsgScratch() *msgScratch {
	return &msgScratch{
		fileRef: []byte{1, 2, 3, 4},
		photoSizes: []tg.PhotoSizeClass{
			&tg.PhotoSize{Type: "m", W: 320, H: 240, Size: 14_000},
			&tg.PhotoSize{Type: "x", W: 800, H: 600, Size: 61_000},
		},
		videoAttrs: []tg.DocumentAttributeClass{
			&tg.DocumentAttributeVideo{SupportsStreaming: true, Duration: 42, W: 1280, H: 720},
			&tg.DocumentAttributeFilename{FileName: "video.mp4"},
		},
		docAttrs: []tg.DocumentAttributeClass{
			&tg.DocumentAttributeFilename{FileName: "document.pdf"},
		},
	}
}

func (sc *msgScratch) entity(e world.Entity) tg.MessageEntityClass {
	switch e.Type {
	case "url":
		sc.urls = append(sc.urls, tg.MessageEntityURL{Offset: e.Offset, Length: e.Length})
		return &sc.urls[len(sc.urls)-1]
	case "text_url":
		sc.textURL = append(sc.textURL, tg.MessageEntityTextURL{Offset: e.Offset, Length: e.Length, URL: e.URL})
		return &sc.textURL[len(sc.textURL)-1]
	case "mention":
		sc.mention = append(sc.mention, tg.MessageEntityMention{Offset: e.Offset, Length: e.Length})
		return &sc.mention[len(sc.mention)-1]
	case "hashtag":
		sc.hashtag = append(sc.hashtag, tg.MessageEntityHashtag{Offset: e.Offset, Length: e.Length})
		return &sc.hashtag[len(sc.hashtag)-1]
	case "bold":
		sc.bold = append(sc.bold, tg.MessageEntityBold{Offset: e.Offset, Length: e.Length})
		return &sc.bold[len(sc.bold)-1]
	}
	sc.other = append(sc.other, tg.MessageEntityUnknown{Offset: e.Offset, Length: e.Length})
	return &sc.other[len(sc.other)-1]
}

func (sc *msgScratch) photoOf(channelID int64, msgID int, date time.Time, dc int) *tg.Photo {
	sc.photo = tg.Photo{
		ID:            stubID("photo", channelID, msgID),
		AccessHash:    stubID("photo hash", channelID, msgID),
		FileReference: sc.fileRef,
		Date:          unix(date),
		Sizes:         sc.photoSizes,
		DCID:          dc,
	}
	return &sc.photo
}

func (sc *msgScratch) media(channelID int64, m *world.Message, dc int) tg.MessageMediaClass {
	switch m.Media {
	case "photo":
		sc.mPhoto = tg.MessageMediaPhoto{Photo: sc.photoOf(channelID, m.ID, m.Date, dc)}
		return &sc.mPhoto
	case "video", "document":
		sc.doc = tg.Document{
			FileReference: sc.fileRef,
			Date:          unix(m.Date),
			DCID:          dc,
		}
		if m.Media == "video" {
			sc.doc.ID, sc.doc.AccessHash = stubID("video", channelID, m.ID), stubID("video hash", channelID, m.ID)
			sc.doc.MimeType, sc.doc.Size, sc.doc.Attributes = "video/mp4", 4_200_000, sc.videoAttrs
		} else {
			sc.doc.ID, sc.doc.AccessHash = stubID("document", channelID, m.ID), stubID("document hash", channelID, m.ID)
			sc.doc.MimeType, sc.doc.Size, sc.doc.Attributes = "application/pdf", 310_000, sc.docAttrs
		}
		sc.mDoc = tg.MessageMediaDocument{Video: m.Media == "video", Document: &sc.doc}
		return &sc.mDoc
	}
	return nil
}

// fill converts a world message of a channel to Telegram's form. peer is
// the channel (shared: encoding only reads it); linked is its discussion
// group (0 = none): with one, replies are comments.
func (sc *msgScratch) fill(peer *tg.PeerChannel, linked int64, m *world.Message, dc int) tg.MessageClass {
	channelID := peer.ChannelID
	if m.Service {
		sc.svc = tg.MessageService{Post: true, ID: m.ID, PeerID: peer, Date: unix(m.Date)}
		svc := &sc.svc
		switch m.Action {
		case world.ActionChannelCreate:
			sc.create = tg.MessageActionChannelCreate{Title: m.Text}
			svc.Action = &sc.create
		case world.ActionTitleChanged:
			sc.editTitle = tg.MessageActionChatEditTitle{Title: m.Text}
			svc.Action = &sc.editTitle
		case world.ActionPhotoChanged:
			sc.editPhoto = tg.MessageActionChatEditPhoto{Photo: sc.photoOf(channelID, m.ID, m.Date, dc)}
			svc.Action = &sc.editPhoto
		case world.ActionPin:
			svc.Action = &sc.pin
		default:
			svc.Action = &sc.empty
		}
		if m.ReplyTo != 0 {
			sc.reply = tg.MessageReplyHeader{}
			sc.reply.SetReplyToMsgID(m.ReplyTo)
			svc.SetReplyTo(&sc.reply)
		}
		return svc
	}
	sc.msg = tg.Message{Post: true, ID: m.ID, PeerID: peer, Date: unix(m.Date), Message: m.Text}
	msg := &sc.msg
	msg.SetViews(m.Views)
	msg.SetForwards(m.Forwards)
	if len(m.Entities) > 0 {
		sc.ents, sc.urls, sc.textURL, sc.mention = sc.ents[:0], sc.urls[:0], sc.textURL[:0], sc.mention[:0]
		sc.hashtag, sc.bold, sc.other = sc.hashtag[:0], sc.bold[:0], sc.other[:0]
		for _, e := range m.Entities {
			sc.ents = append(sc.ents, sc.entity(e))
		}
		msg.SetEntities(sc.ents)
	}
	if f := m.Fwd; f != nil {
		h := tg.MessageFwdHeader{Date: unix(f.Date)}
		if f.ChannelID != 0 {
			sc.fwdPeer = tg.PeerChannel{ChannelID: f.ChannelID}
			h.SetFromID(&sc.fwdPeer)
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
	if media := sc.media(channelID, m, dc); media != nil {
		msg.SetMedia(media)
	}
	if m.ReplyTo != 0 {
		sc.reply = tg.MessageReplyHeader{}
		sc.reply.SetReplyToMsgID(m.ReplyTo)
		msg.SetReplyTo(&sc.reply)
	}
	if linked != 0 || m.Replies > 0 {
		msg.SetReplies(repliesObject(linked, m.Replies))
	}
	if !m.EditDate.IsZero() {
		msg.SetEditDate(unix(m.EditDate))
	}
	if len(m.Reactions) > 0 {
		sc.reacts, sc.emoji = sc.reacts[:0], sc.emoji[:0]
		for _, r := range m.Reactions {
			sc.emoji = append(sc.emoji, tg.ReactionEmoji{Emoticon: r.Emoji})
		}
		for i, r := range m.Reactions {
			sc.reacts = append(sc.reacts, tg.ReactionCount{Reaction: &sc.emoji[i], Count: r.Count})
		}
		msg.SetReactions(tg.MessageReactions{Results: sc.reacts})
	}
	return msg
}

// messageObject converts one message into structs of its own.
func messageObject(peer *tg.PeerChannel, linked int64, m *world.Message, dc int) tg.MessageClass {
	return newMsgScratch().fill(peer, linked, m, dc)
}

func repliesObject(linked int64, n int) tg.MessageReplies {
	r := tg.MessageReplies{Replies: n, RepliesPts: n}
	if linked != 0 {
		r.Comments = true
		r.SetChannelID(linked)
	}
	return r
}
