package world

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/internal/duration"
)

// Spec describes a world independently of its seed: how many channels, how
// they post, grow and die, and which world events happen when. ParseSpec
// starts from the defaults (the parameters of DefaultSpec, without its
// events) and overlays what the YAML sets, so an explicit 0 disables a
// feature while an absent field keeps its default. A Spec built in Go should
// start from DefaultSpec and change fields.
type Spec struct {
	// Channels is the number of independently created channels (10 to
	// 100,000). Reincarnations of banned channels come on top of it.
	Channels int `yaml:"channels" json:"channels"`
	// Communities is the number of communities channels belong to.
	Communities int `yaml:"communities" json:"communities"`
	// Start is the beginning of the simulated period.
	Start time.Time `yaml:"start" json:"start"`
	// Duration is the length of the simulated period; nothing new happens after it.
	Duration Duration `yaml:"duration" json:"duration"`
	// History is how far before Start the oldest channels were created:
	// channels that exist at Start come with back histories this long at most.
	History Duration `yaml:"history" json:"history"`
	// CreatedDuring is the share of channels created during the period.
	CreatedDuring float64 `yaml:"created_during" json:"created_during"`
	// Text turns message text on; without it posts carry no text, entities or links.
	Text bool `yaml:"text" json:"text"`
	// Posting shapes the posting process.
	Posting PostingSpec `yaml:"posting" json:"posting"`
	// Counters shapes views, forwards, replies and reactions.
	Counters CounterSpec `yaml:"counters" json:"counters"`
	// Links shapes links, mentions and hashtags in texts.
	Links LinkSpec `yaml:"links" json:"links"`
	// Growth shapes subscriber trajectories.
	Growth GrowthSpec `yaml:"growth" json:"growth"`
	// Lifecycle sets how often identities change and channels disappear.
	Lifecycle LifecycleSpec `yaml:"lifecycle" json:"lifecycle"`
	// Flags sets the shares of verified, scam, fake and restricted channels.
	Flags FlagSpec `yaml:"flags" json:"flags"`
	// Events are world events: attacks (posting bursts, audience jumps) and
	// takedowns (a platform's links fall away; on telegram, a ban wave).
	Events []EventSpec `yaml:"events" json:"events"`
}

// PostingSpec shapes each channel's posting process.
type PostingSpec struct {
	// PerDay is the median number of posts per channel per day.
	PerDay float64 `yaml:"per_day" json:"per_day"`
	// Spread is the log-scale sigma of channels' posting rates around PerDay.
	Spread float64 `yaml:"spread" json:"spread"`
	// DailyCycle is the depth of the daily cycle: 0 posts evenly round the
	// clock, 1 posts nothing in the community's night.
	DailyCycle float64 `yaml:"daily_cycle" json:"daily_cycle"`
	// Albums is the share of posts that are albums of 2 to 10 messages.
	Albums float64 `yaml:"albums" json:"albums"`
	// Media is the share of single-message posts that carry a photo, video or document.
	Media float64 `yaml:"media" json:"media"`
	// Edits is the share of posts edited after posting.
	Edits float64 `yaml:"edits" json:"edits"`
	// Deletions is the share of posts deleted some time after posting.
	Deletions float64 `yaml:"deletions" json:"deletions"`
	// Forwards is the share of posts that are forwards.
	Forwards float64 `yaml:"forwards" json:"forwards"`
	// SameCommunity is the share of channel forwards whose source is in the same community.
	SameCommunity float64 `yaml:"same_community" json:"same_community"`
	// HiddenForwards is the share of forwards from persons with hidden accounts.
	HiddenForwards float64 `yaml:"hidden_forwards" json:"hidden_forwards"`
	// Replies is the share of posts that reply to an earlier post of the channel.
	Replies float64 `yaml:"replies" json:"replies"`
	// LinkedChats is the share of channels with a discussion group, whose
	// posts then count comments (the replies counter).
	LinkedChats float64 `yaml:"linked_chats" json:"linked_chats"`
}

// CounterSpec shapes post counters. Each counter of a post saturates as
// max*(1-exp(-age/tau)), with max and tau fixed per post.
type CounterSpec struct {
	// Reach is the median of a post's final views over the channel's subscribers.
	Reach float64 `yaml:"reach" json:"reach"`
	// Saturation is the median time constant tau of the counters.
	Saturation Duration `yaml:"saturation" json:"saturation"`
	// ForwardRate is the median of final forwards over final views.
	ForwardRate float64 `yaml:"forward_rate" json:"forward_rate"`
	// ReactionRate is the median of final reactions over final views.
	ReactionRate float64 `yaml:"reaction_rate" json:"reaction_rate"`
	// CommentRate is the median of final comments over final views (channels with a discussion group).
	CommentRate float64 `yaml:"comment_rate" json:"comment_rate"`
}

