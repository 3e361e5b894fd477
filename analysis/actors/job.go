// Package actors is the actors job: the cross-platform view of each actor (actor_accounts
// groups the accounts of one entity across platforms). For every actor it lists its
// accounts with the evidence tying them together (account links and their confidence),
// follows its audience on each platform week by week, from collected Telegram subscriber
// counts and imported follower counts alike, with each platform's share, and finds the
// weeks in which its audience moved: another platform took the largest share.
package actors

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Name is the job's name in runs (analyze:actors) and on the command line.
const Name = "actors"

// CarryFor is how long an account's last audience count stands for it in later weeks.
const CarryFor = 28 * 24 * time.Hour

// Options of an actors run.
type Options struct {
	Params job.Params
	Meta   job.Meta
}

// Actor is one actor's result, as a Summary lists it.
type Actor struct {
	ID, Name  string
	Accounts  int
	Platforms []string
	// Latest is the actor's audience share per platform in its last week.
	Latest map[string]float64
	Moves  []schema.ActorsMove
}

// Summary is what a run did.
type Summary struct {
	RunID   string
	Status  string
	Reasons []string
	Actors  []Actor
	Weeks   int // actors_audience rows written
}

// Check checks the options; a bad one is a job.ParamError.
func (o *Options) Check() error { return o.Params.Validate() }

// Run computes every actor's accounts, weekly audience by platform and moves over the range
// and writes them, keyed by a new run, to actors_accounts, actors_audience and actors_moves.
func Run(ctx context.Context, db *store.DB, o Options) (Summary, error) {
	if err := o.Check(); err != nil {
		return Summary{}, err
	}
	var sum Summary
	var err error
	inputs := []string{schema.TableActorAccounts, schema.TableAccountLinks, schema.TableChannelSnapshots}
	sum.Status, sum.Reasons, err = job.Execute(ctx, db, Name, o.Params, inputs, o.Meta,
		func(scope job.Channels, runID string) (map[string]uint64, string, error) {
			sum.RunID = runID
			werr := compute(ctx, db, o, scope, runID, &sum)
			skip := ""
			if werr == nil && len(sum.Actors) == 0 {
				skip = "no actor has an account in scope (tidewatch links actor create)"
			}
			moves := 0
			for _, a := range sum.Actors {
				moves += len(a.Moves)
			}
			return map[string]uint64{"actors": uint64(len(sum.Actors)), "weeks": uint64(sum.Weeks), "moves": uint64(moves)}, skip, werr
		})
	return sum, err
}

type accountRow struct {
	ActorID   string `ch:"actor_id"`
	ActorName string `ch:"actor_name"`
	Platform  string `ch:"platform"`
	ChannelID uint64 `ch:"channel_id"`
	Handle    string `ch:"handle"`
}

type linkRow struct {
	FromPlatform  string    `ch:"from_platform"`
	FromChannelID uint64    `ch:"from_channel_id"`
	ToPlatform    string    `ch:"to_platform"`
	ToHandle      string    `ch:"to_handle"`
	ToChannelID   uint64    `ch:"to_channel_id"`
	Evidence      string    `ch:"evidence"`
	Confidence    float32   `ch:"confidence"`
	FirstSeenAt   time.Time `ch:"first_seen_at"`
}

type weekRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	Week      time.Time `ch:"week"`
	Subs      uint64    `ch:"subs"`
	At        time.Time `ch:"at"`
}

