package world

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// TruthOptions is the schedule of a perfect collector.
type TruthOptions struct {
	// SnapshotTimes are when channel snapshots are taken.
	SnapshotTimes []time.Time
	// CounterAges are the post ages at which counters are read.
	CounterAges []time.Duration
	// Until is when collection stops (zero = the world's end): nothing
	// later is in the truth, and counters at ages reaching past it are left out.
	Until time.Time
	// Channels limits the truth to these channels (empty = all). The forward
	// network and mentions still name channels outside the list.
	Channels []int64
	// NoPosts leaves posts, links, mentions and the forward network out
	// (metadata only, for large worlds).
	NoPosts bool
}

// Truth is what a perfect collector would record for a schedule. Every
// slice is sorted, so its JSON is deterministic.
type Truth struct {
	Seed  int64     `json:"seed"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Until time.Time `json:"until"`
	// Spec is the spec the world was built from (its events include those
	// after Until, which WorldEvents leaves out).
	Spec        Spec              `json:"spec"`
	Platforms   []string          `json:"platforms"`
	Communities []TruthCommunity  `json:"communities"`
	WorldEvents []TruthWorldEvent `json:"world_events"`
	Channels    []TruthChannel    `json:"channels"`
	Snapshots   []TruthSnapshot   `json:"snapshots"`
	Events      []TruthEvent      `json:"events"`
	Accounts    []TruthAccount    `json:"accounts"`
	// Reincarnations are the channels that replace a banned predecessor,
	// with the audience they carry over.
	Reincarnations []TruthReincarnation `json:"reincarnations"`
	// LinkMix is the expected outbound link mix of every community before
	// and after each takedown by Until.
	LinkMix  []TruthLinkMix   `json:"link_mix"`
	Posts    []TruthPost      `json:"posts"`
	Links    []PlantedLink    `json:"links"`
	Mentions []PlantedMention `json:"mentions"`
	Forwards []ForwardEdge    `json:"forwards"`
}

// TruthCommunity is a community and its channels.
type TruthCommunity struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// UTCOffset is the hour offset of the community's waking day.
	UTCOffset int     `json:"utc_offset"`
	Channels  []int64 `json:"channels"`
}

// TruthWorldEvent is a spec event as it happened.
type TruthWorldEvent struct {
	// Index is the event's position in Spec.Events.
	Index     int       `json:"index"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	At        time.Time `json:"at"`
	Community *int      `json:"community,omitempty"`
	Platform  string    `json:"platform,omitempty"`
	Burst     float64   `json:"burst,omitempty"`
	Decay     Duration  `json:"decay,omitempty"`
	Jump      float64   `json:"jump,omitempty"`
	Share     float64   `json:"share,omitempty"`
	// Channels are, for an attack, the channels whose posting it bursts
	// (those existing at the attack also get its audience jump, a
	// changepoint with cause "attack: <name>"), ascending; channels created
	// after Until or outside TruthOptions.Channels are left out.
	Channels []int64 `json:"channels,omitempty"`
}

// TruthSpan is a value holding from a time until the next span of its list.
type TruthSpan struct {
	From  time.Time `json:"from"`
	Value string    `json:"value"`
}

// TruthStatus is a status holding from a time on.
type TruthStatus struct {
	From   time.Time `json:"from"`
	Status Status    `json:"status"`
}

