package tgsim

import (
	"sync"
	"time"
)

// Clock maps real time to world time. The world runs Speed times faster than
// real time, starting at Start when the server is created. Only the world
// (dates of messages, counters, help.getConfig's date) follows this clock;
// MTProto's own message ids and time checks always use real time, so a fast
// world never breaks the transport.
type Clock struct {
	// Start is the world time at the moment the server is created.
	// Zero means the world's own start (World.Start).
	Start time.Time
	// Speed is the number of world seconds that pass per real second.
	// Zero means 1 (real time); 86400 runs one world day per real second.
	Speed float64
	// Real is the source of real time, also used by rate limits. Nil means
	// time.Now; tests inject a controllable source.
	Real func() time.Time
}

// worldClock is a Clock anchored at a real instant. Its speed and position
// can change while the server runs; the world time stays continuous.
type worldClock struct {
	real func() time.Time

	mu         sync.Mutex
	anchorReal time.Time
	anchorWld  time.Time
	speed      float64
}

func newWorldClock(c Clock, worldStart time.Time) *worldClock {
	if c.Real == nil {
		c.Real = time.Now
	}
	if c.Speed == 0 {
		c.Speed = 1
	}
	if c.Start.IsZero() {
		c.Start = worldStart
	}
	return &worldClock{
		real:       c.Real,
		anchorReal: c.Real(),
		anchorWld:  c.Start,
		speed:      c.Speed,
	}
}

// Now returns the current world time.
func (c *worldClock) Now() time.Time {
	r := c.real()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at(r)
}

func (c *worldClock) at(r time.Time) time.Time {
	elapsed := r.Sub(c.anchorReal)
	return c.anchorWld.Add(time.Duration(float64(elapsed) * c.speed))
}

// Set moves the world to t and lets it run on at speed (0 keeps the speed).
func (c *worldClock) Set(t time.Time, speed float64) {
	r := c.real()
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.IsZero() {
		t = c.at(r)
	}
	if speed != 0 {
		c.speed = speed
	}
	c.anchorReal, c.anchorWld = r, t
}

// reanchor makes the world time now the clock's start again, so that the
// world starts at Clock.Start when serving starts, not when it was set up.
func (c *worldClock) reanchor() {
	r := c.real()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.anchorReal = r
}

// Speed returns the current world seconds per real second.
func (c *worldClock) Speed() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.speed
}
