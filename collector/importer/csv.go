package importer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CSVReader reads RFC 4180 CSV one record at a time in constant memory. Unlike encoding/csv it
// bounds the size of a record (an unclosed quote in a 1 GB file would otherwise read the rest
// of the file into one field), strips a UTF-8 byte order mark, tells the line each record
// starts on and keeps the record's source text for rejects files.
//
// Quoted fields may hold separators, quotes ("") and line breaks (CRLF inside them becomes LF).
// A quote inside an unquoted field is kept as a character, as spreadsheet exports do. Text
// after a closing quote other than a separator is a bad record: it is reported with
// [ErrCSVQuote] and reading goes on at the next line.
type CSVReader struct {
	br        *bufio.Reader
	maxRecord int
	line      int // physical lines consumed
	start     int // line the current record starts on
	raw       []byte
	field     []byte
	ends      []int
	fields    []string
	atStart   bool
}

// ErrCSVQuote is a record with text after a closing quote.
var ErrCSVQuote = errors.New("text after a closing quote")

// ErrCSVTooLong is a record longer than the limit: almost always an unclosed quote.
var ErrCSVTooLong = errors.New("record too long")

// ErrCSVUnclosed is a quoted field still open at the end of the file.
var ErrCSVUnclosed = errors.New("quoted field not closed at the end of the file")

// DefaultMaxRecord is the longest record [NewCSVReader] accepts unless told otherwise.
const DefaultMaxRecord = 16 << 20

// NewCSVReader reads CSV from r; maxRecord bounds a record's size in bytes (0 = 16 MiB).
func NewCSVReader(r io.Reader, maxRecord int) *CSVReader {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecord
	}
	return &CSVReader{br: bufio.NewReaderSize(r, 256<<10), maxRecord: maxRecord, atStart: true}
}

// Line is the line the record last returned starts on (1-based).
func (r *CSVReader) Line() int { return r.start }

// Raw is the source text of the record last returned, without its final line break. It is
// valid until the next call to Read.
func (r *CSVReader) Raw() []byte { return r.raw }

// Read returns the next record's fields, valid until the next call. Blank lines are skipped.
// At the end it returns io.EOF. [ErrCSVQuote] is a bad record (fields still returned, reading
// may go on); [ErrCSVTooLong], [ErrCSVUnclosed] and read errors end the file.
func (r *CSVReader) Read() ([]string, error) {
	for {
		fields, err := r.read()
		if err == nil && len(fields) == 1 && fields[0] == "" && len(bytes.TrimSpace(r.raw)) == 0 {
			continue // blank line
		}
		return fields, err
	}
}

func (r *CSVReader) read() ([]string, error) {
	r.raw = r.raw[:0]
	r.field = r.field[:0]
	r.ends = r.ends[:0]
	r.start = r.line + 1 // set before reading, so a record too long is reported on its own line
	line, err := r.readLine()
	if err != nil {
		return nil, err
	}
	var quoteErr error
	inQuotes := false
	fieldStart := true
	i := 0
	for {
		if i >= len(line) {
			if inQuotes {
				// A quoted field goes on in the next physical line.
				next, err := r.readLine()
				if err == io.EOF {
					return nil, ErrCSVUnclosed
				}
				if err != nil {
					return nil, err
				}
				r.field = append(r.field, '\n')
				line, i = next, 0
				continue
			}
			break
		}
		c := line[i]
		switch {
		case inQuotes:
			if c == '"' {
				if i+1 < len(line) && line[i+1] == '"' {
					r.field = append(r.field, '"')
					i += 2
					continue
				}
				inQuotes = false
				i++
				// After a closing quote only a separator or the end of the line may follow.
				if i < len(line) && line[i] != ',' {
					quoteErr = ErrCSVQuote
					// Keep the rest of the field as text so the record stays readable.
					for i < len(line) && line[i] != ',' {
						r.field = append(r.field, line[i])
						i++
					}
				}
				continue
			}
			r.field = append(r.field, c)
			i++
		case c == ',':
			r.ends = append(r.ends, len(r.field))
			fieldStart = true
			i++
			continue
		case c == '"' && fieldStart:
			inQuotes = true
			i++
		default:
			r.field = append(r.field, c)
			i++
		}
		fieldStart = false
	}
	r.ends = append(r.ends, len(r.field))
	s := string(r.field)
	r.fields = r.fields[:0]
	prev := 0
	for _, e := range r.ends {
		r.fields = append(r.fields, s[prev:e])
		prev = e
	}
	r.raw = bytes.TrimRight(r.raw, "\r\n")
	return r.fields, quoteErr
}

// readLine returns the next physical line without its line break (CR LF or LF), appending it
// to the record's raw text.
func (r *CSVReader) readLine() ([]byte, error) {
	startRaw := len(r.raw)
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.raw = append(r.raw, chunk...)
		if len(r.raw) > r.maxRecord {
			return nil, ErrCSVTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(r.raw) > startRaw {
			break // last line without a line break
		}
		if err != nil {
			return nil, err
		}
		break
	}
	r.line++
	if r.atStart {
		r.atStart = false
		if bytes.HasPrefix(r.raw, []byte("\xef\xbb\xbf")) {
			r.raw = r.raw[3:]
		}
	}
	line := r.raw[startRaw:]
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, nil
}

// Header finds columns by name, so files whose columns come in another order, or with columns
// added or dropped, read the same. Names are compared without case, surrounding spaces or a
// byte order mark, with runs of spaces counted as one.
type Header struct {
	names []string
	index map[string]int
}