// TruthChannel is a channel's identity over time and its planted parameters.
type TruthChannel struct {
	ID           int64         `json:"id"`
	AccessHash   int64         `json:"access_hash"`
	Community    int           `json:"community"`
	Created      time.Time     `json:"created"`
	Predecessor  int64         `json:"predecessor,omitempty"`
	Successor    int64         `json:"successor,omitempty"`
	Usernames    []TruthSpan   `json:"usernames"`
	Titles       []TruthSpan   `json:"titles"`
	Abouts       []TruthSpan   `json:"abouts"`
	Statuses     []TruthStatus `json:"statuses"`
	Verified     bool          `json:"verified,omitempty"`
	Scam         bool          `json:"scam,omitempty"`
	Fake         bool          `json:"fake,omitempty"`
	Restrictions []Restriction `json:"restrictions,omitempty"`
	LinkedChatID int64         `json:"linked_chat_id,omitempty"`
	// PostsPerDay is the planted mean posting rate (before cycles and bursts).
	PostsPerDay float64 `json:"posts_per_day"`
	// Sources are the channels it forwards from (planted).
	Sources []int64 `json:"sources"`
	// SourceWeights are the planted weights of the sources (summing to 1,
	// ascending by source): the chance that a forward from a world channel
	// draws that source first. A draw whose source has no recent post
	// readable at the time is drawn again, then falls back to a hidden name.
	SourceWeights []TruthSourceWeight `json:"source_weights"`
	// Reach is the planted median of a post's final views over the
	// channel's subscribers at posting time (outside attack bursts).
	Reach float64 `json:"reach"`
	// ERR is the planted engagement rate by reach, in percent: expected
	// final views per post over subscribers times 100, outside attack
	// bursts. Posts' views are Reach times a lognormal multiplier of median
	// 1, so ERR = 100 Reach E[multiplier]. Views reach (1 - e^(-age/tau))
	// of their final value at an age.
	ERR float64 `json:"err"`
	// Carryover is, for a reincarnation, the share of its banned
	// predecessor's audience it starts with (see Truth.Reincarnations).
	Carryover float64     `json:"carryover,omitempty"`
	Growth    TruthGrowth `json:"growth"`
}

// TruthSourceWeight is one planted forward source of a channel.
type TruthSourceWeight struct {
	Source int64   `json:"source"`
	Weight float64 `json:"weight"`
}

// TruthReincarnation is a channel that replaces a banned predecessor.
type TruthReincarnation struct {
	Channel     int64     `json:"channel"`
	Predecessor int64     `json:"predecessor"`
	BannedAt    time.Time `json:"banned_at"`
	Created     time.Time `json:"created"`
	// Lag is the time from the ban to the new channel.
	Lag Duration `json:"lag"`
	// Carryover is the planted share of the predecessor's audience the new
	// channel starts with: InitialAudience = max(Carryover *
	// PredecessorAudience, 5).
	Carryover float64 `json:"carryover"`
	// PredecessorAudience is the predecessor's subscriber count (before
	// rounding, at least 10) just before its ban.
	PredecessorAudience float64 `json:"predecessor_audience"`
	// InitialAudience is the new channel's audience at creation (its
	// growth N0); it grows back toward its own capacity K from there.
	InitialAudience float64 `json:"initial_audience"`
}

// TruthShare is one destination platform's share of outlinks.
type TruthShare struct {
	Platform string  `json:"platform"`
	Share    float64 `json:"share"`
}

// TruthLinkMix is a community's expected outbound link mix around one
// takedown. The shares are those of the links a post of the community
// writes itself (not forwarded; pinned posts aside), by destination
// platform, invite links included as telegram; every platform is listed,
// in Platforms order.
type TruthLinkMix struct {
	// EventIndex, Event and At name the takedown; Platform is the platform
	// taken down.
	EventIndex int       `json:"event_index"`
	Event      string    `json:"event"`
	At         time.Time `json:"at"`
	Platform   string    `json:"platform"`
	Community  int       `json:"community"`
	// Treated is true when the takedown concerns the community (it names
	// the community, or names none). Untreated communities' mixes do not
	// shift: Before equals After. A telegram takedown (a ban wave) shifts
	// no link mix.
	Treated bool `json:"treated"`
	// Before is the mix at the takedown, earlier takedowns applied as they
	// stand then; After is that mix once this takedown has taken full
	// effect (its platform's links fall away with an e-folding time of
	// Ramp, so a window starting three Ramps later sees 95% of the shift).
	Before []TruthShare `json:"before"`
	After  []TruthShare `json:"after"`
	Ramp   Duration     `json:"ramp"`
	// JSShift is the Jensen-Shannon divergence between Before and After,
	// in nats (natural log; at most ln 2).
	JSShift float64 `json:"js_shift"`
}

