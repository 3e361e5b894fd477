// Package budget decides how fast each account may call each Telegram method.
//
// Every (account, method) pair has a token bucket. A call takes a token; a bucket without
// tokens tells when the next one arrives, so the scheduler can wait on a timer instead of
// sleeping. A FLOOD_WAIT answer parks the pair until the wait ends (the parks are exported
// for the durable state, so a restart does not call a parked method early) and lowers the
// pair's rate a little; a run of successful calls raises it back towards the configured
// limit. This keeps an account just under the rate Telegram tolerates instead of bouncing
// off it: Telegram escalates waits, and eventually bans, accounts that keep hitting limits.
package budget

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
)

// Limit is a token bucket: Rate tokens per second, at most Burst saved up.
type Limit struct {
	// Rate is the sustained number of calls per second. Zero or less means no limit.
	Rate float64
	// Burst is how many calls may go back to back after a quiet spell (at least 1).
	Burst int
}

// Options configure a Budget. Zero fields get defaults.
type Options struct {
	// Limits are the per-method limits, keyed by method name ("messages.getHistory").
	Limits map[string]Limit
	// Default applies to methods missing from Limits. Zero means 1 call per second, burst 1.
	Default Limit
	// Account, when its Rate is positive, also limits all methods of one account together.
	Account Limit
	// Backoff multiplies a pair's rate after a flood wait (default 0.95).
	Backoff float64
	// Floor is the lowest fraction of its limit a pair's rate falls to (default 0.25).
	Floor float64
	// RecoverEvery is how many successful calls raise a lowered rate by RecoverStep of the
	// limit (defaults 50 and 0.01): slow enough that flood waits stay well under 1% of calls.
	RecoverEvery int
	// RecoverStep is the fraction of the limit added back after RecoverEvery successes.
	RecoverStep float64
	// Clock is the time source (default the wall clock).
	Clock clock.Clock
}

// Park is one (account, method) pair that must not be called before Until.
type Park struct {
	Account string    `json:"account"`
	Method  string    `json:"method"`
	Until   time.Time `json:"until"`
}

// Budget tracks the buckets and parks of every account. It is safe for concurrent use.
type Budget struct {
	opts Options
	mu   sync.Mutex
	b    map[pair]*bucket
}

type pair struct{ account, method string }

// accountWide is the method key of the per-account bucket.
const accountWide = "*"

type bucket struct {
	limit     Limit
	rate      float64 // current rate, <= limit.Rate
	tokens    float64
	at        time.Time // when tokens was last brought up to date
	parked    time.Time
	successes int
	calls     uint64
	floods    uint64
}

// New returns a Budget.
func New(opts Options) *Budget {
	if opts.Default == (Limit{}) {
		opts.Default = Limit{Rate: 1, Burst: 1}
	}
	if opts.Backoff <= 0 || opts.Backoff >= 1 {
		opts.Backoff = 0.95
	}
	if opts.Floor <= 0 || opts.Floor > 1 {
		opts.Floor = 0.25
	}
	if opts.RecoverEvery <= 0 {
		opts.RecoverEvery = 50
	}
	if opts.RecoverStep <= 0 {
		opts.RecoverStep = 0.01
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	return &Budget{opts: opts, b: map[pair]*bucket{}}
}

// Limit returns the configured limit of a method.
func (b *Budget) Limit(method string) Limit {
	if l, ok := b.opts.Limits[method]; ok {
		return l
	}
	return b.opts.Default
}

func (b *Budget) bucketLocked(account, method string, now time.Time) *bucket {
	k := pair{account, method}
	bk := b.b[k]
	if bk == nil {
		l := b.Limit(method)
		if method == accountWide {
			l = b.opts.Account
		}
		if l.Burst < 1 {
			l.Burst = 1
		}
		bk = &bucket{limit: l, rate: l.Rate, tokens: float64(l.Burst), at: now}
		b.b[k] = bk
	}
	bk.refill(now)
	return bk
}

func (bk *bucket) unlimited() bool { return bk.limit.Rate <= 0 }

func (bk *bucket) refill(now time.Time) {
	if bk.unlimited() || !now.After(bk.at) {
		return
	}
	bk.tokens = math.Min(float64(bk.limit.Burst), bk.tokens+now.Sub(bk.at).Seconds()*bk.rate)
	bk.at = now
}

// readyAt is when the bucket allows a call.
func (bk *bucket) readyAt(now time.Time) time.Time {
	at := now
	if !bk.unlimited() && bk.tokens < 1 {
		need := (1 - bk.tokens) / bk.rate
		at = now.Add(time.Duration(math.Ceil(need * float64(time.Second))))
	}
	if bk.parked.After(at) {
		at = bk.parked
	}
	return at
}

// Take spends a token of (account, method) when one is available now and the pair is not
// parked. Otherwise it returns false and when to try again.
func (b *Budget) Take(account, method string) (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.opts.Clock.Now()
	bk := b.bucketLocked(account, method, now)
	at := bk.readyAt(now)
	var acc *bucket
	if b.opts.Account.Rate > 0 {
		acc = b.bucketLocked(account, accountWide, now)
		if a := acc.readyAt(now); a.After(at) {
			at = a
		}
	}
	if at.After(now) {
		return false, at
	}
	bk.tokens--
	bk.calls++
	if acc != nil {
		acc.tokens--
	}
	return true, now
}

// ReadyAt returns when (account, method) will next allow a call.
func (b *Budget) ReadyAt(account, method string) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.opts.Clock.Now()
	at := b.bucketLocked(account, method, now).readyAt(now)
	if b.opts.Account.Rate > 0 {
		if a := b.bucketLocked(account, accountWide, now).readyAt(now); a.After(at) {
			at = a
		}
	}
	return at
}

