package world

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

const day = 86400 // seconds

// Internal times are Unix seconds; the API converts at its edges.
func unixTime(s int64) time.Time { return time.Unix(s, 0).UTC() }

// span is a value that holds from a time until the next span's time.
type span struct {
	from  int64
	value string
}

// spanAt returns the index of the span in force at t (-1 before the first).
func spanAt(spans []span, t int64) int {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].from > t })
	return i - 1
}

// statusSpan is a status that holds from a time on.
type statusSpan struct {
	from   int64
	status Status
}

// fixedKind is a message at a time known from channel metadata.
type fixedKind uint8

const (
	fixedCreate fixedKind = iota + 1
	fixedTitle
	fixedPhoto
	fixedPinPost
	fixedPinService
)

type fixedItem struct {
	t    int64
	kind fixedKind
	ref  int32 // fixedTitle: index into titles
}

// account is a planted off-platform account of a channel.
type account struct {
	platform int
	handle   string
	from     int64
	// until is when the platform suspended it (0 = never).
	until int64
	// inAbout/inPinned say where the channel names it.
	inAbout, inPinned bool
}

// channel is a channel's metadata, fixed at generation.
type channel struct {
	idx       int // index in World.chans (ascending ids)
	slot      int // planning slot: keys the channel's random streams
	id, hash  int64
	community int
	created   int64
	// stop is when the channel stops producing anything readable: its
	// terminal status time, or the world's end.
	stop int64

	rate  float64 // posts per day
	reach float64 // median views over subscribers

	usernames []span // "" = no username
	titles    []span
	abouts    []span
	statuses  []statusSpan

	terminal   Status // StatusActive if none
	terminalAt int64

	verified, scam, fake bool
	restrictions         []Restriction
	linkedChat           int64

	growth   growth
	accounts []account
	pinAt    int64 // 0 = no pinned post

	pred, succ int // indices of predecessor/successor (-1 = none)
	gen        int // reincarnation generation (0 = original)
	carryover  float64

	sources []int32   // forward sources (channel indices)
	srcCum  []float64 // cumulative weights of sources

	renameAt    []int64
	titleAt     []int64
	aboutAt     []int64
	photoAt     []int64
	attacks     []int // world event indices that burst this channel's posting
	fixed       []fixedItem
	hasUsername bool
}

// community is a group of channels that forward mostly from each other.
type community struct {
	name    string
	tz      int // UTC offset in hours of the community's waking day
	weight  float64
	mix     linkMix
	members []int
	recs    []int // recommendation candidates, largest first
	profile [24]float64
}

// worldEvent is a spec event resolved against the world.
type worldEvent struct {
	spec      EventSpec
	at        int64
	community int // -1 = all
	platform  int // takedowns: platform index; else -1
}

// nameClaim is a username held by a channel over [from, until).
type nameClaim struct {
	ch          int
	from, until int64
	display     string
}

// World is a generated synthetic Telegram. All methods are safe for
// concurrent use.
type World struct {
	spec        Spec
	seed        int64
	key         uint64
	start, end  int64
	chans       []*channel
	byID        map[int64]*channel
	names       map[string]nameClaim
	communities []community
	events      []worldEvent
	takedowns   []takedown
	baseMix     linkMix
	profiles    [][]float64 // reaction share profiles
	skels       *skelCache
	timelines   *timelineCache
}

// Generate builds the world of a spec and a seed. It is deterministic: the
// same spec and seed give the same world, byte for byte.
func Generate(spec Spec, seed int64) (*World, error) {
	return GenerateWith(spec, seed, Options{})
}

