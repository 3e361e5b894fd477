package importer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FieldError is one bad value of one record: where it is, which field, what was expected and
// what was found. Its text is the form every importer reports:
//
//	posts.csv:17: posted_at: expected a time like 2024-05-01T12:00:00Z, got "yesterday"
type FieldError struct {
	File     string
	Line     int
	Field    string
	Expected string
	Got      string
}

// maxGot bounds how much of a bad value an error repeats: a broken multi-megabyte line must
// not become a multi-megabyte message.
const maxGot = 80

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString("expected ")
	b.WriteString(e.Expected)
	b.WriteString(", got ")
	b.WriteString(strconv.Quote(Shorten(e.Got, maxGot)))
	return b.String()
}

// Reason is the error without its file and line: what a rejects file records next to the
// record itself.
func (e *FieldError) Reason() string {
	c := *e
	c.File, c.Line = "", 0
	return c.Error()
}

// Shorten cuts s to at most n runes, marking the cut with an ellipsis.
func Shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for i = range s {
		if k == n {
			break
		}
		k++
	}
	return s[:i] + "…"
}

// ValidationError is a file set with bad records, imported not at all: every error found
// (up to the limit kept) and how many there were in all.
type ValidationError struct {
	Errors []*FieldError
	// Total counts the errors, Records the bad records.
	Total   int
	Records int
}

func (e *ValidationError) Error() string {
	lines := make([]string, 0, len(e.Errors)+1)
	for _, fe := range e.Errors {
		lines = append(lines, fe.Error())
	}
	if more := e.Total - len(e.Errors); more > 0 {
		lines = append(lines, fmt.Sprintf("... and %d more errors", more))
	}
	lines = append(lines, fmt.Sprintf("%d errors in %d records: nothing was imported (use --rejects FILE to import the good records and list the bad ones)", e.Total, e.Records))
	return strings.Join(lines, "\n")
}

// ErrFatal marks a file that cannot be read on: a broken structure after which no record can
// be trusted (an unclosed quote running to the end, JSON that is not an export).
var ErrFatal = errors.New("file cannot be read")

// FatalError is an [ErrFatal] at a place in a file.
type FatalError struct {
	Err *FieldError
}

func (e *FatalError) Error() string { return e.Err.Error() }

// Is makes errors.Is(err, ErrFatal) true.
func (e *FatalError) Is(target error) bool { return target == ErrFatal }

// Fatal builds a [FatalError].
func Fatal(file string, line int, field, expected, got string) error {
	return &FatalError{Err: &FieldError{File: file, Line: line, Field: field, Expected: expected, Got: got}}
}