// Refund gives back a token taken by a call that never reached Telegram (the context
// ended, the connection was down).
func (b *Budget) Refund(account, method string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.opts.Clock.Now()
	bk := b.bucketLocked(account, method, now)
	if !bk.unlimited() {
		bk.tokens = math.Min(float64(bk.limit.Burst), bk.tokens+1)
	}
	if bk.calls > 0 {
		bk.calls--
	}
	if b.opts.Account.Rate > 0 {
		acc := b.bucketLocked(account, accountWide, now)
		acc.tokens = math.Min(float64(acc.limit.Burst), acc.tokens+1)
	}
}

// Success records a call that Telegram answered without a flood wait.
func (b *Budget) Success(account, method string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.bucketLocked(account, method, b.opts.Clock.Now())
	if bk.unlimited() || bk.rate >= bk.limit.Rate {
		return
	}
	bk.successes++
	if bk.successes >= b.opts.RecoverEvery {
		bk.successes = 0
		bk.rate = math.Min(bk.limit.Rate, bk.rate+b.opts.RecoverStep*bk.limit.Rate)
	}
}

// Flood parks (account, method) for wait from now, empties its bucket so calls resume
// gently, and lowers its rate. It returns the end of the park.
func (b *Budget) Flood(account, method string, wait time.Duration) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.opts.Clock.Now()
	bk := b.bucketLocked(account, method, now)
	until := now.Add(wait)
	if until.After(bk.parked) {
		bk.parked = until
	}
	bk.floods++
	bk.tokens = 0
	bk.successes = 0
	if !bk.unlimited() {
		bk.rate = math.Max(bk.limit.Rate*b.opts.Floor, bk.rate*b.opts.Backoff)
	}
	return bk.parked
}

// ParkedUntil returns the end of the park of (account, method); zero when not parked.
func (b *Budget) ParkedUntil(account, method string) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.opts.Clock.Now()
	bk := b.bucketLocked(account, method, now)
	if bk.parked.After(now) {
		return bk.parked
	}
	return time.Time{}
}

// Parks returns the parks that have not ended, sorted, for the durable state.
func (b *Budget) Parks() []Park {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.opts.Clock.Now()
	var out []Park
	for k, bk := range b.b {
		if bk.parked.After(now) {
			out = append(out, Park{Account: k.account, Method: k.method, Until: bk.parked})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Restore re-applies parks saved by an earlier run; those already over are ignored.
func (b *Budget) Restore(parks []Park) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.opts.Clock.Now()
	for _, p := range parks {
		if !p.Until.After(now) {
			continue
		}
		bk := b.bucketLocked(p.Account, p.Method, now)
		if p.Until.After(bk.parked) {
			bk.parked = p.Until
		}
		bk.tokens = 0
	}
}

// Stat is the state of one (account, method) pair, for metrics and the progress display.
type Stat struct {
	Account, Method string
	// Rate is the current allowed rate (calls per second), Limit the configured one.
	Rate, Limit float64
	// Calls counts tokens taken, Floods flood waits received.
	Calls, Floods uint64
	// ParkedUntil is the end of a running park, zero otherwise.
	ParkedUntil time.Time
}

// Stats returns every pair seen so far, sorted by account and method.
func (b *Budget) Stats() []Stat {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.opts.Clock.Now()
	var out []Stat
	for k, bk := range b.b {
		if k.method == accountWide {
			continue
		}
		s := Stat{Account: k.account, Method: k.method, Rate: bk.rate, Limit: bk.limit.Rate, Calls: bk.calls, Floods: bk.floods}
		if bk.parked.After(now) {
			s.ParkedUntil = bk.parked
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Method < out[j].Method
	})
	return out
}
