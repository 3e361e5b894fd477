package report

import (
	"strconv"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Sizes of the engagement section.
const (
	topEngaged        = 12
	topOverperformers = 10
)

// engagement is ERR and ER per channel and the posts that overperformed most.
func (b *builder) engagement() (Section, bool, error) {
	r, found := b.runs["engagement"]
	if !found {
		return Section{}, false, nil
	}
	s := Section{ID: "engagement", Title: "Engagement", Text: []string{
		"ERR: mean views per post over the last 30 days of the range (deleted posts excluded) over the subscribers, in percent; ERR24 uses the views read at 24 h. " +
			"ER: (forwards + reactions + replies) over views, in percent. Overperformance (CrowdTangle's definition): actual views against the interquartile mean of the channel's last 100 posts of the same type at the same age; " +
			"actual/expected when above, -expected/actual when below.",
	}}
	if r.Status != job.StatusOK {
		s.Text = append(s.Text, notOK(r))
		return s, true, nil
	}
	ch, err := b.engagementChannels(r.RunID)
	if err != nil {
		return s, false, err
	}
	op, err := b.overperformers(r.RunID)
	if err != nil {
		return s, false, err
	}
	s.Figures = append(s.Figures, ch, op)
	return s, true, nil
}

func (b *builder) engagementChannels(id string) (Figure, error) {
	q := "SELECT " + store.Columns[schema.EngagementChannel]() + " FROM " + b.table(schema.TableEngagementChannels) + " FINAL WHERE " + runIs(id) +
		" AND status = 'ok' AND err = err ORDER BY err DESC, platform, channel_id LIMIT " + strconv.Itoa(topEngaged)
	f := Figure{ID: "engagement-channels", Title: "Channels with the highest ERR", Runs: []string{id}, Query: q,
		Caption: "ERR and ER in percent; posts over the whole range."}
	rows, err := selectRows[schema.EngagementChannel](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No channel had both posts with views and a recent subscriber count, so no ERR was computed."
		return f, nil
	}
	keys := make([]job.Key, len(rows))
	for i, c := range rows {
		keys[i] = job.Key{Platform: c.Platform, ChannelID: c.ChannelID}
	}
	if err := b.loadLabels(keys); err != nil {
		return f, err
	}
	f.Table = &Table{Columns: []string{"channel", "id", "posts", "posts per day", "views per post", "subscribers", "ERR %", "ERR24 %", "ER %", "overperforming posts"},
		Text: []bool{true, false, false, false, false, false, false, false, false, false}}
	f.Chart = &Chart{Kind: ChartBars, XLabel: "ERR, % (views per post over subscribers)"}
	for i, c := range rows {
		f.Table.Rows = append(f.Table.Rows, []string{b.label(keys[i], MaxCell), strconv.FormatUint(c.ChannelID, 10), count(c.Posts), num(c.PostsPerDay, 2),
			num(c.ViewsPerPost, 0), num(c.Subscribers, 0), num(c.ERR, 1), num(c.ERR24, 1), num(c.ER, 2), count(c.Overperforming)})
		f.Chart.Bars = append(f.Chart.Bars, Bar{Label: b.label(keys[i], MaxLabel), Value: c.ERR})
	}
	return f, nil
}

func (b *builder) overperformers(id string) (Figure, error) {
	q := "SELECT " + store.Columns[schema.EngagementPost]() + " FROM " + b.table(schema.TableEngagementPosts) + " FINAL WHERE " + runIs(id) +
		" AND score = score ORDER BY score DESC, platform, channel_id, post_id LIMIT " + strconv.Itoa(topOverperformers)
	f := Figure{ID: "engagement-overperformers", Title: "Overperforming posts", Runs: []string{id}, Query: q,
		Caption: "score: actual over expected views; expected from the channel's earlier posts of the same type."}
	rows, err := selectRows[schema.EngagementPost](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No post had enough earlier posts of its type to be scored."
		return f, nil
	}
	keys := make([]job.Key, len(rows))
	for i, p := range rows {
		keys[i] = job.Key{Platform: p.Platform, ChannelID: p.ChannelID}
	}
	if err := b.loadLabels(keys); err != nil {
		return f, err
	}
	f.Table = &Table{Columns: []string{"channel", "post", "posted", "type", "views", "expected", "score"}, Text: []bool{true, false, false, true, false, false, false}}
	for i, p := range rows {
		f.Table.Rows = append(f.Table.Rows, []string{b.label(keys[i], MaxCell), strconv.FormatUint(p.PostID, 10), stamp(p.PostedAt), Clean(p.PostType, MaxLabel),
			count(p.Views), num(p.Expected, 0), num(p.Score, 2)})
	}
	return f, nil
}
