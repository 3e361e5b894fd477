package world

import "math"

// The world draws all randomness from keyed splitmix64 streams instead of one
// shared generator: a stream is a pure function of (seed, entity, purpose), so
// any part of the world (one channel's messages, one day of one channel) can be
// regenerated on its own, in any order, and always comes out the same.

// Stream purposes. Changing a value changes every world, so never renumber.
const (
	tagChannel uint64 = iota + 1
	tagName
	tagLifecycle
	tagGrowth
	tagNoise
	tagDayCount
	tagDayTimes
	tagContent
	tagCommunity
	tagAccounts
	tagFlags
	tagReincarnation
	tagBanWave
	tagIDs
	tagCounters
	tagAbout
	tagPlatformMix
)

// mix64 is splitmix64's finalizer: a bijective avalanche of 64 bits.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// key combines stream coordinates into one stream key.
func key(a, b, c uint64) uint64 {
	h := mix64(a + 0x9E3779B97F4A7C15)
	h = mix64(h ^ (b + 0x632BE59BD9B4E019))
	return mix64(h ^ (c + 0x8CB92BA72F3D8DD7))
}

// key4 is key with one more coordinate.
func key4(a, b, c, d uint64) uint64 {
	return mix64(key(a, b, c) ^ (d + 0xD1B54A32D192ED03))
}

// rng is a splitmix64 stream. The zero value is usable but every caller
// should start from newRNG with a key.
type rng struct{ s uint64 }

func newRNG(k uint64) rng { return rng{s: k} }

func (r *rng) u64() uint64 {
	r.s += 0x9E3779B97F4A7C15
	return mix64(r.s)
}

// float returns a uniform number in [0, 1).
func (r *rng) float() float64 { return float64(r.u64()>>11) / (1 << 53) }

// intn returns a uniform integer in [0, n); n must be > 0.
func (r *rng) intn(n int) int {
	return int((r.u64() >> 1) % uint64(n))
}

// between returns a uniform number in [lo, hi).
func (r *rng) between(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// normal returns a standard normal deviate (Box-Muller, one of the pair).
func (r *rng) normal() float64 {
	u := r.float()
	if u < 1e-300 {
		u = 1e-300
	}
	v := r.float()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
}

// lognormal returns a deviate with the given median and log-scale sigma.
func (r *rng) lognormal(median, sigma float64) float64 {
	return median * math.Exp(sigma*r.normal())
}

// exp returns an exponential deviate with the given mean.
func (r *rng) exp(mean float64) float64 {
	return -mean * math.Log(1-r.float())
}

// poisson returns a Poisson deviate. Large means use a rounded normal
// approximation, which is plenty for posting counts.
func (r *rng) poisson(mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 40 {
		n := int(math.Round(mean + math.Sqrt(mean)*r.normal()))
		if n < 0 {
			return 0
		}
		return n
	}
	l := math.Exp(-mean)
	k := 0
	p := r.float()
	for p > l {
		k++
		p *= r.float()
	}
	return k
}

// pick returns an index drawn with probability proportional to weights.
func (r *rng) pick(weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	if total <= 0 {
		return r.intn(len(weights))
	}
	x := r.float() * total
	for i, w := range weights {
		x -= w
		if x < 0 {
			return i
		}
	}
	return len(weights) - 1
}

// hashString is FNV-1a, used to key streams by names.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
