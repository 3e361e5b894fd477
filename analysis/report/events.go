package report

import (
	"strconv"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Sizes of the events section: the communities, or channels, with the highest z per event.
const (
	burstsPerEvent = 3
	burstEvents    = 20
)

// events is the bursts of posting after each registry event.
func (b *builder) events() (Section, bool, error) {
	r, found := b.runs["bursts"]
	if !found {
		return Section{}, false, nil
	}
	s := Section{ID: "events", Title: "Events: bursts of posting", Text: []string{
		"For each registry event, the posts in the hours after it against the same hours of the preceding weeks, as a z-score " +
			"(the window's count minus the baseline mean, over the baseline's standard deviation). A z above 3 is a burst the baseline does not explain.",
	}}
	if r.Status != job.StatusOK {
		s.Text = append(s.Text, notOK(r))
		return s, true, nil
	}
	comm, err := b.communityBursts(r.RunID)
	if err != nil {
		return s, false, err
	}
	chans, err := b.channelBursts(r.RunID)
	if err != nil {
		return s, false, err
	}
	s.Figures = append(s.Figures, comm, chans)
	return s, true, nil
}

func (b *builder) communityBursts(id string) (Figure, error) {
	q := "SELECT " + store.Columns[schema.BurstCommunity]() + " FROM " + b.table(schema.TableBurstsCommunities) + " FINAL WHERE " + runIs(id) +
		" AND status = 'ok' AND z = z ORDER BY event_at, event_id, z DESC, community LIMIT " + strconv.Itoa(burstsPerEvent) + " BY event_id"
	f := Figure{ID: "events-communities", Title: "Community bursts per registry event", Runs: []string{id}, Query: q,
		Caption: "The communities with the highest z after each event; the chart shows each event's highest."}
	rows, err := selectRows[schema.BurstCommunity](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No community had a scored window (no community labels, or too few baseline weeks before the events)."
		return f, nil
	}
	f.Table = &Table{Columns: []string{"event", "kind", "at", "community", "targeted", "posts", "baseline mean", "baseline sd", "z"},
		Text: []bool{true, true, false, true, false, false, false, false, false}}
	f.Chart = &Chart{Kind: ChartBars, XLabel: "highest community z after the event"}
	seen := map[string]bool{}
	for _, c := range rows {
		f.Table.Rows = append(f.Table.Rows, []string{Clean(c.EventID, MaxCell), Clean(c.EventKind, MaxLabel), stamp(c.EventAt), Clean(c.Community, MaxCell),
			yesNo(c.Targeted), count(c.WindowPosts), num(c.BaselineMean, 1), num(c.BaselineSD, 1), num(c.Z, 1)})
		if !seen[c.EventID] && len(f.Chart.Bars) < burstEvents {
			seen[c.EventID] = true
			f.Chart.Bars = append(f.Chart.Bars, Bar{Label: Clean(c.EventKind+" "+day(c.EventAt)+" "+c.Community, MaxLabel), Value: c.Z})
		}
	}
	return f, nil
}

func (b *builder) channelBursts(id string) (Figure, error) {
	q := "SELECT " + store.Columns[schema.BurstChannel]() + " FROM " + b.table(schema.TableBurstsChannels) + " FINAL WHERE " + runIs(id) +
		" AND status = 'ok' AND z = z ORDER BY event_at, event_id, z DESC, platform, channel_id LIMIT " + strconv.Itoa(burstsPerEvent) + " BY event_id"
	f := Figure{ID: "events-channels", Title: "Channel bursts per registry event", Runs: []string{id}, Query: q}
	rows, err := selectRows[schema.BurstChannel](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No channel had a scored window after a registry event in this range."
		return f, nil
	}
	keys := make([]job.Key, len(rows))
	for i, c := range rows {
		keys[i] = job.Key{Platform: c.Platform, ChannelID: c.ChannelID}
	}
	if err := b.loadLabels(keys); err != nil {
		return f, err
	}
	f.Table = &Table{Columns: []string{"event", "kind", "at", "channel", "targeted", "posts", "baseline mean", "z"},
		Text: []bool{true, true, false, true, false, false, false, false}}
	for i, c := range rows {
		f.Table.Rows = append(f.Table.Rows, []string{Clean(c.EventID, MaxCell), Clean(c.EventKind, MaxLabel), stamp(c.EventAt), b.label(keys[i], MaxCell),
			yesNo(c.Targeted), count(c.WindowPosts), num(c.BaselineMean, 1), num(c.Z, 1)})
	}
	return f, nil
}

func yesNo(v uint8) string {
	if v != 0 {
		return "yes"
	}
	return "no"
}
