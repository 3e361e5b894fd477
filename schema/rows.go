package schema

import (
	"hash/fnv"
	"strconv"
	"time"
)

// The row types below mirror the tables created by the migrations in migrations/. Field tags
// name the ClickHouse column (`ch:"column"`); the writer in schema/store builds its explicit
// column list from them, so a row type and its table cannot drift apart silently: a tag that
// names no column fails the insert with the table and column named.
//
// Zero values mean "unknown" (time.Time{} is written as 1970-01-01 00:00:00).

// Platform tokens used in every `platform` column.
const (
	PlatformTelegram  = "telegram"
	PlatformTwitter   = "twitter"
	PlatformFacebook  = "facebook"
	PlatformInstagram = "instagram"
)

// Table names, as analysts see them (in cluster mode these are the Distributed tables).
const (
	TableChannels         = "channels"
	TableChannelSnapshots = "channel_snapshots"
	TablePosts            = "posts"
	TablePostCounters     = "post_counters"
	TablePostLinks        = "post_links"
	TableChannelEvents    = "channel_events"
	TableEvents           = "events"
	TableAccountLinks     = "account_links"
	TableActorAccounts    = "actor_accounts"
	TableSamplingFrames   = "sampling_frames"
	TableDiscovery        = "discovery"
	TableRuns             = "runs"
	TableCompleteness     = "collect_completeness"
	TableChannelDaily     = "channel_daily"
	TablePostsDaily       = "posts_daily"
	TableLinksDaily       = "links_daily"
)

// AccountID maps a platform's account id to the numeric channel_id used in every table.
// Decimal ids (Telegram, Twitter, Facebook) are kept as they are, so analysts can look them up
// directly; any other id (the hashed user ids of Twitter's information-operations releases,
// handles) becomes a stable 64-bit FNV-1a hash with the top bit set, which no real numeric id
// of those platforms reaches. The original text belongs in external_id.
func AccountID(externalID string) uint64 {
	if n, err := strconv.ParseUint(externalID, 10, 64); err == nil && n < 1<<63 {
		return n
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(externalID))
	return h.Sum64() | 1<<63
}

// Version returns the replacement version of a row observed at t: later observations win.
func Version(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano())
}

// Channel is the latest known identity of an account (table channels).
type Channel struct {
	Platform    string    `ch:"platform"`
	ChannelID   uint64    `ch:"channel_id"`
	ExternalID  string    `ch:"external_id"`
	Username    string    `ch:"username"`
	Title       string    `ch:"title"`
	About       string    `ch:"about"`
	Kind        string    `ch:"kind"`
	Status      string    `ch:"status"`
	Subscribers uint64    `ch:"subscribers"`
	CreatedAt   time.Time `ch:"created_at"`
	FirstSeenAt time.Time `ch:"first_seen_at"`
	LastSeenAt  time.Time `ch:"last_seen_at"`
	Verified    uint8     `ch:"verified"`
	Scam        uint8     `ch:"scam"`
	Fake        uint8     `ch:"fake"`
	Restricted  uint8     `ch:"restricted"`
	Source      string    `ch:"source"`
	Version     uint64    `ch:"version"`
}

// ChannelSnapshot is one observation of an account's metadata and audience.
type ChannelSnapshot struct {
	Platform           string    `ch:"platform"`
	ChannelID          uint64    `ch:"channel_id"`
	SnapshotAt         time.Time `ch:"snapshot_at"`
	Username           string    `ch:"username"`
	Title              string    `ch:"title"`
	About              string    `ch:"about"`
	Subscribers        uint64    `ch:"subscribers"`
	Status             string    `ch:"status"`
	Verified           uint8     `ch:"verified"`
	Scam               uint8     `ch:"scam"`
	Fake               uint8     `ch:"fake"`
	Restricted         uint8     `ch:"restricted"`
	RestrictionReasons []string  `ch:"restriction_reasons"`
	LinkedChatID       uint64    `ch:"linked_chat_id"`
	PinnedPostID       uint64    `ch:"pinned_post_id"`
	Source             string    `ch:"source"`
	RunID              string    `ch:"run_id"`
}

// Channel statuses, as stored in channels.status and channel_snapshots.status.
const (
	StatusActive   = "active"
	StatusPrivate  = "private"
	StatusBanned   = "banned"
	StatusDeleted  = "deleted"
	StatusNotFound = "not_found"
)

// StatusGone tells whether a channel status means the channel left public view: private,
// banned, deleted or not found.
func StatusGone(status string) bool {
	switch status {
	case StatusPrivate, StatusBanned, StatusDeleted, StatusNotFound:
		return true
	}
	return false
}

