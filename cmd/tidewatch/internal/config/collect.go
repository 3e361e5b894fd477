package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/internal/duration"
)

// Collect configures `tidewatch collect` and `tidewatch seeds`.
type Collect struct {
	StateDir            string        `mapstructure:"state_dir" default:"{data_dir}/collect" doc:"Folder of the collector's durable state (progress, access hashes, flood waits) and of the seed list."`
	StoreText           bool          `mapstructure:"store_text" default:"false" doc:"Store message text; its length and a hash are always stored."`
	SnapshotInterval    time.Duration `mapstructure:"snapshot_interval" default:"6h" doc:"Time between snapshots of a channel's metadata and audience."`
	HotSnapshotInterval time.Duration `mapstructure:"hot_snapshot_interval" default:"1h" doc:"Time between snapshots of a hot channel (see hot_subscribers, hot_posts_per_day)."`
	HistoryInterval     time.Duration `mapstructure:"history_interval" default:"1h" doc:"Time between polls of a channel for new posts."`
	HotHistoryInterval  time.Duration `mapstructure:"hot_history_interval" default:"10m" doc:"Time between polls of a hot channel for new posts."`
	GoneInterval        time.Duration `mapstructure:"gone_interval" default:"24h" doc:"Time between looks at a channel that went private, was banned or deleted, to see it reappear."`
	RecommendInterval   time.Duration `mapstructure:"recommend_interval" default:"168h" doc:"Time between asking Telegram for a channel's recommendations (when discovery follows them)."`
	CounterAges         []string      `mapstructure:"counter_ages" default:"1h,6h,24h,72h,7d" doc:"Post ages at which views, forwards and replies are read again (Go durations, or Nd for days)."`
	CounterTolerance    int           `mapstructure:"counter_tolerance_percent" default:"10" doc:"How far (in percent of the age) a read may miss its age and still count as on time."`
	HotSubscribers      int           `mapstructure:"hot_subscribers" default:"100000" doc:"A channel with at least this audience is hot."`
	HotPostsPerDay      int           `mapstructure:"hot_posts_per_day" default:"24" doc:"A channel with at least this many posts in the last day is hot."`
	Limits              []string      `mapstructure:"limits" default:"" doc:"Per-account call rates as method=calls_per_second[/burst] (e.g. messages.getHistory=5/10); unlisted methods keep the built-in rates."`
	MaxInFlight         int           `mapstructure:"max_in_flight" default:"4" doc:"Calls one account makes at the same time."`
	HandoffAfter        time.Duration `mapstructure:"handoff_after" default:"2m" doc:"A flood wait longer than this hands the account's channels to other accounts."`
	MaxWait             time.Duration `mapstructure:"max_wait" default:"10m" doc:"A one-shot run stops instead of waiting out flood waits longer than this."`
	CheckpointInterval  time.Duration `mapstructure:"checkpoint_interval" default:"5s" doc:"Time between checkpoints (flush everything, then save progress)."`
	Discovery           Discovery     `mapstructure:"discovery" doc:"Snowball discovery of channels from the frame's references."`
}

// Discovery configures the snowball rules.
type Discovery struct {
	MaxDepth       int      `mapstructure:"max_depth" default:"1" doc:"Most steps from a seed (0 = seeds only)."`
	MinReferences  int      `mapstructure:"min_references" default:"3" doc:"References from the frame a channel needs before it is looked at."`
	MinSubscribers int      `mapstructure:"min_subscribers" default:"1000" doc:"Audience a referenced channel needs to join the frame."`
	Via            []string `mapstructure:"via" default:"forward,tme_link,mention,recommendation" doc:"Which references count: forward, tme_link, mention, recommendation."`
}

// discoveryRules are the reference kinds collect.discovery.via accepts.
var discoveryRules = []string{"forward", "tme_link", "mention", "recommendation"}

