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