// LinkSpec shapes what texts link to.
type LinkSpec struct {
	// PerPost is the mean number of outlinks per post.
	PerPost float64 `yaml:"per_post" json:"per_post"`
	// Hidden is the share of outlinks hidden behind link text (text_url entities).
	Hidden float64 `yaml:"hidden" json:"hidden"`
	// Mentions is the mean number of @mentions of other channels per post.
	Mentions float64 `yaml:"mentions" json:"mentions"`
	// Hashtags is the mean number of hashtags per post.
	Hashtags float64 `yaml:"hashtags" json:"hashtags"`
	// Invites is the share of posts carrying an invite link t.me/+HASH.
	Invites float64 `yaml:"invites" json:"invites"`
	// Platforms overrides the base weights of outlink destination platforms
	// (platform token -> weight); unnamed platforms keep their defaults.
	Platforms map[string]float64 `yaml:"platforms" json:"platforms,omitempty"`
}

// GrowthSpec shapes subscriber trajectories.
type GrowthSpec struct {
	// Logistic, Exponential and Decline weight the mix of growth models.
	Logistic    float64 `yaml:"logistic" json:"logistic"`
	Exponential float64 `yaml:"exponential" json:"exponential"`
	Decline     float64 `yaml:"decline" json:"decline"`
	// Initial is the median number of subscribers at creation.
	Initial float64 `yaml:"initial" json:"initial"`
	// Capacity is the median carrying capacity K of logistic channels.
	Capacity float64 `yaml:"capacity" json:"capacity"`
	// Rate is the median growth rate per day.
	Rate float64 `yaml:"rate" json:"rate"`
	// Noise is the relative noise of subscriber counts (sigma).
	Noise float64 `yaml:"noise" json:"noise"`
	// Shocks is the expected number of random audience jumps per channel and year.
	Shocks float64 `yaml:"shocks" json:"shocks"`
}

// LifecycleSpec sets identity changes and disappearances. Probabilities
// apply per channel over the simulated period.
type LifecycleSpec struct {
	// NoUsername is the share of channels without a username (reachable only by id).
	NoUsername float64 `yaml:"no_username" json:"no_username"`
	// Renames is the probability that a channel changes its username.
	Renames float64 `yaml:"renames" json:"renames"`
	// TitleChanges is the mean number of title changes per channel.
	TitleChanges float64 `yaml:"title_changes" json:"title_changes"`
	// AboutChanges is the mean number of about-text changes per channel.
	AboutChanges float64 `yaml:"about_changes" json:"about_changes"`
	// PhotoChanges is the mean number of photo changes per channel.
	PhotoChanges float64 `yaml:"photo_changes" json:"photo_changes"`
	// Private is the probability that a channel goes private.
	Private float64 `yaml:"private" json:"private"`
	// Bans is the probability that a channel is banned.
	Bans float64 `yaml:"bans" json:"bans"`
	// Deletions is the probability that a channel is deleted by its owner.
	Deletions float64 `yaml:"deletions" json:"deletions"`
	// Reincarnations is the probability that a banned channel reappears as a new channel.
	Reincarnations float64 `yaml:"reincarnations" json:"reincarnations"`
	// ReincarnationLag is the median time from a ban to the new channel.
	ReincarnationLag Duration `yaml:"reincarnation_lag" json:"reincarnation_lag"`
	// Carryover is the median share of the old audience the new channel starts with.
	Carryover float64 `yaml:"carryover" json:"carryover"`
}

// FlagSpec sets the shares of flagged channels.
type FlagSpec struct {
	Verified   float64 `yaml:"verified" json:"verified"`
	Scam       float64 `yaml:"scam" json:"scam"`
	Fake       float64 `yaml:"fake" json:"fake"`
	Restricted float64 `yaml:"restricted" json:"restricted"`
}

// Event kinds.
const (
	// EventAttack makes a community post in a burst and gain audience.
	EventAttack = "attack"
	// EventTakedown removes a platform: links to it fall away and accounts
	// on it are suspended; on telegram it bans a share of a community.
	EventTakedown = "takedown"
)

