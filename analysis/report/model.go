package report

import (
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
)

// Report is a trend report: what it covers, the runs it reads, and its sections. Every
// text in it that came from the data has been through Clean; the renderers escape it for
// their format.
type Report struct {
	Title string
	// Params are the range and scope; Compare is the comparison period (the same scope),
	// zero when there is none.
	Params  job.Params
	Compare Period
	// Generated is when the report was written.
	Generated time.Time
	// CodeVersion and ConfigHash are the report's own; each run has its own too.
	CodeVersion string
	ConfigHash  string
	// Runs are the job runs the report reads, the current period's first.
	Runs []Run
	// DataVersion is, per input table, the largest row count and latest ingest the runs
	// read (from run_inputs).
	DataVersion []schema.RunInput
	// Changes say which inputs moved on since the runs read them (a report regenerated
	// from a manifest after new data arrived); empty when nothing changed.
	Changes  []string
	Sections []Section
}

// Period is a time range [From, To); Label names it in the report ("previous" or the
// dates).
type Period struct {
	From, To time.Time
	Label    string
}

// IsZero tells whether the period is unset.
func (p Period) IsZero() bool { return p.From.IsZero() }

// Run is one job run as the report cites it.
type Run struct {
	Job    string // growth, engagement, ...
	Period string // "current" or "comparison"
	schema.Run
	Inputs []schema.RunInput
}

// Periods of a run.
const (
	PeriodCurrent    = "current"
	PeriodComparison = "comparison"
)

// Section is one part of the report.
type Section struct {
	ID    string
	Title string
	// Text is the section's paragraphs: the method, and what is missing.
	Text    []string
	Figures []Figure
}

// Figure is one chart or table, with what makes it reproducible: the run it reads and the
// query behind it. A figure without enough data has Empty set (why, in words) and no chart
// or table rows.
type Figure struct {
	// ID names the figure's CSV file (ID.csv); unique in a report.
	ID      string
	Title   string
	Caption string
	// Runs are the job runs the figure reads; none for a figure read from the base tables
	// (coverage), which moves with the data version. Query is the SQL behind it, runnable
	// as printed (several statements are separated by semicolons).
	Runs  []string
	Query string
	Chart *Chart
	Table *Table
	Empty string
}

// Chart kinds.
const (
	ChartLines = "lines" // one line per series; LogY for audiences
	ChartSteps = "steps" // step functions with an interval band (survival curves)
	ChartBars  = "bars"  // one bar per label, with an interval when Lo/Hi are set
)

// Chart is a figure's chart as data; chart.go draws it.
type Chart struct {
	Kind   string
	XLabel string
	YLabel string
	// XTime means X values are Unix seconds.
	XTime  bool
	LogY   bool
	Series []Series
	Bars   []Bar
	// Marked and Unmarked name, in the legend, the bars with Marked set and the others;
	// a bar chart without a Marked name draws every bar alike.
	Marked, Unmarked string
	// Marks are moments on a time axis (registry events), drawn as dashed vertical lines
	// with their labels; lines and steps charts only.
	Marks []Mark
}

// Mark is one labelled moment on a chart's X axis.
type Mark struct {
	X     float64
	Label string
}

// Series is one line or step curve; Lo and Hi, when set, are its band.
type Series struct {
	Name   string
	X, Y   []float64
	Lo, Hi []float64
}

// Bar is one bar with its optional interval.
type Bar struct {
	Label       string
	Value       float64
	Lo, Hi      float64
	HasInterval bool
	// Marked bars are drawn in a second colour (see Chart.Marked).
	Marked bool
}

// Table is a figure's table. Cells are already formatted; Text marks the columns that hold
// text from the data (escaped for spreadsheets in CSV, isolated for bidirectional text in
// HTML).
type Table struct {
	Columns []string
	Text    []bool
	Rows    [][]string
}
