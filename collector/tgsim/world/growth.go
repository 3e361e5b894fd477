package world

import "math"

type growthModel uint8

const (
	modelLogistic growthModel = iota + 1
	modelExponential
	modelDecline
)

func (m growthModel) String() string {
	switch m {
	case modelLogistic:
		return "logistic"
	case modelExponential:
		return "exponential"
	case modelDecline:
		return "decline"
	}
	return "unknown"
}

// jump is a planted changepoint: the audience is multiplied by factor,
// ramping in linearly (in log scale) over ramp seconds from at.
type jump struct {
	at     int64
	factor float64
	ramp   int64
	cause  string
}

// growth is a channel's planted subscriber trajectory:
//
//	logistic:    K / (1 + ((K-N0)/N0) e^(-r a))
//	exponential: N0 e^(r a)
//	decline:     logistic until declineAt, then times e^(-decay (t-declineAt))
//
// with a the channel's age in days, times the jumps in force, times
// (1 + noise*n(t)) for a smooth zero-mean noise n fixed by the seed.
type growth struct {
	model     growthModel
	n0, rate  float64
	k         float64
	noise     float64
	declineAt int64
	decay     float64 // per day
	jumps     []jump
}

// maxSubscribers caps trajectories: Telegram's largest channels have tens of millions.
const maxSubscribers = 5e7

// planGrowth draws a channel's growth model and parameters.
func (w *World) planGrowth(ch *channel, _ *rng) {
	g := w.spec.Growth
	r := newRNG(key(w.key, uint64(ch.slot), tagGrowth))
	models := []float64{g.Logistic, g.Exponential, g.Decline}
	gr := growth{noise: g.Noise}
	gr.model = growthModel(r.pick(models) + 1)
	gr.n0 = clamp(r.lognormal(g.Initial, 1), 5, 1e7)
	gr.rate = clamp(r.lognormal(g.Rate, 0.5), 0.0005, 5)
	gr.k = math.Max(3*gr.n0, clamp(r.lognormal(g.Capacity, 1.1), 20, maxSubscribers))
	life := float64(w.end-ch.created) / day
	switch gr.model {
	case modelExponential:
		// Unbounded growth must stay plausible over the channel's life: at
		// most a few hundredfold.
		gr.rate = math.Min(gr.rate*0.3, math.Log(300)/math.Max(life, 1))
		gr.k = 0
	case modelDecline:
		gr.declineAt = ch.created + int64(r.between(0.2, 0.9)*life*day)
		gr.decay = gr.rate * r.between(0.05, 0.3)
	}
	ch.growth = gr
}

// finishGrowth gives reincarnations their start: a share of the
// predecessor's audience at the ban, growing fast back toward it.
func (w *World) finishGrowth() {
	for _, ch := range w.chans {
		if ch.pred < 0 {
			continue
		}
		p := w.chans[ch.pred]
		old := math.Max(p.growth.value(p, w.key, p.terminalAt-1), 10)
		r := newRNG(key(w.key, uint64(ch.slot), tagGrowth+200))
		ch.growth.n0 = math.Max(ch.carryover*old, 5)
		ch.growth.k = math.Max(3*ch.growth.n0, old*r.between(0.6, 1.3))
	}
}

// scale is a rough size of the channel for weighting (valid before jumps are planned).
func (g *growth) scale() float64 {
	if g.k > 0 {
		return g.k
	}
	return math.Max(g.n0, 1) * 20
}

// base is the trajectory without noise (jumps included).
func (g *growth) base(ch *channel, t int64) float64 {
	if t < ch.created {
		return 0
	}
	a := float64(t-ch.created) / day
	var v float64
	switch g.model {
	case modelExponential:
		v = g.n0 * math.Exp(g.rate*a)
	default:
		v = g.k / (1 + (g.k-g.n0)/g.n0*math.Exp(-g.rate*a))
		if g.model == modelDecline && t > g.declineAt {
			v *= math.Exp(-g.decay * float64(t-g.declineAt) / day)
		}
	}
	for i := range g.jumps {
		j := &g.jumps[i]
		if t < j.at {
			break
		}
		f := 1.0
		if j.ramp > 0 && t-j.at < j.ramp {
			f = float64(t-j.at) / float64(j.ramp)
		}
		v *= math.Pow(j.factor, f)
	}
	return math.Min(v, maxSubscribers)
}

// noiseKnot is the spacing of the noise's knots: subscriber counts wiggle
// within hours, not seconds.
const noiseKnot = 6 * 3600

// value is the subscriber count at t, before rounding.
func (g *growth) value(ch *channel, wkey uint64, t int64) float64 {
	v := g.base(ch, t)
	if v <= 0 || g.noise == 0 {
		return v
	}
	k := t / noiseKnot
	frac := float64(t-k*noiseKnot) / noiseKnot
	n := (1-frac)*knot(wkey, ch.id, k) + frac*knot(wkey, ch.id, k+1)
	return v * (1 + g.noise*n)
}

// knot is a deterministic standard-normal-ish value (sum of uniforms).
func knot(wkey uint64, id, k int64) float64 {
	r := newRNG(key4(wkey, uint64(id), uint64(k), tagNoise))
	return (r.float() + r.float() + r.float() - 1.5) * 2
}

// subscribers is the count a client sees at t (0 before creation).
func (w *World) subscribers(ch *channel, t int64) int {
	if t < ch.created {
		return 0
	}
	return max(1, int(math.Round(ch.growth.value(ch, w.key, t))))
}