// GenerateWith is Generate with serving options.
func GenerateWith(spec Spec, seed int64, opts Options) (*World, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("invalid spec: %w", err)
	}
	if opts.CacheMessages <= 0 {
		opts.CacheMessages = 2_000_000
	}
	if opts.CacheTimelines <= 0 {
		opts.CacheTimelines = 20_000
	}
	w := &World{
		spec:      spec,
		seed:      seed,
		key:       uint64(seed),
		start:     spec.Start.Unix(),
		end:       spec.Start.Add(spec.Duration.D()).Unix(),
		byID:      map[int64]*channel{},
		names:     map[string]nameClaim{},
		skels:     newSkelCache(opts.CacheMessages),
		timelines: newTimelineCache(opts.CacheTimelines),
	}
	w.planCommunities()
	w.planEvents()
	slots := w.planSlots()
	w.assignIDs(slots)
	w.planIdentities()
	w.planSources()
	w.planAccounts()
	w.planEventEffects()
	w.finishGrowth()
	w.planAbouts()
	w.planFixed()
	w.indexNames()
	w.planRecommendations()
	w.planReactionProfiles()
	return w, nil
}

// Start returns the beginning of the simulated period (the spec's start).
// Channels created before it exist at it, with their back histories.
func (w *World) Start() time.Time { return unixTime(w.start) }

// End returns the end of the simulated period: no channel, message or
// identity change appears after it (counters keep growing with age).
func (w *World) End() time.Time { return unixTime(w.end) }

// Spec returns the spec the world was generated from.
func (w *World) Spec() Spec { return w.spec }

// Seed returns the seed the world was generated from.
func (w *World) Seed() int64 { return w.seed }

// ChannelIDs returns every channel id, ascending (channels created later
// have larger ids, as on Telegram).
func (w *World) ChannelIDs() []int64 {
	out := make([]int64, len(w.chans))
	for i, c := range w.chans {
		out[i] = c.id
	}
	return out
}

func (w *World) planCommunities() {
	n := w.spec.Communities
	w.communities = make([]community, n)
	for i := range w.baseMix {
		w.baseMix[i] = platformTable[i].weight
		if v, ok := w.spec.Links.Platforms[platformTable[i].token]; ok {
			w.baseMix[i] = v
		}
	}
	for c := 0; c < n; c++ {
		r := newRNG(key(w.key, uint64(c), tagCommunity))
		theme := communityThemes[c%len(communityThemes)]
		if c >= len(communityThemes) {
			theme = fmt.Sprintf("%s %d", theme, c/len(communityThemes)+1)
		}
		com := community{
			name:   theme,
			tz:     r.intn(24) - 11,
			weight: r.lognormal(1, 0.6),
		}
		// Each community tilts the base link mix its own way.
		for i := range com.mix {
			com.mix[i] = w.baseMix[i] * r.lognormal(1, 0.35)
		}
		w.communities[c] = com
		w.communities[c].profile = w.hourProfile(c)
	}
}

func (w *World) planEvents() {
	for _, e := range w.spec.Events {
		ev := worldEvent{spec: e, at: e.At.Unix(), community: -1, platform: -1}
		if e.Community != nil {
			ev.community = *e.Community
		}
		if e.Kind == EventTakedown {
			ev.platform = platformIndex[e.Platform]
			if ev.platform != platformTelegram {
				w.takedowns = append(w.takedowns, takedown{at: ev.at, platform: ev.platform, share: e.Share, community: ev.community})
			}
		}
		w.events = append(w.events, ev)
	}
	sort.SliceStable(w.takedowns, func(i, j int) bool { return w.takedowns[i].at < w.takedowns[j].at })
}

// affects reports whether event e concerns community c.
func (e *worldEvent) affects(c int) bool { return e.community < 0 || e.community == c }

