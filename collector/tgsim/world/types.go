package world

import (
	"errors"
	"fmt"
	"time"
)

// Status of a channel at a time.
type Status uint8

// Channel statuses. The zero value is not a status a channel has.
const (
	// StatusActive is a public channel anyone can read.
	StatusActive Status = iota + 1
	// StatusPrivate is a channel its owner made private: its username is
	// freed and reads give ErrChannelPrivate.
	StatusPrivate
	// StatusBanned is a channel Telegram took down: reads give ErrChannelPrivate.
	StatusBanned
	// StatusDeleted is a channel its owner deleted: reads give ErrChannelPrivate.
	StatusDeleted
)

// String returns "active", "private", "banned", "deleted" or "unknown".
func (s Status) String() string {
	switch s {
	case StatusActive:
		return "active"
	case StatusPrivate:
		return "private"
	case StatusBanned:
		return "banned"
	case StatusDeleted:
		return "deleted"
	}
	return "unknown"
}

// MarshalText writes the status as its name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a status name.
func (s *Status) UnmarshalText(b []byte) error {
	for _, v := range []Status{StatusActive, StatusPrivate, StatusBanned, StatusDeleted} {
		if v.String() == string(b) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown status %q", b)
}

// Errors a query can give; the server maps them to Telegram's RPC errors.
var (
	// ErrUsernameNotOccupied: no channel holds the username at that time
	// (never did, renamed away, went private, banned or deleted).
	ErrUsernameNotOccupied = errors.New("USERNAME_NOT_OCCUPIED")
	// ErrUsernameInvalid: the string cannot be a username.
	ErrUsernameInvalid = errors.New("USERNAME_INVALID")
	// ErrChannelPrivate: the channel exists but cannot be read (private,
	// banned or deleted).
	ErrChannelPrivate = errors.New("CHANNEL_PRIVATE")
	// ErrChannelInvalid: unknown channel id, wrong access hash, or a channel
	// not created yet.
	ErrChannelInvalid = errors.New("CHANNEL_INVALID")
)

// Restriction is one reason a channel is restricted, as Telegram reports it.
type Restriction struct {
	Platform string `json:"platform"` // "all", "ios", "android"
	Reason   string `json:"reason"`   // "porn", "terms", "copyright", "violence"
	Text     string `json:"text"`
}

// ChannelView is a channel as a client would see it at a time.
type ChannelView struct {
	ID, AccessHash int64
	// Username is "" when the channel has none at the time.
	Username, Title, About string
	Subscribers            int
	Verified, Scam, Fake   bool
	Restricted             bool
	RestrictionReasons     []Restriction
	Status                 Status
	Created                time.Time
	// LinkedChatID is the id of the channel's discussion group (0 = none).
	// The group is not part of the world: it only explains comment counters.
	LinkedChatID int64
	// PinnedMsgID is the pinned post (0 = none or not visible).
	PinnedMsgID int
}

// Entity is a formatting entity over a message's text. Offsets and lengths
// are in UTF-16 code units, as in Telegram.
type Entity struct {
	Type   string `json:"type"` // "url", "text_url", "mention", "hashtag", "bold"
	Offset int    `json:"offset"`
	Length int    `json:"length"`
	// URL is the hidden destination of a text_url entity.
	URL string `json:"url,omitempty"`
}

// Forward is a message's forward header: from a channel's post, or from a
// person who hides their account (FromName only).
type Forward struct {
	ChannelID int64
	PostID    int
	FromName  string
	Date      time.Time
}

// Reaction is one emoji's count on a post.
type Reaction struct {
	Emoji string
	Count int
}

// Message actions of service messages.
const (
	ActionChannelCreate = "channel_create"
	ActionTitleChanged  = "title_changed"
	ActionPin           = "pin"
	ActionPhotoChanged  = "photo_changed"
)

// Message is one channel message as a client sees it at the query time.
// Text, Entities and Fwd are shared with the world's cache: read them, never
// modify them.
type Message struct {
	ID   int
	Date time.Time
	// EditDate is zero when the message was not edited by the query time.
	EditDate time.Time
	// Service marks a service message; Action says which. A title_changed
	// message carries the new title in Text; a pin message points at the
	// pinned post with ReplyTo.
	Service bool
	Action  string
	Text    string
	// Entities is nil for plain text.
	Entities []Entity
	// GroupedID is shared by the messages of one album (0 = not in an album).
	GroupedID int64
	Media     string // "", "photo", "video", "document"
	Fwd       *Forward
	ReplyTo   int
	// Counters as of the query time.
	Views, Forwards, Replies int
	Reactions                []Reaction
}

// HistoryQuery carries messages.getHistory's parameters with Telegram's semantics.
type HistoryQuery struct {
	OffsetID   int
	OffsetDate time.Time
	AddOffset  int
	Limit      int
	MaxID      int
	MinID      int
}

// Options tunes how a world is served; nothing in it changes the world.
type Options struct {
	// CacheMessages bounds the messages kept in memory across channels'
	// cached histories (default 2,000,000, about 0.5 GB).
	CacheMessages int
	// CacheTimelines bounds the channels whose per-day message-id index is
	// kept (default 20,000; each costs a few KB).
	CacheTimelines int
}
