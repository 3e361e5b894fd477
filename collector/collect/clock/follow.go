package clock

import (
	"math"
	"sync"
	"time"
)

// Follower is a clock that follows another party's time, learnt from samples: Telegram's
// (help.getConfig's date), which against the simulator runs many times faster than real
// time. Between samples it runs on from the last one at the estimated speed; its timers are
// real timers scaled by that speed.
type Follower struct {
	real Clock

	mu          sync.Mutex
	anchorReal  time.Time
	anchorWorld time.Time
	speed       float64
	samples     int
	fixed       bool
}

// NewFollower returns a Follower that shows real's time until the first sample.
func NewFollower(real Clock) *Follower {
	now := real.Now()
	return &Follower{real: real, anchorReal: now, anchorWorld: now, speed: 1}
}

// Observe records that the followed time was world at this real moment. The speed is
// estimated from the time since the previous sample; a speed within 5% of 1 is taken as 1,
// so second-resolution samples of a clock that runs at real speed do not wobble.
func (f *Follower) Observe(world time.Time) {
	now := f.real.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.samples > 0 && !f.fixed {
		dr := now.Sub(f.anchorReal).Seconds()
		dw := world.Sub(f.anchorWorld).Seconds()
		// Samples come in whole seconds: below 2 s of real time the estimate is noise.
		if dr >= 2 && dw > 0 {
			s := dw / dr
			if math.Abs(s-1) < 0.05 {
				s = 1
			}
			f.speed = s
		}
	}
	f.anchorReal, f.anchorWorld = now, world
	f.samples++
}

// FixSpeed sets the speed instead of estimating it, for a followed clock whose speed is
// known (Telegram's runs at 1).
func (f *Follower) FixSpeed(speed float64) {
	now := f.real.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.anchorWorld = f.anchorWorld.Add(time.Duration(float64(now.Sub(f.anchorReal)) * f.speed))
	f.anchorReal = now
	f.speed, f.fixed = speed, true
}

// Speed returns the estimated speed (followed seconds per real second).
func (f *Follower) Speed() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.speed
}

// Now returns the followed time.
func (f *Follower) Now() time.Time {
	now := f.real.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.anchorWorld.Add(time.Duration(float64(now.Sub(f.anchorReal)) * f.speed))
}

// NewTimer returns a timer that fires after d of followed time.
func (f *Follower) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	s := f.speed
	f.mu.Unlock()
	return f.real.NewTimer(time.Duration(float64(d) / s))
}
