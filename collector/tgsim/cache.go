package tgsim

import (
	"container/list"
	"sync"

	"github.com/gotd/td/bin"
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

// put encodes obj and keeps it; the encoded form is returned either way, so
// the answer is encoded once.
func (c *pageCache) put(k historyKey, obj bin.Encoder, summary string) (rawObject, error) {
	var b bin.Buffer
	if err := obj.Encode(&b); err != nil {
		return nil, err
	}
	raw := rawObject(b.Buf)
	if c.max <= 0 || len(raw) > c.max/4 {
		return raw, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return raw, nil
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
	return raw, nil
}

// stats returns hits and misses.
func (c *pageCache) stats() (hits, misses int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.miss
}
