package schema

import "time"

// Tables of the bursts job (migration 0009).
const (
	TableBurstsChannels    = "bursts_channels"
	TableBurstsCommunities = "bursts_communities"
)

// BurstChannel is one channel's posting after one registry event, in one run: the posts
// in the window against the same hours of the preceding weeks.
type BurstChannel struct {
	RunID         string    `ch:"run_id"`
	EventID       string    `ch:"event_id"`
	EventAt       time.Time `ch:"event_at"`
	EventKind     string    `ch:"event_kind"`
	Platform      string    `ch:"platform"`
	ChannelID     uint64    `ch:"channel_id"`
	Targeted      uint8     `ch:"targeted"`
	WindowStart   time.Time `ch:"window_start"`
	WindowHours   uint16    `ch:"window_hours"`
	Weeks         uint8     `ch:"weeks"`
	WindowPosts   uint64    `ch:"window_posts"`
	BaselinePosts []uint64  `ch:"baseline_posts"`
	BaselineMean  float64   `ch:"baseline_mean"`
	BaselineSD    float64   `ch:"baseline_sd"`
	ZSD           float64   `ch:"z_sd"`
	Z             float64   `ch:"z"`
	Status        string    `ch:"status"`
	Reason        string    `ch:"reason"`
}

// BurstCommunity is one community's posting after one registry event, in one run: the
// summed posts of its member channels against the same hours of the preceding weeks.
type BurstCommunity struct {
	RunID            string    `ch:"run_id"`
	EventID          string    `ch:"event_id"`
	EventAt          time.Time `ch:"event_at"`
	EventKind        string    `ch:"event_kind"`
	Community        string    `ch:"community"`
	Targeted         uint8     `ch:"targeted"`
	WindowStart      time.Time `ch:"window_start"`
	WindowHours      uint16    `ch:"window_hours"`
	Weeks            uint8     `ch:"weeks"`
	Channels         uint32    `ch:"channels"`
	ChannelsExcluded uint32    `ch:"channels_excluded"`
	WindowPosts      uint64    `ch:"window_posts"`
	BaselinePosts    []uint64  `ch:"baseline_posts"`
	BaselineMean     float64   `ch:"baseline_mean"`
	BaselineSD       float64   `ch:"baseline_sd"`
	ZSD              float64   `ch:"z_sd"`
	Z                float64   `ch:"z"`
	Status           string    `ch:"status"`
	Reason           string    `ch:"reason"`
}
