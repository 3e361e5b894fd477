package report

import (
	"math"
	"testing"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
)

// fixture is a report with every kind of chart, a table of hostile texts and an empty
// figure, built without a database.
func fixture(t *testing.T) *Report {
	t.Helper()
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &Report{Title: "fixture " + hostile[0], Params: job.Params{From: from, To: from.AddDate(0, 3, 0), Scope: job.Scope{Kind: job.ScopePlatform}},
		Compare: Period{From: from.AddDate(0, -3, 0), To: from, Label: "previous"}, Generated: from.AddDate(0, 3, 1), CodeVersion: "test", ConfigHash: "abc",
		DataVersion: []schema.RunInput{{InputTable: "posts", Rows: 10, Latest: from}}}
	var lines []Series
	for i, name := range hostile[:4] {
		s := Series{Name: Clean(name, MaxLabel)}
		for d := 0; d < 60; d++ {
			s.X = append(s.X, float64(from.AddDate(0, 0, d).Unix()))
			s.Y = append(s.Y, 100*math.Exp(float64(i+1)*0.02*float64(d)))
		}
		lines = append(lines, s)
	}
	sx, sy := steps([]float64{3, 8, 15, 30}, []float64{0.9, 0.7, 0.55, 0.4}, 1)
	_, lo := steps([]float64{3, 8, 15, 30}, []float64{0.8, 0.55, 0.4, 0.25}, 1)
	_, hi := steps([]float64{3, 8, 15, 30}, []float64{0.97, 0.85, 0.7, 0.55}, 1)
	table := &Table{Columns: []string{"channel", "value"}, Text: []bool{true, false}}
	var bars []Bar
	for i, s := range hostile {
		table.Rows = append(table.Rows, []string{Clean(s, MaxCell), num(float64(i)*1.5, 1)})
		bars = append(bars, Bar{Label: Clean(s, MaxLabel), Value: float64(i + 1), Lo: float64(i) + 0.5, Hi: float64(i) + 1.5, HasInterval: i%2 == 0})
	}
	var levels []Bar
	for i, s := range hostile[:4] {
		v := 0.05 * float64(i-1)
		levels = append(levels, Bar{Label: Clean(s, MaxLabel), Value: v, Lo: v - 0.04, Hi: v + 0.04, HasInterval: true, Marked: i%2 == 1})
	}
	var shares []Series
	for i, name := range []string{"twitter", "web", hostile[2]} {
		s := Series{Name: Clean(name, MaxLabel)}
		for w := 0; w < 12; w++ {
			s.X = append(s.X, float64(from.AddDate(0, 0, 7*w).Unix()))
			s.Y = append(s.Y, []float64{0.5, 0.3, 0.2}[i]+0.01*float64(w)*float64(1-i))
		}
		shares = append(shares, s)
	}
	marks := []Mark{{X: float64(from.AddDate(0, 0, 30).Unix()), Label: "E1"}, {X: float64(from.AddDate(0, 0, 55).Unix()), Label: "E2 E3"}}
	aud, moves := actorWeeks(from)
	r.Sections = []Section{
		{ID: "growth", Title: "Audience growth", Text: []string{"About " + hostile[1]}, Figures: []Figure{
			{ID: "lines", Title: "Trajectories", Runs: []string{"growth-20260101T000000Z-0123456789ab"}, Query: "SELECT 1", Chart: &Chart{Kind: ChartLines, XLabel: "day", YLabel: "subscribers", XTime: true, LogY: true, Series: lines}},
			{ID: "bars", Title: "Rates", Runs: []string{"growth-20260101T000000Z-0123456789ab"}, Query: "SELECT 2", Chart: &Chart{Kind: ChartBars, XLabel: "rate", Bars: bars}, Table: table},
		}},
		{ID: "takedowns", Title: "Takedowns", Figures: []Figure{
			{ID: "survival", Title: "Survival", Runs: []string{"takedowns-20260101T000000Z-0123456789ab"}, Query: "SELECT 3",
				Chart: &Chart{Kind: ChartSteps, XLabel: "days", YLabel: "share", Series: []Series{{Name: "all", X: sx, Y: sy, Lo: lo, Hi: hi}}}},
			{ID: "respawns", Title: "Respawns", Runs: []string{"takedowns-20260101T000000Z-0123456789ab"}, Query: "SELECT 4", Empty: "No candidate reincarnation."},
		}},
		{ID: "migration", Title: "Events and migration impact", Figures: []Figure{
			{ID: "levels", Title: "Level changes", Runs: []string{"migration-20260101T000000Z-0123456789ab"}, Query: "SELECT 5",
				Chart: &Chart{Kind: ChartBars, XLabel: "level change", Bars: levels, Marked: "named by the event", Unmarked: "not named"}},
			{ID: "shares", Title: "Link shares", Runs: []string{"migration-20260101T000000Z-0123456789ab"}, Query: "SELECT 6",
				Chart: &Chart{Kind: ChartLines, XLabel: "week", YLabel: "share", XTime: true, Series: shares, Marks: marks}},
		}},
		{ID: "actors", Title: "Cross-platform actors", Figures: []Figure{
			{ID: "actor-shares", Title: "Audience share per platform by week, actor " + Clean(hostile[1], MaxCell), Runs: []string{"actors-20260101T000000Z-0123456789ab"},
				Query: "SELECT 7", Caption: latestShares(aud), Chart: actorChart(aud, moves), Table: movesTable(moves)},
		}},
	}
	return r
}

// actorWeeks is an actor's weekly audience on three platforms as the actors job writes it:
// Twitter leads until its count stops standing in week 6, when Telegram takes the largest
// share; a third platform holds a share too small to read at three decimals.
func actorWeeks(from time.Time) ([]schema.ActorsAudience, []schema.ActorsMove) {
	monday := from.AddDate(0, 0, (8-int(from.Weekday()))%7)
	var aud []schema.ActorsAudience
	for w := 0; w < 10; w++ {
		week := monday.AddDate(0, 0, 7*w)
		counts := map[string]float64{"telegram": 100 * math.Pow(2, float64(w)), hostile[2]: 0.004}
		if w < 6 {
			counts["twitter"] = 5000
		}
		total := 0.0
		for _, n := range counts {
			total += n
		}
		for _, p := range []string{"telegram", "twitter", hostile[2]} {
			if n, ok := counts[p]; ok {
				aud = append(aud, schema.ActorsAudience{ActorID: "a1", Week: week, Platform: Clean(p, MaxLabel), Accounts: 1, Audience: n, Share: n / total})
			}
		}
	}
	move := schema.ActorsMove{ActorID: "a1", Week: monday.AddDate(0, 0, 42), FromPlatform: "twitter", ToPlatform: "telegram",
		FromShareBefore: 5000 / 8200.004, ToShareBefore: 3200 / 8200.004, ToShareAfter: 6400 / 6400.004}
	return aud, []schema.ActorsMove{move}
}
