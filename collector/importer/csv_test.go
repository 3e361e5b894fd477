package importer

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type csvRec struct {
	Line   int
	Fields []string
	Raw    string
	Err    error
}

func readAllCSV(t *testing.T, data string, max int) ([]csvRec, error) {
	t.Helper()
	r := NewCSVReader(strings.NewReader(data), max)
	var out []csvRec
	for {
		f, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil && err != ErrCSVQuote {
			return out, err
		}
		out = append(out, csvRec{r.Line(), append([]string(nil), f...), string(r.Raw()), err})
	}
}

func TestCSVReader(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		want []csvRec
	}{
		"plain": {"a,b,c\n1,2,3\n", []csvRec{
			{1, []string{"a", "b", "c"}, "a,b,c", nil},
			{2, []string{"1", "2", "3"}, "1,2,3", nil},
		}},
		"bom, crlf, no final newline": {"\ufeffa,b\r\n1,2", []csvRec{
			{1, []string{"a", "b"}, "a,b", nil},
			{2, []string{"1", "2"}, "1,2", nil},
		}},
		"quoted with separators, quotes and line breaks": {"x,\"a, \"\"b\"\"\r\nc\",y\nnext,1\n", []csvRec{
			{1, []string{"x", "a, \"b\"\nc", "y"}, "x,\"a, \"\"b\"\"\r\nc\",y", nil},
			{3, []string{"next", "1"}, "next,1", nil},
		}},
		"empty fields and blank lines": {"a,,\n\n,\n", []csvRec{
			{1, []string{"a", "", ""}, "a,,", nil},
			{3, []string{"", ""}, ",", nil},
		}},
		"quote inside an unquoted field is text": {"12\" screen,b\n", []csvRec{
			{1, []string{"12\" screen", "b"}, "12\" screen,b", nil},
		}},
		"text after a closing quote": {"\"a\"b,c\nd,e\n", []csvRec{
			{1, []string{"ab", "c"}, "\"a\"b,c", ErrCSVQuote},
			{2, []string{"d", "e"}, "d,e", nil},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := readAllCSV(t, tc.in, 0)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestCSVReaderEndsFile(t *testing.T) {
	_, err := readAllCSV(t, "a,b\n\"never closed,\nmore\n", 0)
	require.ErrorIs(t, err, ErrCSVUnclosed)
	_, err = readAllCSV(t, "a,b\n\""+strings.Repeat("x\n", 100), 64)
	require.ErrorIs(t, err, ErrCSVTooLong)
}

func TestHeader(t *testing.T) {
	h := NewHeader([]string{"\ufeffPage Name", " User Name ", "Total Interactions (weighted  —  Likes 1x )", "page name"})
	require.Equal(t, 0, h.Index("page name"), "the first of duplicate names wins")
	require.Equal(t, 1, h.Index("USER NAME"))
	require.Equal(t, 2, h.Index("Total Interactions (weighted — Likes 1x )"), "runs of spaces count as one")
	require.Equal(t, -1, h.Index("URL"))
	require.Equal(t, 1, h.First("URL", "User Name"))
	require.Equal(t, "Page Name", h.Names()[0])
	require.Equal(t, "", Field([]string{"a"}, 3))
	require.Equal(t, "", Field([]string{"a"}, -1))
}

func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"a\nb\",c\r\n", "\ufeffx,\"y\"\"z\"\n", "\"a\"b,c\n", "\"open"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		r := NewCSVReader(strings.NewReader(data), 1<<10)
		last := 0
		for i := 0; i <= len(data)+1; i++ {
			_, err := r.Read()
			if err != nil && err != ErrCSVQuote {
				return
			}
			require.Greater(t, r.Line(), last, "lines go forward")
			last = r.Line()
			require.LessOrEqual(t, len(r.Raw()), len(data))
		}
		t.Fatal("more records than bytes")
	})
}

func TestCSVFile(t *testing.T) {
	env := &Env{File: "posts.csv"}
	_, err := OpenCSV(strings.NewReader(""), env, "a posts header (id,text)")
	require.EqualError(t, err, `posts.csv:1: header: expected a posts header (id,text), got "an empty file"`)
	require.ErrorIs(t, err, ErrFatal)
	_, err = OpenCSV(strings.NewReader("\"id\"x,text\n"), env, "a posts header")
	require.EqualError(t, err, `posts.csv:1: header: expected a separator after a closing quote, got "\"id\"x,text"`)

	data := "id,text\n1,one\n2,\"two\"x\n3\nid,text\n4,\"four\n"
	f, err := OpenCSV(strings.NewReader(data), env, "a posts header")
	require.NoError(t, err)
	require.Equal(t, []string{"id", "text"}, f.Header())
	require.Equal(t, "id,text", f.RawHeader())

	var rec Record
	next := func() ([]string, bool, error) {
		rec.Reset()
		return f.Next(&rec)
	}
	fields, ok, err := next()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []string{"1", "one"}, fields)
	require.Equal(t, 2, rec.Line)
	require.Equal(t, "1,one", string(rec.Raw))

	_, ok, err = next()
	require.NoError(t, err)
	require.False(t, ok)
	require.Len(t, rec.Errors, 1)
	require.Equal(t, `posts.csv:3: record: expected a separator after a closing quote, got "2,\"two\"x"`, rec.Errors[0].Error())

	_, ok, err = next()
	require.NoError(t, err)
	require.False(t, ok)
	require.Len(t, rec.Errors, 1)
	require.Equal(t, `posts.csv:4: record: expected 2 fields as in the header, got "1 fields"`, rec.Errors[0].Error())

	_, ok, err = next()
	require.NoError(t, err)
	require.False(t, ok)
	require.True(t, rec.Skip, "a repeated header is skipped")
	require.Empty(t, rec.Errors)

	_, ok, err = next()
	require.False(t, ok)
	require.EqualError(t, err, `posts.csv:6: record: expected a closing quote before the end of the file, got ""`)
	require.ErrorIs(t, err, ErrFatal)

	f, err = OpenCSV(strings.NewReader("id\n"), env, "a posts header")
	require.NoError(t, err)
	_, ok, err = f.Next(&rec)
	require.False(t, ok)
	require.ErrorIs(t, err, io.EOF)
}