// TruthGrowth is a planted subscriber trajectory (see the growth models).
type TruthGrowth struct {
	// Model is "logistic", "exponential" or "decline" (logistic, then
	// exponential decay from the "decline" changepoint).
	Model string `json:"model"`
	// N0 is the audience at creation, Rate the growth rate per day, K the
	// carrying capacity (0 for exponential), Noise the relative noise.
	N0           float64            `json:"n0"`
	Rate         float64            `json:"rate"`
	K            float64            `json:"k"`
	Noise        float64            `json:"noise"`
	Changepoints []TruthChangepoint `json:"changepoints"`
}

// TruthChangepoint is a planted change of a trajectory.
type TruthChangepoint struct {
	At time.Time `json:"at"`
	// Kind is "jump" (the audience is multiplied by Factor, ramping in over
	// Ramp) or "decline" (from At, the audience decays at Rate per day).
	Kind   string   `json:"kind"`
	Factor float64  `json:"factor,omitempty"`
	Ramp   Duration `json:"ramp,omitempty"`
	Rate   float64  `json:"rate,omitempty"`
	// Cause is "attack: <event>", "takedown: <event>", "shock" or "decline".
	Cause string `json:"cause"`
}

// TruthSnapshot is a channel as a client sees it at a snapshot time.
// Subscribers, username, about and pinned post are unknown (zero) when the
// channel is not active.
type TruthSnapshot struct {
	Channel     int64     `json:"channel"`
	At          time.Time `json:"at"`
	Status      Status    `json:"status"`
	Subscribers int       `json:"subscribers"`
	Username    string    `json:"username"`
	Title       string    `json:"title"`
	About       string    `json:"about"`
	PinnedMsgID int       `json:"pinned_msg_id"`
	// ModelSubscribers is the planted trajectory at the time without the
	// noise (jumps included), next to the observed Subscribers; zero when
	// the channel is not active.
	ModelSubscribers float64 `json:"model_subscribers"`
	Verified         bool    `json:"verified,omitempty"`
	Scam             bool    `json:"scam,omitempty"`
	Fake             bool    `json:"fake,omitempty"`
	Restricted       bool    `json:"restricted,omitempty"`
}

// Truth event kinds.
const (
	TruthCreated          = "created"
	TruthRenamed          = "renamed"
	TruthTitleChanged     = "title_changed"
	TruthAboutChanged     = "about_changed"
	TruthWentPrivate      = "went_private"
	TruthBanned           = "banned"
	TruthDeleted          = "deleted"
	TruthReincarnated     = "reincarnated"
	TruthAccountSuspended = "account_suspended"
)

// TruthEvent is a change of one channel.
type TruthEvent struct {
	At      time.Time `json:"at"`
	Channel int64     `json:"channel"`
	Kind    string    `json:"kind"`
	Old     string    `json:"old,omitempty"`
	New     string    `json:"new,omitempty"`
	// Predecessor is the banned channel a reincarnation replaces.
	Predecessor int64 `json:"predecessor,omitempty"`
	// Platform and Handle name the account of an account_suspended event.
	Platform string `json:"platform,omitempty"`
	Handle   string `json:"handle,omitempty"`
}

// TruthAccount is a planted off-platform account of a channel.
type TruthAccount struct {
	Channel  int64  `json:"channel"`
	Platform string `json:"platform"`
	Handle   string `json:"handle"`
	// Evidence lists where the channel names it: "about", "pinned".
	Evidence []string `json:"evidence"`
	// Since is when the channel first named it on Telegram.
	Since time.Time `json:"since"`
	// Suspended is when its platform suspended it (nil = never, by Until).
	Suspended *time.Time `json:"suspended,omitempty"`
}

