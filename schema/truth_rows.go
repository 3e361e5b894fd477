package schema

import "time"

// Tables of simulated worlds' ground truth (migration 0007_truth.sql), written by
// collector/tgsim/truthdb. Every row carries the run_id the truth was loaded under.
const (
	TableTruthWorlds         = "truth_worlds"
	TableTruthCommunities    = "truth_communities"
	TableTruthChannels       = "truth_channels"
	TableTruthSubscribers    = "truth_subscribers"
	TableTruthChangepoints   = "truth_changepoints"
	TableTruthWorldEvents    = "truth_world_events"
	TableTruthChannelEvents  = "truth_channel_events"
	TableTruthAttacks        = "truth_attacks"
	TableTruthReincarnations = "truth_reincarnations"
	TableTruthLinkMix        = "truth_link_mix"
	TableTruthForwardWeights = "truth_forward_weights"
	TableTruthPosts          = "truth_posts"
	TableTruthPostCounters   = "truth_post_counters"
)

// TruthTables lists the truth tables, in the order a loader fills them.
var TruthTables = []string{
	TableTruthWorlds, TableTruthCommunities, TableTruthChannels, TableTruthSubscribers,
	TableTruthChangepoints, TableTruthWorldEvents, TableTruthChannelEvents, TableTruthAttacks,
	TableTruthReincarnations, TableTruthLinkMix, TableTruthForwardWeights, TableTruthPosts,
	TableTruthPostCounters,
}

// TruthWorld is one loaded truth: its world's seed, period, spec and digest.
type TruthWorld struct {
	RunID       string    `ch:"run_id"`
	Seed        int64     `ch:"seed"`
	StartAt     time.Time `ch:"start_at"`
	EndAt       time.Time `ch:"end_at"`
	UntilAt     time.Time `ch:"until_at"`
	Channels    uint64    `ch:"channels"`
	Communities uint32    `ch:"communities"`
	Platforms   []string  `ch:"platforms"`
	Spec        string    `ch:"spec"`
	TruthSHA256 string    `ch:"truth_sha256"`
	LoadedAt    time.Time `ch:"loaded_at"`
}

// TruthCommunity is one community of a world.
type TruthCommunity struct {
	RunID     string `ch:"run_id"`
	Community uint32 `ch:"community"`
	Name      string `ch:"name"`
	UTCOffset int8   `ch:"utc_offset"`
	Channels  uint64 `ch:"channels"`
}

// TruthChannel is a channel's planted parameters.
type TruthChannel struct {
	RunID         string    `ch:"run_id"`
	Platform      string    `ch:"platform"`
	ChannelID     uint64    `ch:"channel_id"`
	Community     uint32    `ch:"community"`
	CreatedAt     time.Time `ch:"created_at"`
	PredecessorID uint64    `ch:"predecessor_id"`
	SuccessorID   uint64    `ch:"successor_id"`
	Username      string    `ch:"username"`
	Title         string    `ch:"title"`
	Status        string    `ch:"status"`
	StatusAt      time.Time `ch:"status_at"`
	Verified      uint8     `ch:"verified"`
	Scam          uint8     `ch:"scam"`
	Fake          uint8     `ch:"fake"`
	Restricted    uint8     `ch:"restricted"`
	PostsPerDay   float64   `ch:"posts_per_day"`
	Reach         float64   `ch:"reach"`
	ERR           float64   `ch:"err"`
	Carryover     float64   `ch:"carryover"`
	GrowthModel   string    `ch:"growth_model"`
	N0            float64   `ch:"n0"`
	Rate          float64   `ch:"rate"`
	K             float64   `ch:"k"`
	Noise         float64   `ch:"noise"`
	Sources       uint32    `ch:"sources"`
}

// TruthSubscribers is a channel's observed and noise-free audience at a snapshot time.
type TruthSubscribers struct {
	RunID      string    `ch:"run_id"`
	Platform   string    `ch:"platform"`
	ChannelID  uint64    `ch:"channel_id"`
	SnapshotAt time.Time `ch:"snapshot_at"`
	Status     string    `ch:"status"`
	Observed   uint64    `ch:"observed"`
	Model      float64   `ch:"model"`
}

// TruthChangepoint is a planted change of a channel's trajectory.
type TruthChangepoint struct {
	RunID     string    `ch:"run_id"`
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	Seq       uint32    `ch:"seq"`
	At        time.Time `ch:"at"`
	Kind      string    `ch:"kind"`
	Factor    float64   `ch:"factor"`
	RampS     uint32    `ch:"ramp_s"`
	Rate      float64   `ch:"rate"`
	Cause     string    `ch:"cause"`
}

