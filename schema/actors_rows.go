package schema

import "time"

// Tables of the actors job (migration 0015).
const (
	TableActorsAccounts = "actors_accounts"
	TableActorsAudience = "actors_audience"
	TableActorsMoves    = "actors_moves"
)

// ActorsAccount is one account of an actor in one run, with its evidence and last audience.
type ActorsAccount struct {
	RunID      string    `ch:"run_id"`
	ActorID    string    `ch:"actor_id"`
	ActorName  string    `ch:"actor_name"`
	Platform   string    `ch:"platform"`
	ChannelID  uint64    `ch:"channel_id"`
	Handle     string    `ch:"handle"`
	Evidence   []string  `ch:"evidence"`
	Confidence float64   `ch:"confidence"`
	LinkedAt   time.Time `ch:"linked_at"`
	Audience   uint64    `ch:"audience"`
	AudienceAt time.Time `ch:"audience_at"`
}

// ActorsAudience is an actor's audience on one platform in one week.
type ActorsAudience struct {
	RunID    string    `ch:"run_id"`
	ActorID  string    `ch:"actor_id"`
	Week     time.Time `ch:"week,date"`
	Platform string    `ch:"platform"`
	Accounts uint32    `ch:"accounts"`
	Carried  uint32    `ch:"carried"`
	Audience float64   `ch:"audience"`
	Share    float64   `ch:"share"`
}

// ActorsMove is a week in which another platform took the largest share of an actor's
// audience.
type ActorsMove struct {
	RunID           string    `ch:"run_id"`
	ActorID         string    `ch:"actor_id"`
	Week            time.Time `ch:"week,date"`
	FromPlatform    string    `ch:"from_platform"`
	ToPlatform      string    `ch:"to_platform"`
	FromShareBefore float64   `ch:"from_share_before"`
	ToShareBefore   float64   `ch:"to_share_before"`
	FromShareAfter  float64   `ch:"from_share_after"`
	ToShareAfter    float64   `ch:"to_share_after"`
}