// planSlots draws every channel's community, creation, rates, growth model
// and lifecycle, then adds reincarnations of banned channels.
func (w *World) planSlots() []*channel {
	sp := w.spec
	weights := make([]float64, len(w.communities))
	for i, c := range w.communities {
		weights[i] = c.weight
	}
	period := w.end - w.start
	slots := make([]*channel, 0, sp.Channels+sp.Channels/20)
	for j := 0; j < sp.Channels; j++ {
		r := newRNG(key(w.key, uint64(j), tagChannel))
		ch := &channel{slot: j, pred: -1, succ: -1}
		ch.community = r.pick(weights)
		if r.chance(sp.CreatedDuring) {
			// Leave an hour at the end so that every channel says something.
			ch.created = w.start + int64(r.float()*float64(max(period-3600, 1)))
		} else {
			ch.created = w.start - 1 - int64(r.float()*float64(sp.History.D()/time.Second))
		}
		ch.rate = clamp(r.lognormal(sp.Posting.PerDay, sp.Posting.Spread), 0.05, 400)
		ch.reach = clamp(r.lognormal(sp.Counters.Reach, 0.4), 0.01, 100)
		ch.hasUsername = !r.chance(sp.Lifecycle.NoUsername)
		w.planFlags(ch)
		w.planGrowth(ch, &r)
		w.planLifecycle(ch, 1)
		slots = append(slots, ch)
	}
	// Reincarnations: processed in slot order; a reincarnation may be banned
	// and reincarnate again.
	for i := 0; i < len(slots); i++ {
		p := slots[i]
		if p.terminal != StatusBanned || p.gen >= 4 {
			continue
		}
		r := newRNG(key(w.key, uint64(p.slot), tagReincarnation))
		if !r.chance(sp.Lifecycle.Reincarnations) {
			continue
		}
		lag := int64(r.lognormal(float64(sp.Lifecycle.ReincarnationLag.D()/time.Second), 0.8))
		created := p.terminalAt + max(lag, 600)
		if created >= w.end-600 {
			continue
		}
		ch := &channel{slot: len(slots), pred: i, succ: -1, gen: p.gen + 1}
		ch.community = p.community
		ch.created = created
		ch.rate = clamp(p.rate*r.lognormal(1, 0.3), 0.05, 400)
		ch.reach = clamp(p.reach*r.lognormal(1, 0.2), 0.01, 100)
		ch.hasUsername = true
		ch.carryover = clamp(r.lognormal(sp.Lifecycle.Carryover, 0.4), 0.01, 1)
		gr := newRNG(key(w.key, uint64(ch.slot), tagGrowth))
		ch.growth = growth{model: modelLogistic, rate: clamp(gr.lognormal(0.15, 0.4), 0.02, 2), noise: sp.Growth.Noise}
		// Placeholders for source weighting: n0 and k follow from the
		// predecessor's audience at the ban in finishGrowth.
		ch.growth.k = p.growth.scale()
		ch.growth.n0 = math.Max(ch.growth.k*ch.carryover/20, 5)
		w.planFlags(ch)
		ch.verified = false
		// Reincarnations draw attention: they are banned again more often.
		w.planLifecycle(ch, 2)
		p.succ = ch.slot
		slots = append(slots, ch)
	}
	return slots
}

func (w *World) planFlags(ch *channel) {
	f := w.spec.Flags
	r := newRNG(key(w.key, uint64(ch.slot), tagFlags))
	ch.verified = r.chance(f.Verified)
	ch.scam = r.chance(f.Scam)
	ch.fake = !ch.scam && r.chance(f.Fake)
	if r.chance(f.Restricted) {
		reasons := []string{"porn", "terms", "copyright", "violence"}
		reason := reasons[r.intn(len(reasons))]
		platforms := [][]string{{"all"}, {"ios", "android"}, {"ios"}}[r.intn(3)]
		for _, p := range platforms {
			ch.restrictions = append(ch.restrictions, Restriction{
				Platform: p,
				Reason:   reason,
				Text:     "This channel can't be displayed because it violated Telegram's Terms of Service (" + reason + ").",
			})
		}
	}
	if r.chance(w.spec.Posting.LinkedChats) {
		ch.linkedChat = 1 // replaced by a real id in assignIDs
	}
}

