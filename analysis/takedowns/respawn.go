package takedowns

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
)

// Defaults of the reincarnation search.
const (
	// DefaultRespawnWindow is how long after a channel left public view a new channel may be
	// created to count as its successor.
	DefaultRespawnWindow = 14 * 24 * time.Hour
	// DefaultRespawnScore is the lowest score a stored pair has.
	DefaultRespawnScore = 0.5
	// respawnEarly lets a successor be created up to this long before its predecessor was
	// found gone (the collector finds a ban at its next read).
	respawnEarly = 24 * time.Hour
)

// MinNameSimilarity is the least title or handle similarity a successor needs: shared
// forward sources are common inside a community, so they add to a name match but never
// make a pair alone.
const MinNameSimilarity = 0.5

// sourceWeight is how much shared forward sources add to the name evidence: score =
// 1 - (1 - name) x (1 - sourceWeight x overlap), so sources only ever add to a name match
// and a pair without forwards is scored by its names alone.
const sourceWeight = 0.5

// profile is what the reincarnation search compares of a channel.
type profile struct {
	lt       schema.TakedownLifetime
	title    string
	username string
	subs     uint64
	sources  map[uint64]bool // channels it forwarded from
}

// NameSimilarity is the Dice coefficient of the character trigrams of two names after
// normalization (lower case, letters and digits only, runs of anything else as one space,
// padded with a space at both ends): 1 for names equal up to case, punctuation and emoji,
// 0 for names sharing no trigram. NaN when either name is empty after normalization.
func NameSimilarity(a, b string) float64 {
	ta, tb := trigrams(a), trigrams(b)
	if len(ta) == 0 || len(tb) == 0 {
		return math.NaN()
	}
	common := 0
	for g := range ta {
		if tb[g] {
			common++
		}
	}
	return 2 * float64(common) / float64(len(ta)+len(tb))
}

func trigrams(s string) map[string]bool {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	norm := strings.TrimSpace(b.String())
	if norm == "" {
		return nil
	}
	rs := []rune(" " + norm + " ")
	out := map[string]bool{}
	for i := 0; i+3 <= len(rs); i++ {
		out[string(rs[i:i+3])] = true
	}
	return out
}

// jaccard is |a ∩ b| / |a ∪ b|, NaN when either set is empty.
func jaccard(a, b map[uint64]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN()
	}
	common := 0
	for k := range a {
		if b[k] {
			common++
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}

// respawns pairs channels that left public view with channels created on the same platform
// from respawnEarly before to window after, scores every pair, and keeps, among those
// scoring at least minScore, the best-scoring first, at most one successor and one
// predecessor per channel. Pairs come
// out by score, highest first.
func respawns(ps []profile, window time.Duration, minScore float64) []schema.TakedownRespawn {
	var cands []schema.TakedownRespawn
	for _, a := range ps {
		if a.lt.Ended != 1 {
			continue
		}
		for _, b := range ps {
			if b.lt.ChannelID == a.lt.ChannelID || b.lt.Platform != a.lt.Platform || b.lt.Origin != OriginCreated {
				continue
			}
			lag := b.lt.OriginAt.Sub(a.lt.EndAt)
			if lag < -respawnEarly || lag > window || !b.lt.OriginAt.After(a.lt.OriginAt) {
				continue
			}
			r := schema.TakedownRespawn{
				Platform: a.lt.Platform, ChannelID: b.lt.ChannelID, PredecessorID: a.lt.ChannelID,
				PredecessorEndAt: a.lt.EndAt, PredecessorEndKind: a.lt.EndKind, CreatedAt: b.lt.OriginAt,
				LagHours:        lag.Hours(),
				TitleSimilarity: NameSimilarity(a.title, b.title), HandleSimilarity: NameSimilarity(a.username, b.username),
				SourceOverlap:          jaccard(a.sources, b.sources),
				PredecessorSubscribers: a.subs, Subscribers: b.subs, Recovery: math.NaN(),
			}
			name := math.Max(nanZero(r.TitleSimilarity), nanZero(r.HandleSimilarity))
			r.Score = name
			if !math.IsNaN(r.SourceOverlap) {
				r.Score = 1 - (1-name)*(1-sourceWeight*r.SourceOverlap)
			}
			if a.subs > 0 {
				r.Recovery = float64(b.subs) / float64(a.subs)
			}
			if name >= MinNameSimilarity && r.Score >= minScore {
				cands = append(cands, r)
			}
		}
	}
	slices.SortStableFunc(cands, func(x, y schema.TakedownRespawn) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(x.LagHours, y.LagHours), cmp.Compare(x.ChannelID, y.ChannelID))
	})
	// A channel has at most one successor and one predecessor (it may have both: a chain).
	hasSucc, hasPred := map[job.Key]bool{}, map[job.Key]bool{}
	var out []schema.TakedownRespawn
	for _, r := range cands {
		ka, kb := job.Key{Platform: r.Platform, ChannelID: r.PredecessorID}, job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
		if hasSucc[ka] || hasPred[kb] {
			continue
		}
		hasSucc[ka], hasPred[kb] = true, true
		out = append(out, r)
	}
	return out
}

func nanZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}