// TruthPost is one message of a channel.
type TruthPost struct {
	Channel   int64     `json:"channel"`
	ID        int       `json:"id"`
	Date      time.Time `json:"date"`
	Service   bool      `json:"service,omitempty"`
	Action    string    `json:"action,omitempty"`
	GroupedID int64     `json:"grouped_id,omitempty"`
	Media     string    `json:"media,omitempty"`
	// Edited is the edit time, when by Until.
	Edited *time.Time `json:"edited,omitempty"`
	// Deleted is the deletion time, when by Until: visible before, gone after.
	Deleted     *time.Time `json:"deleted,omitempty"`
	FwdChannel  int64      `json:"fwd_channel,omitempty"`
	FwdPost     int        `json:"fwd_post,omitempty"`
	FwdFromName string     `json:"fwd_from_name,omitempty"`
	ReplyTo     int        `json:"reply_to,omitempty"`
	// TextLength is in UTF-16 code units.
	TextLength int `json:"text_length"`
	// The planted views of a post (not of service messages; the messages
	// of an album share them). FinalViews is what its views counter
	// saturates at: ExpectedViews (the channel's median post at the time:
	// subscribers times Reach times Burst) times Multiplier, the post's
	// planted overperformance factor (lognormal, median 1). Burst is the
	// factor attack bursts put on views (1 outside bursts). Views at age a
	// are FinalViews (1 - e^(-a/TauSeconds)), truncated.
	Multiplier    float64         `json:"multiplier,omitempty"`
	Burst         float64         `json:"burst,omitempty"`
	ExpectedViews float64         `json:"expected_views,omitempty"`
	FinalViews    float64         `json:"final_views,omitempty"`
	TauSeconds    float64         `json:"tau_seconds,omitempty"`
	Counters      []TruthCounters `json:"counters,omitempty"`
}

// TruthCounters are a post's counters at an age.
type TruthCounters struct {
	Age       Duration       `json:"age"`
	Views     int            `json:"views"`
	Forwards  int            `json:"forwards"`
	Replies   int            `json:"replies"`
	Reactions map[string]int `json:"reactions,omitempty"`
}

// ForwardEdge counts the posts of Channel forwarded from Source (albums once).
type ForwardEdge struct {
	Channel int64 `json:"channel"`
	Source  int64 `json:"source"`
	Count   int   `json:"count"`
}

