package report

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// topActors is how many actors the section shows, the largest audiences first.
const topActors = 10

// noActors says how to define actors, for a report whose actors run found none.
const noActors = "No actor has an account in scope, so this section has no figures. An actor groups the accounts of one entity across platforms; " +
	"define one with 'tidewatch links actor create NAME --account telegram:HANDLE --account twitter:HANDLE' (or add accounts with " +
	"'tidewatch links actor add NAME ACCOUNT...'), then write the report again."

// actorRow is one actor of a run with its accounts' last audiences summed.
type actorRow struct {
	ActorID   string   `ch:"actor_id"`
	Name      string   `ch:"name"`
	Total     uint64   `ch:"total"`
	Accounts  uint64   `ch:"n_accounts"`
	Platforms []string `ch:"platforms"`
}

// actorsSection is the cross-platform view of the actors with the largest audiences: their
// accounts with the evidence tying them together, each one's audience share per platform
// week by week, and the weeks its audience moved to another platform.
func (b *builder) actorsSection() (Section, bool, error) {
	s := Section{ID: "actors", Title: "Cross-platform actors", Text: []string{
		"An actor is one entity (an outlet, a movement, a public figure) with accounts on several platforms (grouped with 'tidewatch links actor'). " +
			"Evidence: the kinds of account links tying an account to the actor's others (same handle, handle in the about text, link in a pinned post or in posts; rejected links left out), " +
			"confidence: the highest among them; an account without evidence was grouped by hand. " +
			"Audience per platform, week by week (weeks start on Monday): each account's last subscriber or follower count in the week, a count standing for up to 28 days after it was read; " +
			"a platform's share is its part of the actor's audience that week. A move is a week in which another platform took the largest share; dashed lines mark the moves.",
	}}
	r, found := b.runs["actors"]
	if !found {
		s.Text = append(s.Text, "This report reads no actors run (its runs predate the actors job); write the report again without --from-manifest to include one.")
		return s, true, nil
	}
	if r.Status == job.StatusSkipped {
		s.Text = append(s.Text, noActors)
		return s, true, nil
	}
	if r.Status != job.StatusOK {
		s.Text = append(s.Text, notOK(r))
		return s, true, nil
	}
	top, actors, err := b.topActors(r.RunID)
	if err != nil {
		return s, false, err
	}
	if len(actors) == 0 {
		s.Text = append(s.Text, noActors)
		return s, true, nil
	}
	accounts, err := b.actorAccounts(r.RunID, actors)
	if err != nil {
		return s, false, err
	}
	s.Figures = append(s.Figures, top, accounts)
	for i, a := range actors {
		f, err := b.actorShares(r.RunID, i+1, a)
		if err != nil {
			return s, false, err
		}
		s.Figures = append(s.Figures, f)
	}
	return s, true, nil
}

// actorName is an actor's name for a table or chart, or its id when it has none.
func actorName(a actorRow, max int) string {
	if n := Clean(a.Name, max); n != "" {
		return n
	}
	return Clean(a.ActorID, max)
}

// topActors is the table of the actors with the largest audiences, and those actors.
func (b *builder) topActors(id string) (Figure, []actorRow, error) {
	q := "SELECT actor_id, any(actor_name) AS name, sum(audience) AS total, count() AS n_accounts, groupUniqArray(toString(platform)) AS platforms FROM " +
		b.table(schema.TableActorsAccounts) + " FINAL WHERE " + runIs(id) + " GROUP BY actor_id ORDER BY total DESC, actor_id LIMIT " + strconv.Itoa(topActors)
	f := Figure{ID: "actors-top", Title: "Actors with the largest audiences", Runs: []string{id}, Query: q,
		Caption: "audience: the last count of each of the actor's accounts in the range, summed over its platforms."}
	rows, err := selectRows[actorRow](b, q)
	if err != nil || len(rows) == 0 {
		return f, nil, err
	}
	f.Table = &Table{Columns: []string{"actor", "id", "accounts", "platforms", "audience"}, Text: []bool{true, true, false, true, false}}
	for _, a := range rows {
		plats := make([]string, len(a.Platforms))
		for i, p := range a.Platforms {
			plats[i] = Clean(p, MaxLabel)
		}
		sort.Strings(plats)
		f.Table.Rows = append(f.Table.Rows, []string{actorName(a, MaxCell), Clean(a.ActorID, MaxCell), count(a.Accounts), strings.Join(plats, ", "), count(a.Total)})
	}
	return f, rows, nil
}

// actorIDs is a has() list of the actors' ids, for a query a report prints.
func actorIDs(actors []actorRow) string {
	ids := make([]string, len(actors))
	for i, a := range actors {
		ids[i] = quoteData(a.ActorID)
	}
	return "[" + strings.Join(ids, ", ") + "]"
}

// actorAccounts is the table of the actors' accounts with their evidence and audience.
func (b *builder) actorAccounts(id string, actors []actorRow) (Figure, error) {
	q := "SELECT " + store.Columns[schema.ActorsAccount]() + " FROM " + b.table(schema.TableActorsAccounts) + " FINAL WHERE " + runIs(id) +
		" AND has(" + actorIDs(actors) + ", actor_id) ORDER BY actor_id, platform, channel_id, handle"
	f := Figure{ID: "actors-accounts", Title: "Accounts of the actors", Runs: []string{id}, Query: q,
		Caption: "Actors in the order of the table above. linked: when the earliest account link was first seen; audience: the account's last count in the range and when it was read."}
	rows, err := selectRows[schema.ActorsAccount](b, q)
	if err != nil {
		return f, err
	}
	rank := map[string]int{}
	for i, a := range actors {
		rank[a.ActorID] = i
	}
	sort.SliceStable(rows, func(i, j int) bool { return rank[rows[i].ActorID] < rank[rows[j].ActorID] })
	f.Table = &Table{Columns: []string{"actor", "platform", "handle", "channel id", "evidence", "confidence", "linked", "audience", "read at"},
		Text: []bool{true, true, true, false, true, false, false, false, false}}
	for _, a := range rows {
		f.Table.Rows = append(f.Table.Rows, accountCells(actorName(actors[rank[a.ActorID]], MaxCell), a))
	}
	return f, nil
}

