package report

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// hostile are texts a channel can carry in its title, handle or about text.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	"evil\u202Egnp.exe",                           // right-to-left override
	"\u200Finvisible\u200B\u200C\u200D\uFEFFjoin", // RLM, zero-width space, joiners, BOM
	"שלום عالم mixed RTL",
	"pipe | back`tick` *bold* _it_ [link](http://x) ![img](y) <b>&amp;</b> # ~~s~~",
	"line\nbreak\r\ttab",
	"bad utf8 \xff\xfe end",
	"=HYPERLINK(\"http://x\")",
	strings.Repeat("長", 100_000),
}

func TestCleanRemovesInvisibleAndControl(t *testing.T) {
	for _, s := range hostile {
		c := Clean(s, MaxCell)
		require.True(t, utf8.ValidString(c), "%q", c)
		require.LessOrEqual(t, utf8.RuneCountInString(c), MaxCell, "%q", c)
		for _, r := range c {
			require.NotContains(t, []rune{'\u202E', '\u200F', '\u200B', '\u200C', '\u200D', '\uFEFF', '\n', '\r', '\t'}, r, "%q", c)
		}
	}
	require.Equal(t, "evilgnp.exe", Clean("evil\u202Egnp.exe", 80))
	require.Equal(t, "line break tab", Clean("line\nbreak\r\ttab", 80))
	require.Equal(t, "bad utf8 \uFFFD\uFFFD end", Clean("bad utf8 \xff\xfe end", 80))
	require.Equal(t, "abc…", Clean("abcdef", 4))
	require.Equal(t, "ab…", Clean("ab cdef", 4), "no space before the ellipsis")
	require.Equal(t, "abcd", Clean("abcd", 4))
	require.Equal(t, strings.Repeat("長", 79)+"…", Clean(strings.Repeat("長", 100_000), 80))
	require.Empty(t, Clean("anything", 0))
}

func TestMarkdownEscapes(t *testing.T) {
	got := Markdown(Clean(hostile[5], 200))
	require.Equal(t, `pipe \| back\`+"`"+`tick\`+"`"+` \*bold\* \_it\_ \[link\](http://x) \!\[img\](y) &lt;b&gt;&amp;amp;&lt;/b&gt; \# \~\~s\~\~`, got)
	require.Equal(t, "&lt;script&gt;alert(1)&lt;/script&gt;", Markdown(hostile[0]))
}

func TestCSVTextDefusesFormulas(t *testing.T) {
	require.Equal(t, `'=HYPERLINK("http://x")`, CSVText(hostile[8]))
	require.Equal(t, "'@cmd", CSVText("@cmd"))
	require.Equal(t, "plain", CSVText("plain"))
}

func TestRenderEscapesHostileText(t *testing.T) {
	r := fixture(t)
	html, err := RenderHTML(r)
	require.NoError(t, err)
	md := string(RenderMarkdown(r))
	page := string(html)
	require.NotContains(t, page, "<script")
	require.NotContains(t, page, "<img")
	require.NotContains(t, page, "\u202E")
	require.NotContains(t, page, "\u200B")
	require.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.Contains(t, page, "<bdi>")
	require.NotContains(t, md, "<script")
	require.NotContains(t, md, "\u202E")
	require.Contains(t, md, "&lt;script&gt;")
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") {
			require.Equal(t, strings.Count(lineHeader(md, line), "|"), strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"), "a cell's pipe split a row: %s", line)
		}
	}
	csvs, err := CSVFiles(r)
	require.NoError(t, err)
	require.NotEmpty(t, csvs)
	for _, f := range csvs {
		require.True(t, utf8.Valid(f.Data), f.Name)
		require.NotContains(t, string(f.Data), "\n=", f.Name)
	}
}

// lineHeader is the header row of the Markdown table a row belongs to.
func lineHeader(md, row string) string {
	lines := strings.Split(md, "\n")
	header := ""
	for _, l := range lines {
		if !strings.HasPrefix(l, "| ") {
			header = ""
			continue
		}
		if header == "" {
			header = l
		}
		if l == row {
			return header
		}
	}
	return row
}

func TestRenderNearZeroNumbers(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		prec int
		num  string
		sign string
	}{
		{-1e-9, 4, "0.0000", "0.0000"},
		{1e-9, 3, "0.000", "0.000"},
		{-0.0, 1, "0.0", "0.0"},
		{-0.00051, 3, "-0.001", "-0.001"},
		{0.25, 2, "0.25", "+0.25"},
	} {
		require.Equal(t, tc.num, num(tc.v, tc.prec), "%v", tc.v)
		require.Equal(t, tc.sign, signed(tc.v, tc.prec), "%v", tc.v)
	}
	require.Equal(t, "+0.002 (+0.2%)", change(1.002, 1, 3))
	require.Equal(t, "0.000 (0.0%)", change(1+1e-12, 1, 3))
	require.Equal(t, "0.000 (0.0%)", change(1-1e-12, 1, 3))
	require.Equal(t, "0.0%", signedPct(-1e-9))
}