// Validate checks intervals, ages and limits.
func (c Collect) Validate() error {
	var errs []error
	if strings.TrimSpace(c.StateDir) == "" {
		errs = append(errs, expected("collect.state_dir", "a folder path", c.StateDir))
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"collect.snapshot_interval", c.SnapshotInterval}, {"collect.hot_snapshot_interval", c.HotSnapshotInterval},
		{"collect.history_interval", c.HistoryInterval}, {"collect.hot_history_interval", c.HotHistoryInterval},
		{"collect.gone_interval", c.GoneInterval}, {"collect.recommend_interval", c.RecommendInterval},
		{"collect.handoff_after", c.HandoffAfter}, {"collect.max_wait", c.MaxWait},
		{"collect.checkpoint_interval", c.CheckpointInterval},
	} {
		if d.v <= 0 {
			errs = append(errs, expected(d.key, "a positive duration such as 30m or 6h", d.v))
		}
	}
	if len(c.CounterAges) == 0 {
		errs = append(errs, expected("collect.counter_ages", "at least one post age", ""))
	}
	var last time.Duration
	for _, s := range c.CounterAges {
		a, err := ParseAge(s)
		switch {
		case err != nil:
			errs = append(errs, expected("collect.counter_ages", "post ages such as 1h or 7d", s))
		case a <= last:
			errs = append(errs, expected("collect.counter_ages", "ages in increasing order", s))
		default:
			last = a
		}
	}
	if c.CounterTolerance < 1 || c.CounterTolerance > 50 {
		errs = append(errs, expected("collect.counter_tolerance_percent", "a percentage from 1 to 50", c.CounterTolerance))
	}
	if c.HotSubscribers < 1 {
		errs = append(errs, expected("collect.hot_subscribers", "a number of subscribers of at least 1", c.HotSubscribers))
	}
	if c.HotPostsPerDay < 1 {
		errs = append(errs, expected("collect.hot_posts_per_day", "a number of posts of at least 1", c.HotPostsPerDay))
	}
	for _, s := range c.Limits {
		if _, _, _, err := ParseLimit(s); err != nil {
			errs = append(errs, expected("collect.limits", "method=calls_per_second[/burst] with a positive rate and burst ("+err.Error()+")", s))
		}
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > 64 {
		errs = append(errs, expected("collect.max_in_flight", "a number of calls from 1 to 64", c.MaxInFlight))
	}
	return errors.Join(errs...)
}

// Validate checks the rules' ranges and names.
func (d Discovery) Validate() error {
	var errs []error
	if d.MaxDepth < 0 || d.MaxDepth > 255 {
		errs = append(errs, expected("collect.discovery.max_depth", "a depth from 0 to 255", d.MaxDepth))
	}
	if d.MinReferences < 1 {
		errs = append(errs, expected("collect.discovery.min_references", "a number of references of at least 1", d.MinReferences))
	}
	if d.MinSubscribers < 0 {
		errs = append(errs, expected("collect.discovery.min_subscribers", "a number of subscribers of 0 or more", d.MinSubscribers))
	}
	for _, v := range d.Via {
		if !oneOf(v, discoveryRules...) {
			errs = append(errs, expected("collect.discovery.via", "references among "+strings.Join(discoveryRules, ", "), v))
		}
	}
	return errors.Join(errs...)
}

// ParseAge reads a post age: a positive duration as duration.Parse reads it, a Go duration
// ("90m", "6h") or one with days and weeks ("7d", "2w", "1d12h").
func ParseAge(s string) (time.Duration, error) {
	d, err := duration.Parse(s)
	if err != nil {
		return 0, fmt.Errorf("age: %w", err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("age %q: want a positive duration such as 6h, 7d or 1d12h", strings.TrimSpace(s))
	}
	return d, nil
}

// ParseLimit reads a rate limit "method=calls_per_second[/burst]" (burst defaults to 1).
func ParseLimit(s string) (method string, rate float64, burst int, err error) {
	method, spec, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || method == "" || !strings.Contains(method, ".") {
		return "", 0, 0, errors.New("missing method name")
	}
	rateText, burstText, hasBurst := strings.Cut(spec, "/")
	rate, err = strconv.ParseFloat(rateText, 64)
	if err != nil || rate <= 0 {
		return "", 0, 0, errors.New("bad rate")
	}
	burst = 1
	if hasBurst {
		burst, err = strconv.Atoi(burstText)
		if err != nil || burst < 1 {
			return "", 0, 0, errors.New("bad burst")
		}
	}
	return method, rate, burst, nil
}
