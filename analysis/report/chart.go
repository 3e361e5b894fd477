package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Palette is the colours of a chart's marks, series by series; axes and text are black, so
// a mark is whatever is drawn in one of these.
var Palette = []color.RGBA{
	{0x1F, 0x77, 0xB4, 0xFF}, {0xD6, 0x27, 0x28, 0xFF}, {0x2C, 0xA0, 0x2C, 0xFF}, {0x94, 0x67, 0xBD, 0xFF},
	{0xFF, 0x7F, 0x0E, 0xFF}, {0x8C, 0x56, 0x4B, 0xFF}, {0xE3, 0x77, 0xC2, 0xFF}, {0x17, 0xBE, 0xCF, 0xFF},
}

// Chart sizes: wide enough for a page, short enough for two charts per printed page.
const (
	chartWidth  = 16 * vg.Centimeter
	chartHeight = 9 * vg.Centimeter
)

func paletteColor(i int) color.RGBA { return Palette[i%len(Palette)] }

// SVG draws a chart as an SVG document (without the XML prolog, for inlining in HTML).
// Labels are expected cleaned; the SVG writer escapes them.
func SVG(c *Chart) ([]byte, error) {
	p := plot.New()
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	var items []legendItem
	var err error
	switch c.Kind {
	case ChartLines, ChartSteps:
		items, err = drawSeries(p, c)
	case ChartBars:
		items, err = drawBars(p, c)
	default:
		err = fmt.Errorf("unknown chart kind %q", c.Kind)
	}
	if err != nil {
		return nil, err
	}
	p.X.Tick.Marker = unsignedZero{p.X.Tick.Marker}
	p.Y.Tick.Marker = unsignedZero{p.Y.Tick.Marker}
	legend := layoutLegend(items, chartWidth)
	top := vg.Length(0)
	if len(c.Marks) > 0 && c.Kind != ChartBars {
		top = markLabelHeight(p)
	}
	canvas := vgsvg.New(chartWidth, chartHeight+legend.height)
	dc := draw.New(canvas)
	p.Draw(draw.Crop(dc, 0, 0, legend.height, -top))
	legend.draw(draw.Crop(dc, 0, 0, 0, -chartHeight))
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write svg: %w", err)
	}
	out := buf.Bytes()
	if i := bytes.Index(out, []byte("<svg")); i > 0 {
		out = out[i:]
	}
	return out, nil
}

// drawSeries draws lines (or step curves, already expanded to steps) with their bands,
// and returns their legend entries (none for a single series).
func drawSeries(p *plot.Plot, c *Chart) ([]legendItem, error) {
	if c.XTime {
		p.X.Tick.Marker = plot.TimeTicks{Format: "2006-01-02"}
	}
	if c.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	var items []legendItem
	for i, s := range c.Series {
		col := paletteColor(i)
		if len(s.Lo) == len(s.X) && len(s.Hi) == len(s.X) && len(s.X) > 1 {
			band, err := plotter.NewPolygon(bandPoints(s))
			if err != nil {
				return nil, fmt.Errorf("band of %q: %w", s.Name, err)
			}
			band.Color = color.NRGBA{R: col.R, G: col.G, B: col.B, A: 0x40}
			band.LineStyle.Width = 0
			p.Add(band)
		}
		pts := make(plotter.XYs, 0, len(s.X))
		for k := range s.X {
			if c.LogY && s.Y[k] <= 0 || !finite(s.X[k]) || !finite(s.Y[k]) {
				continue
			}
			pts = append(pts, plotter.XY{X: s.X[k], Y: s.Y[k]})
		}
		if len(pts) == 0 {
			continue
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("line of %q: %w", s.Name, err)
		}
		line.Color, line.Width = col, vg.Points(1.5)
		p.Add(line)
		if len(pts) == 1 {
			dot, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, fmt.Errorf("point of %q: %w", s.Name, err)
			}
			dot.Color, dot.Shape = col, draw.CircleGlyph{}
			p.Add(dot)
		}
		if len(c.Series) > 1 {
			items = append(items, legendItem{name: s.Name, thumb: line})
		}
	}
	if len(c.Marks) > 0 {
		p.Add(newTimeMarks(p, c.Marks))
	}
	return items, nil
}

