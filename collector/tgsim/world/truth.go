package world

import (
	"cmp"
	"fmt"
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
	Seed        int64             `json:"seed"`
	Start       time.Time         `json:"start"`
	End         time.Time         `json:"end"`
	Until       time.Time         `json:"until"`
	Platforms   []string          `json:"platforms"`
	Communities []TruthCommunity  `json:"communities"`
	WorldEvents []TruthWorldEvent `json:"world_events"`
	Channels    []TruthChannel    `json:"channels"`
	Snapshots   []TruthSnapshot   `json:"snapshots"`
	Events      []TruthEvent      `json:"events"`
	Accounts    []TruthAccount    `json:"accounts"`
	Posts       []TruthPost       `json:"posts"`
	Links       []PlantedLink     `json:"links"`
	Mentions    []PlantedMention  `json:"mentions"`
	Forwards    []ForwardEdge     `json:"forwards"`
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
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	At        time.Time `json:"at"`
	Community *int      `json:"community,omitempty"`
	Platform  string    `json:"platform,omitempty"`
	Burst     float64   `json:"burst,omitempty"`
	Decay     Duration  `json:"decay,omitempty"`
	Jump      float64   `json:"jump,omitempty"`
	Share     float64   `json:"share,omitempty"`
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
	Sources []int64     `json:"sources"`
	Growth  TruthGrowth `json:"growth"`
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
	Verified    bool      `json:"verified,omitempty"`
	Scam        bool      `json:"scam,omitempty"`
	Fake        bool      `json:"fake,omitempty"`
	Restricted  bool      `json:"restricted,omitempty"`
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
	TextLength int             `json:"text_length"`
	Counters   []TruthCounters `json:"counters,omitempty"`
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
		Seed:        w.seed,
		Start:       unixTime(w.start),
		End:         unixTime(w.end),
		Until:       unixTime(until),
		Platforms:   Platforms(),
		Communities: []TruthCommunity{},
		WorldEvents: []TruthWorldEvent{},
		Channels:    []TruthChannel{},
		Snapshots:   []TruthSnapshot{},
		Events:      []TruthEvent{},
		Accounts:    []TruthAccount{},
		Posts:       []TruthPost{},
		Links:       []PlantedLink{},
		Mentions:    []PlantedMention{},
		Forwards:    []ForwardEdge{},
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
	for _, e := range w.events {
		tr.WorldEvents = append(tr.WorldEvents, TruthWorldEvent{
			Name: e.spec.Name, Kind: e.spec.Kind, At: unixTime(e.at), Community: e.spec.Community,
			Platform: e.spec.Platform, Burst: e.spec.Burst, Decay: e.spec.Decay, Jump: e.spec.Jump, Share: e.spec.Share,
		})
	}
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
		for _, s := range snaps {
			if s < ch.created || s > until {
				continue
			}
			v := w.view(ch, s)
			tr.Snapshots = append(tr.Snapshots, TruthSnapshot{
				Channel: ch.id, At: unixTime(s), Status: v.Status, Subscribers: v.Subscribers,
				Username: v.Username, Title: v.Title, About: v.About, PinnedMsgID: v.PinnedMsgID,
				Verified: v.Verified, Scam: v.Scam, Fake: v.Fake, Restricted: v.Restricted,
			})
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
		PostsPerDay: ch.rate, Sources: []int64{},
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
	for _, s := range ch.sources {
		tc.Sources = append(tc.Sources, w.chans[s].id)
	}
	slices.Sort(tc.Sources)
	g := &ch.growth
	tc.Growth = TruthGrowth{Model: g.model.String(), N0: g.n0, Rate: g.rate, K: g.k, Noise: g.noise, Changepoints: []TruthChangepoint{}}
	if g.model == modelDecline {
		tc.Growth.Changepoints = append(tc.Growth.Changepoints, TruthChangepoint{
			At: unixTime(g.declineAt), Kind: "decline", Rate: -g.decay, Cause: "decline",
		})
	}
	for _, j := range g.jumps {
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
			plan := w.decidePost(ch, s.id, s.date, size, s.id == h.pinnedID, nil)
			out.reset(true)
			w.composePost(ch, &plan, s.date, &out)
			tr.Links = append(tr.Links, out.links...)
			tr.Mentions = append(tr.Mentions, out.mentions...)
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