// Post is one message of a channel (or one post of another platform).
type Post struct {
	Platform      string    `ch:"platform"`
	ChannelID     uint64    `ch:"channel_id"`
	PostID        uint64    `ch:"post_id"`
	PostedAt      time.Time `ch:"posted_at"`
	EditedAt      time.Time `ch:"edited_at"`
	Kind          string    `ch:"kind"`
	PostType      string    `ch:"post_type"`
	ServiceAction string    `ch:"service_action"`
	AlbumID       uint64    `ch:"album_id"`
	FwdChannelID  uint64    `ch:"fwd_channel_id"`
	FwdPostID     uint64    `ch:"fwd_post_id"`
	FwdPersonHash string    `ch:"fwd_person_hash"`
	FwdAt         time.Time `ch:"fwd_at"`
	ReplyToPostID uint64    `ch:"reply_to_post_id"`
	AuthorHash    string    `ch:"author_hash"`
	Text          string    `ch:"text"`
	TextLength    uint32    `ch:"text_length"`
	TextHash      uint64    `ch:"text_hash"`
	MediaType     string    `ch:"media_type"`
	Hashtags      []string  `ch:"hashtags"`
	Mentions      []string  `ch:"mentions"`
	LinkCount     uint16    `ch:"link_count"`
	Views         uint64    `ch:"views"`
	Forwards      uint64    `ch:"forwards"`
	Replies       uint64    `ch:"replies"`
	Reactions     uint64    `ch:"reactions"`
	CountersAt    time.Time `ch:"counters_at"`
	Deleted       uint8     `ch:"deleted"`
	DeletedAt     time.Time `ch:"deleted_at"`
	Source        string    `ch:"source"`
	RunID         string    `ch:"run_id"`
	Version       uint64    `ch:"version"`
}

// Post kinds.
const (
	KindPost    = "post"
	KindService = "service"
)

// PostCounters is one re-read of a post's counters at an age.
type PostCounters struct {
	Platform      string    `ch:"platform"`
	ChannelID     uint64    `ch:"channel_id"`
	PostID        uint64    `ch:"post_id"`
	ReadAt        time.Time `ch:"read_at"`
	PostedAt      time.Time `ch:"posted_at"`
	AgeS          uint32    `ch:"age_s"`
	TargetAgeS    uint32    `ch:"target_age_s"`
	Views         uint64    `ch:"views"`
	Forwards      uint64    `ch:"forwards"`
	Replies       uint64    `ch:"replies"`
	Reactions     uint64    `ch:"reactions"`
	ReactionEmoji []string  `ch:"reaction_emoji"`
	ReactionCount []uint64  `ch:"reaction_count"`
	Deleted       uint8     `ch:"deleted"`
	RunID         string    `ch:"run_id"`
}

// PostLink is an outbound link, @mention or invite link found in a post, an about text or a
// pinned post.
type PostLink struct {
	Platform         string    `ch:"platform"`
	ChannelID        uint64    `ch:"channel_id"`
	PostID           uint64    `ch:"post_id"`
	PostedAt         time.Time `ch:"posted_at"`
	URL              string    `ch:"url"`
	LinkKind         string    `ch:"link_kind"`
	SourceKind       string    `ch:"source_kind"`
	Domain           string    `ch:"domain"`
	RegisteredDomain string    `ch:"registered_domain"`
	DestPlatform     string    `ch:"dest_platform"`
	Shortener        uint8     `ch:"shortener"`
	TargetUsername   string    `ch:"target_username"`
	TargetChannelID  uint64    `ch:"target_channel_id"`
	TargetPostID     uint64    `ch:"target_post_id"`
	RunID            string    `ch:"run_id"`
}

// ChannelEvent is an identity or status change detected by comparing observations.
type ChannelEvent struct {
	Platform   string    `ch:"platform"`
	ChannelID  uint64    `ch:"channel_id"`
	EventAt    time.Time `ch:"event_at"`
	Kind       string    `ch:"kind"`
	OldValue   string    `ch:"old_value"`
	NewValue   string    `ch:"new_value"`
	DetectedAt time.Time `ch:"detected_at"`
	RunID      string    `ch:"run_id"`
}

// Origins of a registry event (events.origin).
const (
	EventOriginRegistry = "registry" // recorded by a researcher
	EventOriginImport   = "import"   // read from a file
	EventOriginDetected = "detected" // seen by the collector
)

// Channel event kinds.
const (
	EventRenamed       = "renamed"
	EventTitleChanged  = "title_changed"
	EventAboutChanged  = "about_changed"
	EventWentPrivate   = "went_private"
	EventBanned        = "banned"
	EventDeleted       = "deleted"
	EventUsernameFreed = "username_freed"
	EventReappeared    = "reappeared"
)

// Event is an entry of the events registry: a takedown, suspension, ban, attack or policy
// change, curated or detected.
type Event struct {
	EventID          string    `ch:"event_id"`
	EventAt          time.Time `ch:"event_at"`
	EndAt            time.Time `ch:"end_at"`
	Platform         string    `ch:"platform"`
	Kind             string    `ch:"kind"`
	TargetKind       string    `ch:"target_kind"`
	Targets          []string  `ch:"targets"`
	TargetChannelIDs []uint64  `ch:"target_channel_ids"`
	Title            string    `ch:"title"`
	Source           string    `ch:"source"`
	Origin           string    `ch:"origin"`
	Note             string    `ch:"note"`
	Deleted          uint8     `ch:"deleted"`
	Version          uint64    `ch:"version"`
}

