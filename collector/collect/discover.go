package collect

import (
	"context"
	"errors"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/collect/schedule"
	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema"
)

// ready reports whether a candidate's references suffice and its audience must now be
// looked up.
func (c *Collector) ready(ch *state.Channel) bool {
	return !ch.Included && !ch.Seed && ch.LastSeen.IsZero() && ch.Reason == "" &&
		c.opts.Rules.ByReferences(ch.Refs).Ready
}

// judge applies the rules to ch: seeds are in at depth 0; other channels need their
// references, then their audience once a snapshot has told it.
func (c *Collector) judge(ch *state.Channel, now time.Time) {
	was, wasReason := ch.Included, ch.Reason
	switch {
	case ch.Seed && !c.inShard(ch.ID):
		ch.Included, ch.Depth, ch.Reason = false, 0, "collected by another shard"
	case ch.Seed:
		ch.Included, ch.Depth, ch.Reason = true, 0, ""
	default:
		v := c.opts.Rules.ByReferences(ch.Refs)
		switch {
		case !v.Ready:
			ch.Included, ch.Reason = false, v.Reason
		case !c.inShard(ch.ID):
			ch.Included, ch.Reason = false, "collected by another shard"
		case ch.LastSeen.IsZero():
			ch.Included, ch.Reason = false, "" // waits for a snapshot
			if schema.StatusGone(ch.Status) {
				ch.Reason = "unreadable"
			}
		default:
			ch.Depth = v.Depth
			r := c.opts.Rules.BySubscribers(ch.Subscribers, !ch.Megagroup)
			ch.Included, ch.Reason = r == "", r
		}
	}
	if ch.Included != was || ch.Reason != wasReason {
		ch.CheckedAt = state.At(now)
		ch.RefsDirty = true
		c.markDirty(ch)
	}
}

// addRefs counts the references channel from made (by account a) towards discovery.
// Only channels of the frame above the maximum depth count: deeper references could never
// admit anything.
func (c *Collector) addRefs(from *state.Channel, a *account, refs []ref, now time.Time) {
	if !from.Included || int(from.Depth) >= c.opts.Rules.MaxDepth {
		return
	}
	depth := from.Depth + 1
	for _, r := range refs {
		if !c.opts.Rules.Counts(r.rule) {
			continue
		}
		if r.info != nil {
			c.learnPeer(a, *r.info)
		}
		id := r.id
		if id == 0 {
			if known, ok := c.names.get(r.username); ok {
				id = known
			}
		}
		if id == from.ID {
			continue
		}
		if id == 0 {
			c.refPending(r.username, from.ID, r.rule, depth, now)
			continue
		}
		ch := c.channels[id]
		if ch == nil {
			ch = c.newChannel(id, now)
			if r.info != nil && r.info.Username != "" {
				ch.Username = normUsername(r.info.Username)
				c.names.set(ch.Username, id)
			} else if r.username != "" {
				ch.Username = normUsername(r.username)
			}
		}
		if ch.Home == "" {
			if b := c.accountKnowing(id, nil); b != nil {
				c.setHome(ch, b)
			}
		}
		ch.Refs = discovery.AddRef(ch.Refs, from.ID, r.rule, depth, 1)
		ch.RefsDirty = true
		c.markDirty(ch)
		if !ch.Included {
			c.judge(ch, now)
			c.plan(ch, now)
		}
	}
}

// refPending counts a reference to a username not known yet; once the references suffice
// it is resolved.
func (c *Collector) refPending(username string, via int64, rule string, depth uint8, now time.Time) {
	u := normUsername(username)
	if u == "" {
		return
	}
	p := c.pending[u]
	if p == nil {
		p = &state.Pending{Username: u, DiscoveredAt: now}
		c.pending[u] = p
	}
	p.Refs = discovery.AddRef(p.Refs, via, rule, depth, 1)
	c.dirtyPend[u] = true
	c.planPending(p, now)
}

// planPending queues the resolution of a pending username when it is a seed or its
// references suffice, unless resolving it failed before.
func (c *Collector) planPending(p *state.Pending, now time.Time) {
	if p.Failed != "" {
		return
	}
	if !p.Seed && !c.opts.Rules.ByReferences(p.Refs).Ready {
		return
	}
	k := resolveKey(p.Username)
	c.resolveKeys[k] = p.Username
	c.sched.Add(schedule.Task{Channel: k, Kind: kindResolve, Method: telegram.MethodResolveUsername, Due: c.clampDue(now)})
}