func compute(ctx context.Context, db *store.DB, o Options, scope job.Channels, runID string, sum *Summary) error {
	cond, args := scope.Filter()
	accounts, err := store.Select[accountRow](ctx, db, `SELECT actor_id, actor_name, toString(platform) AS platform, channel_id, handle
FROM `+db.Table(schema.TableActorAccounts)+` FINAL
WHERE removed = 0 AND (`+cond+`)
ORDER BY actor_id, platform, channel_id, handle`, args...)
	if err != nil || len(accounts) == 0 {
		return err
	}
	keys := map[string]bool{}
	var keyList []string
	for _, a := range accounts {
		if a.ChannelID != 0 {
			k := a.Platform + ":" + fmt.Sprint(a.ChannelID)
			if !keys[k] {
				keys[k] = true
				keyList = append(keyList, k)
			}
		}
	}
	if keyList == nil {
		keyList = []string{}
	}
	links, err := store.Select[linkRow](ctx, db, `SELECT from_platform, from_channel_id, to_platform, to_handle, to_channel_id, evidence, confidence, first_seen_at
FROM `+db.Table(schema.TableAccountLinks)+` FINAL
WHERE status != 'rejected' AND has(?, concat(from_platform, ':', toString(from_channel_id)))`, keyList)
	if err != nil {
		return err
	}
	weeks := map[job.Key][]weekRow{}
	err = store.Each(ctx, db, `SELECT platform, channel_id, toMonday(snapshot_at) AS week, argMax(subscribers, snapshot_at) AS subs, max(snapshot_at) AS at
FROM `+db.Table(schema.TableChannelSnapshots)+`
WHERE snapshot_at >= toDateTime(?) AND snapshot_at < toDateTime(?) AND subscribers > 0 AND has(?, concat(platform, ':', toString(channel_id)))
GROUP BY platform, channel_id, week
ORDER BY platform, channel_id, week`, func(r *weekRow) error {
		k := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
		r.Week, r.At = r.Week.UTC(), r.At.UTC()
		weeks[k] = append(weeks[k], *r)
		return nil
	}, o.Params.From.Unix(), o.Params.To.Unix(), keyList)
	if err != nil {
		return err
	}

	var (
		accRows []schema.ActorsAccount
		audRows []schema.ActorsAudience
		movRows []schema.ActorsMove
	)
	lastWeek := monday(o.Params.To.Add(-time.Second))
	for _, accs := range groupByActor(accounts) {
		rows := evidence(accs, links, runID)
		for i := range rows {
			k := job.Key{Platform: rows[i].Platform, ChannelID: rows[i].ChannelID}
			if ws := weeks[k]; len(ws) > 0 {
				rows[i].Audience, rows[i].AudienceAt = ws[len(ws)-1].Subs, ws[len(ws)-1].At
			}
		}
		accRows = append(accRows, rows...)
		aud := audience(accs, weeks, lastWeek, runID)
		moves := movesOf(aud, runID)
		audRows = append(audRows, aud...)
		movRows = append(movRows, moves...)
		a := Actor{ID: accs[0].ActorID, Name: accs[0].ActorName, Accounts: len(accs), Latest: map[string]float64{}, Moves: moves}
		for _, r := range aud {
			if !slices.Contains(a.Platforms, r.Platform) {
				a.Platforms = append(a.Platforms, r.Platform)
			}
			if r.Week.Equal(aud[len(aud)-1].Week) {
				a.Latest[r.Platform] = r.Share
			}
		}
		slices.Sort(a.Platforms)
		sum.Actors = append(sum.Actors, a)
	}
	sum.Weeks = len(audRows)
	if err := store.WriteAll(ctx, db, schema.TableActorsAccounts, o.Meta.Writer, accRows...); err != nil {
		return err
	}
	if err := store.WriteAll(ctx, db, schema.TableActorsAudience, o.Meta.Writer, audRows...); err != nil {
		return err
	}
	return store.WriteAll(ctx, db, schema.TableActorsMoves, o.Meta.Writer, movRows...)
}

// groupByActor splits accounts (ordered by actor) into one slice per actor.
func groupByActor(accounts []accountRow) [][]accountRow {
	var out [][]accountRow
	for i := 0; i < len(accounts); {
		j := i
		for j < len(accounts) && accounts[j].ActorID == accounts[i].ActorID {
			j++
		}
		out = append(out, accounts[i:j])
		i = j
	}
	return out
}

// evidence lists an actor's accounts with the account links between two of them: a link
// counts for both its ends.
func evidence(accs []accountRow, links []linkRow, runID string) []schema.ActorsAccount {
	rows := make([]schema.ActorsAccount, len(accs))
	for i, a := range accs {
		rows[i] = schema.ActorsAccount{RunID: runID, ActorID: a.ActorID, ActorName: a.ActorName, Platform: a.Platform, ChannelID: a.ChannelID,
			Handle: a.Handle, Evidence: []string{}}
	}
	find := func(platform string, id uint64, handle string) int {
		for i, a := range accs {
			if a.Platform == platform && ((id != 0 && a.ChannelID == id) || (handle != "" && job.Handle(a.Handle) == job.Handle(handle))) {
				return i
			}
		}
		return -1
	}
	for _, l := range links {
		from := find(l.FromPlatform, l.FromChannelID, "")
		to := find(l.ToPlatform, l.ToChannelID, l.ToHandle)
		if from < 0 || to < 0 || from == to {
			continue
		}
		for _, i := range []int{from, to} {
			r := &rows[i]
			if !slices.Contains(r.Evidence, l.Evidence) {
				r.Evidence = append(r.Evidence, l.Evidence)
				slices.Sort(r.Evidence)
			}
			r.Confidence = max(r.Confidence, float64(l.Confidence))
			if at := l.FirstSeenAt.UTC(); at.Unix() > 0 && (r.LinkedAt.IsZero() || at.Before(r.LinkedAt)) {
				r.LinkedAt = at
			}
		}
	}
	return rows
}

