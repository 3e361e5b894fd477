package report

import (
	"strconv"
	"strings"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Sizes of the takedowns section: the curves drawn, the respawn pairs listed.
const (
	survivalCurves = 3
	topRespawns    = 15
)

// takedowns is how long channels stay public: survival curves, medians per cohort, and
// candidate reincarnations.
func (b *builder) takedowns() (Section, bool, error) {
	r, found := b.runs["takedowns"]
	if !found {
		return Section{}, false, nil
	}
	s := Section{ID: "takedowns", Title: "Takedowns and reincarnations", Text: []string{
		"A channel's lifetime runs from its creation (else its first sighting) to when it went private, was banned or deleted; a channel still public is censored at its last sighting, and is at risk only from its first sighting (delayed entry). " +
			"Kaplan-Meier survival with Greenwood 95% intervals; cohorts are all channels and those created before and after each registry event. " +
			"A candidate reincarnation is a channel created soon after another left public view, its title or handle alike, scored with shared forward sources.",
	}}
	if r.Status != job.StatusOK {
		s.Text = append(s.Text, notOK(r))
		return s, true, nil
	}
	cohorts, err := selectRows[schema.TakedownCohort](b, b.cohortQuery(r.RunID))
	if err != nil {
		return s, false, err
	}
	surv, err := b.survival(r.RunID, cohorts)
	if err != nil {
		return s, false, err
	}
	resp, err := b.respawns(r.RunID)
	if err != nil {
		return s, false, err
	}
	s.Figures = append(s.Figures, surv, b.cohortTable(r.RunID, cohorts), resp)
	return s, true, nil
}

func (b *builder) cohortQuery(id string) string {
	return "SELECT " + store.Columns[schema.TakedownCohort]() + " FROM " + b.table(schema.TableTakedownsCohorts) + " FINAL WHERE " + runIs(id) +
		" ORDER BY cohort != 'all', event_at, cohort"
}

func (b *builder) survival(id string, cohorts []schema.TakedownCohort) (Figure, error) {
	var names []string
	for _, c := range cohorts {
		if c.Status == job.StatusOK && len(names) < survivalCurves {
			names = append(names, quote(c.Cohort))
		}
	}
	q := "SELECT " + store.Columns[schema.TakedownSurvival]() + " FROM " + b.table(schema.TableTakedownsSurvival) + " FINAL WHERE " + runIs(id) +
		" AND has([" + strings.Join(names, ", ") + "], cohort) ORDER BY cohort, time_days"
	f := Figure{ID: "takedowns-survival", Title: "Share of channels still public, by days since creation (Kaplan-Meier)", Runs: []string{id}, Query: q,
		Caption: "Shaded: the 95% interval (Greenwood). Steps fall when channels leave public view."}
	if len(names) == 0 {
		f.Empty = "No cohort had enough channels for a survival curve."
		return f, nil
	}
	rows, err := selectRows[schema.TakedownSurvival](b, q)
	if err != nil {
		return f, err
	}
	by := map[string][]schema.TakedownSurvival{}
	for _, r := range rows {
		by[r.Cohort] = append(by[r.Cohort], r)
	}
	chart := &Chart{Kind: ChartSteps, XLabel: "days since creation", YLabel: "share still public"}
	for _, c := range cohorts {
		pts := by[c.Cohort]
		if len(pts) == 0 {
			continue
		}
		var xs, ys, los, his []float64
		for _, p := range pts {
			xs, ys, los, his = append(xs, p.TimeDays), append(ys, p.Survival), append(los, finiteOr(p.Lo, p.Survival)), append(his, finiteOr(p.Hi, p.Survival))
		}
		sx, sy := steps(xs, ys, 1)
		_, slo := steps(xs, los, 1)
		_, shi := steps(xs, his, 1)
		chart.Series = append(chart.Series, Series{Name: Clean(c.Cohort, MaxLabel), X: sx, Y: sy, Lo: slo, Hi: shi})
	}
	if len(chart.Series) == 0 {
		f.Empty = "The survival table holds no steps for the cohorts: no channel left public view or was censored in the range."
		return f, nil
	}
	f.Chart = chart
	return f, nil
}

func (b *builder) cohortTable(id string, cohorts []schema.TakedownCohort) Figure {
	f := Figure{ID: "takedowns-cohorts", Title: "Median lifetime by cohort", Runs: []string{id}, Query: b.cohortQuery(id),
		Caption: "Median in days with its 95% interval; 'not reached' when fewer than half of the cohort left public view (or the interval's end was not reached)."}
	if len(cohorts) == 0 {
		f.Empty = "The run wrote no cohorts."
		return f
	}
	f.Table = &Table{Columns: []string{"cohort", "event", "channels", "left public view", "median days (95% CI)", "status"}, Text: []bool{true, true, false, false, false, true}}
	for _, c := range cohorts {
		med, status := interval(c.MedianDays, c.MedianLo, c.MedianHi, 1, "not reached"), c.Status
		if c.Status != job.StatusOK {
			med, status = "not estimated", c.Status+": "+c.Reason
		}
		f.Table.Rows = append(f.Table.Rows, []string{Clean(c.Cohort, MaxCell), Clean(c.EventID, MaxCell), count(c.Channels), count(c.Ended), med, Clean(status, MaxCell)})
	}
	return f
}

func (b *builder) respawns(id string) (Figure, error) {
	q := "SELECT " + store.Columns[schema.TakedownRespawn]() + " FROM " + b.table(schema.TableTakedownsRespawns) + " FINAL WHERE " + runIs(id) +
		" ORDER BY score DESC, platform, channel_id LIMIT " + strconv.Itoa(topRespawns)
	f := Figure{ID: "takedowns-respawns", Title: "Candidate reincarnations", Runs: []string{id}, Query: q,
		Caption: "lag: hours from the predecessor leaving public view to the successor's creation; recovery: the successor's audience over the predecessor's."}
	rows, err := selectRows[schema.TakedownRespawn](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No channel created after another left public view was alike enough to be a candidate reincarnation."
		return f, nil
	}
	var keys []job.Key
	for _, r := range rows {
		keys = append(keys, job.Key{Platform: r.Platform, ChannelID: r.PredecessorID}, job.Key{Platform: r.Platform, ChannelID: r.ChannelID})
	}
	if err := b.loadLabels(keys); err != nil {
		return f, err
	}
	f.Table = &Table{Columns: []string{"gone channel", "ended", "successor", "lag hours", "title similarity", "handle similarity", "shared sources", "score", "audience recovery"},
		Text: []bool{true, true, true, false, false, false, false, false, false}}
	for i, r := range rows {
		f.Table.Rows = append(f.Table.Rows, []string{b.label(keys[2*i], MaxCell), Clean(r.PredecessorEndKind, MaxLabel), b.label(keys[2*i+1], MaxCell),
			num(r.LagHours, 0), num(r.TitleSimilarity, 2), num(r.HandleSimilarity, 2), num(r.SourceOverlap, 2), num(r.Score, 2), num(r.Recovery, 2)})
	}
	return f, nil
}