// runResolve resolves a pending username (a seed, or a referenced channel).
func (c *Collector) runResolve(ctx context.Context, j *job) (func(), error) {
	peer, err := j.acct.client.ResolveUsername(ctx, j.username)
	var failed string
	switch {
	case err == nil:
	case errors.Is(err, telegram.ErrUsernameNotOccupied):
		failed = "username not occupied"
	case errors.Is(err, telegram.ErrUsernameInvalid):
		failed = "username invalid"
	case errors.Is(err, telegram.ErrNotChannel):
		failed = "not a channel"
	case errors.Is(err, telegram.ErrChannelPrivate):
		failed = "private"
	default:
		return nil, err
	}
	return func() {
		p := c.pending[j.username]
		if p == nil {
			return
		}
		now := c.opts.Clock.Now()
		if failed != "" {
			p.Failed, p.CheckedAt = failed, j.now
			c.dirtyPend[p.Username] = true
			if p.Seed {
				c.log.Warn("seed cannot be collected", "seed", p.Username, "reason", failed)
				c.summary.Errors = append(c.summary.Errors, "seed @"+p.Username+": "+failed)
			}
			return
		}
		delete(c.pending, p.Username)
		delete(c.dirtyPend, p.Username)
		delete(c.resolveKeys, resolveKey(p.Username))
		c.resolved = append(c.resolved, p.Username)
		c.learnPeer(j.acct, telegram.ChannelInfo{Peer: peer})
		ch := c.channels[peer.ChannelID]
		if ch == nil {
			ch = c.newChannel(peer.ChannelID, p.DiscoveredAt)
		}
		if ch.Username == "" {
			ch.Username = p.Username
		}
		c.names.set(p.Username, ch.ID)
		ch.Refs = discovery.MergeRefs(ch.Refs, p.Refs)
		ch.Seed = ch.Seed || p.Seed
		ch.RefsDirty = true
		if home := c.byLabel[ch.Home]; home == nil || home.disabled() || home.st.Peers[ch.ID] == 0 {
			c.setHome(ch, j.acct)
		}
		c.markDirty(ch)
		c.judge(ch, now)
		c.plan(ch, now)
	}, nil
}

// runAdopt resolves a channel's username on another account, which then takes the
// channel over: the hand-off from an account that is parked or disabled.
func (c *Collector) runAdopt(ctx context.Context, j *job) (func(), error) {
	peer, err := j.acct.client.ResolveUsername(ctx, j.username)
	switch {
	case err == nil:
	case errors.Is(err, telegram.ErrUsernameNotOccupied), errors.Is(err, telegram.ErrUsernameInvalid),
		errors.Is(err, telegram.ErrNotChannel), errors.Is(err, telegram.ErrChannelPrivate):
		return func() {
			if live := c.channels[j.ch.ID]; live != nil && live.Home == "" && !live.Included {
				live.Reason = "username no longer resolves"
				live.CheckedAt = state.At(j.now)
				live.RefsDirty = true
				c.markDirty(live)
			}
		}, nil
	default:
		return nil, err
	}
	return func() {
		live := c.channels[j.ch.ID]
		if live == nil || peer.ChannelID != live.ID {
			return
		}
		c.learnPeer(j.acct, telegram.ChannelInfo{Peer: peer})
		c.setHome(live, j.acct)
		c.plan(live, c.opts.Clock.Now())
	}, nil
}

// runRecommend asks for the channels Telegram recommends next to one of the frame.
func (c *Collector) runRecommend(ctx context.Context, j *job) (func(), error) {
	infos, err := j.acct.client.GetRecommendations(ctx, j.peer)
	if err != nil {
		if isChannelGone(err) {
			return c.goneApply(ctx, j, err), nil
		}
		return nil, err
	}
	refs := make([]ref, 0, len(infos))
	for i := range infos {
		refs = append(refs, ref{id: infos[i].ChannelID, username: infos[i].Username, info: &infos[i], rule: discovery.RuleRecommendation})
	}
	return func() {
		live := c.channels[j.ch.ID]
		if live == nil {
			return
		}
		c.learnChats(j.acct, infos)
		live.LastRecommend = state.At(j.now)
		c.markDirty(live)
		c.addRefs(live, j.acct, refs, j.now)
		c.plan(live, c.opts.Clock.Now())
	}, nil
}

// newChannel registers a channel seen for the first time. A crash may have lost its record
// after its snapshot reached ClickHouse: what recovery found for it is applied now, so it is
// not looked at twice.
func (c *Collector) newChannel(id int64, discovered time.Time) *state.Channel {
	ch := &state.Channel{ID: id, DiscoveredAt: state.At(discovered)}
	c.channels[id] = ch
	if snap, ok := c.lateSnaps[id]; ok {
		delete(c.lateSnaps, id)
		c.applySnapshots([]schema.ChannelSnapshot{snap})
		ch.Username = normUsername(snap.Username)
	}
	return ch
}