// Truth exports the ground truth for a collection schedule.
func (w *World) Truth(opts TruthOptions) (*Truth, error) {
	until := w.end
	if !opts.Until.IsZero() {
		until = opts.Until.Unix()
	}
	chans := w.chans
	if len(opts.Channels) > 0 {
		chans = nil
		seen := map[int64]bool{}
		for _, id := range opts.Channels {
			ch, ok := w.byID[id]
			if !ok {
				return nil, fmt.Errorf("truth: unknown channel %d", id)
			}
			if !seen[id] {
				seen[id] = true
				chans = append(chans, ch)
			}
		}
		slices.SortFunc(chans, func(a, b *channel) int { return cmp.Compare(a.id, b.id) })
	}
	tr := &Truth{
		Seed:           w.seed,
		Start:          unixTime(w.start),
		End:            unixTime(w.end),
		Until:          unixTime(until),
		Spec:           w.specCopy(),
		Platforms:      Platforms(),
		Communities:    []TruthCommunity{},
		WorldEvents:    []TruthWorldEvent{},
		Channels:       []TruthChannel{},
		Snapshots:      []TruthSnapshot{},
		Events:         []TruthEvent{},
		Accounts:       []TruthAccount{},
		Reincarnations: []TruthReincarnation{},
		LinkMix:        []TruthLinkMix{},
		Posts:          []TruthPost{},
		Links:          []PlantedLink{},
		Mentions:       []PlantedMention{},
		Forwards:       []ForwardEdge{},
	}
	for ci, com := range w.communities {
		tc := TruthCommunity{ID: ci, Name: com.name, UTCOffset: com.tz, Channels: []int64{}}
		for _, m := range com.members {
			if w.chans[m].created <= until {
				tc.Channels = append(tc.Channels, w.chans[m].id)
			}
		}
		tr.Communities = append(tr.Communities, tc)
	}
	for ei, e := range w.events {
		if e.at > until {
			continue
		}
		te := TruthWorldEvent{
			Index: ei, Name: e.spec.Name, Kind: e.spec.Kind, At: unixTime(e.at), Community: e.spec.Community,
			Platform: e.spec.Platform, Burst: e.spec.Burst, Decay: e.spec.Decay, Jump: e.spec.Jump, Share: e.spec.Share,
		}
		if e.spec.Kind == EventAttack {
			te.Channels = []int64{}
			for _, ch := range chans {
				if ch.created <= until && slices.Contains(ch.attacks, ei) {
					te.Channels = append(te.Channels, ch.id)
				}
			}
		}
		tr.WorldEvents = append(tr.WorldEvents, te)
	}
	tr.LinkMix = w.truthLinkMix(until)
	snaps := make([]int64, len(opts.SnapshotTimes))
	for i, s := range opts.SnapshotTimes {
		snaps[i] = s.Unix()
	}
	slices.Sort(snaps)
	for _, ch := range chans {
		if ch.created > until {
			continue
		}
		tr.Channels = append(tr.Channels, w.truthChannel(ch, until))
		tr.Events = append(tr.Events, w.truthEvents(ch, until)...)
		tr.Accounts = append(tr.Accounts, w.truthAccounts(ch, until)...)
		if ch.pred >= 0 {
			p := w.chans[ch.pred]
			tr.Reincarnations = append(tr.Reincarnations, TruthReincarnation{
				Channel: ch.id, Predecessor: p.id, BannedAt: unixTime(p.terminalAt), Created: unixTime(ch.created),
				Lag:       Duration(time.Duration(ch.created-p.terminalAt) * time.Second),
				Carryover: ch.carryover, PredecessorAudience: predecessorAudience(p, w.key), InitialAudience: ch.growth.n0,
			})
		}
		for _, s := range snaps {
			if s < ch.created || s > until {
				continue
			}
			v := w.view(ch, s)
			ts := TruthSnapshot{
				Channel: ch.id, At: unixTime(s), Status: v.Status, Subscribers: v.Subscribers,
				Username: v.Username, Title: v.Title, About: v.About, PinnedMsgID: v.PinnedMsgID,
				Verified: v.Verified, Scam: v.Scam, Fake: v.Fake, Restricted: v.Restricted,
			}
			if v.Status == StatusActive {
				ts.ModelSubscribers = ch.growth.base(ch, s)
			}
			tr.Snapshots = append(tr.Snapshots, ts)
		}
		if !opts.NoPosts {
			w.truthPosts(tr, ch, until, opts.CounterAges)
		}
	}
	slices.SortStableFunc(tr.Events, func(a, b TruthEvent) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.New, b.New))
	})
	slices.SortFunc(tr.Forwards, func(a, b ForwardEdge) int {
		return cmp.Or(cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Source, b.Source))
	})
	return tr, nil
}

func spansUntil(spans []span, until int64) []TruthSpan {
	out := []TruthSpan{}
	for _, s := range spans {
		if s.from <= until {
			out = append(out, TruthSpan{From: unixTime(s.from), Value: s.value})
		}
	}
	return out
}

