// Package truthdb puts a simulated world's ground truth (world.Truth) into
// ClickHouse tables of its own, truth_* (migration 0007_truth.sql), so that
// tests and notebooks can join what the collector and the analyses found to
// what the world planted: growth models and changepoints, noise-free
// subscriber values, reach and per-post view multipliers, the channels each
// attack affected, reincarnations and their carryover, expected link mixes
// around takedowns, and forward-source weights.
//
// Every row carries the run id the truth is loaded under. A run id holds one
// truth: loading the same truth again only rewrites identical rows (the
// tables collapse them), while another truth under a used run id is refused.
package truthdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// ErrRunIDTaken is wrapped when the run id already holds another truth.
var ErrRunIDTaken = errors.New("run id already holds another truth")

// Rows are a truth's rows, one slice per truth table.
type Rows struct {
	Worlds         []schema.TruthWorld
	Communities    []schema.TruthCommunity
	Channels       []schema.TruthChannel
	Subscribers    []schema.TruthSubscribers
	Changepoints   []schema.TruthChangepoint
	WorldEvents    []schema.TruthWorldEvent
	ChannelEvents  []schema.TruthChannelEvent
	Attacks        []schema.TruthAttack
	Reincarnations []schema.TruthReincarnation
	LinkMix        []schema.TruthLinkMix
	ForwardWeights []schema.TruthForwardWeight
	Posts          []schema.TruthPost
	PostCounters   []schema.TruthPostCounters
}

// Counts returns the number of rows per table.
func (r *Rows) Counts() map[string]int {
	return map[string]int{
		schema.TableTruthWorlds:         len(r.Worlds),
		schema.TableTruthCommunities:    len(r.Communities),
		schema.TableTruthChannels:       len(r.Channels),
		schema.TableTruthSubscribers:    len(r.Subscribers),
		schema.TableTruthChangepoints:   len(r.Changepoints),
		schema.TableTruthWorldEvents:    len(r.WorldEvents),
		schema.TableTruthChannelEvents:  len(r.ChannelEvents),
		schema.TableTruthAttacks:        len(r.Attacks),
		schema.TableTruthReincarnations: len(r.Reincarnations),
		schema.TableTruthLinkMix:        len(r.LinkMix),
		schema.TableTruthForwardWeights: len(r.ForwardWeights),
		schema.TableTruthPosts:          len(r.Posts),
		schema.TableTruthPostCounters:   len(r.PostCounters),
	}
}

