package schema

import "time"

// Tables of the analysis layer's bookkeeping (migration 0005).
const (
	TableRunInputs   = "run_inputs"
	TableCommunities = "communities"
)

// RunInput is one input table of a job run as the run read it: its data version.
type RunInput struct {
	RunID      string    `ch:"run_id"`
	InputTable string    `ch:"input_table"`
	Rows       uint64    `ch:"rows"`
	Latest     time.Time `ch:"latest"`
	Version    uint64    `ch:"version"`
}

// Community is a channel's membership in a labelled community.
type Community struct {
	Community string    `ch:"community"`
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	Source    string    `ch:"source"`
	AddedAt   time.Time `ch:"added_at"`
	Removed   uint8     `ch:"removed"`
	Version   uint64    `ch:"version"`
}

// Tables of the growth job (migration 0006).
const (
	TableGrowthChannels = "growth_channels"
	TableGrowthSeries   = "growth_series"
	TableGrowthJumps    = "growth_jumps"
)

// GrowthChannel is a channel's growth figures in one run.
type GrowthChannel struct {
	RunID        string  `ch:"run_id"`
	Platform     string  `ch:"platform"`
	ChannelID    uint64  `ch:"channel_id"`
	Status       string  `ch:"status"`
	Reason       string  `ch:"reason"`
	Days         uint32  `ch:"days"`
	ObservedDays uint32  `ch:"observed_days"`
	GapDays      uint32  `ch:"gap_days"`
	SubsFirst    float64 `ch:"subscribers_first"`
	SubsLast     float64 `ch:"subscribers_last"`
	Growth1d     float64 `ch:"growth_1d"`
	Growth1dPct  float64 `ch:"growth_1d_pct"`
	Growth7d     float64 `ch:"growth_7d"`
	Growth7dPct  float64 `ch:"growth_7d_pct"`
	Growth30d    float64 `ch:"growth_30d"`
	Growth30dPct float64 `ch:"growth_30d_pct"`
	ExpRate      float64 `ch:"exp_rate"`
	ExpRateLo    float64 `ch:"exp_rate_lo"`
	ExpRateHi    float64 `ch:"exp_rate_hi"`
	Doubling     float64 `ch:"doubling_days"`
	DoublingLo   float64 `ch:"doubling_lo"`
	DoublingHi   float64 `ch:"doubling_hi"`
	ExpR2        float64 `ch:"exp_r2"`
	ExpAIC       float64 `ch:"exp_aic"`
	Jumps        uint32  `ch:"jumps"`
	CUSUMAlarms  uint32  `ch:"cusum_alarms"`
}

// GrowthDay is one day of a channel's daily series in one run.
type GrowthDay struct {
	RunID       string    `ch:"run_id"`
	Platform    string    `ch:"platform"`
	ChannelID   uint64    `ch:"channel_id"`
	Day         time.Time `ch:"day,date"`
	Subscribers float64   `ch:"subscribers"`
	Observed    uint8     `ch:"observed"`
	Gap         uint8     `ch:"gap"`
}

// GrowthJump is an audience jump found in one run.
type GrowthJump struct {
	RunID     string    `ch:"run_id"`
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	Day       time.Time `ch:"day,date"`
	Method    string    `ch:"method"`
	Factor    float64   `ch:"factor"`
}

// Tables of the growth job's models and aggregates (migration 0010).
const (
	TableGrowthModels = "growth_models"
	TableGrowthGroups = "growth_groups"
)

// GrowthModel is a channel's logistic fit, model choice and event-window growth in one run.
type GrowthModel struct {
	RunID           string  `ch:"run_id"`
	Platform        string  `ch:"platform"`
	ChannelID       uint64  `ch:"channel_id"`
	Model           string  `ch:"model"`
	LogisticStatus  string  `ch:"logistic_status"`
	LogisticReason  string  `ch:"logistic_reason"`
	K               float64 `ch:"logistic_k"`
	KLo             float64 `ch:"logistic_k_lo"`
	KHi             float64 `ch:"logistic_k_hi"`
	R               float64 `ch:"logistic_r"`
	RLo             float64 `ch:"logistic_r_lo"`
	RHi             float64 `ch:"logistic_r_hi"`
	N0              float64 `ch:"logistic_n0"`
	N0Lo            float64 `ch:"logistic_n0_lo"`
	N0Hi            float64 `ch:"logistic_n0_hi"`
	LogisticAIC     float64 `ch:"logistic_aic"`
	ExpAIC          float64 `ch:"exp_aic"`
	EventWindows    uint32  `ch:"event_windows"`
	WindowDays      uint32  `ch:"window_days"`
	GrowthTotal     float64 `ch:"growth_total"`
	GrowthInWindows float64 `ch:"growth_in_windows"`
	SpikeShare      float64 `ch:"spike_share"`
}

// GrowthGroup is a platform's or community's growth aggregate in one run.
type GrowthGroup struct {
	RunID           string  `ch:"run_id"`
	GroupKind       string  `ch:"group_kind"`
	GroupName       string  `ch:"group_name"`
	Channels        uint32  `ch:"channels"`
	Fitted          uint32  `ch:"fitted"`
	Logistic        uint32  `ch:"logistic"`
	SubsFirst       float64 `ch:"subscribers_first"`
	SubsLast        float64 `ch:"subscribers_last"`
	GrowthPct       float64 `ch:"growth_pct"`
	RateQ1          float64 `ch:"exp_rate_q1"`
	RateMedian      float64 `ch:"exp_rate_median"`
	RateQ3          float64 `ch:"exp_rate_q3"`
	GrowthTotal     float64 `ch:"growth_total"`
	GrowthInWindows float64 `ch:"growth_in_windows"`
	SpikeShare      float64 `ch:"spike_share"`
}