func (w *World) truthChannel(ch *channel, until int64) TruthChannel {
	tc := TruthChannel{
		ID: ch.id, AccessHash: ch.hash, Community: ch.community, Created: unixTime(ch.created),
		Usernames: spansUntil(ch.usernames, until), Titles: spansUntil(ch.titles, until), Abouts: spansUntil(ch.abouts, until),
		Verified: ch.verified, Scam: ch.scam, Fake: ch.fake, Restrictions: ch.restrictions, LinkedChatID: ch.linkedChat,
		PostsPerDay: ch.rate, Sources: []int64{}, SourceWeights: []TruthSourceWeight{},
		Reach: ch.reach, ERR: 100 * ch.reach * math.Exp(viewSpread*viewSpread/2), Carryover: ch.carryover,
	}
	if ch.pred >= 0 {
		tc.Predecessor = w.chans[ch.pred].id
	}
	if ch.succ >= 0 && w.chans[ch.succ].created <= until {
		tc.Successor = w.chans[ch.succ].id
	}
	for _, s := range ch.statuses {
		if s.from <= until {
			tc.Statuses = append(tc.Statuses, TruthStatus{From: unixTime(s.from), Status: s.status})
		}
	}
	total := 0.0
	if n := len(ch.srcCum); n > 0 {
		total = ch.srcCum[n-1]
	}
	for i, s := range ch.sources {
		tc.Sources = append(tc.Sources, w.chans[s].id)
		wt := ch.srcCum[i]
		if i > 0 {
			wt -= ch.srcCum[i-1]
		}
		tc.SourceWeights = append(tc.SourceWeights, TruthSourceWeight{Source: w.chans[s].id, Weight: wt / total})
	}
	slices.Sort(tc.Sources)
	slices.SortFunc(tc.SourceWeights, func(a, b TruthSourceWeight) int { return cmp.Compare(a.Source, b.Source) })
	g := &ch.growth
	tc.Growth = TruthGrowth{Model: g.model.String(), N0: g.n0, Rate: g.rate, K: g.k, Noise: g.noise, Changepoints: []TruthChangepoint{}}
	if g.model == modelDecline && g.declineAt <= until {
		tc.Growth.Changepoints = append(tc.Growth.Changepoints, TruthChangepoint{
			At: unixTime(g.declineAt), Kind: "decline", Rate: -g.decay, Cause: "decline",
		})
	}
	for _, j := range g.jumps {
		if j.at > until {
			continue
		}
		tc.Growth.Changepoints = append(tc.Growth.Changepoints, TruthChangepoint{
			At: unixTime(j.at), Kind: "jump", Factor: j.factor, Ramp: Duration(time.Duration(j.ramp) * time.Second), Cause: j.cause,
		})
	}
	slices.SortStableFunc(tc.Growth.Changepoints, func(a, b TruthChangepoint) int { return a.At.Compare(b.At) })
	return tc
}

func (w *World) truthEvents(ch *channel, until int64) []TruthEvent {
	var out []TruthEvent
	add := func(at int64, kind, old, new string) {
		if at <= until {
			out = append(out, TruthEvent{At: unixTime(at), Channel: ch.id, Kind: kind, Old: old, New: new})
		}
	}
	add(ch.created, TruthCreated, "", ch.titles[0].value)
	if ch.pred >= 0 && ch.created <= until {
		out = append(out, TruthEvent{At: unixTime(ch.created), Channel: ch.id, Kind: TruthReincarnated, Predecessor: w.chans[ch.pred].id})
	}
	for i := 1; i < len(ch.usernames); i++ {
		add(ch.usernames[i].from, TruthRenamed, ch.usernames[i-1].value, ch.usernames[i].value)
	}
	for i := 1; i < len(ch.titles); i++ {
		add(ch.titles[i].from, TruthTitleChanged, ch.titles[i-1].value, ch.titles[i].value)
	}
	for i := 1; i < len(ch.abouts); i++ {
		add(ch.abouts[i].from, TruthAboutChanged, ch.abouts[i-1].value, ch.abouts[i].value)
	}
	switch ch.terminal {
	case StatusPrivate:
		add(ch.terminalAt, TruthWentPrivate, "", "")
	case StatusBanned:
		add(ch.terminalAt, TruthBanned, "", "")
	case StatusDeleted:
		add(ch.terminalAt, TruthDeleted, "", "")
	}
	for _, a := range ch.accounts {
		if a.until != 0 && a.until <= until {
			out = append(out, TruthEvent{At: unixTime(a.until), Channel: ch.id, Kind: TruthAccountSuspended, Platform: platformTable[a.platform].token, Handle: a.handle})
		}
	}
	return out
}