// planLifecycle draws identity changes and the terminal status inside the
// period. banFactor scales the ban probability.
func (w *World) planLifecycle(ch *channel, banFactor float64) {
	lc := w.spec.Lifecycle
	r := newRNG(key(w.key, uint64(ch.slot), tagLifecycle))
	from := max(ch.created+3600, w.start)
	window := w.end - from
	at := func() int64 { return from + int64(r.float()*float64(max(window, 1))) }
	ch.terminal, ch.terminalAt = StatusActive, 0
	if window > 0 {
		u := r.float()
		pPriv, pBan, pDel := lc.Private, math.Min(lc.Bans*banFactor, 1-lc.Private-lc.Deletions), lc.Deletions
		switch {
		case u < pPriv:
			ch.terminal, ch.terminalAt = StatusPrivate, at()
		case u < pPriv+pBan:
			ch.terminal, ch.terminalAt = StatusBanned, at()
		case u < pPriv+pBan+pDel:
			ch.terminal, ch.terminalAt = StatusDeleted, at()
		}
		// Ban waves: telegram takedowns ban a share of their community.
		for ei := range w.events {
			e := &w.events[ei]
			if e.platform != platformTelegram || !e.affects(ch.community) || e.at <= ch.created || e.at >= w.end {
				continue
			}
			if ch.terminal != StatusActive && ch.terminalAt <= e.at {
				continue
			}
			br := newRNG(key4(w.key, uint64(ch.slot), uint64(ei), tagBanWave))
			if br.chance(e.spec.Share) {
				ch.terminal, ch.terminalAt = StatusBanned, e.at+int64(br.float()*6*3600)
			}
		}
	}
	ch.stop = w.end
	ch.statuses = []statusSpan{{ch.created, StatusActive}}
	if ch.terminal != StatusActive {
		ch.terminalAt = min(ch.terminalAt, w.end-1)
		ch.stop = ch.terminalAt
		ch.statuses = append(ch.statuses, statusSpan{ch.terminalAt, ch.terminal})
	}
	times := func(mean float64) []int64 {
		var out []int64
		for n := r.poisson(mean); n > 0 && window > 0; n-- {
			if t := at(); t < ch.stop {
				out = append(out, t)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return dedupe(out)
	}
	if window > 0 && r.chance(lc.Renames) {
		ch.renameAt = times(1 + 0.3)
		if len(ch.renameAt) == 0 {
			if t := at(); t < ch.stop {
				ch.renameAt = []int64{t}
			}
		}
	}
	ch.titleAt = times(lc.TitleChanges)
	ch.aboutAt = times(lc.AboutChanges)
	ch.photoAt = times(lc.PhotoChanges)
}

// assignIDs orders channels by creation and gives them increasing ids.
func (w *World) assignIDs(slots []*channel) {
	order := append([]*channel(nil), slots...)
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].created != order[j].created {
			return order[i].created < order[j].created
		}
		return order[i].slot < order[j].slot
	})
	bySlot := make([]int, len(slots))
	r := newRNG(key(w.key, 0, tagIDs))
	id := int64(1_100_000_000) + int64(r.intn(50_000_000))
	for i, ch := range order {
		id += 1 + int64(r.intn(3000))
		ch.idx = i
		ch.id = id
		bySlot[ch.slot] = i
	}
	for _, ch := range order {
		if ch.pred >= 0 {
			ch.pred = bySlot[slots[ch.pred].slot]
		}
		if ch.succ >= 0 {
			ch.succ = bySlot[ch.succ]
		}
		hr := newRNG(key(w.key, uint64(ch.id), tagIDs))
		ch.hash = int64(hr.u64() >> 1)
		if ch.linkedChat != 0 {
			ch.linkedChat = 1_900_000_000 + int64(ch.idx)*7 + int64(hr.intn(7))
		}
		w.byID[ch.id] = ch
		w.communities[ch.community].members = append(w.communities[ch.community].members, ch.idx)
	}
	w.chans = order
}

