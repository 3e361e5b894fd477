// Package csvlayout reads tidewatch's own CSV layouts, for data that comes from anywhere else
// (a researcher's spreadsheet, another tool's export turned into these columns):
//
//	accounts     account observations: identity and followers at a time
//	posts        posts with their counters, links, forwards and replies
//	events       entries of the events registry
//	links        curated cross-platform account links
//	communities  which community each account belongs to (researchers' labels)
//
// Each file starts with a header of lowercase column names, in any order; the required
// columns must be there and a column the layout does not know is an error (a misspelt
// column would otherwise be dropped without a word). Lists are separated by "|". Times are
// RFC 3339 ("2024-05-01T12:00:00Z") or "2024-05-01 12:00:00" (UTC), or Unix seconds. The
// README of collector/importer documents every column.
package csvlayout

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tidewatch/tidewatch/collector/importer"
)

// column is one column of a layout.
type column struct {
	name     string
	required bool
}

// layout is one CSV layout.
type layout struct {
	name    string
	columns []column
	row     func(r *row)
}

func (l *layout) format(summary string) importer.Format {
	return importer.Format{
		Name:    l.name,
		Summary: summary,
		Open: func(r io.Reader, env *importer.Env) (importer.Parser, error) {
			return open(l, r, env)
		},
	}
}

// Header is the full header of the layout, for documentation and templates.
func (l *layout) header() []string {
	out := make([]string, len(l.columns))
	for i, c := range l.columns {
		out[i] = c.name
	}
	return out
}

type parser struct {
	l     *layout
	env   *importer.Env
	r     *importer.CSVFile
	index map[string]int
}

func open(l *layout, r io.Reader, env *importer.Env) (importer.Parser, error) {
	cf, err := importer.OpenCSV(r, env, "the "+l.name+" header ("+strings.Join(l.header(), ",")+")")
	if err != nil {
		return nil, err
	}
	fields := cf.Header()
	p := &parser{l: l, env: env, r: cf, index: map[string]int{}}
	known := map[string]bool{}
	for _, c := range l.columns {
		known[c.name] = true
	}
	var problems []string
	for i, f := range fields {
		name := strings.ToLower(strings.TrimSpace(f))
		switch {
		case !known[name]:
			problems = append(problems, fmt.Sprintf("unknown column %q", f))
		case p.has(name):
			problems = append(problems, fmt.Sprintf("column %q twice", f))
		default:
			p.index[name] = i + 1 // 0 means absent
		}
	}
	for _, c := range l.columns {
		if c.required && !p.has(c.name) {
			problems = append(problems, fmt.Sprintf("missing column %q", c.name))
		}
	}
	if len(problems) > 0 {
		return nil, importer.Fatal(env.File, 1, "header", "the "+l.name+" columns "+strings.Join(l.header(), ",")+" ("+strings.Join(problems, "; ")+")", p.r.RawHeader())
	}
	return p, nil
}

func (p *parser) has(name string) bool { return p.index[name] > 0 }

// Next parses one row.
func (p *parser) Next(rec *importer.Record) error {
	fields, ok, err := p.r.Next(rec)
	if !ok {
		return err
	}
	p.l.row(&row{p: p, f: fields, rec: rec})
	return nil
}

// row reads the values of one record, collecting errors.
type row struct {
	p   *parser
	f   []string
	rec *importer.Record
}

func (r *row) env() *importer.Env { return r.p.env }

func (r *row) fail(col, expected, got string) { r.rec.Fail(r.p.env, col, expected, got) }

func (r *row) ok() bool { return len(r.rec.Errors) == 0 }

// str is a column's trimmed text ("" when the column is absent).
func (r *row) str(col string) string {
	i := r.p.index[col]
	if i == 0 {
		return ""
	}
	return strings.TrimSpace(r.f[i-1])
}

// need is a required column's text; empty is an error.
func (r *row) need(col, expected string) string {
	s := r.str(col)
	if s == "" {
		r.fail(col, expected, s)
	}
	return s
}

// handle is a column holding an account's handle, without its "@". A handle has no spaces,
// control or invisible characters: one that reads as another (a right-to-left override
// reverses what follows it) would name an account that is not there.
func (r *row) handle(col string) string {
	s := strings.TrimPrefix(r.str(col), "@")
	for _, c := range s {
		if !unicode.IsGraphic(c) || unicode.IsSpace(c) || unicode.Is(unicode.Bidi_Control, c) || unicode.Is(unicode.Cf, c) {
			r.fail(col, "a handle without spaces, control or invisible characters", s)
			break
		}
	}
	return s
}

func (r *row) count(col string) uint64 {
	s := r.str(col)
	n, ok := importer.ParseCount(s)
	if !ok {
		r.fail(col, "a whole number like 1234", s)
	}
	return n
}

func (r *row) id(col string) uint64 {
	s := r.str(col)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		r.fail(col, "a numeric id", s)
	}
	return n
}

func (r *row) time(col string, required bool) time.Time {
	s := r.str(col)
	if s == "" {
		if required {
			r.fail(col, "a time like 2024-05-01T12:00:00Z", s)
		}
		return time.Time{}
	}
	t, ok := importer.ParseTime(s, nil)
	if !ok {
		r.fail(col, "a time like 2024-05-01T12:00:00Z", s)
	}
	return t
}

func (r *row) bool(col string) uint8 {
	s := r.str(col)
	b, ok := importer.ParseBool(s)
	if !ok {
		r.fail(col, "true or false", s)
	}
	if b {
		return 1
	}
	return 0
}

func (r *row) list(col string) []string {
	s := r.str(col)
	if s == "" {
		return nil
	}
	var out []string
	for _, it := range strings.Split(s, "|") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

func (r *row) token(col, expected string, required bool) string {
	s := strings.ToLower(r.str(col))
	if s == "" {
		if required {
			r.fail(col, expected, s)
		}
		return ""
	}
	if importer.Token(s) != s {
		r.fail(col, expected, r.str(col))
	}
	return s
}

// Headers are the full headers of the layouts, by format name, for documentation.
func Headers() map[string][]string {
	return map[string][]string{
		accountsLayout.name:    accountsLayout.header(),
		postsLayout.name:       postsLayout.header(),
		eventsLayout.name:      eventsLayout.header(),
		linksLayout.name:       linksLayout.header(),
		communitiesLayout.name: communitiesLayout.header(),
	}
}