func (w *World) truthAccounts(ch *channel, until int64) []TruthAccount {
	var out []TruthAccount
	for i := range ch.accounts {
		a := &ch.accounts[i]
		ta := TruthAccount{Channel: ch.id, Platform: platformTable[a.platform].token, Handle: a.handle, Evidence: []string{}}
		since := int64(-1)
		if a.inAbout {
			// The first about version that names it.
			for _, s := range ch.abouts {
				if s.from <= until && accountShown(a, s.from) {
					ta.Evidence = append(ta.Evidence, "about")
					since = s.from
					break
				}
			}
		}
		if a.inPinned && ch.pinAt != 0 && ch.pinAt <= until && a.from <= ch.pinAt {
			ta.Evidence = append(ta.Evidence, "pinned")
			if since < 0 || ch.pinAt < since {
				since = ch.pinAt
			}
		}
		if since < 0 {
			continue // never named on Telegram by Until: no collector can know it
		}
		ta.Since = unixTime(since)
		if a.until != 0 && a.until <= until {
			s := unixTime(a.until)
			ta.Suspended = &s
		}
		out = append(out, ta)
	}
	slices.SortStableFunc(out, func(a, b TruthAccount) int {
		return cmp.Or(cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.Handle, b.Handle))
	})
	return out
}

func (w *World) truthPosts(tr *Truth, ch *channel, until int64, ages []time.Duration) {
	h := w.history(ch)
	edges := map[int64]int{}
	var out textOut
	var reacts []Reaction
	var plan postPlan
	for i := range h.msgs {
		s := &h.msgs[i]
		if s.date > until {
			break
		}
		p := TruthPost{Channel: ch.id, ID: int(s.id), Date: unixTime(s.date), GroupedID: s.grouped, Media: mediaNames[s.media], ReplyTo: int(s.replyTo)}
		m := w.message(s, s.date, &reacts)
		p.Service, p.Action = m.Service, m.Action
		if !m.Service {
			p.TextLength = utf16Len(s.text)
		}
		if s.edit != 0 && s.edit <= until {
			e := unixTime(s.edit)
			p.Edited = &e
		}
		if s.del != 0 && s.del <= until {
			d := unixTime(s.del)
			p.Deleted = &d
		}
		if s.fwd != nil {
			p.FwdChannel, p.FwdPost, p.FwdFromName = s.fwd.ChannelID, s.fwd.PostID, s.fwd.FromName
		}
		first := s.grouped == 0 || i == 0 || h.msgs[i-1].grouped != s.grouped
		if !m.Service && first {
			if s.fwd != nil && s.fwd.ChannelID != 0 {
				edges[s.fwd.ChannelID]++
			}
			// Recompose the text to learn its planted links and mentions.
			size := 1
			for i+size < len(h.msgs) && s.grouped != 0 && h.msgs[i+size].grouped == s.grouped {
				size++
			}
			plan = w.decidePost(ch, s.id, s.date, size, s.id == h.pinnedID, nil)
			out.reset(true)
			w.composePost(ch, &plan, s.date, &out)
			tr.Links = append(tr.Links, out.links...)
			tr.Mentions = append(tr.Mentions, out.mentions...)
		}
		if !m.Service {
			// plan is this post's (an album's messages share their first one's).
			p.Multiplier, p.Burst = plan.mult, plan.burstF
			p.ExpectedViews = plan.expViews
			p.FinalViews, p.TauSeconds = float64(s.vmax), float64(s.tau)
		}
		for _, age := range ages {
			at := s.date + int64(age/time.Second)
			if at > until || !s.visible(at) || ch.statusAt(at) != StatusActive {
				continue
			}
			reacts = reacts[:0]
			m := w.message(s, at, &reacts)
			if m.Service {
				continue
			}
			c := TruthCounters{Age: Duration(age), Views: m.Views, Forwards: m.Forwards, Replies: m.Replies}
			if len(m.Reactions) > 0 {
				c.Reactions = map[string]int{}
				for _, r := range m.Reactions {
					c.Reactions[r.Emoji] = r.Count
				}
			}
			p.Counters = append(p.Counters, c)
		}
		tr.Posts = append(tr.Posts, p)
	}
	for src, n := range edges {
		tr.Forwards = append(tr.Forwards, ForwardEdge{Channel: ch.id, Source: src, Count: n})
	}
}