// bandPoints is a series' band as a polygon: along Hi, then back along Lo.
func bandPoints(s Series) plotter.XYs {
	pts := make(plotter.XYs, 0, 2*len(s.X))
	for k := range s.X {
		if finite(s.Hi[k]) {
			pts = append(pts, plotter.XY{X: s.X[k], Y: s.Hi[k]})
		}
	}
	for k := len(s.X) - 1; k >= 0; k-- {
		if finite(s.Lo[k]) {
			pts = append(pts, plotter.XY{X: s.X[k], Y: s.Lo[k]})
		}
	}
	return pts
}

// intervals are bars' intervals, for error bars.
type intervals struct {
	plotter.XYs
	lo, hi []float64
}

func (e intervals) XError(i int) (float64, float64) { return e.lo[i], e.hi[i] }

// drawBars draws horizontal bars, labels on the Y axis, first bar on top, with intervals.
// When the chart names its marked bars, those are drawn in a second colour, with legend
// entries.
func drawBars(p *plot.Plot, c *Chart) ([]legendItem, error) {
	n := len(c.Bars)
	plain, marked := make(plotter.Values, n), make(plotter.Values, n)
	labels := make([]string, n)
	var errs intervals
	anyMarked := false
	for i, b := range c.Bars {
		k := n - 1 - i // first bar on top
		labels[k] = b.Label
		if b.Marked && c.Marked != "" {
			marked[k], anyMarked = b.Value, true
		} else {
			plain[k] = b.Value
		}
		if b.HasInterval && finite(b.Lo) && finite(b.Hi) {
			errs.XYs = append(errs.XYs, plotter.XY{X: b.Value, Y: float64(k)})
			errs.lo = append(errs.lo, math.Max(0, b.Value-b.Lo))
			errs.hi = append(errs.hi, math.Max(0, b.Hi-b.Value))
		}
	}
	bars, err := barSet(plain, paletteColor(0))
	if err != nil {
		return nil, err
	}
	p.Add(bars)
	var items []legendItem
	if anyMarked {
		mb, err := barSet(marked, paletteColor(4))
		if err != nil {
			return nil, err
		}
		p.Add(mb)
		items = append(items, legendItem{name: c.Marked, thumb: mb})
		if c.Unmarked != "" {
			items = append(items, legendItem{name: c.Unmarked, thumb: bars})
		}
	}
	if len(errs.XYs) > 0 {
		eb, err := plotter.NewXErrorBars(errs)
		if err != nil {
			return nil, fmt.Errorf("intervals: %w", err)
		}
		eb.Color = paletteColor(1)
		eb.Width = vg.Points(1.2)
		p.Add(eb)
	}
	p.NominalY(labels...)
	return items, nil
}

// barSet is one colour's horizontal bars (zero where another set draws).
func barSet(values plotter.Values, col color.RGBA) (*plotter.BarChart, error) {
	bars, err := plotter.NewBarChart(values, vg.Points(10))
	if err != nil {
		return nil, fmt.Errorf("bars: %w", err)
	}
	bars.Horizontal = true
	bars.Color = col
	bars.LineStyle.Width = 0
	return bars, nil
}

// timeMarks draws a chart's marks as dashed vertical lines across the plot area, each
// labelled just above it (SVG sets aside room there), so labels never cover data; the
// axis is widened to take them.
type timeMarks struct {
	marks []Mark
	line  draw.LineStyle
	label text.Style
}

func newTimeMarks(p *plot.Plot, marks []Mark) timeMarks {
	label := p.X.Tick.Label
	label.XAlign, label.YAlign = draw.XLeft, draw.YBottom
	return timeMarks{marks: marks, label: label,
		line: draw.LineStyle{Color: markColor, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}}
}

// markColor is the marks' grey: not a palette colour, so marks are not data marks.
var markColor = color.Gray{Y: 0x70}

// Plot implements plot.Plotter.
func (m timeMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, mk := range m.marks {
		x := trX(mk.X)
		c.StrokeLine2(m.line, x, c.Min.Y, x, c.Max.Y)
		c.FillText(m.label, vg.Point{X: x + vg.Points(2), Y: c.Max.Y + vg.Points(2)}, mk.Label)
	}
}

// DataRange implements plot.DataRanger: the marks' X span, nothing on Y.
func (m timeMarks) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, mk := range m.marks {
		xmin, xmax = math.Min(xmin, mk.X), math.Max(xmax, mk.X)
	}
	return xmin, xmax, ymin, ymax
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