// EventSpec is one world event.
type EventSpec struct {
	// Kind is "attack" or "takedown".
	Kind string `yaml:"kind" json:"kind"`
	// Name labels the event in the truth (defaults to kind and date).
	Name string `yaml:"name" json:"name,omitempty"`
	// At is when the event happens.
	At time.Time `yaml:"at" json:"at"`
	// Community is the 0-based community affected; absent means all.
	Community *int `yaml:"community" json:"community,omitempty"`
	// Burst is an attack's posting-rate multiplier right after the event (>= 1).
	Burst float64 `yaml:"burst" json:"burst,omitempty"`
	// Decay is how fast the burst fades (e-folding time).
	Decay Duration `yaml:"decay" json:"decay,omitempty"`
	// Jump is an attack's audience jump factor for affected channels (1 = none).
	Jump float64 `yaml:"jump" json:"jump,omitempty"`
	// Platform is a takedown's platform token (twitter, facebook, telegram, ...).
	Platform string `yaml:"platform" json:"platform,omitempty"`
	// Share is, for a telegram takedown, the share of the community's channels
	// banned; for another platform, the share of its links that disappear.
	Share float64 `yaml:"share" json:"share,omitempty"`
}

// Duration is a time.Duration that YAML may also write with days and weeks
// ("90d", "2w", "1d12h"; see package internal/duration).
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats whole days as "Nd" and anything else as time.Duration does.
func (d Duration) String() string {
	td := time.Duration(d)
	if td != 0 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	return td.String()
}

// MarshalText writes the duration as String does, so specs round-trip.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText writes (and parseDuration's syntax).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// parseDuration reads a spec duration as duration.Parse does ("36h", "90d", "2w",
// "1d12h"). Spec durations are lengths, lags and decays, so a negative one is an error.
func parseDuration(s string) (Duration, error) {
	d, err := duration.Parse(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q: negative", strings.TrimSpace(s))
	}
	return Duration(d), nil
}

// LoadSpec reads and validates a YAML spec file.
func LoadSpec(path string) (Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, fmt.Errorf("read spec: %w", err)
	}
	return ParseSpec(data, path)
}

// baseSpec holds the default parameters; DefaultSpec adds channels and events.
func baseSpec() Spec {
	return Spec{
		Channels:      200,
		Communities:   6,
		Start:         time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		Duration:      Duration(60 * 24 * time.Hour),
		History:       Duration(90 * 24 * time.Hour),
		CreatedDuring: 0.25,
		Text:          true,
		Posting: PostingSpec{
			PerDay:         4,
			Spread:         0.8,
			DailyCycle:     0.8,
			Albums:         0.06,
			Media:          0.35,
			Edits:          0.08,
			Deletions:      0.03,
			Forwards:       0.3,
			SameCommunity:  0.85,
			HiddenForwards: 0.15,
			Replies:        0.04,
			LinkedChats:    0.3,
		},
		Counters: CounterSpec{
			Reach:        0.35,
			Saturation:   Duration(20 * time.Hour),
			ForwardRate:  0.01,
			ReactionRate: 0.02,
			CommentRate:  0.003,
		},
		Links: LinkSpec{
			PerPost:  0.6,
			Hidden:   0.2,
			Mentions: 0.15,
			Hashtags: 0.4,
			Invites:  0.02,
		},
		Growth: GrowthSpec{
			Logistic:    0.5,
			Exponential: 0.3,
			Decline:     0.2,
			Initial:     150,
			Capacity:    8000,
			Rate:        0.04,
			Noise:       0.01,
			Shocks:      1,
		},
		Lifecycle: LifecycleSpec{
			NoUsername:       0.05,
			Renames:          0.06,
			TitleChanges:     0.1,
			AboutChanges:     0.1,
			PhotoChanges:     0.1,
			Private:          0.02,
			Bans:             0.04,
			Deletions:        0.02,
			Reincarnations:   0.6,
			ReincarnationLag: Duration(36 * time.Hour),
			Carryover:        0.3,
		},
		Flags: FlagSpec{Verified: 0.01, Scam: 0.005, Fake: 0.005, Restricted: 0.01},
	}
}

// DefaultSpec returns a sensible world of n channels: the default parameters
// with a twitter takedown a third into the period and an attack in community
// 1 two thirds into it.
func DefaultSpec(channels int) Spec {
	s := baseSpec()
	s.Channels = channels
	one := 1
	s.Events = []EventSpec{
		{
			Kind:     EventTakedown,
			Name:     "twitter takedown",
			At:       s.Start.Add(s.Duration.D() / 3),
			Platform: "twitter",
			Share:    0.9,
		},
		{
			Kind:      EventAttack,
			Name:      "attack",
			At:        s.Start.Add(2 * s.Duration.D() / 3).Add(18 * time.Hour),
			Community: &one,
			Burst:     4,
			Decay:     Duration(18 * time.Hour),
			Jump:      1.2,
		},
	}
	return s
}

