package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of text that comes from the data (titles, handles, about texts, reasons): a
// table cell or a chart label holds at most this many runes.
const (
	MaxCell  = 80
	MaxLabel = 32
)

// ellipsis ends a truncated text.
const ellipsis = "…"

// Clean makes a text from the data safe to show: invalid UTF-8 becomes U+FFFD, control and
// format characters (bidirectional overrides and isolates, right-to-left and left-to-right
// marks, zero-width spaces and joiners, byte-order marks) are dropped, line breaks and tabs
// become spaces, runs of spaces collapse, and the result is cut to at most max runes (an
// ellipsis included) on a rune boundary. Escaping for a format is the renderer's job.
func Clean(s string, max int) string {
	if max <= 0 {
		return ""
	}
	var b strings.Builder
	runes, space := 0, false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			r = unicode.ReplacementChar
		case r == '\n' || r == '\r' || r == '\t' || unicode.IsSpace(r):
			space = runes > 0
			continue
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cs, r):
			continue
		}
		need := 1
		if space {
			need = 2
		}
		if runes+need > max {
			return cut(b.String(), runes, max)
		}
		if space {
			b.WriteByte(' ')
			runes++
			space = false
		}
		b.WriteRune(r)
		runes++
	}
	return b.String()
}

// cut ends s (n runes) with an ellipsis so that the whole is at most max runes.
func cut(s string, n, max int) string {
	for n > max-1 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
		n--
	}
	return strings.TrimRight(s, " ") + ellipsis
}

// markdownEscaper escapes what Markdown (CommonMark and GitHub's tables) would read as
// markup: emphasis, code, links, images, headings, strikethrough, table pipes, and HTML
// (as entities, so no tag or entity of the data reaches the renderer).
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `|`, `\|`,
	`~`, `\~`, `#`, `\#`, `!`, `\!`, `&`, `&amp;`, `<`, `&lt;`, `>`, `&gt;`,
)

// Markdown escapes a cleaned text for a Markdown paragraph or table cell.
func Markdown(s string) string { return markdownEscaper.Replace(s) }

// CSVText defuses a text cell for spreadsheets: a cell that starts like a formula (=, +,
// -, @) is prefixed with an apostrophe, so opening the CSV runs nothing.
func CSVText(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
