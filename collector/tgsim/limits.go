package tgsim

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/gotd/td/tgerr"
)

// Budget is a per-account token bucket for one method: Burst calls at once,
// refilled at Rate calls per real second.
type Budget struct {
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst"`
}

// DefaultBudgets are the per-account budgets used when Limits.Methods is nil.
// Resolving usernames is what Telegram limits hardest; reading history and
// counters is moderate. "*" applies to every method not listed.
func DefaultBudgets() map[string]Budget {
	return map[string]Budget{
		"contacts.resolveUsername":           {Rate: 0.5, Burst: 20},
		"messages.getHistory":                {Rate: 10, Burst: 30},
		"messages.getMessagesViews":          {Rate: 10, Burst: 30},
		"channels.getMessages":               {Rate: 5, Burst: 20},
		"channels.getChannels":               {Rate: 5, Burst: 20},
		"channels.getFullChannel":            {Rate: 2, Burst: 10},
		"channels.getChannelRecommendations": {Rate: 0.5, Burst: 5},
		"auth.sendCode":                      {Rate: 1.0 / 60, Burst: 5},
		"auth.signIn":                        {Rate: 0.1, Burst: 5},
		"auth.checkPassword":                 {Rate: 0.1, Burst: 5},
		"*":                                  {Rate: 10, Burst: 30},
	}
}

// Limits configures Telegram-like rate limits. All waits are in real seconds:
// a client's throughput is real, whatever the world clock's speed.
type Limits struct {
	// Off disables every limit (full-speed benchmarks).
	Off bool
	// Methods maps a method name ("messages.getHistory") to its per-account
	// budget; "*" is used for methods not listed. Nil means DefaultBudgets.
	Methods map[string]Budget
	// Escalating lists the methods whose waits grow with repeated over-use.
	// Nil means contacts.resolveUsername only.
	Escalating []string
	// EscalationFactor multiplies the wait of an escalating method for each
	// earlier flood wait of the account on it. Zero means 2.
	EscalationFactor float64
	// EscalationReset is the quiet time after which escalation starts over.
	// Zero means 10 minutes.
	EscalationReset time.Duration
	// MaxWait caps a single wait. Zero means 24 hours.
	MaxWait time.Duration
	// BanAfter is the number of calls an account may make to a method during
	// its flood wait before it is banned (USER_DEACTIVATED_BAN). Zero means
	// 20; negative never bans.
	BanAfter int
	// Grace is the time after a flood wait is issued during which calls to the
	// same method do not count as violations: they were already in flight.
	// Zero means 1 second.
	Grace time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.Methods == nil {
		l.Methods = DefaultBudgets()
	}
	if l.Escalating == nil {
		l.Escalating = []string{"contacts.resolveUsername"}
	}
	if l.EscalationFactor == 0 {
		l.EscalationFactor = 2
	}
	if l.EscalationReset == 0 {
		l.EscalationReset = 10 * time.Minute
	}
	if l.MaxWait == 0 {
		l.MaxWait = 24 * time.Hour
	}
	if l.BanAfter == 0 {
		l.BanAfter = 20
	}
	if l.Grace == 0 {
		l.Grace = time.Second
	}
	return l
}

// Validate reports budgets that cannot work.
func (l Limits) Validate() error {
	for m, b := range l.Methods {
		if b.Rate < 0 || math.IsNaN(b.Rate) || math.IsInf(b.Rate, 0) {
			return fmt.Errorf("limits: method %q: rate %v: want a finite number >= 0", m, b.Rate)
		}
		if b.Burst < 1 {
			return fmt.Errorf("limits: method %q: burst %d: want >= 1", m, b.Burst)
		}
	}
	if l.EscalationFactor < 0 || (l.EscalationFactor > 0 && l.EscalationFactor < 1) {
		return fmt.Errorf("limits: escalation_factor %v: want >= 1", l.EscalationFactor)
	}
	if l.MaxWait < 0 || l.Grace < 0 || l.EscalationReset < 0 {
		return fmt.Errorf("limits: durations must not be negative")
	}
	return nil
}