// accountCells is one account's row of the accounts table.
func accountCells(actor string, a schema.ActorsAccount) []string {
	evidence, confidence, linked := "none (grouped by hand)", "n/a", "n/a"
	if len(a.Evidence) > 0 {
		kinds := make([]string, len(a.Evidence))
		for i, e := range a.Evidence {
			kinds[i] = Clean(e, MaxLabel)
		}
		evidence, confidence, linked = strings.Join(kinds, ", "), num(a.Confidence, 2), day(a.LinkedAt)
	}
	channel := "not resolved"
	if a.ChannelID != 0 {
		channel = strconv.FormatUint(a.ChannelID, 10)
	}
	audience, read := "not read", "never"
	if a.AudienceAt.Unix() > 0 {
		audience, read = count(a.Audience), stamp(a.AudienceAt)
	}
	return []string{actor, Clean(a.Platform, MaxLabel), Clean(a.Handle, MaxCell), channel, evidence, confidence, linked, audience, read}
}

// actorShares is one actor's chart of audience share per platform over the weeks, with
// its moves marked and listed.
func (b *builder) actorShares(id string, rank int, a actorRow) (Figure, error) {
	where := " FINAL WHERE " + runIs(id) + " AND actor_id = " + quoteData(a.ActorID)
	aq := "SELECT " + store.Columns[schema.ActorsAudience]() + " FROM " + b.table(schema.TableActorsAudience) + where + " ORDER BY week, platform"
	mq := "SELECT " + store.Columns[schema.ActorsMove]() + " FROM " + b.table(schema.TableActorsMoves) + where + " ORDER BY week"
	f := Figure{ID: "actors-shares-" + strconv.Itoa(rank), Title: "Audience share per platform by week, actor " + actorName(a, MaxCell),
		Runs: []string{id}, Query: aq + ";\n" + mq}
	aud, err := selectRows[schema.ActorsAudience](b, aq)
	if err != nil {
		return f, err
	}
	if len(aud) == 0 {
		f.Empty = "No account of the actor has an audience count in the range."
		return f, nil
	}
	moves, err := selectRows[schema.ActorsMove](b, mq)
	if err != nil {
		return f, err
	}
	f.Chart = actorChart(aud, moves)
	f.Caption = latestShares(aud)
	if len(moves) == 0 {
		f.Caption += " The largest share stayed on one platform in every week: no move."
		return f, nil
	}
	f.Caption += " The table lists the moves marked M1, M2, ...: the platform that held the largest share and the one that took it, with both shares the week before → that week."
	f.Table = movesTable(moves)
	return f, nil
}

// actorChart draws an actor's weekly shares, one line per platform (0 in a week the
// platform had no counted account), with a dashed mark per move.
func actorChart(aud []schema.ActorsAudience, moves []schema.ActorsMove) *Chart {
	var weeks []time.Time
	var plats []string
	share := map[string]map[time.Time]float64{}
	for _, r := range aud {
		w := r.Week.UTC()
		if len(weeks) == 0 || !weeks[len(weeks)-1].Equal(w) {
			weeks = append(weeks, w)
		}
		if share[r.Platform] == nil {
			share[r.Platform] = map[time.Time]float64{}
			plats = append(plats, r.Platform)
		}
		share[r.Platform][w] = r.Share
	}
	slices.Sort(plats)
	c := &Chart{Kind: ChartLines, XLabel: "week", YLabel: "share of the actor's audience", XTime: true}
	for _, p := range plats {
		s := Series{Name: Clean(p, MaxLabel)}
		for _, w := range weeks {
			s.X, s.Y = append(s.X, float64(w.Unix())), append(s.Y, share[p][w])
		}
		c.Series = append(c.Series, s)
	}
	for i, m := range moves {
		c.Marks = append(c.Marks, Mark{X: float64(m.Week.UTC().Unix()), Label: "M" + strconv.Itoa(i+1)})
	}
	return c
}

// latestShares names an actor's last week and its platforms' shares in it, largest first.
func latestShares(aud []schema.ActorsAudience) string {
	last := aud[len(aud)-1].Week.UTC()
	var in []schema.ActorsAudience
	for _, r := range aud {
		if r.Week.UTC().Equal(last) {
			in = append(in, r)
		}
	}
	sort.SliceStable(in, func(i, j int) bool { return in[i].Share > in[j].Share })
	parts := make([]string, len(in))
	for i, r := range in {
		parts[i] = Clean(r.Platform, MaxLabel) + " " + num(r.Share, 3)
	}
	return "Shares in the week of " + day(last) + ": " + strings.Join(parts, ", ") + "."
}

// movesTable lists an actor's moves with the shares before and after.
func movesTable(moves []schema.ActorsMove) *Table {
	t := &Table{Columns: []string{"mark", "week", "from", "to", "from's share", "to's share"}, Text: []bool{false, false, true, true, false, false}}
	for i, m := range moves {
		t.Rows = append(t.Rows, []string{"M" + strconv.Itoa(i+1), day(m.Week), Clean(m.FromPlatform, MaxLabel), Clean(m.ToPlatform, MaxLabel),
			shareChange(m.FromShareBefore, m.FromShareAfter), shareChange(m.ToShareBefore, m.ToShareAfter)})
	}
	return t
}
