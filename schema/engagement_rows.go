package schema

import "time"

// Tables of the engagement job (migration 0008).
const (
	TableEngagementChannels = "engagement_channels"
	TableEngagementPosts    = "engagement_posts"
)

// EngagementChannel is a channel's engagement figures in one run.
type EngagementChannel struct {
	RunID           string    `ch:"run_id"`
	Platform        string    `ch:"platform"`
	ChannelID       uint64    `ch:"channel_id"`
	Status          string    `ch:"status"`
	Reason          string    `ch:"reason"`
	Days            float64   `ch:"days"`
	Posts           uint64    `ch:"posts"`
	Organic         uint64    `ch:"organic"`
	Forwarded       uint64    `ch:"forwarded"`
	Deleted         uint64    `ch:"deleted"`
	PostsPerDay     float64   `ch:"posts_per_day"`
	ViewsPerPost    float64   `ch:"views_per_post"`
	Subscribers     float64   `ch:"subscribers"`
	SubscribersAt   time.Time `ch:"subscribers_at"`
	WindowStart     time.Time `ch:"window_start"`
	WindowPosts     uint64    `ch:"window_posts"`
	ERR             float64   `ch:"err"`
	ER              float64   `ch:"er"`
	ERReason        string    `ch:"er_reason"`
	ERR24           float64   `ch:"err24"`
	ERR24Posts      uint64    `ch:"err24_posts"`
	ERR24Reason     string    `ch:"err24_reason"`
	Reach           float64   `ch:"reach"`
	ReachPosts      uint64    `ch:"reach_posts"`
	ReachReason     string    `ch:"reach_reason"`
	OpBasis         string    `ch:"op_basis"`
	OpThreshold     float64   `ch:"op_threshold"`
	ScoredPosts     uint64    `ch:"scored_posts"`
	Overperforming  uint64    `ch:"overperforming"`
	Underperforming uint64    `ch:"underperforming"`
	TopPostID       uint64    `ch:"top_post_id"`
	TopScore        float64   `ch:"top_score"`
}

// EngagementPost is one post's overperformance score in one run.
type EngagementPost struct {
	RunID     string    `ch:"run_id"`
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	PostID    uint64    `ch:"post_id"`
	PostedAt  time.Time `ch:"posted_at"`
	PostType  string    `ch:"post_type"`
	Forwarded uint8     `ch:"forwarded"`
	Basis     string    `ch:"basis"`
	Views     uint64    `ch:"views"`
	Forwards  uint64    `ch:"forwards"`
	Replies   uint64    `ch:"replies"`
	Reactions uint64    `ch:"reactions"`
	Actual    float64   `ch:"actual"`
	History   uint32    `ch:"history"`
	Expected  float64   `ch:"expected"`
	Score     float64   `ch:"score"`
}
