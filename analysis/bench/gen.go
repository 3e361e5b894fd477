// Package bench measures the analysis jobs at scale: a deterministic generator of a
// year of channel snapshots and posts, loaded through the store writer, and a reference
// that computes the same growth and engagement figures the way an analyst would without
// tidewatch (clickhouse-client exporting the raw tables to CSV, a plain Go program over
// the files). BenchmarkAnalyzeAll runs both on the same server and reports their times.
package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Defaults of Config: the full-size dataset.
const (
	DefaultChannels = 10_000
	DefaultPosts    = 20_000_000
	DefaultSeed     = 1
)

// Year is the generated range, [From, To): 365 days.
var (
	From = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	To   = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Config sizes a generated dataset.
type Config struct {
	// Channels and Posts are the full-size counts (defaults DefaultChannels,
	// DefaultPosts); Scale multiplies both (default 1; 0.5 is the half run). Posts per
	// channel stay the same at every scale, so twice the data is twice the channels.
	Channels int
	Posts    int
	Scale    float64
	// Seed makes the data; the same Config always gives the same rows.
	Seed uint64
	// Links adds what the migration and actors jobs read: an outbound link in 60% of the
	// posts (post_links), communities of LinkCommunities channels each, a Twitter takedown
	// naming the first community on MigrationAt (its links to Twitter fall from 20% to 4%,
	// the rest going to Bluesky) with a suspension event listing the Twitter accounts of
	// every 10th of its channels (account_links), and Actors actors, each a channel with a
	// Twitter account whose follower counts are read weekly.
	Links bool
}

// What Config.Links generates.
const (
	LinkCommunities = 10
	Actors          = 500
)

// MigrationAt is the generated takedown's time.
var MigrationAt = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

func (c Config) withDefaults() Config {
	if c.Channels <= 0 {
		c.Channels = DefaultChannels
	}
	if c.Posts <= 0 {
		c.Posts = DefaultPosts
	}
	if c.Scale <= 0 {
		c.Scale = 1
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	return c
}

// Size is the number of channels and the mean posts per channel of a Config.
func (c Config) Size() (channels int, postsPerChannel float64) {
	c = c.withDefaults()
	channels = max(1, int(math.Round(float64(c.Channels)*c.Scale)))
	return channels, float64(c.Posts) / float64(c.Channels)
}

// Counts are the rows a generation wrote.
type Counts struct {
	Channels  int
	Snapshots int
	Posts     int
	Events    int
	Links     int
}

// channelBase is the first channel_id; channel i is channelBase + i.
const channelBase = 1_000_000_000

// Events is the number of registry events generated: one platform-wide event a month,
// so that the bursts job has windows to score.
const Events = 12

// Generate writes a Config's dataset through store writers with wopts: channels,
// channel_snapshots (one a day at a jittered hour, some days skipped, some with a second
// snapshot; exponential or logistic growth with noise and occasional jumps), posts
// (counters growing with the audience, some forwarded, a few deleted) and Events
// registry events.
func Generate(ctx context.Context, db *store.DB, cfg Config, wopts store.WriterOptions) (Counts, error) {
	cfg = cfg.withDefaults()
	n, perChannel := cfg.Size()
	var cnt Counts
	chans, err := store.NewWriter[schema.Channel](db, schema.TableChannels, wopts)
	if err != nil {
		return cnt, err
	}
	snaps, err := store.NewWriter[schema.ChannelSnapshot](db, schema.TableChannelSnapshots, wopts)
	if err != nil {
		return cnt, errors.Join(err, chans.Close(ctx))
	}
	posts, err := store.NewWriter[schema.Post](db, schema.TablePosts, wopts)
	if err != nil {
		return cnt, errors.Join(err, chans.Close(ctx), snaps.Close(ctx))
	}
	events, err := store.NewWriter[schema.Event](db, schema.TableEvents, wopts)
	if err != nil {
		return cnt, errors.Join(err, chans.Close(ctx), snaps.Close(ctx), posts.Close(ctx))
	}
	var links *store.Writer[schema.PostLink]
	if cfg.Links {
		if links, err = store.NewWriter[schema.PostLink](db, schema.TablePostLinks, wopts); err != nil {
			return cnt, errors.Join(err, chans.Close(ctx), snaps.Close(ctx), posts.Close(ctx), events.Close(ctx))
		}
	}
	closeAll := func() error {
		err := errors.Join(chans.Close(ctx), snaps.Close(ctx), posts.Close(ctx), events.Close(ctx))
		if links != nil {
			err = errors.Join(err, links.Close(ctx))
		}
		return err
	}
	loaded := To
	for m := 0; m < Events; m++ {
		at := time.Date(2026, time.Month(m+1), 10+m%7, 6+m, 0, 0, 0, time.UTC)
		e := schema.Event{EventID: fmt.Sprintf("bench-%02d", m), EventAt: at, EndAt: at.Add(24 * time.Hour),
			Platform: schema.PlatformTelegram, Kind: "policy", TargetKind: "platform", Title: fmt.Sprintf("event %d", m),
			Source: "bench", Origin: schema.EventOriginRegistry, Version: schema.Version(loaded)}
		if err := events.Write(ctx, e); err != nil {
			return cnt, errors.Join(err, closeAll())
		}
		cnt.Events++
	}
	snapBuf := make([]schema.ChannelSnapshot, 0, 512)
	postBuf := make([]schema.Post, 0, 1024)
	for i := 0; i < n; i++ {
		c := newChannel(cfg.Seed, i, n, perChannel)
		snapBuf = c.snapshots(snapBuf[:0])
		postBuf = postBuf[:0]
		if err := snaps.Write(ctx, snapBuf...); err != nil {
			return cnt, errors.Join(err, closeAll())
		}
		cnt.Snapshots += len(snapBuf)
		last := snapBuf[len(snapBuf)-1]
		if err := chans.Write(ctx, schema.Channel{Platform: schema.PlatformTelegram, ChannelID: c.id,
			ExternalID: fmt.Sprint(c.id), Username: c.username, Title: c.username, Kind: "channel", Status: schema.StatusActive,
			Subscribers: last.Subscribers, CreatedAt: From.Add(-365 * 24 * time.Hour), FirstSeenAt: snapBuf[0].SnapshotAt,
			LastSeenAt: last.SnapshotAt, Source: "bench", Version: schema.Version(last.SnapshotAt)}); err != nil {
			return cnt, errors.Join(err, closeAll())
		}
		cnt.Channels++
		np := c.postCount()
		for k := 0; k < np; k++ {
			postBuf = append(postBuf, c.post(k, np))
			if links != nil {
				if l, ok := c.link(&postBuf[len(postBuf)-1], i); ok {
					if err := links.Write(ctx, l); err != nil {
						return cnt, errors.Join(err, closeAll())
					}
					cnt.Links++
				}
			}
			if len(postBuf) == cap(postBuf) {
				if err := posts.Write(ctx, postBuf...); err != nil {
					return cnt, errors.Join(err, closeAll())
				}
				cnt.Posts += len(postBuf)
				postBuf = postBuf[:0]
			}
		}
		if err := posts.Write(ctx, postBuf...); err != nil {
			return cnt, errors.Join(err, closeAll())
		}
		cnt.Posts += len(postBuf)
	}
	if err := closeAll(); err != nil {
		return cnt, err
	}
	if cfg.Links {
		return cnt, generateMigration(ctx, db, cfg, n, wopts)
	}
	return cnt, nil
}

// community is channel i's community when Config.Links is set.
func community(i int) string { return fmt.Sprintf("c%02d", i%LinkCommunities) }

// linkDests is the link mix: destinations by cumulative share.
var linkDests = []struct {
	dest string
	cum  float64
}{{"twitter", 0.20}, {"youtube", 0.35}, {"telegram", 0.50}, {"bluesky", 0.55}, {"web", 1}}

// link is the outbound link of a post, in 60% of them; forwarded posts carry their
// source's link like any other (the job leaves them out).
func (c *channel) link(p *schema.Post, i int) (schema.PostLink, bool) {
	if c.rng.Float64() >= 0.6 {
		return schema.PostLink{}, false
	}
	x := c.rng.Float64()
	dest := "web"
	for _, d := range linkDests {
		if x < d.cum {
			dest = d.dest
			break
		}
	}
	if dest == "twitter" && community(i) == community(0) && !p.PostedAt.Before(MigrationAt) && c.rng.Float64() < 0.8 {
		dest = "bluesky" // the takedown: 80% of the Twitter links move
	}
	return schema.PostLink{Platform: p.Platform, ChannelID: p.ChannelID, PostID: p.PostID, PostedAt: p.PostedAt,
		URL: fmt.Sprintf("https://%s.example/%d/%d", dest, p.ChannelID, p.PostID), LinkKind: "url", SourceKind: "entity",
		Domain: dest + ".example", RegisteredDomain: dest + ".example", DestPlatform: dest, RunID: "bench"}, true
}

// generateMigration writes the communities, the takedown and suspension events, the
// suspended accounts' links and the actors of Config.Links.
func generateMigration(ctx context.Context, db *store.DB, cfg Config, n int, wopts store.WriterOptions) error {
	var coms []schema.Community
	var accounts []schema.AccountLink
	var handles []string
	var actors []schema.ActorAccount
	var follows []schema.ChannelSnapshot
	for i := 0; i < n; i++ {
		id := channelBase + uint64(i)
		coms = append(coms, schema.Community{Community: community(i), Platform: schema.PlatformTelegram, ChannelID: id, Source: "bench", AddedAt: From, Version: 1})
		if community(i) == community(0) && i%(10*LinkCommunities) == 0 {
			h := fmt.Sprintf("tw_%06d", i)
			handles = append(handles, h)
			accounts = append(accounts, schema.AccountLink{FromPlatform: schema.PlatformTelegram, FromChannelID: id, ToPlatform: schema.PlatformTwitter,
				ToHandle: h, Evidence: "handle_in_about", Confidence: 0.9, Status: "proposed", FirstSeenAt: From, LastVerifiedAt: From, Version: 1})
		}
		if i < Actors {
			actor := fmt.Sprintf("actor_%04d", i)
			tw := uint64(9_000_000_000) + uint64(i)
			actors = append(actors,
				schema.ActorAccount{ActorID: actor, ActorName: actor, Platform: schema.PlatformTelegram, ChannelID: id, AddedAt: From, Version: 1},
				schema.ActorAccount{ActorID: actor, ActorName: actor, Platform: schema.PlatformTwitter, ChannelID: tw, Handle: fmt.Sprintf("tw_actor_%04d", i), AddedAt: From, Version: 1})
			for w := 0; w < 52; w++ {
				follows = append(follows, schema.ChannelSnapshot{Platform: schema.PlatformTwitter, ChannelID: tw, SnapshotAt: From.Add(time.Duration(w*7*24+12) * time.Hour),
					Subscribers: uint64(20_000 - 300*w + 7*i), Status: schema.StatusActive, Source: "bench", RunID: "bench"})
			}
		}
	}
	ev := []schema.Event{
		{EventID: "bench-takedown", EventAt: MigrationAt, Platform: schema.PlatformTwitter, Kind: "takedown", TargetKind: "community",
			Targets: []string{community(0)}, Title: "twitter takedown", Source: "bench", Origin: schema.EventOriginRegistry, Version: 1},
		{EventID: "bench-suspensions", EventAt: MigrationAt, Platform: schema.PlatformTwitter, Kind: "suspension", TargetKind: "account",
			Targets: handles, Title: "accounts suspended", Source: "bench", Origin: schema.EventOriginRegistry, Version: 1},
	}
	return errors.Join(
		store.WriteAll(ctx, db, schema.TableCommunities, wopts, coms...),
		store.WriteAll(ctx, db, schema.TableAccountLinks, wopts, accounts...),
		store.WriteAll(ctx, db, schema.TableEvents, wopts, ev...),
		store.WriteAll(ctx, db, schema.TableActorAccounts, wopts, actors...),
		store.WriteAll(ctx, db, schema.TableChannelSnapshots, wopts, follows...))
}

// channel is one generated channel's parameters; every value comes from a generator
// seeded with the Config seed and the channel's index.
type channel struct {
	rng      *rand.Rand
	id       uint64
	username string
	n        int // channels in the dataset, for forward sources
	s0       float64
	rate     float64 // per day
	logistic bool
	capacity float64
	jumpDay  float64 // day of an audience jump, or -1
	jumpF    float64
	reach    float64 // views per subscriber of a post
	posts    float64 // mean posts
}

func newChannel(seed uint64, i, n int, perChannel float64) *channel {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	c := &channel{rng: rng, id: channelBase + uint64(i), username: fmt.Sprintf("bench_%06d", i), n: n, jumpDay: -1}
	c.s0 = math.Exp(math.Log(200) + rng.Float64()*(math.Log(500_000)-math.Log(200)))
	c.rate = 0.0015 + 0.002*rng.NormFloat64()
	if rng.Float64() < 0.3 {
		c.logistic = true
		c.rate = 0.005 + 0.02*rng.Float64()
		c.capacity = c.s0 * (1.5 + 4*rng.Float64())
	}
	if rng.Float64() < 0.3 {
		c.jumpDay = 20 + rng.Float64()*320
		c.jumpF = 1.15 + rng.Float64()
	}
	c.reach = 0.05 + 0.45*rng.Float64()
	c.posts = perChannel * (0.5 + rng.Float64())
	return c
}

// subs is the channel's audience (without noise) at day t of the year.
func (c *channel) subs(t float64) float64 {
	var s float64
	if c.logistic {
		s = c.capacity / (1 + (c.capacity/c.s0-1)*math.Exp(-c.rate*t))
	} else {
		s = c.s0 * math.Exp(c.rate*t)
	}
	if c.jumpDay >= 0 && t >= c.jumpDay {
		// The jump ramps up over two days.
		s *= 1 + (c.jumpF-1)*math.Min(1, (t-c.jumpDay)/2)
	}
	return math.Max(1, s)
}

const day = 24 * time.Hour

func (c *channel) snapshots(out []schema.ChannelSnapshot) []schema.ChannelSnapshot {
	days := int(To.Sub(From) / day)
	for d := 0; d < days; d++ {
		if c.rng.Float64() < 0.05 {
			continue // a missed day
		}
		extra := 1
		if c.rng.Float64() < 0.1 {
			extra = 2
		}
		for k := 0; k < extra; k++ {
			hour := 12 + 5*c.rng.NormFloat64()
			hour = math.Max(0.01, math.Min(23.99, hour))
			at := From.Add(time.Duration(d)*day + time.Duration(hour*float64(time.Hour))).Truncate(time.Second)
			t := at.Sub(From).Hours() / 24
			s := c.subs(t) * (1 + 0.003*c.rng.NormFloat64())
			out = append(out, schema.ChannelSnapshot{Platform: schema.PlatformTelegram, ChannelID: c.id, SnapshotAt: at,
				Username: c.username, Title: c.username, Subscribers: uint64(math.Max(1, math.Round(s))),
				Status: schema.StatusActive, Source: "bench", RunID: "bench"})
		}
	}
	if len(out) == 0 { // cannot happen with 365 days at 5% missed, but keep one row
		out = append(out, schema.ChannelSnapshot{Platform: schema.PlatformTelegram, ChannelID: c.id, SnapshotAt: From.Add(12 * time.Hour),
			Username: c.username, Title: c.username, Subscribers: uint64(c.s0), Status: schema.StatusActive, Source: "bench", RunID: "bench"})
	}
	slicesSortByTime(out)
	// Two snapshots in the same second would be one row once merged; keep them apart.
	for i := 1; i < len(out); i++ {
		if !out[i].SnapshotAt.After(out[i-1].SnapshotAt) {
			out[i].SnapshotAt = out[i-1].SnapshotAt.Add(time.Second)
		}
	}
	return out
}

func slicesSortByTime(s []schema.ChannelSnapshot) {
	// Snapshots of a day are appended in random hour order; insertion sort keeps it cheap.
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].SnapshotAt.Before(s[j-1].SnapshotAt); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func (c *channel) postCount() int { return int(math.Round(c.posts)) }

var mediaTypes = []string{"", "", "photo", "photo", "video", "document"}

// post is the k-th of np posts, spread evenly over the year with jitter, in order.
func (c *channel) post(k, np int) schema.Post {
	span := To.Sub(From).Seconds()
	slot := span / float64(np)
	sec := (float64(k) + c.rng.Float64()) * slot
	at := From.Add(time.Duration(sec * float64(time.Second))).Truncate(time.Second)
	t := sec / 86400
	views := c.subs(t) * c.reach * math.Exp(0.4*c.rng.NormFloat64())
	p := schema.Post{Platform: schema.PlatformTelegram, ChannelID: c.id, PostID: uint64(k + 1), PostedAt: at,
		Kind: schema.KindPost, PostType: "text", MediaType: mediaTypes[c.rng.IntN(len(mediaTypes))],
		TextLength: uint32(20 + c.rng.IntN(400)), TextHash: c.rng.Uint64(),
		Views: uint64(views), Forwards: uint64(views * 0.01 * c.rng.Float64()), Replies: uint64(views * 0.002 * c.rng.Float64()),
		Reactions: uint64(views * 0.02 * c.rng.Float64()), CountersAt: at.Add(day), Source: "bench", RunID: "bench"}
	if c.rng.Float64() < 0.1 {
		p.PostType = "forward"
		p.FwdChannelID = channelBase + uint64(c.rng.IntN(c.n))
		p.FwdPostID = uint64(1 + c.rng.IntN(1000))
		p.FwdAt = at.Add(-time.Duration(c.rng.IntN(86400)) * time.Second)
	}
	if c.rng.Float64() < 0.01 {
		p.Deleted = 1
		p.DeletedAt = at.Add(2 * day)
	}
	p.Version = schema.Version(p.CountersAt)
	return p
}
