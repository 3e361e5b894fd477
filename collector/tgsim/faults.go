package tgsim

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gotd/td/tgerr"
)

// Faults are injected on demand, while the server runs (Server.SetFaults).
// They apply to every API method except help.getConfig, which clients call
// while setting a connection up. Connections are dropped with
// Server.DropConnections and the server restarts with Server.Restart.
type Faults struct {
	// Latency is added before every answer.
	Latency time.Duration
	// Jitter adds a uniformly random extra delay in [0, Jitter).
	Jitter time.Duration
	// InternalRate is the fraction of calls answered 500 INTERNAL.
	InternalRate float64
	// TimeoutRate is the fraction of calls answered -503 TIMEOUT.
	TimeoutRate float64
	// DropRate is the fraction of calls whose connection is closed instead of
	// answered, as when a Telegram front end goes away mid-request.
	DropRate float64
}

// Validate reports rates outside [0, 1] and negative delays.
func (f Faults) Validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"internal_rate", f.InternalRate}, {"timeout_rate", f.TimeoutRate}, {"drop_rate", f.DropRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			return fmt.Errorf("faults: %s %v: want a fraction in [0, 1]", r.name, r.v)
		}
	}
	if f.InternalRate+f.TimeoutRate+f.DropRate > 1 {
		return fmt.Errorf("faults: internal_rate + timeout_rate + drop_rate > 1")
	}
	if f.Latency < 0 || f.Jitter < 0 {
		return fmt.Errorf("faults: latency and jitter must not be negative")
	}
	return nil
}

// faultKind is what a call suffers.
type faultKind uint8

const (
	faultNone faultKind = iota
	faultInternal
	faultTimeout
	faultDrop
)

// injector draws faults for calls.
type injector struct {
	mu     sync.Mutex
	faults Faults
	rnd    *rand.Rand
}

func newInjector(f Faults, seed int64) *injector {
	return &injector{faults: f, rnd: rand.New(rand.NewPCG(uint64(seed), 0x7467_7369_6d))}
}

func (in *injector) set(f Faults) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.faults = f
}

func (in *injector) get() Faults {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.faults
}

// draw decides the delay and the fault of one call.
func (in *injector) draw() (time.Duration, faultKind) {
	in.mu.Lock()
	defer in.mu.Unlock()
	f := in.faults
	delay := f.Latency
	if f.Jitter > 0 {
		delay += time.Duration(in.rnd.Int64N(int64(f.Jitter)))
	}
	if f.InternalRate == 0 && f.TimeoutRate == 0 && f.DropRate == 0 {
		return delay, faultNone
	}
	x := in.rnd.Float64()
	switch {
	case x < f.InternalRate:
		return delay, faultInternal
	case x < f.InternalRate+f.TimeoutRate:
		return delay, faultTimeout
	case x < f.InternalRate+f.TimeoutRate+f.DropRate:
		return delay, faultDrop
	}
	return delay, faultNone
}

// errInternal and errTimeout are Telegram's answers when its back end fails.
func errInternal() error { return tgerr.New(500, "INTERNAL") }
func errTimeout() error  { return tgerr.New(-503, "TIMEOUT") }