// budget returns the budget of method, falling back to "*". ok is false when
// the method is not limited at all.
func (l Limits) budget(method string) (Budget, bool) {
	if b, ok := l.Methods[method]; ok {
		return b, true
	}
	b, ok := l.Methods["*"]
	return b, ok
}

func (l Limits) escalates(method string) bool {
	for _, m := range l.Escalating {
		if m == method {
			return true
		}
	}
	return false
}

// bucket is the state of one (account, method) pair.
type bucket struct {
	tokens   float64
	last     time.Time
	until    time.Time // end of the current flood wait
	issued   time.Time // when the current flood wait was issued
	level    int       // escalation level
	lastWait time.Time // when the last flood wait was issued (for escalation reset)
}

// limiter enforces Limits per account and method.
type limiter struct {
	mu      sync.Mutex
	limits  Limits
	buckets map[string]map[string]*bucket // account -> method -> bucket
	strikes map[string]int                // account -> calls made during a wait
	banned  map[string]bool               // accounts banned for ignoring waits
}

func newLimiter(l Limits) *limiter {
	return &limiter{
		limits:  l.withDefaults(),
		buckets: map[string]map[string]*bucket{},
		strikes: map[string]int{},
		banned:  map[string]bool{},
	}
}

func (lm *limiter) set(l Limits) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	lm.limits = l.withDefaults()
	lm.buckets = map[string]map[string]*bucket{}
}

func (lm *limiter) get() Limits {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	return lm.limits
}

func (lm *limiter) isBanned(account string) bool {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	return lm.banned[account]
}

func (lm *limiter) ban(account string) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	lm.banned[account] = true
}

// errBanned is what a banned account gets for every authorized call.
func errBanned() error { return tgerr.New(401, "USER_DEACTIVATED_BAN") }

// allow charges one call of method to account at real time now. It returns
// nil, a FLOOD_WAIT_X error, or USER_DEACTIVATED_BAN once the account has
// called too often during its waits.
func (lm *limiter) allow(account, method string, now time.Time) error {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	if lm.banned[account] {
		return errBanned()
	}
	l := lm.limits
	if l.Off {
		return nil
	}
	budget, ok := l.budget(method)
	if !ok {
		return nil
	}
	methods := lm.buckets[account]
	if methods == nil {
		methods = map[string]*bucket{}
		lm.buckets[account] = methods
	}
	b := methods[method]
	if b == nil {
		b = &bucket{tokens: float64(budget.Burst), last: now}
		methods[method] = b
	}
	if now.Before(b.until) {
		if now.Sub(b.issued) >= l.Grace {
			lm.strikes[account]++
			if l.BanAfter > 0 && lm.strikes[account] >= l.BanAfter {
				lm.banned[account] = true
				return errBanned()
			}
		}
		return floodWait(b.until.Sub(now))
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(float64(budget.Burst), b.tokens+elapsed.Seconds()*budget.Rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return nil
	}
	// Over budget: the wait is the time until the next token, escalated for
	// methods Telegram punishes harder on repeated over-use.
	var wait time.Duration
	if budget.Rate > 0 {
		wait = time.Duration((1 - b.tokens) / budget.Rate * float64(time.Second))
	} else {
		wait = l.MaxWait
	}
	if l.escalates(method) {
		if !b.lastWait.IsZero() && now.Sub(b.lastWait) > l.EscalationReset {
			b.level = 0
		}
		wait = time.Duration(float64(wait) * math.Pow(l.EscalationFactor, float64(b.level)))
		b.level++
	}
	wait = max(min(wait, l.MaxWait), time.Second)
	wait = wait.Round(time.Second)
	b.until = now.Add(wait)
	b.issued = now
	b.lastWait = now
	return floodWait(wait)
}

// floodWait is Telegram's 420 FLOOD_WAIT_X with X in whole seconds, rounded up.
func floodWait(d time.Duration) error {
	secs := int(math.Ceil(d.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return tgerr.New(420, fmt.Sprintf("FLOOD_WAIT_%d", secs))
}
