// Package discovery holds the snowball rules: which references from channels of the frame
// (forwards, t.me links, @mentions, recommendations) count, how far from the seeds the
// snowball may roll, and what a channel needs to be admitted. It is pure logic over the
// reference counts kept in the collector's state, so the same references always give the
// same frame, whatever order they arrived in and however often the collector restarted.
package discovery

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tidewatch/tidewatch/collector/collect/state"
)

// The ways a channel enters a frame, as stored in discovery.rule.
const (
	RuleSeed           = "seed"
	RuleForward        = "forward"
	RuleTmeLink        = "tme_link"
	RuleMention        = "mention"
	RuleRecommendation = "recommendation"
)

// AllRules are the reference rules in their canonical order.
var AllRules = []string{RuleForward, RuleTmeLink, RuleMention, RuleRecommendation}

// Rules decide which referenced channels join the frame.
type Rules struct {
	// MaxDepth is the most discovery steps from a seed (0 = seeds only).
	MaxDepth int `json:"max_depth"`
	// MinReferences is the number of references (summed over the frame's channels and the
	// counted rules) a channel needs before it is looked at.
	MinReferences int `json:"min_references"`
	// MinSubscribers is the audience a channel needs to be admitted.
	MinSubscribers int `json:"min_subscribers"`
	// Via are the rules whose references count, in canonical order.
	Via []string `json:"via"`
}

// Validate checks the rules' values.
func (r Rules) Validate() error {
	var errs []error
	if r.MaxDepth < 0 || r.MaxDepth > 255 {
		errs = append(errs, fmt.Errorf("max depth %d: want 0-255", r.MaxDepth))
	}
	if r.MinReferences < 1 {
		errs = append(errs, fmt.Errorf("min references %d: want at least 1", r.MinReferences))
	}
	if r.MinSubscribers < 0 {
		errs = append(errs, fmt.Errorf("min subscribers %d: want 0 or more", r.MinSubscribers))
	}
	for _, v := range r.Via {
		if !slices.Contains(AllRules, v) {
			errs = append(errs, fmt.Errorf("rule %q: want one of %s", v, strings.Join(AllRules, ", ")))
		}
	}
	return errors.Join(errs...)
}

// Normalize returns the rules with Via sorted canonically and deduplicated, so equal rules
// have equal JSON.
func (r Rules) Normalize() Rules {
	var via []string
	for _, v := range AllRules {
		if slices.Contains(r.Via, v) {
			via = append(via, v)
		}
	}
	r.Via = via
	return r
}

// Counts reports whether references by rule count.
func (r Rules) Counts(rule string) bool {
	return r.MaxDepth > 0 && slices.Contains(r.Via, rule)
}

// JSON returns the canonical JSON of the rules, as stored in sampling_frames.rules.
func (r Rules) JSON() string {
	b, _ := json.Marshal(r.Normalize())
	return string(b)
}

// FrameID names the sampling frame produced by rules from seeds: the same rules and seeds
// always give the same frame, so restarts continue it and a changed study gets a new one.
func FrameID(r Rules, seeds []string) string {
	s := append([]string(nil), seeds...)
	for i := range s {
		s[i] = strings.ToLower(s[i])
	}
	sort.Strings(s)
	s = slices.Compact(s)
	h := sha256.New()
	h.Write([]byte(r.JSON()))
	h.Write([]byte{0})
	h.Write([]byte(strings.Join(s, "\n")))
	return "frame-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// AddRef adds n references to refs from channel via by rule; depth is the depth a channel
// reached this way would have (the depth of via plus one).
func AddRef(refs []state.Ref, via int64, rule string, depth uint8, n uint32) []state.Ref {
	for i := range refs {
		if refs[i].Via == via && refs[i].Rule == rule {
			refs[i].N += n
			refs[i].Depth = min(refs[i].Depth, depth)
			return refs
		}
	}
	return append(refs, state.Ref{Via: via, Rule: rule, N: n, Depth: depth})
}

// MergeRefs adds every reference of from to refs.
func MergeRefs(refs, from []state.Ref) []state.Ref {
	for _, r := range from {
		refs = AddRef(refs, r.Via, r.Rule, r.Depth, r.N)
	}
	return refs
}

// Total returns the number of references.
func Total(refs []state.Ref) int {
	n := 0
	for _, r := range refs {
		n += int(r.N)
	}
	return n
}

// Depth returns the smallest depth the references give (255 when there are none).
func Depth(refs []state.Ref) uint8 {
	d := uint8(255)
	for _, r := range refs {
		d = min(d, r.Depth)
	}
	return d
}

// Verdict is what the rules say about a channel.
type Verdict struct {
	// Ready is true when the references suffice and the subscribers must now be looked up.
	Ready bool
	// Depth is the depth the channel would join at.
	Depth uint8
	// Reason says why the channel is not (yet) admitted.
	Reason string
}

// ByReferences judges a channel by its references alone: the first test, before spending a
// call on the channel.
func (r Rules) ByReferences(refs []state.Ref) Verdict {
	d := Depth(refs)
	switch {
	case len(refs) == 0:
		return Verdict{Depth: d, Reason: "no references"}
	case int(d) > r.MaxDepth:
		return Verdict{Depth: d, Reason: fmt.Sprintf("depth %d > %d", d, r.MaxDepth)}
	case Total(refs) < r.MinReferences:
		return Verdict{Depth: d, Reason: fmt.Sprintf("references %d < %d", Total(refs), r.MinReferences)}
	}
	return Verdict{Ready: true, Depth: d}
}

// BySubscribers judges a channel whose references sufficed by its audience; it returns ""
// when the channel is admitted and the reason otherwise.
func (r Rules) BySubscribers(subscribers int, broadcast bool) string {
	if !broadcast {
		return "not a broadcast channel"
	}
	if subscribers < r.MinSubscribers {
		return fmt.Sprintf("subscribers %d < %d", subscribers, r.MinSubscribers)
	}
	return ""
}
