package telegram

import "time"

// Method names, as Telegram spells them. The engine keys rate budgets and flood
// waits by them, and the metrics label calls with them.
const (
	MethodResolveUsername    = "contacts.resolveUsername"
	MethodGetChannels        = "channels.getChannels"
	MethodGetFullChannel     = "channels.getFullChannel"
	MethodGetHistory         = "messages.getHistory"
	MethodGetMessagesViews   = "messages.getMessagesViews"
	MethodGetMessages        = "channels.getMessages"
	MethodGetRecommendations = "channels.getChannelRecommendations"
	MethodGetConfig          = "help.getConfig"
)

// MaxHistoryLimit is the most messages Telegram returns per messages.getHistory.
const MaxHistoryLimit = 100

// Peer addresses a channel. The access hash is per account: a Peer learnt on one
// account does not work on another, which must resolve or meet the channel itself.
type Peer struct {
	ChannelID  int64
	AccessHash int64
	// Username is the handle it was resolved from or last seen with, without "@".
	Username string
}

// ChannelInfo is a channel as Telegram describes it in a list of chats.
type ChannelInfo struct {
	Peer
	Title string
	// Username is the channel's public handle, "" when it has none (the same as
	// Peer.Username in every ChannelInfo this package returns).
	Username                         string
	Verified, Scam, Fake, Restricted bool
	// RestrictionReasons are "platform:reason" pairs such as "all:terms".
	RestrictionReasons []string
	// Date is when the channel was created (or this account joined it).
	Date      time.Time
	Broadcast bool
	Megagroup bool
	Left      bool
	// Min marks a partial description (Telegram's "min" constructor): the access
	// hash in it may not work for direct calls; resolve the username instead.
	Min bool
	// Forbidden marks a channel this account can no longer see (channelForbidden):
	// it went private or banned the account. Only ID, AccessHash, Title, Broadcast
	// and Megagroup are set.
	Forbidden bool
}

// FullChannel is the answer of channels.getFullChannel.
type FullChannel struct {
	ChannelInfo
	About        string
	Subscribers  int
	LinkedChatID int64
	PinnedMsgID  int
}

// Entity is a formatting or link span of a message's text.
type Entity struct {
	// Type is Telegram's entity name in snake case: url, text_url, mention,
	// mention_name, hashtag, cashtag, bot_command, email, phone, bold, ...
	Type string
	// Offset and Length count UTF-16 code units, as Telegram does.
	Offset, Length int
	// URL is the target of a text_url entity.
	URL string
}

// Reaction is the count of one reaction under a message.
type Reaction struct {
	// Emoji is the emoji itself, "custom:<document id>" for a custom emoji, or
	// "paid" for paid (star) reactions.
	Emoji string
	Count int
}

// Message is one message of a channel, a post or a service message.
type Message struct {
	ID       int
	Date     time.Time
	EditDate time.Time
	// Service marks a service message (channel created, title changed, pinned...);
	// Action names it with Telegram's action name in snake case (channel_create,
	// chat_edit_title, chat_edit_photo, pin_message).
	Service bool
	Action  string
	// Text is the post's text; for channel_create and chat_edit_title, the title.
	Text string
	// Entities are the text's entities in Telegram's order.
	Entities []Entity
	// GroupedID is shared by the messages of one album; 0 outside albums.
	GroupedID int64
	// Media names the attachment: photo, video, round_video, audio, voice,
	// sticker, animation, document, web_page, poll, geo, ...; "" for none.
	Media string
	// A forward from a channel has FwdChannelID and FwdPostID; from a person who
	// hides their account, FwdFromName; from a person who does not, FwdUserID.
	// The engine stores persons only as keyed hashes.
	FwdChannelID int64
	FwdPostID    int
	FwdFromName  string
	FwdUserID    int64
	FwdDate      time.Time
	// ReplyTo is the id of the message this one answers, 0 for none.
	ReplyTo   int
	Views     int
	Forwards  int
	Replies   int
	Reactions []Reaction
	// Mentioned holds the channels of the answer's chat list that this message
	// refers to (its forward source), so the engine learns their access hashes.
	Mentioned []ChannelInfo
}

// ReactionsTotal is the sum of all reaction counts.
func (m *Message) ReactionsTotal() int {
	n := 0
	for _, r := range m.Reactions {
		n += r.Count
	}
	return n
}

// HistoryQuery is messages.getHistory's paging: newest first, starting below
// OffsetID (or before OffsetDate), shifted by AddOffset (negative = newer), at
// most Limit messages (0 or more than MaxHistoryLimit = MaxHistoryLimit), only ids
// in (MinID, MaxID) when those are set.
type HistoryQuery struct {
	OffsetID   int
	OffsetDate time.Time
	AddOffset  int
	Limit      int
	MaxID      int
	MinID      int
}

// HistoryPage is one answer of messages.getHistory.
type HistoryPage struct {
	// Messages are newest first.
	Messages []Message
	// Count is the channel's total number of messages as Telegram counts them
	// (deleted ones excluded), not the length of this page.
	Count int
	// Chats are every channel the answer described: the channel itself and the
	// sources of forwards.
	Chats []ChannelInfo
}

// Counters are a message's current counters from messages.getMessagesViews.
type Counters struct {
	ID       int
	Views    int
	Forwards int
	Replies  int
}
