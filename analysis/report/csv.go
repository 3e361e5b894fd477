package report

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"time"
)

// File is one output file of a report.
type File struct {
	Name string
	Data []byte
}

// CSVFiles are one CSV per chart (its plotted data) and per table.
func CSVFiles(r *Report) ([]File, error) {
	var out []File
	for _, s := range r.Sections {
		for _, f := range s.Figures {
			if f.Empty != "" {
				continue
			}
			if f.Chart != nil {
				data, err := chartCSV(f.Chart)
				if err != nil {
					return nil, err
				}
				out = append(out, File{Name: f.ID + ".csv", Data: data})
			}
			if f.Table != nil {
				data, err := tableCSV(f.Table)
				if err != nil {
					return nil, err
				}
				out = append(out, File{Name: f.ID + tableSuffix(f) + ".csv", Data: data})
			}
		}
	}
	return out, nil
}

func tableCSV(t *Table) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(t.Columns); err != nil {
		return nil, err
	}
	for _, row := range t.Rows {
		rec := make([]string, len(row))
		for i, cell := range row {
			rec[i] = cell
			if i < len(t.Text) && t.Text[i] {
				rec[i] = CSVText(cell)
			}
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func chartCSV(c *Chart) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	x := func(v float64) string {
		if c.XTime {
			return time.Unix(int64(v), 0).UTC().Format(time.DateOnly)
		}
		return f(v)
	}
	var err error
	if c.Kind == ChartBars {
		head := []string{"label", "value", "lo", "hi"}
		if c.Marked != "" {
			head = append(head, c.Marked)
		}
		err = w.Write(head)
		for _, b := range c.Bars {
			lo, hi := "", ""
			if b.HasInterval {
				lo, hi = f(b.Lo), f(b.Hi)
			}
			rec := []string{CSVText(b.Label), f(b.Value), lo, hi}
			if c.Marked != "" {
				rec = append(rec, yesNo(boolFlag(b.Marked)))
			}
			if err == nil {
				err = w.Write(rec)
			}
		}
	} else {
		err = w.Write([]string{"series", c.XLabel, c.YLabel, "lo", "hi"})
		for _, s := range c.Series {
			for k := range s.X {
				lo, hi := "", ""
				if len(s.Lo) == len(s.X) {
					lo, hi = f(s.Lo[k]), f(s.Hi[k])
				}
				if err == nil {
					err = w.Write([]string{CSVText(s.Name), x(s.X[k]), f(s.Y[k]), lo, hi})
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
