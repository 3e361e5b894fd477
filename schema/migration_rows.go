package schema

import "time"

// Tables of the migration job (migration 0014).
const (
	TableMigrationShares       = "migration_shares"
	TableMigrationWindows      = "migration_windows"
	TableMigrationWindowShares = "migration_window_shares"
	TableMigrationITS          = "migration_its"
	TableMigrationDiD          = "migration_did"
	TableMigrationDiDUnits     = "migration_did_units"
)

// MigrationShare is one destination's share of a unit's outlinks in one week.
type MigrationShare struct {
	RunID       string    `ch:"run_id"`
	Level       string    `ch:"level"`
	Unit        string    `ch:"unit"`
	Week        time.Time `ch:"week,date"`
	Destination string    `ch:"destination"`
	Links       uint64    `ch:"links"`
	WeekLinks   uint64    `ch:"week_links"`
	Share       float64   `ch:"share"`
}

// MigrationWindow is a unit's activity and link mix before and after one event.
type MigrationWindow struct {
	RunID              string    `ch:"run_id"`
	EventID            string    `ch:"event_id"`
	EventAt            time.Time `ch:"event_at"`
	EventKind          string    `ch:"event_kind"`
	EventPlatform      string    `ch:"event_platform"`
	Level              string    `ch:"level"`
	Unit               string    `ch:"unit"`
	Concerned          uint8     `ch:"concerned"`
	PreFrom            time.Time `ch:"pre_from"`
	PreTo              time.Time `ch:"pre_to"`
	PostFrom           time.Time `ch:"post_from"`
	PostTo             time.Time `ch:"post_to"`
	Channels           uint32    `ch:"channels"`
	PostsPre           uint64    `ch:"posts_pre"`
	PostsPost          uint64    `ch:"posts_post"`
	PostsChangePct     float64   `ch:"posts_change_pct"`
	OrganicPre         uint64    `ch:"organic_pre"`
	OrganicPost        uint64    `ch:"organic_post"`
	OrganicChangePct   float64   `ch:"organic_change_pct"`
	ForwardedPre       uint64    `ch:"forwarded_pre"`
	ForwardedPost      uint64    `ch:"forwarded_post"`
	ForwardedChangePct float64   `ch:"forwarded_change_pct"`
	NewChannelsPre     uint32    `ch:"new_channels_pre"`
	NewChannelsPost    uint32    `ch:"new_channels_post"`
	NewMedianPreDays   float64   `ch:"new_median_pre_days"`
	NewMedianPostDays  float64   `ch:"new_median_post_days"`
	LinksPre           uint64    `ch:"links_pre"`
	LinksPost          uint64    `ch:"links_post"`
	JSNats             float64   `ch:"js_nats"`
	JSLo               float64   `ch:"js_lo"`
	JSHi               float64   `ch:"js_hi"`
	EventSharePre      float64   `ch:"event_share_pre"`
	EventSharePost     float64   `ch:"event_share_post"`
	Status             string    `ch:"status"`
	Reason             string    `ch:"reason"`
}

// MigrationWindowShare is one destination's share of a window row's links.
type MigrationWindowShare struct {
	RunID       string  `ch:"run_id"`
	EventID     string  `ch:"event_id"`
	Level       string  `ch:"level"`
	Unit        string  `ch:"unit"`
	Destination string  `ch:"destination"`
	LinksPre    uint64  `ch:"links_pre"`
	LinksPost   uint64  `ch:"links_post"`
	SharePre    float64 `ch:"share_pre"`
	SharePost   float64 `ch:"share_post"`
}

// MigrationITS is one interrupted time series fit of a unit's outcome around one event.
type MigrationITS struct {
	RunID         string    `ch:"run_id"`
	EventID       string    `ch:"event_id"`
	EventAt       time.Time `ch:"event_at"`
	Level         string    `ch:"level"`
	Unit          string    `ch:"unit"`
	Concerned     uint8     `ch:"concerned"`
	Outcome       string    `ch:"outcome"`
	Days          uint32    `ch:"days"`
	PreDays       uint32    `ch:"pre_days"`
	PostDays      uint32    `ch:"post_days"`
	NWLag         uint32    `ch:"nw_lag"`
	Intercept     float64   `ch:"intercept"`
	Slope         float64   `ch:"slope"`
	SlopeSE       float64   `ch:"slope_se"`
	LevelChange   float64   `ch:"level_change"`
	LevelSE       float64   `ch:"level_se"`
	LevelLo       float64   `ch:"level_lo"`
	LevelHi       float64   `ch:"level_hi"`
	LevelP        float64   `ch:"level_p"`
	SlopeChange   float64   `ch:"slope_change"`
	SlopeChangeSE float64   `ch:"slope_change_se"`
	SlopeChangeLo float64   `ch:"slope_change_lo"`
	SlopeChangeHi float64   `ch:"slope_change_hi"`
	SlopeChangeP  float64   `ch:"slope_change_p"`
	PlaceboLevel  float64   `ch:"placebo_level"`
	PlaceboP      float64   `ch:"placebo_p"`
	Status        string    `ch:"status"`
	Reason        string    `ch:"reason"`
}

// MigrationDiD is a difference in differences around one event listing suspended accounts.
type MigrationDiD struct {
	RunID         string    `ch:"run_id"`
	EventID       string    `ch:"event_id"`
	EventAt       time.Time `ch:"event_at"`
	EventPlatform string    `ch:"event_platform"`
	Outcome       string    `ch:"outcome"`
	Treated       uint32    `ch:"treated"`
	Controls      uint32    `ch:"controls"`
	Effect        float64   `ch:"effect"`
	SE            float64   `ch:"se"`
	Lo            float64   `ch:"lo"`
	Hi            float64   `ch:"hi"`
	P             float64   `ch:"p"`
	PreTrend      float64   `ch:"pretrend"`
	PreTrendSE    float64   `ch:"pretrend_se"`
	PreTrendP     float64   `ch:"pretrend_p"`
	Status        string    `ch:"status"`
	Reason        string    `ch:"reason"`
}

// MigrationDiDUnit is one channel of a difference in differences.
type MigrationDiDUnit struct {
	RunID     string  `ch:"run_id"`
	EventID   string  `ch:"event_id"`
	Platform  string  `ch:"platform"`
	ChannelID uint64  `ch:"channel_id"`
	Treated   uint8   `ch:"treated"`
	Matches   uint32  `ch:"matches"`
	Pre       float64 `ch:"pre"`
	Post      float64 `ch:"post"`
	PreSlope  float64 `ch:"pre_slope"`
	PostGap   float64 `ch:"post_gap"`
}
