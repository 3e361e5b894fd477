package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// RenderMarkdown writes the report as Markdown, the HTML report's twin: the same sections,
// tables and numbers; each chart is named with its CSV file instead of drawn.
func RenderMarkdown(r *Report) []byte {
	var w bytes.Buffer
	fmt.Fprintf(&w, "# %s\n\n", Markdown(r.Title))
	for _, line := range reportFacts(r) {
		fmt.Fprintf(&w, "- %s\n", Markdown(line))
	}
	w.WriteString("\n")
	for _, c := range r.Changes {
		fmt.Fprintf(&w, "> **Input changed:** %s\n>\n", Markdown(c))
	}
	for _, s := range r.Sections {
		fmt.Fprintf(&w, "## %s\n\n", Markdown(s.Title))
		for _, p := range s.Text {
			fmt.Fprintf(&w, "%s\n\n", Markdown(p))
		}
		for _, f := range s.Figures {
			markdownFigure(&w, f)
		}
	}
	return w.Bytes()
}

func markdownFigure(w *bytes.Buffer, f Figure) {
	fmt.Fprintf(w, "### %s\n\n", Markdown(f.Title))
	if f.Caption != "" {
		fmt.Fprintf(w, "%s\n\n", Markdown(f.Caption))
	}
	switch {
	case f.Empty != "":
		fmt.Fprintf(w, "*%s*\n\n", Markdown(f.Empty))
	default:
		if f.Chart != nil {
			fmt.Fprintf(w, "Chart data: `%s`\n\n", f.ID+".csv")
		}
		if f.Table != nil {
			markdownTable(w, f.Table)
			fmt.Fprintf(w, "Table data: `%s`\n\n", f.ID+tableSuffix(f)+".csv")
		}
	}
	fmt.Fprintf(w, "Runs: %s\n\n", Markdown(runsText(f.Runs)))
	if f.Query != "" {
		fmt.Fprintf(w, "~~~sql\n%s\n~~~\n\n", strings.ReplaceAll(f.Query, "~~~", "~ ~ ~"))
	}
}

func markdownTable(w *bytes.Buffer, t *Table) {
	w.WriteString("|")
	for _, c := range t.Columns {
		fmt.Fprintf(w, " %s |", Markdown(c))
	}
	w.WriteString("\n|")
	for range t.Columns {
		w.WriteString(" --- |")
	}
	w.WriteString("\n")
	for _, row := range t.Rows {
		w.WriteString("|")
		for _, cell := range row {
			fmt.Fprintf(w, " %s |", Markdown(cell))
		}
		w.WriteString("\n")
	}
	w.WriteString("\n")
}

// runsText names a figure's runs.
func runsText(runs []string) string {
	if len(runs) == 0 {
		return "none (read from the base tables when the report was written)"
	}
	return strings.Join(runs, ", ")
}

// reportFacts are the lines that identify a report: range, comparison, versions.
func reportFacts(r *Report) []string {
	facts := []string{
		"Range: " + stamp(r.Params.From) + " to " + stamp(r.Params.To) + " (end excluded); scope: " + r.Params.Scope.String(),
	}
	if !r.Compare.IsZero() {
		facts = append(facts, "Comparison period ("+r.Compare.Label+"): "+stamp(r.Compare.From)+" to "+stamp(r.Compare.To))
	}
	facts = append(facts,
		"Generated: "+stamp(r.Generated),
		"Code version: "+Clean(r.CodeVersion, MaxCell)+"; configuration hash: "+Clean(r.ConfigHash, MaxCell),
		"Runs: "+strconv.Itoa(len(r.Runs))+"; data version: "+dataVersionText(r),
	)
	return facts
}

func dataVersionText(r *Report) string {
	var parts []string
	for _, in := range r.DataVersion {
		parts = append(parts, in.InputTable+" "+count(in.Rows)+" rows, latest "+stamp(in.Latest))
	}
	if len(parts) == 0 {
		return "no inputs recorded"
	}
	return strings.Join(parts, "; ")
}

// tableSuffix tells a figure's table CSV apart from its chart CSV when it has both.
func tableSuffix(f Figure) string {
	if f.Chart != nil {
		return "-table"
	}
	return ""
}