// TruthWorldEvent is one spec event of a world.
type TruthWorldEvent struct {
	RunID          string    `ch:"run_id"`
	EventIndex     uint32    `ch:"event_index"`
	Name           string    `ch:"name"`
	Kind           string    `ch:"kind"`
	At             time.Time `ch:"at"`
	Community      int32     `ch:"community"`
	TargetPlatform string    `ch:"target_platform"`
	Burst          float64   `ch:"burst"`
	DecayS         uint32    `ch:"decay_s"`
	Jump           float64   `ch:"jump"`
	Share          float64   `ch:"share"`
}

// TruthChannelEvent is one change of a channel.
type TruthChannelEvent struct {
	RunID           string    `ch:"run_id"`
	Platform        string    `ch:"platform"`
	ChannelID       uint64    `ch:"channel_id"`
	Seq             uint32    `ch:"seq"`
	At              time.Time `ch:"at"`
	Kind            string    `ch:"kind"`
	Old             string    `ch:"old"`
	New             string    `ch:"new"`
	PredecessorID   uint64    `ch:"predecessor_id"`
	AccountPlatform string    `ch:"account_platform"`
	Handle          string    `ch:"handle"`
}

// TruthAttack is one channel an attack affected.
type TruthAttack struct {
	RunID      string    `ch:"run_id"`
	EventIndex uint32    `ch:"event_index"`
	Event      string    `ch:"event"`
	At         time.Time `ch:"at"`
	Community  int32     `ch:"community"`
	Platform   string    `ch:"platform"`
	ChannelID  uint64    `ch:"channel_id"`
	Jumped     uint8     `ch:"jumped"`
	JumpFactor float64   `ch:"jump_factor"`
}

// TruthReincarnation is a channel replacing a banned predecessor.
type TruthReincarnation struct {
	RunID               string    `ch:"run_id"`
	Platform            string    `ch:"platform"`
	ChannelID           uint64    `ch:"channel_id"`
	PredecessorID       uint64    `ch:"predecessor_id"`
	BannedAt            time.Time `ch:"banned_at"`
	CreatedAt           time.Time `ch:"created_at"`
	LagS                uint64    `ch:"lag_s"`
	Carryover           float64   `ch:"carryover"`
	PredecessorAudience float64   `ch:"predecessor_audience"`
	InitialAudience     float64   `ch:"initial_audience"`
}

// TruthLinkMix is one destination platform's expected share of a community's outlinks
// before and after a takedown.
type TruthLinkMix struct {
	RunID       string    `ch:"run_id"`
	EventIndex  uint32    `ch:"event_index"`
	Event       string    `ch:"event"`
	At          time.Time `ch:"at"`
	TakenDown   string    `ch:"taken_down"`
	Community   uint32    `ch:"community"`
	Treated     uint8     `ch:"treated"`
	Destination string    `ch:"destination"`
	ShareBefore float64   `ch:"share_before"`
	ShareAfter  float64   `ch:"share_after"`
	JSShift     float64   `ch:"js_shift"`
	RampS       uint32    `ch:"ramp_s"`
}

// TruthForwardWeight is one planted forward source of a channel.
type TruthForwardWeight struct {
	RunID     string  `ch:"run_id"`
	Platform  string  `ch:"platform"`
	ChannelID uint64  `ch:"channel_id"`
	SourceID  uint64  `ch:"source_id"`
	Weight    float64 `ch:"weight"`
	Forwards  uint64  `ch:"forwards"`
}

// TruthPost is one message with its planted views.
type TruthPost struct {
	RunID         string    `ch:"run_id"`
	Platform      string    `ch:"platform"`
	ChannelID     uint64    `ch:"channel_id"`
	PostID        uint64    `ch:"post_id"`
	PostedAt      time.Time `ch:"posted_at"`
	Service       uint8     `ch:"service"`
	AlbumID       uint64    `ch:"album_id"`
	MediaType     string    `ch:"media_type"`
	FwdChannelID  uint64    `ch:"fwd_channel_id"`
	FwdPostID     uint64    `ch:"fwd_post_id"`
	EditedAt      time.Time `ch:"edited_at"`
	DeletedAt     time.Time `ch:"deleted_at"`
	TextLength    uint32    `ch:"text_length"`
	Multiplier    float64   `ch:"multiplier"`
	Burst         float64   `ch:"burst"`
	ExpectedViews float64   `ch:"expected_views"`
	FinalViews    float64   `ch:"final_views"`
	TauS          float64   `ch:"tau_s"`
}

// TruthPostCounters are a post's counters at a scheduled age.
type TruthPostCounters struct {
	RunID      string `ch:"run_id"`
	Platform   string `ch:"platform"`
	ChannelID  uint64 `ch:"channel_id"`
	PostID     uint64 `ch:"post_id"`
	TargetAgeS uint32 `ch:"target_age_s"`
	Views      uint64 `ch:"views"`
	Forwards   uint64 `ch:"forwards"`
	Replies    uint64 `ch:"replies"`
	Reactions  uint64 `ch:"reactions"`
}