// planIdentities draws usernames and titles, in creation order so that a
// reincarnation can derive its identity from its predecessor's.
func (w *World) planIdentities() {
	taken := map[string]bool{}
	claim := func(r *rng, s string) string {
		for try := 0; ; try++ {
			if !taken[strings.ToLower(s)] && validUsername(s) {
				taken[strings.ToLower(s)] = true
				return s
			}
			suffix := fmt.Sprint(r.intn(1000))
			if try > 3 {
				suffix = fmt.Sprint(r.intn(1_000_000))
			}
			base := s
			if len(base)+len(suffix) > 32 {
				base = strings.TrimRight(base[:32-len(suffix)], "_")
			}
			s = base + suffix
		}
	}
	for _, ch := range w.chans {
		r := newRNG(key(w.key, uint64(ch.slot), tagName))
		theme := w.communities[ch.community].name
		var user, title string
		if ch.pred >= 0 {
			p := w.chans[ch.pred]
			old := p.usernames[len(p.usernames)-1].value
			if old == "" {
				old = usernameCandidate(&r, theme)
			}
			user = claim(&r, successorUsername(&r, old, ch.gen))
			title = successorTitle(&r, p.titles[len(p.titles)-1].value, ch.gen)
		} else {
			if ch.hasUsername {
				user = claim(&r, usernameCandidate(&r, theme))
			}
			title = makeTitle(&r, theme)
		}
		ch.usernames = []span{{ch.created, user}}
		for _, t := range ch.renameAt {
			var next string
			switch {
			case user == "" || r.chance(0.5):
				next = usernameCandidate(&r, theme)
			case r.chance(0.5):
				next = user + "_official"
			default:
				next = "real_" + user
			}
			user = claim(&r, next)
			ch.usernames = append(ch.usernames, span{t, user})
		}
		ch.titles = []span{{ch.created, title}}
		for _, t := range ch.titleAt {
			if r.chance(0.4) {
				title = title + " " + titleEmoji[r.intn(len(titleEmoji))]
			} else {
				title = makeTitle(&r, theme)
			}
			ch.titles = append(ch.titles, span{t, title})
		}
	}
}

// planSources picks each channel's forward sources: mostly channels of its
// own community, weighted by size. A reincarnation keeps its predecessor's.
func (w *World) planSources() {
	sp := w.spec.Posting
	size := func(c *channel) float64 { return math.Sqrt(c.growth.scale()) }
	comCum := make([][]float64, len(w.communities))
	for ci, com := range w.communities {
		cum := make([]float64, len(com.members))
		total := 0.0
		for i, m := range com.members {
			total += size(w.chans[m])
			cum[i] = total
		}
		comCum[ci] = cum
	}
	allCum := make([]float64, len(w.chans))
	total := 0.0
	for i, c := range w.chans {
		total += size(c)
		allCum[i] = total
	}
	pickCum := func(r *rng, cum []float64) int {
		x := r.float() * cum[len(cum)-1]
		return sort.SearchFloat64s(cum, x)
	}
	for _, ch := range w.chans {
		if ch.pred >= 0 {
			// The predecessor's sources, less the channel itself.
			p := w.chans[ch.pred]
			cum := 0.0
			for i, s := range p.sources {
				if int(s) == ch.idx {
					continue
				}
				cum += p.srcCum[i]
				if i > 0 {
					cum -= p.srcCum[i-1]
				}
				ch.sources = append(ch.sources, s)
				ch.srcCum = append(ch.srcCum, cum)
			}
			continue
		}
		r := newRNG(key(w.key, uint64(ch.slot), tagChannel+100))
		n := 3 + r.intn(18)
		cum := 0.0
		ch.sources = make([]int32, 0, n)
		ch.srcCum = make([]float64, 0, n)
		for k := 0; k < 3*n && len(ch.sources) < n; k++ {
			var src int
			if r.chance(sp.SameCommunity) {
				com := w.communities[ch.community]
				src = com.members[min(pickCum(&r, comCum[ch.community]), len(com.members)-1)]
			} else {
				src = min(pickCum(&r, allCum), len(w.chans)-1)
			}
			if src == ch.idx || slices.Contains(ch.sources, int32(src)) {
				continue
			}
			cum += r.lognormal(1, 1)
			ch.sources = append(ch.sources, int32(src))
			ch.srcCum = append(ch.srcCum, cum)
		}
	}
}

// accountPlatforms weights the platforms channels keep accounts on.
var accountPlatforms = map[string]float64{
	"twitter": 0.3, "youtube": 0.2, "instagram": 0.12, "facebook": 0.1, "tiktok": 0.08,
	"vk": 0.05, "gab": 0.05, "rumble": 0.04, "truthsocial": 0.03, "bluesky": 0.03,
}

// refugePlatforms are where an account moves after its platform's takedown.
var refugePlatforms = []string{"gab", "bluesky", "truthsocial", "rumble", "mastodon", "odysee"}