// fieldError is a validation failure of one field, located later by ParseSpec.
type fieldError struct {
	path string
	msg  string
}

// validate checks ranges and cross-field rules.
func (s *Spec) validate() []fieldError {
	var errs []fieldError
	bad := func(path, format string, args ...any) {
		errs = append(errs, fieldError{path, fmt.Sprintf(format, args...)})
	}
	share := func(path string, v float64) {
		if v < 0 || v > 1 {
			bad(path, "must be between 0 and 1, got %g", v)
		}
	}
	nonneg := func(path string, v float64) {
		if v < 0 {
			bad(path, "must not be negative, got %g", v)
		}
	}
	if s.Channels < 10 || s.Channels > 100000 {
		bad("channels", "must be between 10 and 100000, got %d", s.Channels)
	}
	if s.Communities < 1 || s.Communities > 1000 {
		bad("communities", "must be between 1 and 1000, got %d", s.Communities)
	}
	if s.Start.IsZero() {
		bad("start", "must be set")
	}
	if s.Duration.D() < time.Hour || s.Duration.D() > 5*365*24*time.Hour {
		bad("duration", "must be between 1h and 5 years, got %s", s.Duration)
	}
	if s.History.D() < 0 || s.History.D() > 5*365*24*time.Hour {
		bad("history", "must be between 0 and 5 years, got %s", s.History)
	}
	share("created_during", s.CreatedDuring)
	if s.History == 0 && s.CreatedDuring < 1 {
		// Channels existing at Start need some time before it to be created in.
		bad("history", "must be positive unless created_during is 1")
	}
	p := s.Posting
	if p.PerDay <= 0 || p.PerDay > 500 {
		bad("posting.per_day", "must be in (0, 500], got %g", p.PerDay)
	}
	if p.Spread < 0 || p.Spread > 3 {
		bad("posting.spread", "must be between 0 and 3, got %g", p.Spread)
	}
	share("posting.daily_cycle", p.DailyCycle)
	share("posting.albums", p.Albums)
	share("posting.media", p.Media)
	share("posting.edits", p.Edits)
	share("posting.deletions", p.Deletions)
	share("posting.forwards", p.Forwards)
	share("posting.same_community", p.SameCommunity)
	share("posting.hidden_forwards", p.HiddenForwards)
	share("posting.replies", p.Replies)
	share("posting.linked_chats", p.LinkedChats)
	c := s.Counters
	if c.Reach <= 0 || c.Reach > 100 {
		bad("counters.reach", "must be in (0, 100], got %g", c.Reach)
	}
	if c.Saturation.D() < time.Minute {
		bad("counters.saturation", "must be at least 1m, got %s", c.Saturation)
	}
	share("counters.forward_rate", c.ForwardRate)
	share("counters.reaction_rate", c.ReactionRate)
	share("counters.comment_rate", c.CommentRate)
	l := s.Links
	if l.PerPost < 0 || l.PerPost > 10 {
		bad("links.per_post", "must be between 0 and 10, got %g", l.PerPost)
	}
	share("links.hidden", l.Hidden)
	if l.Mentions < 0 || l.Mentions > 10 {
		bad("links.mentions", "must be between 0 and 10, got %g", l.Mentions)
	}
	if l.Hashtags < 0 || l.Hashtags > 10 {
		bad("links.hashtags", "must be between 0 and 10, got %g", l.Hashtags)
	}
	share("links.invites", l.Invites)
	for _, name := range sortedKeys(l.Platforms) {
		if _, ok := platformIndex[name]; !ok {
			bad("links.platforms."+name, "unknown platform (known: %s)", strings.Join(Platforms(), ", "))
		}
		nonneg("links.platforms."+name, l.Platforms[name])
	}
	g := s.Growth
	nonneg("growth.logistic", g.Logistic)
	nonneg("growth.exponential", g.Exponential)
	nonneg("growth.decline", g.Decline)
	if g.Logistic+g.Exponential+g.Decline <= 0 {
		bad("growth", "at least one of logistic, exponential, decline must be positive")
	}
	if g.Initial < 1 || g.Initial > 1e7 {
		bad("growth.initial", "must be between 1 and 1e7, got %g", g.Initial)
	}
	if g.Capacity < 1 || g.Capacity > 1e8 {
		bad("growth.capacity", "must be between 1 and 1e8, got %g", g.Capacity)
	}
	if g.Rate < 0 || g.Rate > 5 {
		bad("growth.rate", "must be between 0 and 5 per day, got %g", g.Rate)
	}
	if g.Noise < 0 || g.Noise > 0.5 {
		bad("growth.noise", "must be between 0 and 0.5, got %g", g.Noise)
	}
	if g.Shocks < 0 || g.Shocks > 50 {
		bad("growth.shocks", "must be between 0 and 50, got %g", g.Shocks)
	}
	lc := s.Lifecycle
	share("lifecycle.no_username", lc.NoUsername)
	share("lifecycle.renames", lc.Renames)
	if lc.TitleChanges < 0 || lc.TitleChanges > 20 {
		bad("lifecycle.title_changes", "must be between 0 and 20, got %g", lc.TitleChanges)
	}
	if lc.AboutChanges < 0 || lc.AboutChanges > 20 {
		bad("lifecycle.about_changes", "must be between 0 and 20, got %g", lc.AboutChanges)
	}
	if lc.PhotoChanges < 0 || lc.PhotoChanges > 20 {
		bad("lifecycle.photo_changes", "must be between 0 and 20, got %g", lc.PhotoChanges)
	}
	share("lifecycle.private", lc.Private)
	share("lifecycle.bans", lc.Bans)
	share("lifecycle.deletions", lc.Deletions)
	if lc.Private+lc.Bans+lc.Deletions > 1 {
		bad("lifecycle", "private + bans + deletions must not exceed 1")
	}
	share("lifecycle.reincarnations", lc.Reincarnations)
	if lc.ReincarnationLag.D() < 0 {
		bad("lifecycle.reincarnation_lag", "must not be negative")
	}
	share("lifecycle.carryover", lc.Carryover)
	share("flags.verified", s.Flags.Verified)
	share("flags.scam", s.Flags.Scam)
	share("flags.fake", s.Flags.Fake)
	share("flags.restricted", s.Flags.Restricted)
	for i, e := range s.Events {
		at := fmt.Sprintf("events[%d]", i)
		if e.At.IsZero() {
			bad(at+".at", "must be set")
		}
		if e.Community != nil && (*e.Community < 0 || *e.Community >= s.Communities) {
			bad(at+".community", "must be between 0 and %d, got %d", s.Communities-1, *e.Community)
		}
		switch e.Kind {
		case EventAttack:
			if e.Burst < 1 || e.Burst > 100 {
				bad(at+".burst", "must be between 1 and 100, got %g", e.Burst)
			}
			if e.Decay.D() < time.Minute && e.Burst > 1 {
				bad(at+".decay", "must be at least 1m for a burst, got %s", e.Decay)
			}
			if e.Jump < 0.1 || e.Jump > 10 {
				bad(at+".jump", "must be between 0.1 and 10, got %g", e.Jump)
			}
			if e.Platform != "" {
				bad(at+".platform", "is for takedowns only")
			}
		case EventTakedown:
			if _, ok := platformIndex[e.Platform]; !ok {
				bad(at+".platform", "unknown platform %q (known: %s)", e.Platform, strings.Join(Platforms(), ", "))
			} else if e.Platform == "web" {
				bad(at+".platform", "the open web cannot be taken down")
			}
			if e.Share <= 0 || e.Share > 1 {
				bad(at+".share", "must be in (0, 1], got %g", e.Share)
			}
			if e.Platform == "telegram" && e.Community == nil {
				bad(at+".community", "a telegram takedown must name its community")
			}
			if e.Burst != 0 || e.Jump != 0 {
				bad(at, "burst and jump are for attacks only")
			}
		default:
			bad(at+".kind", "must be %q or %q, got %q", EventAttack, EventTakedown, e.Kind)
		}
	}
	return errs
}

// applyEventDefaults fills an event's omitted parameters.
func (e *EventSpec) applyDefaults(set func(field string) bool) {
	switch e.Kind {
	case EventAttack:
		if !set("burst") {
			e.Burst = 3
		}
		if !set("decay") {
			e.Decay = Duration(12 * time.Hour)
		}
		if !set("jump") {
			e.Jump = 1.15
		}
	case EventTakedown:
		if !set("share") {
			e.Share = 0.9
			if e.Platform == "telegram" {
				e.Share = 0.3
			}
		}
	}
	if e.Name == "" && !e.At.IsZero() {
		e.Name = e.Kind + " " + e.At.UTC().Format("2006-01-02")
		if e.Platform != "" {
			e.Name = e.Platform + " " + e.Name
		}
	}
}

// Validate reports the first problems of a spec built in Go (ParseSpec
// already validates, with file positions).
func (s Spec) Validate() error {
	errs := s.validate()
	if len(errs) == 0 {
		return nil
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		out = append(out, fmt.Errorf("%s: %s", e.path, e.msg))
	}
	return errors.Join(out...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
