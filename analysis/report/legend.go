package report

import (
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendItem is one entry of a chart's legend: a series' or bar set's name and its
// thumbnail.
type legendItem struct {
	name  string
	thumb plot.Thumbnailer
}

// Legend layout: a strip below the plot, entries in columns, at a font a little smaller
// than the axes'.
const (
	legendFont   = 9 // points
	legendMargin = 6 // points around the strip and between columns
)

// legendLayout is a legend laid out in a strip below the plot, so it never covers data:
// entries fill the columns top to bottom, then left to right.
type legendLayout struct {
	columns []plot.Legend
	width   vg.Length // of a column
	height  vg.Length // of the strip; 0 without entries
}

// layoutLegend lays the entries out in as many columns as fit in width.
func layoutLegend(items []legendItem, width vg.Length) legendLayout {
	if len(items) == 0 {
		return legendLayout{}
	}
	proto := plot.NewLegend()
	proto.TextStyle.Font.Size = vg.Points(legendFont)
	proto.Top, proto.Left = true, true
	var widest vg.Length
	for _, it := range items {
		if w := proto.ThumbnailWidth + proto.TextStyle.Rectangle(" "+it.name).Max.X; w > widest {
			widest = w
		}
	}
	margin := vg.Points(legendMargin)
	colW := widest + 2*margin
	cols := max(1, min(len(items), int((width-margin)/colW)))
	rows := (len(items) + cols - 1) / cols
	out := legendLayout{width: (width - margin) / vg.Length(cols)}
	for c := 0; c < cols; c++ {
		l := proto
		for _, it := range items[c*rows : min(len(items), (c+1)*rows)] {
			l.Add(it.name, it.thumb)
		}
		out.columns = append(out.columns, l)
	}
	entry := proto.TextStyle.Rectangle("Mg").Max.Y
	out.height = vg.Length(rows)*entry + proto.TextStyle.FontExtents().Descent + 2*margin
	return out
}

// draw draws the legend's columns into the strip c.
func (l legendLayout) draw(c draw.Canvas) {
	margin := vg.Points(legendMargin)
	for i := range l.columns {
		x := c.Min.X + margin + vg.Length(i)*l.width
		col := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x, Y: c.Min.Y + margin},
			Max: vg.Point{X: x + l.width - margin, Y: c.Max.Y - margin},
		}}
		l.columns[i].Draw(col)
	}
}

// markLabelHeight is the room above the plot area that the marks' labels take.
func markLabelHeight(p *plot.Plot) vg.Length {
	return p.X.Tick.Label.Rectangle("E1").Max.Y + vg.Points(4)
}

// unsignedZero writes a tick that rounds to zero without a sign ("0.0", never "-0.0").
type unsignedZero struct{ plot.Ticker }

// Ticks implements plot.Ticker.
func (z unsignedZero) Ticks(min, max float64) []plot.Tick {
	ticks := z.Ticker.Ticks(min, max)
	for i := range ticks {
		ticks[i].Label = dropZeroSign(ticks[i].Label)
	}
	return ticks
}

// dropZeroSign removes the minus sign of a formatted number that reads as zero.
func dropZeroSign(s string) string {
	rest, neg := strings.CutPrefix(s, "-")
	if !neg {
		return s
	}
	if readsZero(rest) {
		return rest
	}
	return s
}

// readsZero tells whether a formatted number reads as zero.
func readsZero(s string) bool {
	v, err := strconv.ParseFloat(s, 64)
	return err == nil && v == 0
}