// AccountLink links an account to an account of another platform, with its evidence.
type AccountLink struct {
	FromPlatform   string    `ch:"from_platform"`
	FromChannelID  uint64    `ch:"from_channel_id"`
	ToPlatform     string    `ch:"to_platform"`
	ToHandle       string    `ch:"to_handle"`
	ToChannelID    uint64    `ch:"to_channel_id"`
	ToURL          string    `ch:"to_url"`
	Evidence       string    `ch:"evidence"`
	EvidenceText   string    `ch:"evidence_text"`
	Confidence     float32   `ch:"confidence"`
	Status         string    `ch:"status"`
	FirstSeenAt    time.Time `ch:"first_seen_at"`
	LastVerifiedAt time.Time `ch:"last_verified_at"`
	DecidedBy      string    `ch:"decided_by"`
	Version        uint64    `ch:"version"`
}

// ActorAccount puts one account into an actor: the accounts of one entity across platforms.
type ActorAccount struct {
	ActorID   string    `ch:"actor_id"`
	ActorName string    `ch:"actor_name"`
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	Handle    string    `ch:"handle"`
	AddedAt   time.Time `ch:"added_at"`
	Removed   uint8     `ch:"removed"`
	Note      string    `ch:"note"`
	Version   uint64    `ch:"version"`
}

// SamplingFrame is one version of the set of channels a study follows.
type SamplingFrame struct {
	FrameID       string    `ch:"frame_id"`
	ParentFrameID string    `ch:"parent_frame_id"`
	CreatedAt     time.Time `ch:"created_at"`
	Rules         string    `ch:"rules"`
	Seeds         uint32    `ch:"seeds"`
	Channels      uint32    `ch:"channels"`
	Note          string    `ch:"note"`
	Version       uint64    `ch:"version"`
}

// Discovery records how a channel entered a sampling frame.
type Discovery struct {
	FrameID      string    `ch:"frame_id"`
	Platform     string    `ch:"platform"`
	ChannelID    uint64    `ch:"channel_id"`
	Username     string    `ch:"username"`
	DiscoveredAt time.Time `ch:"discovered_at"`
	ViaChannelID uint64    `ch:"via_channel_id"`
	Rule         string    `ch:"rule"`
	Depth        uint8     `ch:"depth"`
	References   uint32    `ch:"references"`
	Included     uint8     `ch:"included"`
	Reason       string    `ch:"reason"`
	Version      uint64    `ch:"version"`
}

// Run is one job run (collection, import, analysis) with what produced it and its counts.
type Run struct {
	RunID       string    `ch:"run_id"`
	Job         string    `ch:"job"`
	StartedAt   time.Time `ch:"started_at"`
	FinishedAt  time.Time `ch:"finished_at"`
	Status      string    `ch:"status"`
	ConfigHash  string    `ch:"config_hash"`
	CodeVersion string    `ch:"code_version"`
	Args        string    `ch:"args"`
	FrameID     string    `ch:"frame_id"`
	CountNames  []string  `ch:"count_names"`
	CountValues []uint64  `ch:"count_values"`
	Errors      []string  `ch:"errors"`
	Version     uint64    `ch:"version"`
}

// Completeness is one row of collect_completeness (migration 0004): what the collector knows about how
// complete a channel's stored history is, and why what is missing is missing. For a channel
// the ids in (floor_id, max_id] are expected; each of them is stored, a gap (deleted before
// it could be fetched), or not fetched yet. Deleted posts were stored and later found gone.
type Completeness struct {
	Platform       string    `ch:"platform"`
	ChannelID      uint64    `ch:"channel_id"`
	Username       string    `ch:"username"`
	CheckedAt      time.Time `ch:"checked_at"`
	Status         string    `ch:"status"`
	Included       uint8     `ch:"included"`
	HistoryDone    uint8     `ch:"history_done"`
	MinID          uint64    `ch:"min_id"`
	MaxID          uint64    `ch:"max_id"`
	FloorID        uint64    `ch:"floor_id"`
	TelegramCount  uint64    `ch:"telegram_count"`
	IDsExpected    uint64    `ch:"ids_expected"`
	Stored         uint64    `ch:"stored"`
	Gaps           uint64    `ch:"gaps"`
	Deleted        uint64    `ch:"deleted"`
	NotFetched     uint64    `ch:"not_fetched"`
	Unreadable     uint64    `ch:"unreadable"`
	CountersDone   uint64    `ch:"counters_done"`
	CountersMissed uint64    `ch:"counters_missed"`
	CountersLate   uint64    `ch:"counters_late"`
	CountersLost   uint64    `ch:"counters_lost"`
	CountersDue    uint64    `ch:"counters_due"`
	RunID          string    `ch:"run_id"`
	Version        uint64    `ch:"version"`
}