func monday(t time.Time) time.Time {
	t = t.UTC().Truncate(24 * time.Hour)
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}

// audience is an actor's weekly audience by platform, from the first week any of its
// accounts was read to the range's last week.
func audience(accs []accountRow, weeks map[job.Key][]weekRow, lastWeek time.Time, runID string) []schema.ActorsAudience {
	var first time.Time
	var ks []job.Key
	for _, a := range accs {
		k := job.Key{Platform: a.Platform, ChannelID: a.ChannelID}
		if a.ChannelID == 0 || slices.Contains(ks, k) {
			continue
		}
		ks = append(ks, k)
		if ws := weeks[k]; len(ws) > 0 && (first.IsZero() || ws[0].Week.Before(first)) {
			first = ws[0].Week
		}
	}
	if first.IsZero() {
		return nil
	}
	var out []schema.ActorsAudience
	next := make([]int, len(ks)) // per account, the index of its next unread week
	for w := first; !w.After(lastWeek); w = w.AddDate(0, 0, 7) {
		by := map[string]*schema.ActorsAudience{}
		total := 0.0
		for i, k := range ks {
			ws := weeks[k]
			for next[i] < len(ws) && !ws[next[i]].Week.After(w) {
				next[i]++
			}
			if next[i] == 0 {
				continue // not read yet
			}
			last := ws[next[i]-1]
			carried := !last.Week.Equal(w)
			if carried && w.Sub(last.At) > CarryFor {
				continue
			}
			r := by[k.Platform]
			if r == nil {
				r = &schema.ActorsAudience{RunID: runID, ActorID: accs[0].ActorID, Week: w, Platform: k.Platform}
				by[k.Platform] = r
			}
			r.Accounts++
			if carried {
				r.Carried++
			}
			r.Audience += float64(last.Subs)
			total += float64(last.Subs)
		}
		plats := make([]string, 0, len(by))
		for p := range by {
			plats = append(plats, p)
		}
		slices.Sort(plats)
		for _, p := range plats {
			r := by[p]
			r.Share = r.Audience / total
			out = append(out, *r)
		}
	}
	return out
}

// movesOf finds the weeks in which another platform took the largest share.
func movesOf(aud []schema.ActorsAudience, runID string) []schema.ActorsMove {
	type week struct {
		at     time.Time
		shares map[string]float64
		leader string
	}
	var ws []week
	for _, r := range aud {
		if len(ws) == 0 || !ws[len(ws)-1].at.Equal(r.Week) {
			ws = append(ws, week{at: r.Week, shares: map[string]float64{}})
		}
		w := &ws[len(ws)-1]
		w.shares[r.Platform] = r.Share
		if w.leader == "" || r.Share > w.shares[w.leader] || (r.Share == w.shares[w.leader] && cmp.Less(r.Platform, w.leader)) {
			w.leader = r.Platform
		}
	}
	var out []schema.ActorsMove
	for i := 1; i < len(ws); i++ {
		prev, cur := ws[i-1], ws[i]
		if prev.leader == cur.leader || !cur.at.Equal(prev.at.AddDate(0, 0, 7)) {
			continue
		}
		out = append(out, schema.ActorsMove{RunID: runID, ActorID: aud[0].ActorID, Week: cur.at, FromPlatform: prev.leader, ToPlatform: cur.leader,
			FromShareBefore: prev.shares[prev.leader], ToShareBefore: prev.shares[cur.leader],
			FromShareAfter: cur.shares[prev.leader], ToShareAfter: cur.shares[cur.leader]})
	}
	return out
}