// NewHeader indexes a header record.
func NewHeader(fields []string) *Header {
	h := &Header{names: make([]string, len(fields)), index: make(map[string]int, len(fields))}
	for i, f := range fields {
		f = strings.TrimPrefix(f, "\ufeff")
		h.names[i] = strings.TrimSpace(f)
		k := headerKey(f)
		if _, dup := h.index[k]; !dup {
			h.index[k] = i
		}
	}
	return h
}

func headerKey(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// Index is the position of the column, or -1.
func (h *Header) Index(name string) int {
	if i, ok := h.index[headerKey(name)]; ok {
		return i
	}
	return -1
}

// First is the position of the first of the names present, or -1.
func (h *Header) First(names ...string) int {
	for _, n := range names {
		if i := h.Index(n); i >= 0 {
			return i
		}
	}
	return -1
}

// Has tells whether every name is a column.
func (h *Header) Has(names ...string) bool {
	for _, n := range names {
		if h.Index(n) < 0 {
			return false
		}
	}
	return true
}

// Names are the columns as written (trimmed).
func (h *Header) Names() []string { return h.names }

// Len is the number of columns.
func (h *Header) Len() int { return len(h.names) }

// Field returns column i of a record, or "" when i is -1 or past the record's end.
func Field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

// CSVFile is an export that is one CSV table under a header line, read the way every CSV
// importer reads it: the header first, then one record at a time, with the errors of the
// CSV layer (an empty file, an unclosed quote, a record too long, a record with another
// number of fields than the header) reported alike, naming the file and the line.
type CSVFile struct {
	r         *CSVReader
	env       *Env
	header    []string
	rawHeader string
}

// OpenCSV reads the header line of r. An empty file is a fatal error saying that want (the
// header expected, as "a CrowdTangle header (Page Name,User Name,...)") was expected.
func OpenCSV(r io.Reader, env *Env, want string) (*CSVFile, error) {
	cr := NewCSVReader(r, 0)
	fields, err := cr.Read()
	if err == io.EOF {
		return nil, Fatal(env.File, 1, "header", want, "an empty file")
	}
	f := &CSVFile{r: cr, env: env}
	if err != nil {
		return nil, f.fatal(err)
	}
	f.header = slices.Clone(fields)
	f.rawHeader = string(cr.Raw())
	return f, nil
}

// Header is the header line's fields as written.
func (f *CSVFile) Header() []string { return f.header }

// RawHeader is the header line's source text, for errors about the header.
func (f *CSVFile) RawHeader() string { return f.rawHeader }

// Next reads the next record into rec, setting its Line and Raw, and returns its fields, valid
// until the next call, with ok set when the record is the parser's to read. It returns ok
// false and no error for a record it has dealt with: a bad one (text after a closing quote,
// another number of fields than the header), failed on rec, or a copy of the header line
// where exports were joined, marked rec.Skip. At the end it returns io.EOF; a record over
// the size limit, a quote still open at the end and read errors are fatal.
func (f *CSVFile) Next(rec *Record) (fields []string, ok bool, err error) {
	fields, err = f.r.Read()
	if err == io.EOF {
		return nil, false, io.EOF
	}
	rec.Line = f.r.Line()
	rec.Raw = append(rec.Raw, f.r.Raw()...)
	if errors.Is(err, ErrCSVQuote) {
		rec.Fail(f.env, "record", "a separator after a closing quote", string(f.r.Raw()))
		return nil, false, nil
	}
	if err != nil {
		return nil, false, f.fatal(err)
	}
	if string(f.r.Raw()) == f.rawHeader {
		rec.Skip = true
		return nil, false, nil
	}
	if len(fields) != len(f.header) {
		rec.Fail(f.env, "record", strconv.Itoa(len(f.header))+" fields as in the header", strconv.Itoa(len(fields))+" fields")
		return nil, false, nil
	}
	for i, v := range fields {
		if !IsText(v) {
			name := strings.TrimSpace(f.header[i])
			if name == "" {
				name = "column " + strconv.Itoa(i+1) // a header without a name for it
			}
			rec.Fail(f.env, name, TextExpected, v)
		}
	}
	if len(rec.Errors) > 0 {
		return nil, false, nil
	}
	return fields, true, nil
}

// TextExpected is what a field that is not [IsText] was expected to be.
const TextExpected = "UTF-8 text without NUL bytes or control characters"

// IsText tells whether s is text a table may hold: valid UTF-8 with no control characters
// but tab, newline and carriage return. A NUL byte or an escape sequence in an export is
// damage or an attack on whoever reads the table in a terminal, never data.
func IsText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

// fatal turns an error of the CSV reader into the error that ends the file.
func (f *CSVFile) fatal(err error) error {
	switch {
	case errors.Is(err, ErrCSVTooLong):
		raw := f.r.Raw()
		return Fatal(f.env.File, f.r.Line(), "record", "a record under 16 MiB (is a quote left open?)", string(raw[:min(len(raw), 4*maxGot)]))
	case errors.Is(err, ErrCSVUnclosed):
		return Fatal(f.env.File, f.r.Line(), "record", "a closing quote before the end of the file", "")
	case errors.Is(err, ErrCSVQuote):
		// Only the header comes here: Next fails a record with this error and goes on.
		return Fatal(f.env.File, f.r.Line(), "header", "a separator after a closing quote", string(f.r.Raw()))
	}
	return fmt.Errorf("read %s: %w", f.env.File, err)
}