func (w *World) planAccounts() {
	names := sortedKeys(accountPlatforms)
	weights := make([]float64, len(names))
	for i, n := range names {
		weights[i] = accountPlatforms[n]
	}
	for _, ch := range w.chans {
		r := newRNG(key(w.key, uint64(ch.slot), tagAccounts))
		user := ch.usernames[0].value
		if ch.pred >= 0 {
			// A reincarnation names its predecessor's surviving accounts.
			for _, a := range w.chans[ch.pred].accounts {
				if a.until == 0 || a.until > ch.created {
					ch.accounts = append(ch.accounts, account{platform: a.platform, handle: a.handle, from: ch.created, inAbout: true})
				}
			}
		} else {
			n := []int{0, 0, 0, 1, 1, 1, 2, 2, 3, 4}[r.intn(10)]
			used := map[int]bool{}
			for k := 0; k < n; k++ {
				p := platformIndex[names[r.pick(weights)]]
				if used[p] {
					continue
				}
				used[p] = true
				handle := user
				switch {
				case handle == "" || r.chance(0.15):
					handle = usernameCandidate(&r, w.communities[ch.community].name)
				case r.chance(0.25):
					handle = []string{"real", "the", "official_"}[r.intn(3)] + handle
				}
				ch.accounts = append(ch.accounts, account{
					platform: p,
					handle:   handle,
					from:     ch.created - int64(r.float()*365*day),
					inAbout:  r.chance(0.7),
				})
			}
		}
		if r.chance(0.5) {
			pin := ch.created + 60 + int64(r.exp(3*day))
			if pin < ch.stop-300 {
				ch.pinAt = pin
				for i := range ch.accounts {
					// Without text the pinned post names nothing.
					ch.accounts[i].inPinned = r.chance(0.8) && w.spec.Text
				}
			}
		}
	}
}

// planEventEffects plants what world events do to channels: audience jumps
// after attacks; after a platform takedown, suspended accounts, a move to
// another platform (an about change) and an audience inflow.
func (w *World) planEventEffects() {
	for ei := range w.events {
		e := &w.events[ei]
		for _, ch := range w.chans {
			if !e.affects(ch.community) || ch.created >= e.at || e.at >= ch.stop {
				if e.spec.Kind == EventAttack && e.affects(ch.community) && ch.created < e.at+int64(10*e.spec.Decay.D()/time.Second) {
					ch.attacks = append(ch.attacks, ei) // created during the burst: still posts more
				}
				continue
			}
			r := newRNG(key4(w.key, uint64(ch.slot), uint64(ei), tagLifecycle+100))
			switch {
			case e.spec.Kind == EventAttack:
				ch.attacks = append(ch.attacks, ei)
				if e.spec.Jump != 1 {
					ch.growth.jumps = append(ch.growth.jumps, jump{
						at:     e.at + int64(r.exp(6*3600)),
						factor: clamp(e.spec.Jump*r.lognormal(1, 0.08), 0.1, 10),
						ramp:   day,
						cause:  "attack: " + e.spec.Name,
					})
				}
			case e.platform != platformTelegram:
				for ai := range ch.accounts {
					a := &ch.accounts[ai]
					if a.platform != e.platform || a.until != 0 || a.from >= e.at || !r.chance(e.spec.Share) {
						continue
					}
					a.until = e.at + int64(r.exp(day))
					move := a.until + 3600 + int64(r.exp(2*day))
					if move >= ch.stop {
						continue
					}
					refuge := platformIndex[refugePlatforms[r.intn(len(refugePlatforms))]]
					ch.accounts = append(ch.accounts, account{platform: refuge, handle: a.handle, from: move, inAbout: true})
					ch.aboutAt = insertSorted(ch.aboutAt, move)
					ch.growth.jumps = append(ch.growth.jumps, jump{
						at:     a.until,
						factor: clamp(r.lognormal(1.25, 0.2), 1.02, 3),
						ramp:   2 * day,
						cause:  "takedown: " + e.spec.Name,
					})
				}
			}
		}
	}
	// Random shocks, after the event jumps so that adding events keeps them.
	for _, ch := range w.chans {
		r := newRNG(key(w.key, uint64(ch.slot), tagGrowth+100))
		life := float64(ch.stop-ch.created) / (365 * day)
		for n := r.poisson(w.spec.Growth.Shocks * life); n > 0; n-- {
			ch.growth.jumps = append(ch.growth.jumps, jump{
				at:     ch.created + int64(r.float()*float64(ch.stop-ch.created)),
				factor: clamp(r.lognormal(1, 0.3), 0.5, 2.5),
				ramp:   int64(r.between(3600, 3*day)),
				cause:  "shock",
			})
		}
		sort.SliceStable(ch.growth.jumps, func(i, j int) bool { return ch.growth.jumps[i].at < ch.growth.jumps[j].at })
	}
}

