package report

import (
	"bytes"
	"fmt"
	"html/template"
)

// htmlFigure is a figure with its chart drawn.
type htmlFigure struct {
	Figure
	SVG      template.HTML
	TableCSV string
}

type htmlSection struct {
	Section
	Figures []htmlFigure
}

// RenderHTML writes the report as one self-contained HTML page: inline CSS and SVG charts,
// no script, nothing fetched (a content security policy forbids it), readable in print.
// Every text is escaped by html/template; texts from the data sit in <bdi> so right-to-left
// ones cannot reorder their neighbours.
func RenderHTML(r *Report) ([]byte, error) {
	var sections []htmlSection
	for _, s := range r.Sections {
		hs := htmlSection{Section: s}
		for _, f := range s.Figures {
			hf := htmlFigure{Figure: f, TableCSV: f.ID + tableSuffix(f) + ".csv"}
			if f.Chart != nil && f.Empty == "" {
				svg, err := SVG(f.Chart)
				if err != nil {
					return nil, fmt.Errorf("chart %s: %w", f.ID, err)
				}
				// The SVG is drawn here from cleaned labels, and its writer escapes every text.
				hf.SVG = template.HTML(svg)
			}
			hs.Figures = append(hs.Figures, hf)
		}
		sections = append(sections, hs)
	}
	var buf bytes.Buffer
	err := htmlTemplate.Execute(&buf, map[string]any{
		"R": r, "Facts": reportFacts(r), "Sections": sections,
	})
	if err != nil {
		return nil, fmt.Errorf("render html: %w", err)
	}
	return buf.Bytes(), nil
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"runs":   runsText,
	"isText": func(t *Table, i int) bool { return i < len(t.Text) && t.Text[i] },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.R.Title}}</title>
<style>
body { font-family: "Liberation Sans", Arial, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #999; padding-bottom: .2rem; margin-top: 2.5rem; } h3 { font-size: 1.05rem; margin-bottom: .3rem; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .85rem; width: 100%; }
th, td { border: 1px solid #bbb; padding: .2rem .4rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eee; }
td { font-variant-numeric: tabular-nums; }
.chart svg { max-width: 100%; height: auto; }
.empty { font-style: italic; color: #444; border-left: 3px solid #999; padding-left: .6rem; }
.changed { border: 2px solid #b00; padding: .5rem; }
.meta { font-size: .8rem; color: #333; }
pre { font-size: .72rem; background: #f4f4f4; padding: .4rem; white-space: pre-wrap; overflow-wrap: anywhere; }
figure { margin: 1rem 0 2rem; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  figure, table, tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  pre { background: none; border: 1px solid #ccc; }
}
</style>
</head>
<body>
<h1>{{.R.Title}}</h1>
<ul class="meta">{{range .Facts}}<li>{{.}}</li>{{end}}</ul>
{{range .R.Changes}}<p class="changed"><strong>Input changed:</strong> {{.}}</p>{{end}}
<nav><ol>{{range .Sections}}<li><a href="#{{.ID}}">{{.Title}}</a></li>{{end}}</ol></nav>
{{range .Sections}}
<section id="{{.ID}}">
<h2>{{.Title}}</h2>
{{range .Text}}<p>{{.}}</p>{{end}}
{{range .Figures}}
<figure id="fig-{{.ID}}" data-figure="{{.ID}}">
<h3>{{.Title}}</h3>
{{if .Empty}}<p class="empty">{{.Empty}}</p>{{else}}
{{if .SVG}}<div class="chart" data-chart="{{.ID}}">{{.SVG}}</div><p class="meta">Chart data: {{.ID}}.csv</p>{{end}}
{{with .Table}}{{$t := .}}<table>
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range $i, $c := .}}{{if isText $t $i}}<td><bdi>{{$c}}</bdi></td>{{else}}<td>{{$c}}</td>{{end}}{{end}}</tr>
{{end}}</tbody></table>{{end}}{{if .Table}}<p class="meta">Table data: {{.TableCSV}}</p>{{end}}
{{end}}
{{if .Caption}}<figcaption>{{.Caption}}</figcaption>{{end}}
<p class="meta">Runs: {{runs .Runs}}</p>
{{if .Query}}<pre><code>{{.Query}}</code></pre>{{end}}
</figure>
{{end}}
</section>
{{end}}
</body>
</html>
`))
