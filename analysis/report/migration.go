package report

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Sizes of the migration impact section: the units listed per event (the platform and the
// units the event names first), and the level changes drawn.
const (
	impactUnits = 10
	impactBars  = 20
)

// doubtP is the p-value under which a pre-trend check casts doubt on an estimate.
const doubtP = 0.05

// migrationImpact is what happened around each registry event: every community's and the
// platform's activity and link mix before and after it, the interrupted time series of
// the event platform's link share, posts and forwards, and the difference in differences
// of the audience of channels whose accounts the event suspended.
func (b *builder) migrationImpact() (Section, bool, error) {
	r, found := b.runs["migration"]
	if !found {
		return Section{}, false, nil
	}
	s := Section{ID: "migration", Title: "Events and migration impact", Text: []string{
		"For each registry event, each community and the platform are compared in a window before the event and one after it (the post window starts after a washout, so that changes which take days to settle are compared once settled). " +
			"Posts count an album once; organic posts are not forwarded; new channels are those created in a window, with their Kaplan-Meier median lifetime until they left public view. " +
			"Links are posts' own outbound and invite links, by destination platform; the shift of the link mix is the Jensen-Shannon divergence in nats (0 for the same mix, at most ln 2 = 0.693), with a bootstrap 95% interval over the unit's channels.",
		"The interrupted time series fit each daily outcome on a trend, a level change and a slope change at the start of the post window, with Newey-West errors; " +
			"the placebo check fits the same model on the pre window alone with a break at its middle. " +
			"The difference in differences compares the audience of channels linked to the accounts an event suspended with matched channels on their own pre-window trends, errors clustered by channel; the effect is shown as a relative audience change.",
	}}
	if r.Status != job.StatusOK {
		s.Text = append(s.Text, notOK(r))
		return s, true, nil
	}
	wins, err := b.impactWindows(r.RunID)
	if err != nil {
		return s, false, err
	}
	its, doubts, err := b.impactITS(r.RunID)
	if err != nil {
		return s, false, err
	}
	levels, err := b.impactLevels(r.RunID)
	if err != nil {
		return s, false, err
	}
	did, didDoubts, err := b.impactDiD(r.RunID)
	if err != nil {
		return s, false, err
	}
	s.Text = append(s.Text, doubts...)
	s.Text = append(s.Text, didDoubts...)
	s.Figures = append(s.Figures, wins, levels, its, did)
	return s, true, nil
}

// unitsFirst orders an event's units: the ones it names, the platform, then by name.
const unitsFirst = "concerned DESC, level DESC, unit"

func (b *builder) impactWindowsQuery(id string) string {
	return "SELECT " + store.Columns[schema.MigrationWindow]() + " FROM " + b.table(schema.TableMigrationWindows) + " FINAL WHERE " + runIs(id) +
		" ORDER BY event_at, event_id, " + unitsFirst + " LIMIT " + strconv.Itoa(impactUnits) + " BY event_id"
}

func (b *builder) impactWindows(id string) (Figure, error) {
	q := b.impactWindowsQuery(id)
	f := Figure{ID: "migration-windows", Title: "Before and after each registry event, per community and platform", Runs: []string{id}, Query: q,
		Caption: "Counts before → after the event, with the change in percent. named: the event names the unit (or, naming no community, concerns the whole platform). " +
			"Link share: the share of own links going to the event's platform. Up to " + strconv.Itoa(impactUnits) + " units per event, those the event names first."}
	rows, err := selectRows[schema.MigrationWindow](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No registry event (of the selected kinds and origins) falls in this range, so there are no windows to compare."
		return f, nil
	}
	f.Table = &Table{Columns: []string{"event", "kind", "at", "windows (before; after)", "level", "unit", "named", "channels", "posts", "organic", "forwarded",
		"new channels", "new channels' median days", "JS shift, nats (95% CI)", "event platform's link share", "note"},
		Text: []bool{true, true, false, false, false, true, false, false, false, false, false, false, false, false, false, true}}
	for _, w := range rows {
		f.Table.Rows = append(f.Table.Rows, []string{Clean(w.EventID, MaxCell), eventKind(w.EventKind, w.EventPlatform), stamp(w.EventAt),
			windowsText(w), w.Level, Clean(w.Unit, MaxCell), yesNo(w.Concerned), count(w.Channels),
			prePost(w.PostsPre, w.PostsPost, w.PostsChangePct), prePost(w.OrganicPre, w.OrganicPost, w.OrganicChangePct),
			prePost(w.ForwardedPre, w.ForwardedPost, w.ForwardedChangePct),
			count(w.NewChannelsPre) + " → " + count(w.NewChannelsPost),
			days(w.NewMedianPreDays) + " → " + days(w.NewMedianPostDays),
			interval(w.JSNats, w.JSLo, w.JSHi, 3, "n/a"), shareChange(w.EventSharePre, w.EventSharePost), statusNote(w.Status, w.Reason)})
	}
	return f, nil
}

func (b *builder) impactITSQuery(id string) string {
	return "SELECT " + store.Columns[schema.MigrationITS]() + " FROM " + b.table(schema.TableMigrationITS) + " FINAL WHERE " + runIs(id) +
		" ORDER BY event_at, event_id, " + unitsFirst + ", outcome LIMIT " + strconv.Itoa(3*impactUnits) + " BY event_id"
}

// impactITS is the table of the interrupted time series, and the section's words on the
// fits whose placebo pre-trend check failed.
func (b *builder) impactITS(id string) (Figure, []string, error) {
	q := b.impactITSQuery(id)
	f := Figure{ID: "migration-its", Title: "Interrupted time series around each event", Runs: []string{id}, Query: q,
		Caption: "level change: the jump at the start of the post window against the pre-window trend, with its 95% interval and p-value; slope change per day likewise. " +
			"link_share is a share (0 to 1) of the day's own links; posts and forwarded are posts a day. placebo p: the pre-trend check."}
	rows, err := selectRows[schema.MigrationITS](b, q)
	if err != nil {
		return f, nil, err
	}
	if len(rows) == 0 {
		f.Empty = "No event had windows long enough for a time series in this range."
		return f, nil, nil
	}
	f.Table = &Table{Columns: []string{"event", "level", "unit", "named", "outcome", "days before + after", "level change (95% CI)", "level p",
		"slope change per day (95% CI)", "slope p", "placebo p", "pre-trend check"},
		Text: []bool{true, false, true, false, false, false, false, false, false, false, false, true}}
	fits, doubtful := 0, 0
	for _, r := range rows {
		row := []string{Clean(r.EventID, MaxCell), r.Level, Clean(r.Unit, MaxCell), yesNo(r.Concerned), r.Outcome,
			count(r.PreDays) + " + " + count(r.PostDays)}
		if r.Status != job.StatusOK {
			row = append(row, "not estimated", "", "", "", "", statusNote(r.Status, r.Reason))
			f.Table.Rows = append(f.Table.Rows, row)
			continue
		}
		fits++
		if r.PlaceboP < doubtP {
			doubtful++
		}
		prec := outcomePrec(r.Outcome)
		row = append(row, interval(r.LevelChange, r.LevelLo, r.LevelHi, prec, "n/a"), pval(r.LevelP),
			interval(r.SlopeChange, r.SlopeChangeLo, r.SlopeChangeHi, prec+1, "n/a"), pval(r.SlopeChangeP), pval(r.PlaceboP), placeboCheck(r.PlaceboP))
		f.Table.Rows = append(f.Table.Rows, row)
	}
	var words []string
	if doubtful > 0 {
		words = append(words, fmt.Sprintf("Caution: %d of the %d time series fits listed failed the placebo pre-trend check (p < %s): "+
			"before the event those series were already not on one straight trend, so their level and slope changes may show a change that was under way before the event rather than its effect.",
			doubtful, fits, num(doubtP, 2)))
	}
	return f, words, nil
}

// impactLevels is the chart of the level changes of the event platform's link share.
func (b *builder) impactLevels(id string) (Figure, error) {
	q := "SELECT " + store.Columns[schema.MigrationITS]() + " FROM " + b.table(schema.TableMigrationITS) + " FINAL WHERE " + runIs(id) +
		" AND outcome = 'link_share' AND status = 'ok' AND level_change = level_change ORDER BY event_at, event_id, " + unitsFirst +
		" LIMIT " + strconv.Itoa(impactBars)
	f := Figure{ID: "migration-levels", Title: "Level change of the event platform's link share, per event and unit", Runs: []string{id}, Query: q,
		Caption: "The jump in the daily share of own links to the event's platform at the start of the post window, with its 95% interval (Newey-West). Orange: units the event names."}
	rows, err := selectRows[schema.MigrationITS](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No unit had enough days with links (5 a day or more) for a time series of its link share."
		return f, nil
	}
	chart := &Chart{Kind: ChartBars, XLabel: "level change of the link share (share of the day's links)", Marked: "named by the event", Unmarked: "not named"}
	for _, r := range rows {
		chart.Bars = append(chart.Bars, Bar{Label: Clean(r.EventID+" "+r.Unit, MaxLabel), Value: r.LevelChange, Lo: r.LevelLo, Hi: r.LevelHi,
			HasInterval: true, Marked: r.Concerned != 0})
	}
	f.Chart = chart
	return f, nil
}

func (b *builder) impactDiDQuery(id string) string {
	return "SELECT " + store.Columns[schema.MigrationDiD]() + " FROM " + b.table(schema.TableMigrationDiD) + " FINAL WHERE " + runIs(id) +
		" ORDER BY event_at, event_id, outcome"
}

// impactDiD is the table of the differences in differences, and the section's words on
// those whose pre-trend check failed.
func (b *builder) impactDiD(id string) (Figure, []string, error) {
	q := b.impactDiDQuery(id)
	f := Figure{ID: "migration-did", Title: "Audience of channels whose accounts an event suspended (difference in differences)", Runs: []string{id}, Query: q,
		Caption: "Relative audience change: exp(effect) - 1 in percent, with its 95% interval; treated: channels linked to a suspended account; controls: their matched channels. " +
			"Pre-trend: treated minus control pre-window slope of log subscribers per day, with its standard error."}
	rows, err := selectRows[schema.MigrationDiD](b, q)
	if err != nil {
		return f, nil, err
	}
	if len(rows) == 0 {
		f.Empty = "No registry event in this range lists suspended accounts (target kind account), so there is no difference in differences."
		return f, nil, nil
	}
	f.Table = &Table{Columns: []string{"event", "at", "platform", "outcome", "treated", "controls", "relative audience change, % (95% CI)", "p",
		"pre-trend per day (SE)", "pre-trend p", "pre-trend check"},
		Text: []bool{true, false, true, false, false, false, false, false, false, false, true}}
	var words []string
	for _, d := range rows {
		row := []string{Clean(d.EventID, MaxCell), stamp(d.EventAt), Clean(d.EventPlatform, MaxLabel), d.Outcome, count(d.Treated), count(d.Controls)}
		if d.Status != job.StatusOK {
			row = append(row, "not estimated", "", "", "", statusNote(d.Status, d.Reason))
			f.Table.Rows = append(f.Table.Rows, row)
			continue
		}
		row = append(row, interval(relPct(d.Effect), relPct(d.Lo), relPct(d.Hi), 1, "n/a"), pval(d.P),
			num(d.PreTrend, 5)+" ("+num(d.PreTrendSE, 5)+")", pval(d.PreTrendP), didCheck(d.PreTrendP))
		f.Table.Rows = append(f.Table.Rows, row)
		if d.PreTrendP < doubtP {
			words = append(words, "Caution: for event "+Clean(d.EventID, MaxCell)+" the treated and control channels' audiences were already growing at different rates before it (pre-trend p < "+
				num(doubtP, 2)+"): the controls may not show what the treated channels would have done, and the effect deserves doubt.")
		}
	}
	return f, words, nil
}

// eventKind is an event's kind with its platform.
func eventKind(kind, platform string) string {
	return Clean(kind, MaxLabel) + " (" + Clean(platform, MaxLabel) + ")"
}

// windowsText is a window row's pre and post windows, as dates (the ends included).
func windowsText(w schema.MigrationWindow) string {
	last := func(t time.Time) string { return day(t.Add(-time.Second)) }
	return day(w.PreFrom) + " to " + last(w.PreTo) + "; " + day(w.PostFrom) + " to " + last(w.PostTo)
}

// prePost is a count before and after, with its change in percent.
func prePost(pre, post uint64, pct float64) string {
	return count(pre) + " → " + count(post) + " (" + signedPct(pct) + ")"
}

// signedPct is a change in percent with its sign.
func signedPct(p float64) string {
	if math.IsNaN(p) {
		return "n/a"
	}
	return signed(p, 1) + "%"
}

// shareChange is a share before and after.
func shareChange(pre, post float64) string {
	if math.IsNaN(pre) && math.IsNaN(post) {
		return "n/a"
	}
	return num(pre, 3) + " → " + num(post, 3)
}

// days is a median lifetime in days; NaN when fewer than half ended.
func days(v float64) string {
	if math.IsNaN(v) {
		return "not reached"
	}
	return num(v, 1)
}

// pval is a p-value.
func pval(p float64) string {
	switch {
	case math.IsNaN(p):
		return "n/a"
	case p < 0.001:
		return "< 0.001"
	}
	return num(p, 3)
}

// relPct is a log effect as a relative change in percent.
func relPct(effect float64) float64 { return 100 * math.Expm1(effect) }

// outcomePrec is how many decimals an outcome's changes are shown with.
func outcomePrec(outcome string) int {
	if outcome == "link_share" {
		return 3
	}
	return 1
}

// placeboCheck is the placebo pre-trend check in words.
func placeboCheck(p float64) string {
	switch {
	case math.IsNaN(p):
		return "not checked"
	case p < doubtP:
		return "failed: the pre window was not on one trend; read the changes with doubt"
	}
	return "passed"
}

// didCheck is the difference in differences' pre-trend check in words.
func didCheck(p float64) string {
	switch {
	case math.IsNaN(p):
		return "not checked"
	case p < doubtP:
		return "failed: pre-window trends differ; the effect deserves doubt"
	}
	return "passed: parallel pre-window trends"
}

// statusNote is a row's status and reason, for a table's note column.
func statusNote(status, reason string) string {
	switch {
	case status == job.StatusOK:
		return Clean(reason, 120)
	case reason == "":
		return status
	}
	return Clean(status+": "+reason, 120)
}
