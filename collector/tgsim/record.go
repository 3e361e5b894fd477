package tgsim

import (
	"sort"
	"sync"
	"time"
)

// Call is one recorded API call. Accounts (the logged-in phone) are kept in
// memory only: they never reach logs.
type Call struct {
	// Time is the real time the call arrived; World is the world time then.
	Time  time.Time `json:"time"`
	World time.Time `json:"world"`
	// AuthKey is the hex id of the caller's auth key.
	AuthKey string `json:"auth_key"`
	// Account is the phone logged in on that key, "" before login.
	Account string `json:"account,omitempty"`
	// Layer and APIID come from the client's invokeWithLayer/initConnection.
	Layer int `json:"layer,omitempty"`
	APIID int `json:"api_id,omitempty"`
	// Method is the TL name of the method, e.g. "messages.getHistory".
	Method string `json:"method"`
	// Params are the method's key parameters, e.g. "peer=12 offset_id=0 limit=100".
	Params string `json:"params,omitempty"`
	// Result summarises a successful answer, e.g. "100 messages count=2345".
	Result string `json:"result,omitempty"`
	// Code and Error are the RPC error sent, zero and "" on success.
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
	// Duration is the time from arrival to the answer being sent.
	Duration time.Duration `json:"duration"`
}

// recorder keeps the last max calls and complete per-method counts.
type recorder struct {
	mu     sync.Mutex
	max    int
	calls  []Call
	next   int // ring position once calls is full
	total  int
	counts map[string]int
	errors map[string]int
}

func newRecorder(max int) *recorder {
	return &recorder{max: max, counts: map[string]int{}, errors: map[string]int{}}
}

func (r *recorder) add(c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	r.counts[c.Method]++
	if c.Error != "" {
		r.errors[c.Error]++
	}
	if r.max <= 0 {
		return
	}
	if len(r.calls) < r.max {
		r.calls = append(r.calls, c)
		return
	}
	r.calls[r.next] = c
	r.next = (r.next + 1) % r.max
}

// snapshot returns the kept calls, oldest first.
func (r *recorder) snapshot() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Call, 0, len(r.calls))
	out = append(out, r.calls[r.next:]...)
	out = append(out, r.calls[:r.next]...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls, r.next, r.total = nil, 0, 0
	r.counts = map[string]int{}
	r.errors = map[string]int{}
}

// Stats are the server's call counters since start (or the last ResetCalls).
type Stats struct {
	// Calls is the number of API calls answered or failed.
	Calls int `json:"calls"`
	// Methods counts calls per method name.
	Methods map[string]int `json:"methods"`
	// Errors counts error answers per error type ("FLOOD_WAIT_3", "INTERNAL", ...).
	Errors map[string]int `json:"errors"`
}

func (r *recorder) stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Stats{Calls: r.total, Methods: make(map[string]int, len(r.counts)), Errors: make(map[string]int, len(r.errors))}
	for k, v := range r.counts {
		s.Methods[k] = v
	}
	for k, v := range r.errors {
		s.Errors[k] = v
	}
	return s
}
