package world

import (
	"slices"
	"strings"
	"time"
)

// view renders a channel at t (whatever its status).
func (w *World) view(ch *channel, t int64) ChannelView {
	v := ChannelView{
		ID:                 ch.id,
		AccessHash:         ch.hash,
		Title:              ch.titles[max(spanAt(ch.titles, t), 0)].value,
		Status:             ch.statusAt(t),
		Created:            unixTime(ch.created),
		Verified:           ch.verified,
		Scam:               ch.scam,
		Fake:               ch.fake,
		Restricted:         len(ch.restrictions) > 0,
		RestrictionReasons: ch.restrictions,
	}
	if v.Status != StatusActive {
		return v
	}
	v.Username = ch.usernames[max(spanAt(ch.usernames, t), 0)].value
	v.About = ch.abouts[max(spanAt(ch.abouts, t), 0)].value
	v.Subscribers = w.subscribers(ch, t)
	v.LinkedChatID = ch.linkedChat
	v.PinnedMsgID = w.pinnedAt(ch, t)
	return v
}

// pinnedAt returns the id of the post pinned at t (0 = none yet).
func (w *World) pinnedAt(ch *channel, t int64) int {
	if ch.pinAt == 0 {
		return 0
	}
	for _, f := range ch.fixed {
		if f.kind == fixedPinService && f.t > t {
			return 0
		}
	}
	if h := w.skels.peek(ch.idx); h != nil {
		return int(h.pinnedID)
	}
	k := int((ch.pinAt - ch.created) / day)
	id := w.timeline(ch).firstID[k]
	for _, it := range w.dayItems(ch, k, nil) {
		if it.kind == fixedPinPost {
			return int(id)
		}
		id += int32(it.size)
	}
	return 0
}

// ResolveUsername finds the channel holding username at `at` (case
// insensitive, with or without a leading @). A username held by a channel
// that is private, banned or deleted at `at` is not occupied.
func (w *World) ResolveUsername(username string, at time.Time) (ChannelView, error) {
	username = strings.TrimPrefix(username, "@")
	if !validUsername(username) {
		return ChannelView{}, ErrUsernameInvalid
	}
	t := at.Unix()
	c, ok := w.names[strings.ToLower(username)]
	if !ok || t < c.from || t >= c.until {
		return ChannelView{}, ErrUsernameNotOccupied
	}
	ch := w.chans[c.ch]
	if ch.statusAt(t) != StatusActive {
		return ChannelView{}, ErrUsernameNotOccupied
	}
	return w.view(ch, t), nil
}

// Channel returns a channel by id and access hash as seen at `at`. A wrong
// hash, an unknown id or a channel not yet created gives ErrChannelInvalid.
// A channel that is private, banned or deleted gives ErrChannelPrivate
// together with a view carrying its id, hash, title and status (what
// Telegram's channelForbidden tells).
func (w *World) Channel(id, accessHash int64, at time.Time) (ChannelView, error) {
	t := at.Unix()
	ch, ok := w.byID[id]
	if !ok || ch.hash != accessHash || t < ch.created {
		return ChannelView{}, ErrChannelInvalid
	}
	v := w.view(ch, t)
	if v.Status != StatusActive {
		return v, ErrChannelPrivate
	}
	return v, nil
}

// AccessHash returns a channel's access hash, for callers that meet a
// channel by id only (forward headers, recommendations, links).
func (w *World) AccessHash(id int64) (hash int64, ok bool) {
	ch, ok := w.byID[id]
	if !ok {
		return 0, false
	}
	return ch.hash, true
}

// MaxRecommendations is how many similar channels Recommendations returns.
const MaxRecommendations = 10

// Recommendations returns "similar channels" of a channel at `at`: the
// largest readable channels of its community with a username, largest
// first. Errors as History.
func (w *World) Recommendations(channelID int64, at time.Time) ([]int64, error) {
	t := at.Unix()
	ch, err := w.readable(channelID, t)
	if err != nil {
		return nil, err
	}
	type cand struct {
		ch   *channel
		subs int
	}
	var cands []cand
	for _, idx := range w.communities[ch.community].recs {
		c := w.chans[idx]
		if c == ch || c.statusAt(t) != StatusActive {
			continue
		}
		if i := spanAt(c.usernames, t); i < 0 || c.usernames[i].value == "" {
			continue
		}
		cands = append(cands, cand{c, w.subscribers(c, t)})
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		if a.subs != b.subs {
			return b.subs - a.subs
		}
		return int(a.ch.id - b.ch.id)
	})
	out := make([]int64, 0, MaxRecommendations)
	for _, c := range cands {
		if len(out) == MaxRecommendations {
			break
		}
		out = append(out, c.ch.id)
	}
	return out, nil
}
