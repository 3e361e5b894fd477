package tgsim

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// headerTimeout bounds how long a new connection may take to send the first
// bytes of its transport header.
const headerTimeout = 10 * time.Second

// trackingListener wraps a net.Listener so that the server can close every
// open connection (dropped-connection faults, restarts) and so that tgtest's
// accept loop never blocks on, or fails because of, one slow or broken
// client: tgtest detects the transport codec inside Accept and stops serving
// on any Accept error. Here each connection first sends the 4 header bytes
// on its own goroutine; only then is it handed to Accept, with those bytes
// replayed, so codec detection cannot fail.
type trackingListener struct {
	inner net.Listener
	ready chan net.Conn

	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

func newTrackingListener(inner net.Listener) *trackingListener {
	l := &trackingListener{
		inner: inner,
		ready: make(chan net.Conn),
		conns: map[*trackedConn]struct{}{},
		done:  make(chan struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

func (l *trackingListener) acceptLoop() {
	defer l.wg.Done()
	for {
		c, err := l.inner.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like pass: wait a little and
			// accept again, as net/http does.
			t := time.NewTimer(50 * time.Millisecond)
			select {
			case <-l.done:
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		tc := &trackedConn{Conn: c, owner: l}
		if !l.track(tc) {
			_ = c.Close()
			return
		}
		l.wg.Add(1)
		go l.readHeader(tc)
	}
}

// readHeader waits for the transport header and then offers the connection
// to Accept.
func (l *trackingListener) readHeader(tc *trackedConn) {
	defer l.wg.Done()
	var hdr [4]byte
	_ = tc.Conn.SetReadDeadline(time.Now().Add(headerTimeout))
	n, err := io.ReadFull(tc.Conn, hdr[:1])
	if err == nil && hdr[0] != 0xef { // 0xef: abridged, a one-byte header
		var m int
		m, err = io.ReadFull(tc.Conn, hdr[1:])
		n += m
	}
	_ = tc.Conn.SetReadDeadline(time.Time{})
	if err != nil {
		_ = tc.Close()
		return
	}
	tc.reader = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(hdr[:n]), tc.Conn), 64<<10)
	select {
	case l.ready <- tc:
	case <-l.done:
		_ = tc.Close()
	}
}

func (l *trackingListener) track(tc *trackedConn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.conns[tc] = struct{}{}
	return true
}

func (l *trackingListener) untrack(tc *trackedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, tc)
}

// Accept returns the next connection whose header has arrived.
func (l *trackingListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting; open connections stay up (see closeConns).
func (l *trackingListener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.done)
	l.mu.Unlock()
	err := l.inner.Close()
	return err
}

// wait waits for the listener's goroutines after Close.
func (l *trackingListener) wait(ctx context.Context) {
	ch := make(chan struct{})
	go func() {
		l.wg.Wait()
		close(ch)
	}()
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// Addr returns the listening address.
func (l *trackingListener) Addr() net.Addr { return l.inner.Addr() }

// closeConns closes every open connection and returns how many there were.
func (l *trackingListener) closeConns() int {
	l.mu.Lock()
	conns := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	return len(conns)
}

// count returns the number of open connections.
func (l *trackingListener) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// trackedConn replays the header bytes read by the listener, leaves the
// listener's set when closed, and saves system calls: the MTProto codecs
// read a frame's length and its payload separately (one buffered read
// serves both) and write them separately (the short length is held and
// sent with the payload in one writev, also sparing a 4-byte TCP packet).
type trackedConn struct {
	net.Conn
	owner  *trackingListener
	reader *bufio.Reader
	once   sync.Once

	wmu     sync.Mutex
	pending []byte // a frame header waiting for its payload
}

// maxHeld is the longest write held back: a codec's frame header (1 or 4
// bytes). Every codec follows a header with its payload at once.
const maxHeld = 4

func (c *trackedConn) Read(p []byte) (int, error) {
	return c.reader.Read(p)
}

func (c *trackedConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(c.pending) == 0 {
		if len(p) <= maxHeld {
			c.pending = append(c.pending, p...)
			return len(p), nil
		}
		return c.Conn.Write(p)
	}
	bufs := net.Buffers{c.pending, p}
	_, err := bufs.WriteTo(c.Conn)
	c.pending = c.pending[:0]
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.owner.untrack(c) })
	return err
}
