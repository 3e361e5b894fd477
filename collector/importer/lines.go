package importer

import "io"

// LineCounter wraps the reader of a streaming decoder (encoding/json's Decoder reads ahead) and
// turns the decoder's byte offsets back into line numbers. It keeps only the positions of the
// line breaks read ahead of the last offset asked about, so its memory is bounded by the
// decoder's read-ahead, not by the file.
type LineCounter struct {
	r      io.Reader
	read   int64   // bytes read so far
	breaks []int64 // offsets of '\n' not yet passed
	line   int     // line of the last offset asked about, minus 1
	last   int64
}

// NewLineCounter wraps r.
func NewLineCounter(r io.Reader) *LineCounter { return &LineCounter{r: r} }

func (l *LineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.breaks = append(l.breaks, l.read+int64(i))
		}
	}
	l.read += int64(n)
	return n, err
}

// LineAt is the 1-based line of the byte at offset off. Offsets must not go backwards.
func (l *LineCounter) LineAt(off int64) int {
	if off < l.last {
		off = l.last
	}
	l.last = off
	i := 0
	for i < len(l.breaks) && l.breaks[i] < off {
		i++
	}
	l.line += i
	l.breaks = l.breaks[i:]
	if len(l.breaks) == 0 {
		l.breaks = nil // let the backing array go
	}
	return l.line + 1
}