// Digest is the hex SHA-256 of the truth's JSON: what identifies a truth
// under its run id.
func Digest(tr *world.Truth) (string, error) {
	b, err := json.Marshal(tr)
	if err != nil {
		return "", fmt.Errorf("encode truth: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Build turns a truth into rows for runID; loadedAt stamps truth_worlds.
func Build(tr *world.Truth, runID string, loadedAt time.Time) (*Rows, error) {
	if strings.TrimSpace(runID) == "" {
		return nil, errors.New("truth: empty run id")
	}
	spec, err := json.Marshal(tr.Spec)
	if err != nil {
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	digest, err := Digest(tr)
	if err != nil {
		return nil, err
	}
	const tg = schema.PlatformTelegram
	r := &Rows{}
	r.Worlds = []schema.TruthWorld{{
		RunID: runID, Seed: tr.Seed, StartAt: tr.Start, EndAt: tr.End, UntilAt: tr.Until,
		Channels: uint64(len(tr.Channels)), Communities: uint32(len(tr.Communities)),
		Platforms: append([]string{}, tr.Platforms...), Spec: string(spec), TruthSHA256: digest,
		LoadedAt: loadedAt.UTC().Truncate(time.Second),
	}}
	for _, c := range tr.Communities {
		r.Communities = append(r.Communities, schema.TruthCommunity{
			RunID: runID, Community: uint32(c.ID), Name: c.Name, UTCOffset: int8(c.UTCOffset), Channels: uint64(len(c.Channels)),
		})
	}
	channels := make(map[int64]*world.TruthChannel, len(tr.Channels))
	for i := range tr.Channels {
		c := &tr.Channels[i]
		channels[c.ID] = c
		row := schema.TruthChannel{
			RunID: runID, Platform: tg, ChannelID: uint64(c.ID), Community: uint32(c.Community), CreatedAt: c.Created,
			PredecessorID: uint64(c.Predecessor), SuccessorID: uint64(c.Successor),
			Status: world.StatusActive.String(), StatusAt: c.Created,
			Verified: b2u(c.Verified), Scam: b2u(c.Scam), Fake: b2u(c.Fake), Restricted: b2u(len(c.Restrictions) > 0),
			PostsPerDay: c.PostsPerDay, Reach: c.Reach, ERR: c.ERR, Carryover: c.Carryover,
			GrowthModel: c.Growth.Model, N0: c.Growth.N0, Rate: c.Growth.Rate, K: c.Growth.K, Noise: c.Growth.Noise,
			Sources: uint32(len(c.Sources)),
		}
		if len(c.Usernames) > 0 {
			row.Username = c.Usernames[0].Value
		}
		if len(c.Titles) > 0 {
			row.Title = c.Titles[0].Value
		}
		if n := len(c.Statuses); n > 0 {
			row.Status, row.StatusAt = c.Statuses[n-1].Status.String(), c.Statuses[n-1].From
		}
		r.Channels = append(r.Channels, row)
		for i, cp := range c.Growth.Changepoints {
			r.Changepoints = append(r.Changepoints, schema.TruthChangepoint{
				RunID: runID, Platform: tg, ChannelID: uint64(c.ID), Seq: uint32(i), At: cp.At, Kind: cp.Kind,
				Factor: cp.Factor, RampS: uint32(cp.Ramp.D() / time.Second), Rate: cp.Rate, Cause: cp.Cause,
			})
		}
	}
	for _, s := range tr.Snapshots {
		r.Subscribers = append(r.Subscribers, schema.TruthSubscribers{
			RunID: runID, Platform: tg, ChannelID: uint64(s.Channel), SnapshotAt: s.At, Status: s.Status.String(),
			Observed: uint64(max(s.Subscribers, 0)), Model: s.ModelSubscribers,
		})
	}
	for _, e := range tr.WorldEvents {
		community := int32(-1)
		if e.Community != nil {
			community = int32(*e.Community)
		}
		r.WorldEvents = append(r.WorldEvents, schema.TruthWorldEvent{
			RunID: runID, EventIndex: uint32(e.Index), Name: e.Name, Kind: e.Kind, At: e.At, Community: community,
			TargetPlatform: e.Platform, Burst: e.Burst, DecayS: uint32(e.Decay.D() / time.Second), Jump: e.Jump, Share: e.Share,
		})
		for _, id := range e.Channels {
			row := schema.TruthAttack{
				RunID: runID, EventIndex: uint32(e.Index), Event: e.Name, At: e.At, Community: community,
				Platform: tg, ChannelID: uint64(id),
			}
			if c := channels[id]; c != nil {
				for _, cp := range c.Growth.Changepoints {
					if cp.Kind == "jump" && cp.Cause == "attack: "+e.Name {
						row.Jumped, row.JumpFactor = 1, cp.Factor
						break
					}
				}
			}
			r.Attacks = append(r.Attacks, row)
		}
	}
	seq := map[int64]uint32{}
	for _, e := range tr.Events {
		r.ChannelEvents = append(r.ChannelEvents, schema.TruthChannelEvent{
			RunID: runID, Platform: tg, ChannelID: uint64(e.Channel), Seq: seq[e.Channel], At: e.At, Kind: e.Kind,
			Old: e.Old, New: e.New, PredecessorID: uint64(e.Predecessor), AccountPlatform: e.Platform, Handle: e.Handle,
		})
		seq[e.Channel]++
	}
	for _, re := range tr.Reincarnations {
		r.Reincarnations = append(r.Reincarnations, schema.TruthReincarnation{
			RunID: runID, Platform: tg, ChannelID: uint64(re.Channel), PredecessorID: uint64(re.Predecessor),
			BannedAt: re.BannedAt, CreatedAt: re.Created, LagS: uint64(re.Lag.D() / time.Second),
			Carryover: re.Carryover, PredecessorAudience: re.PredecessorAudience, InitialAudience: re.InitialAudience,
		})
	}
	for _, lm := range tr.LinkMix {
		if len(lm.Before) != len(lm.After) {
			return nil, fmt.Errorf("link mix of %s, community %d: %d shares before, %d after", lm.Event, lm.Community, len(lm.Before), len(lm.After))
		}
		for i, b := range lm.Before {
			r.LinkMix = append(r.LinkMix, schema.TruthLinkMix{
				RunID: runID, EventIndex: uint32(lm.EventIndex), Event: lm.Event, At: lm.At, TakenDown: lm.Platform,
				Community: uint32(lm.Community), Treated: b2u(lm.Treated), Destination: b.Platform,
				ShareBefore: b.Share, ShareAfter: lm.After[i].Share, JSShift: lm.JSShift, RampS: uint32(lm.Ramp.D() / time.Second),
			})
		}
	}
	edges := make(map[[2]int64]int, len(tr.Forwards))
	for _, f := range tr.Forwards {
		edges[[2]int64{f.Channel, f.Source}] = f.Count
	}
	for _, c := range tr.Channels {
		for _, sw := range c.SourceWeights {
			r.ForwardWeights = append(r.ForwardWeights, schema.TruthForwardWeight{
				RunID: runID, Platform: tg, ChannelID: uint64(c.ID), SourceID: uint64(sw.Source), Weight: sw.Weight,
				Forwards: uint64(edges[[2]int64{c.ID, sw.Source}]),
			})
		}
	}
	for _, p := range tr.Posts {
		row := schema.TruthPost{
			RunID: runID, Platform: tg, ChannelID: uint64(p.Channel), PostID: uint64(p.ID), PostedAt: p.Date,
			Service: b2u(p.Service), AlbumID: uint64(p.GroupedID), MediaType: p.Media,
			FwdChannelID: uint64(p.FwdChannel), FwdPostID: uint64(p.FwdPost), TextLength: uint32(p.TextLength),
			Multiplier: p.Multiplier, Burst: p.Burst, ExpectedViews: p.ExpectedViews, FinalViews: p.FinalViews, TauS: p.TauSeconds,
		}
		if p.Edited != nil {
			row.EditedAt = *p.Edited
		}
		if p.Deleted != nil {
			row.DeletedAt = *p.Deleted
		}
		r.Posts = append(r.Posts, row)
		for _, c := range p.Counters {
			reactions := 0
			for _, n := range c.Reactions {
				reactions += n
			}
			r.PostCounters = append(r.PostCounters, schema.TruthPostCounters{
				RunID: runID, Platform: tg, ChannelID: uint64(p.Channel), PostID: uint64(p.ID),
				TargetAgeS: uint32(c.Age.D() / time.Second), Views: uint64(c.Views), Forwards: uint64(c.Forwards),
				Replies: uint64(c.Replies), Reactions: uint64(reactions),
			})
		}
	}
	return r, nil
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// Load writes a truth into the truth_* tables of db under runID, through
// the store's batched writers with their default options.
func Load(ctx context.Context, db *store.DB, tr *world.Truth, runID string) error {
	_, err := LoadWith(ctx, db, tr, runID, store.WriterOptions{})
	return err
}

// LoadWith is Load with writer options (a spool folder, a logger). It
// returns the rows it wrote per table. truth_worlds is written first, so
// that a load cut short still claims its run id: run it again with the same
// truth to finish it.
func LoadWith(ctx context.Context, db *store.DB, tr *world.Truth, runID string, opts store.WriterOptions) (map[string]int, error) {
	rows, err := Build(tr, runID, time.Now())
	if err != nil {
		return nil, err
	}
	if err := checkRunID(ctx, db, runID, rows.Worlds[0].TruthSHA256); err != nil {
		return nil, err
	}
	steps := []func() error{
		func() error { return write(ctx, db, schema.TableTruthWorlds, rows.Worlds, opts) },
		func() error { return write(ctx, db, schema.TableTruthCommunities, rows.Communities, opts) },
		func() error { return write(ctx, db, schema.TableTruthChannels, rows.Channels, opts) },
		func() error { return write(ctx, db, schema.TableTruthSubscribers, rows.Subscribers, opts) },
		func() error { return write(ctx, db, schema.TableTruthChangepoints, rows.Changepoints, opts) },
		func() error { return write(ctx, db, schema.TableTruthWorldEvents, rows.WorldEvents, opts) },
		func() error { return write(ctx, db, schema.TableTruthChannelEvents, rows.ChannelEvents, opts) },
		func() error { return write(ctx, db, schema.TableTruthAttacks, rows.Attacks, opts) },
		func() error { return write(ctx, db, schema.TableTruthReincarnations, rows.Reincarnations, opts) },
		func() error { return write(ctx, db, schema.TableTruthLinkMix, rows.LinkMix, opts) },
		func() error { return write(ctx, db, schema.TableTruthForwardWeights, rows.ForwardWeights, opts) },
		func() error { return write(ctx, db, schema.TableTruthPosts, rows.Posts, opts) },
		func() error { return write(ctx, db, schema.TableTruthPostCounters, rows.PostCounters, opts) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return rows.Counts(), nil
}

// checkRunID refuses a run id that holds a truth with another digest.
func checkRunID(ctx context.Context, db *store.DB, runID, digest string) error {
	type held struct {
		Digest string `ch:"truth_sha256"`
	}
	q := "SELECT DISTINCT truth_sha256 FROM " + db.Table(schema.TableTruthWorlds) + " WHERE run_id = ?"
	rows, err := store.Select[held](ctx, db, q, runID)
	if err != nil {
		return fmt.Errorf("look up run id %q in %s: %w", runID, schema.TableTruthWorlds, err)
	}
	for _, r := range rows {
		if r.Digest != digest {
			return fmt.Errorf("load truth as %q: %w (truth %s, this one %s); choose another run id", runID, ErrRunIDTaken, short(r.Digest), short(digest))
		}
	}
	return nil
}

func short(digest string) string { return digest[:min(12, len(digest))] }

// write sends rows to table through one writer and waits until ClickHouse has them.
func write[T any](ctx context.Context, db *store.DB, table string, rows []T, opts store.WriterOptions) error {
	if len(rows) == 0 {
		return nil
	}
	w, err := store.NewWriter[T](db, table, opts)
	if err != nil {
		return fmt.Errorf("truth table %s: %w", table, err)
	}
	werr := w.Write(ctx, rows...)
	if cerr := w.Close(ctx); cerr != nil || werr != nil {
		return fmt.Errorf("write %s: %w", table, errors.Join(werr, cerr))
	}
	return nil
}
