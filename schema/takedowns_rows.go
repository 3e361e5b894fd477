package schema

import "time"

// Tables of the takedowns job (migration 0011).
const (
	TableTakedownsLifetimes = "takedowns_lifetimes"
	TableTakedownsCohorts   = "takedowns_cohorts"
	TableTakedownsSurvival  = "takedowns_survival"
)

// TakedownLifetime is one channel's lifetime in one run.
type TakedownLifetime struct {
	RunID       string    `ch:"run_id"`
	Platform    string    `ch:"platform"`
	ChannelID   uint64    `ch:"channel_id"`
	OriginAt    time.Time `ch:"origin_at"`
	Origin      string    `ch:"origin"`
	FirstSeenAt time.Time `ch:"first_seen_at"`
	EndAt       time.Time `ch:"end_at"`
	Ended       uint8     `ch:"ended"`
	EndKind     string    `ch:"end_kind"`
	EntryDays   float64   `ch:"entry_days"`
	ExitDays    float64   `ch:"exit_days"`
	Status      string    `ch:"status"`
	Reason      string    `ch:"reason"`
}

// TakedownCohort is one cohort's Kaplan-Meier summary in one run.
type TakedownCohort struct {
	RunID      string    `ch:"run_id"`
	Cohort     string    `ch:"cohort"`
	EventID    string    `ch:"event_id"`
	EventAt    time.Time `ch:"event_at"`
	Channels   uint32    `ch:"channels"`
	Ended      uint32    `ch:"ended"`
	MedianDays float64   `ch:"median_days"`
	MedianLo   float64   `ch:"median_lo"`
	MedianHi   float64   `ch:"median_hi"`
	Status     string    `ch:"status"`
	Reason     string    `ch:"reason"`
}

// TakedownSurvival is one step of a cohort's Kaplan-Meier curve in one run.
type TakedownSurvival struct {
	RunID    string  `ch:"run_id"`
	Cohort   string  `ch:"cohort"`
	TimeDays float64 `ch:"time_days"`
	AtRisk   uint32  `ch:"at_risk"`
	Ended    uint32  `ch:"ended"`
	Censored uint32  `ch:"censored"`
	Survival float64 `ch:"survival"`
	SE       float64 `ch:"se"`
	Lo       float64 `ch:"lo"`
	Hi       float64 `ch:"hi"`
}

// TableTakedownsRespawns holds candidate reincarnations (migration 0012).
const TableTakedownsRespawns = "takedowns_respawns"

// TakedownRespawn is a candidate reincarnation in one run: a channel created soon after
// its predecessor left public view, with the evidence.
type TakedownRespawn struct {
	RunID                  string    `ch:"run_id"`
	Platform               string    `ch:"platform"`
	ChannelID              uint64    `ch:"channel_id"`
	PredecessorID          uint64    `ch:"predecessor_id"`
	PredecessorEndAt       time.Time `ch:"predecessor_end_at"`
	PredecessorEndKind     string    `ch:"predecessor_end_kind"`
	CreatedAt              time.Time `ch:"created_at"`
	LagHours               float64   `ch:"lag_hours"`
	TitleSimilarity        float64   `ch:"title_similarity"`
	HandleSimilarity       float64   `ch:"handle_similarity"`
	SourceOverlap          float64   `ch:"source_overlap"`
	Score                  float64   `ch:"score"`
	PredecessorSubscribers uint64    `ch:"predecessor_subscribers"`
	Subscribers            uint64    `ch:"subscribers"`
	Recovery               float64   `ch:"recovery"`
}
