package report

import (
	"fmt"
	"strings"

	"github.com/tidewatch/tidewatch/schema"
)

// skippedTables are, per job, the result tables whose rows carry a status and a reason.
var skippedTables = map[string][]string{
	"growth":     {schema.TableGrowthChannels},
	"engagement": {schema.TableEngagementChannels},
	"bursts":     {schema.TableBurstsChannels, schema.TableBurstsCommunities},
	"takedowns":  {schema.TableTakedownsLifetimes, schema.TableTakedownsCohorts},
	"migration":  {schema.TableMigrationWindows, schema.TableMigrationITS, schema.TableMigrationDiD},
}

// reasonRow is how many rows of a result table were left out for one reason.
type reasonRow struct {
	Status string  `ch:"status"`
	Reason string  `ch:"reason"`
	N      float64 `ch:"n"`
}

// caveats is what limits the figures: what every job left out and why, runs that did not
// end ok, and the limits of the method.
func (b *builder) caveats() (Section, bool, error) {
	s := Section{ID: "caveats", Title: "Caveats and data quality", Text: []string{
		"Counts are of what the collector observed: posts deleted before they were fetched are gaps (see coverage), and audiences between snapshots are interpolated.",
		"ERR divides by the audience at the end of the range; channels that grew fast within the range look less engaged early on. Reach uses the audience when each post went out.",
		"Burst z-scores assume the preceding weeks are a fair baseline; a channel created shortly before an event has too few baseline weeks and is skipped.",
		"Lifetimes are measured from creation to leaving public view; a channel that went private and came back counts as ended at the first departure.",
		"Candidate reincarnations are leads to check by hand, not findings.",
		"Link shares count only the links the collector parsed from posts; a platform that moves to links the parser does not recognise shows up as a loss. " +
			"Changes around an event are associations in time: other events in the same windows, and trends the placebo check does not catch, can produce them too.",
		"Titles, handles and other texts from the data are shown cleaned (control and invisible characters removed) and cut to a few dozen characters.",
	}}
	for _, r := range b.rep.Runs {
		if r.Status != "ok" {
			s.Text = append(s.Text, notOK(&r))
		}
	}
	f := Figure{ID: "caveats-skipped", Title: "What the jobs left out, and why",
		Table: &Table{Columns: []string{"job", "table", "status", "reason", "rows"}, Text: []bool{false, false, false, true, false}}}
	var queries []string
	for _, name := range Jobs {
		r, ok := b.ok(name)
		if !ok {
			continue
		}
		for _, t := range skippedTables[name] {
			q := "SELECT status, reason, toFloat64(count()) AS n FROM " + b.table(t) + " FINAL WHERE " + runIs(r.RunID) +
				" AND status != 'ok' GROUP BY status, reason ORDER BY n DESC, reason LIMIT 10"
			rows, err := selectRows[reasonRow](b, q)
			if err != nil {
				return s, false, err
			}
			queries = append(queries, q)
			f.Runs = appendOnce(f.Runs, r.RunID)
			for _, row := range rows {
				f.Table.Rows = append(f.Table.Rows, []string{name, t, row.Status, Clean(row.Reason, 120), num(row.N, 0)})
			}
		}
	}
	f.Query = strings.Join(queries, ";\n")
	if len(f.Table.Rows) == 0 {
		f.Table = nil
		f.Empty = fmt.Sprintf("No job left a channel, window or cohort out (%d runs checked).", len(f.Runs))
	}
	s.Figures = append(s.Figures, f)
	return s, true, nil
}

func appendOnce(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}
