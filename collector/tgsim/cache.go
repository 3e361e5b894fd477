package tgsim

import (
	"container/list"
	"sync"

	"github.com/gotd/td/bin"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

// pageCache keeps encoded history pages, least recently used out first, so
// that a page asked for again within one world-time bucket costs no world
// query and no encoding.
type pageCache struct {
	mu    sync.Mutex
	max   int // bytes; <= 0 disables the cache
	size  int
	order *list.List // of *pageEntry, most recent first
	items map[historyKey]*list.Element
	hits  int64
	miss  int64
	bufs  sync.Pool // of *encoder
}

type pageEntry struct {
	key     historyKey
	raw     rawObject
	summary string
}

func newPageCache(maxBytes int) *pageCache {
	return &pageCache{max: maxBytes, order: list.New(), items: map[historyKey]*list.Element{}}
}

func (c *pageCache) get(k historyKey) (rawObject, string, bool) {
	if c.max <= 0 {
		return nil, "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		c.miss++
		return nil, "", false
	}
	c.hits++
	c.order.MoveToFront(el)
	e := el.Value.(*pageEntry)
	return e.raw, e.summary, true
}

// encodeWith runs f on a reused buffer and message scratch and returns the
// bytes written, still in the buffer: release them once sent. Reuse
// matters: a page of 100 messages is about 30 KB, and growing a buffer from
// empty or allocating every message's structs costs more than the encoding.
func (c *pageCache) encodeWith(f func(*encoder) error) (*encodedPage, error) {
	e, _ := c.bufs.Get().(*encoder)
	if e == nil {
		e = &encoder{buf: bin.Buffer{Buf: make([]byte, 0, 64<<10)}, sc: newMsgScratch()}
	}
	e.buf.Reset()
	if err := f(e); err != nil {
		c.bufs.Put(e)
		return nil, err
	}
	return &encodedPage{e: e, c: c}, nil
}

// encode encodes obj into a pooled buffer.
func (c *pageCache) encode(obj bin.Encoder) (*encodedPage, error) {
	return c.encodeWith(func(e *encoder) error { return obj.Encode(&e.buf) })
}

// encodedPage is an answer encoded into a pooled buffer.
type encodedPage struct {
	e *encoder
	c *pageCache
}

// Encode writes the encoded answer.
func (p *encodedPage) Encode(b *bin.Buffer) error {
	b.Put(p.e.buf.Buf)
	return nil
}

// bytes are valid until release.
func (p *encodedPage) bytes() rawObject { return p.e.buf.Buf }

// release returns the buffer to the pool.
func (p *encodedPage) release() { p.c.bufs.Put(p.e) }

// encoder is a reusable encoding buffer with its message scratch and a
// buffer for the world's messages.
type encoder struct {
	buf  bin.Buffer
	sc   *msgScratch
	msgs []world.Message
}

// put keeps a copy of an encoded page.
func (c *pageCache) put(k historyKey, page rawObject, summary string) {
	if c.max <= 0 || len(page) > c.max/4 {
		return
	}
	raw := rawObject(append([]byte(nil), page...))
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.order.PushFront(&pageEntry{key: k, raw: raw, summary: summary})
	c.size += len(raw)
	for c.size > c.max {
		el := c.order.Back()
		e := el.Value.(*pageEntry)
		c.order.Remove(el)
		delete(c.items, e.key)
		c.size -= len(e.raw)
	}
}

// stats returns hits and misses.
func (c *pageCache) stats() (hits, misses int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.miss
}