// planFixed lists each channel's messages at metadata times.
func (w *World) planFixed() {
	for _, ch := range w.chans {
		f := []fixedItem{{t: ch.created, kind: fixedCreate}}
		for i := 1; i < len(ch.titles); i++ {
			f = append(f, fixedItem{t: ch.titles[i].from, kind: fixedTitle, ref: int32(i)})
		}
		for _, t := range ch.photoAt {
			f = append(f, fixedItem{t: t, kind: fixedPhoto})
		}
		if ch.pinAt != 0 {
			r := newRNG(key(w.key, uint64(ch.slot), tagAccounts+100))
			f = append(f, fixedItem{t: ch.pinAt, kind: fixedPinPost})
			f = append(f, fixedItem{t: ch.pinAt + 5 + int64(r.intn(120)), kind: fixedPinService})
		}
		sort.SliceStable(f, func(i, j int) bool {
			if f[i].t != f[j].t {
				return f[i].t < f[j].t
			}
			return f[i].kind < f[j].kind
		})
		ch.fixed = f
	}
}

func (w *World) indexNames() {
	for _, ch := range w.chans {
		for i, s := range ch.usernames {
			if s.value == "" {
				continue
			}
			until := int64(math.MaxInt64)
			if i+1 < len(ch.usernames) {
				until = ch.usernames[i+1].from
			}
			if ch.terminal != StatusActive {
				until = min(until, ch.terminalAt)
			}
			w.names[strings.ToLower(s.value)] = nameClaim{ch: ch.idx, from: s.from, until: until, display: s.value}
		}
	}
}

// planRecommendations keeps, per community, the channels with the largest
// audiences at their peak as recommendation candidates.
func (w *World) planRecommendations() {
	const keep = 40
	for ci := range w.communities {
		com := &w.communities[ci]
		cands := append([]int(nil), com.members...)
		peak := make(map[int]float64, len(cands))
		for _, m := range cands {
			c := w.chans[m]
			peak[m] = math.Max(c.growth.base(c, c.stop-1), c.growth.base(c, min(c.stop-1, c.created+30*day)))
		}
		sort.SliceStable(cands, func(i, j int) bool { return peak[cands[i]] > peak[cands[j]] })
		if len(cands) > keep {
			cands = cands[:keep]
		}
		com.recs = cands
	}
}

func (w *World) planReactionProfiles() {
	r := newRNG(key(w.key, 0, tagCounters))
	for i := 0; i < 32; i++ {
		n := 1 + r.intn(5)
		prof := make([]float64, len(reactionEmoji))
		rest := 1.0
		for k := 0; k < n; k++ {
			e := r.intn(len(reactionEmoji))
			share := rest * r.between(0.4, 0.8)
			if k == n-1 {
				share = rest
			}
			prof[e] += share
			rest -= share
		}
		w.profiles = append(w.profiles, prof)
	}
}

// statusAt returns the channel's status at t (0 before creation).
func (ch *channel) statusAt(t int64) Status {
	if t < ch.created {
		return 0
	}
	if ch.terminal != StatusActive && t >= ch.terminalAt {
		return ch.terminal
	}
	return StatusActive
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func dedupe(s []int64) []int64 {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func insertSorted(s []int64, v int64) []int64 {
	i := sort.Search(len(s), func(i int) bool { return s[i] >= v })
	if i < len(s) && s[i] == v {
		return s
	}
	s = append(s, 0)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}