// specCopy is the world's spec, sharing nothing with it.
func (w *World) specCopy() Spec {
	s := w.spec
	s.Links.Platforms = maps.Clone(s.Links.Platforms)
	s.Events = make([]EventSpec, len(w.spec.Events))
	copy(s.Events, w.spec.Events)
	for i := range s.Events {
		if c := s.Events[i].Community; c != nil {
			v := *c
			s.Events[i].Community = &v
		}
	}
	return s
}

// predecessorAudience is the audience a reincarnation's start is a share
// of: its predecessor's count just before the ban (see finishGrowth).
func predecessorAudience(p *channel, wkey uint64) float64 {
	return math.Max(p.growth.value(p, wkey, p.terminalAt-1), 10)
}

// truthLinkMix lists every community's expected link mix around each
// takedown by until.
func (w *World) truthLinkMix(until int64) []TruthLinkMix {
	out := []TruthLinkMix{}
	for ei := range w.events {
		e := &w.events[ei]
		if e.spec.Kind != EventTakedown || e.at > until {
			continue
		}
		for ci := range w.communities {
			com := &w.communities[ci]
			before := mixAt(&com.mix, ci, w.takedowns, e.at)
			after := before
			treated := e.affects(ci)
			if treated && e.platform != platformTelegram {
				td := takedown{at: e.at, platform: e.platform, share: e.spec.Share, community: e.community}
				td.apply(&after, 1)
			}
			b, a := w.linkShares(&before), w.linkShares(&after)
			lm := TruthLinkMix{
				EventIndex: ei, Event: e.spec.Name, At: unixTime(e.at), Platform: e.spec.Platform,
				Community: ci, Treated: treated, Ramp: Duration(takedownFall * time.Second),
				JSShift: jensenShannon(b[:], a[:]),
			}
			for i, p := range platformTable {
				lm.Before = append(lm.Before, TruthShare{Platform: p.token, Share: b[i]})
				lm.After = append(lm.After, TruthShare{Platform: p.token, Share: a[i]})
			}
			out = append(out, lm)
		}
	}
	return out
}

// linkShares turns a link mix into the expected shares of a post's own
// links: Links.PerPost links drawn from the mix per post on average, plus
// an invite link (telegram) with chance Links.Invites.
func (w *World) linkShares(m *linkMix) [numPlatforms]float64 {
	var out [numPlatforms]float64
	total := 0.0
	for _, v := range m {
		total += v
	}
	perPost, invites := w.spec.Links.PerPost, w.spec.Links.Invites
	if perPost+invites <= 0 {
		perPost = 1 // no links at all: the mix links would be drawn from
	}
	for i, v := range m {
		if total > 0 {
			out[i] = perPost * v / total
		}
	}
	out[platformTelegram] += invites
	for i := range out {
		out[i] /= perPost + invites
	}
	return out
}

// jensenShannon is the Jensen-Shannon divergence of two distributions over
// the same outcomes, in nats: the mean Kullback-Leibler divergence of p and
// q from their midpoint.
func jensenShannon(p, q []float64) float64 {
	d := 0.0
	for i := range p {
		m := (p[i] + q[i]) / 2
		if p[i] > 0 {
			d += p[i] * math.Log(p[i]/m) / 2
		}
		if q[i] > 0 {
			d += q[i] * math.Log(q[i]/m) / 2
		}
	}
	return math.Max(d, 0)
}
