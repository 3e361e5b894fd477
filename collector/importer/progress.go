package importer

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// progress shows how far a pass through a file has come: records, records per second and the
// share of the file's bytes read. On a terminal one line is rewritten in place; otherwise a line
// is printed at every tick, which suits log files.
type progress struct {
	w        io.Writer
	every    time.Duration
	terminal bool
	now      func() time.Time

	mu      sync.Mutex
	phase   string
	file    string
	size    int64
	started time.Time

	records atomic.Int64
	bytes   atomic.Int64
}

// countingReader adds every byte read to a progress counter.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// run prints until ctx ends; the caller waits for it to return.
func (p *progress) run(ctx context.Context) {
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.print(false)
		}
	}
}

// begin starts a pass over one file.
func (p *progress) begin(phase, file string, size int64) {
	p.mu.Lock()
	p.phase, p.file, p.size, p.started = phase, file, size, p.now()
	p.mu.Unlock()
	p.records.Store(0)
	p.bytes.Store(0)
}

// end prints the pass's last line.
func (p *progress) end() { p.print(true) }

func (p *progress) print(final bool) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	phase, file, size, started := p.phase, p.file, p.size, p.started
	p.mu.Unlock()
	if file == "" {
		return
	}
	recs, read := p.records.Load(), p.bytes.Load()
	secs := p.now().Sub(started).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(recs) / secs
	}
	pct := 100.0
	if size > 0 {
		pct = 100 * float64(read) / float64(size)
		if pct > 100 {
			pct = 100
		}
	}
	line := fmt.Sprintf("%s %s: %s records, %s records/s, %.1f%%", phase, file, thousands(recs), thousands(int64(rate)), pct)
	switch {
	case p.terminal && final:
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", line)
	case p.terminal:
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	default:
		fmt.Fprintln(p.w, line)
	}
}

// thousands writes n with comma separators: 1234567 is "1,234,567".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}
