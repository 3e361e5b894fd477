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
		c.opts.Scope.Rules.ByReferences(ch.Refs).Ready
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
		v := c.opts.Scope.Rules.ByReferences(ch.Refs)
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
			r := c.opts.Scope.Rules.BySubscribers(ch.Subscribers, !ch.Megagroup)
			ch.Included, ch.Reason = r == "", r
		}
	}
	if ch.Included != was || ch.Reason != wasReason {
		ch.CheckedAt = state.At(now)
		ch.RefsDirty = true
		c.frame.markDirty(ch)
	}
}

// addRefs counts the references channel from made (by account a) towards discovery.
// Only channels of the frame above the maximum depth count: deeper references could never
// admit anything.
func (c *Collector) addRefs(from *state.Channel, a *account, refs []ref, now time.Time) {
	if !from.Included || int(from.Depth) >= c.opts.Scope.Rules.MaxDepth {
		return
	}
	depth := from.Depth + 1
	for _, r := range refs {
		if !c.opts.Scope.Rules.Counts(r.rule) {
			continue
		}
		if r.info != nil {
			c.pool.learnPeer(a, *r.info)
		}
		id := r.id
		if id == 0 {
			if known, ok := c.frame.names.get(r.username); ok {
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
		ch := c.frame.channels[id]
		if ch == nil {
			ch = c.frame.newChannel(id, now)
			if r.info != nil && r.info.Username != "" {
				ch.Username = normUsername(r.info.Username)
				c.frame.names.set(ch.Username, id)
			} else if r.username != "" {
				ch.Username = normUsername(r.username)
			}
			c.claimPending(ch)
		}
		if ch.Home == "" {
			if b := c.pool.knowing(id, nil); b != nil {
				c.setHome(ch, b)
			}
		}
		ch.Refs = discovery.AddRef(ch.Refs, from.ID, r.rule, depth, 1)
		ch.RefsDirty = true
		c.frame.markDirty(ch)
		if !ch.Included {
			c.judge(ch, now)
			c.plan(ch, now)
		}
	}
}

// claimPending moves the references counted against ch's username while no channel was
// known by it (a pending username) onto ch, as resolving the username would have, and drops
// the pending username. Without it a reference that arrived before the channel was known
// would stay with the username for good (one reference alone never gets it resolved), and
// the channel's provenance would depend on the order pages happened to be applied in: a
// restarted collector, which applies again the pages of its last minutes in another order
// than before the crash, would lose the channel's discovery row for that reference, or
// write one that the first order had left with the username. It is called wherever a
// channel becomes known by a name: found with its chat info, snapshotted, or loaded with the
// state. The caller judges ch again.
func (c *Collector) claimPending(ch *state.Channel) bool {
	u := normUsername(ch.Username)
	p := c.frame.pending[u]
	if u == "" || p == nil {
		return false
	}
	if id, ok := c.frame.names.get(u); !ok || id != ch.ID {
		return false
	}
	delete(c.frame.pending, u)
	delete(c.frame.dirtyPend, u)
	delete(c.frame.resolveKeys, resolveKey(u))
	c.frame.resolved = append(c.frame.resolved, u)
	ch.Refs = discovery.MergeRefs(ch.Refs, p.Refs)
	ch.Seed = ch.Seed || p.Seed
	if !p.DiscoveredAt.IsZero() && (ch.DiscoveredAt.IsZero() || p.DiscoveredAt.Before(ch.DiscoveredAt.Time())) {
		ch.DiscoveredAt = state.At(p.DiscoveredAt)
	}
	ch.RefsDirty = true
	c.frame.markDirty(ch)
	return true
}

// refPending counts a reference to a username not known yet; once the references suffice
// it is resolved.
func (c *Collector) refPending(username string, via int64, rule string, depth uint8, now time.Time) {
	u := normUsername(username)
	if u == "" {
		return
	}
	p := c.frame.pending[u]
	if p == nil {
		p = &state.Pending{Username: u, DiscoveredAt: now}
		c.frame.pending[u] = p
	}
	p.Refs = discovery.AddRef(p.Refs, via, rule, depth, 1)
	c.frame.dirtyPend[u] = true
	c.planPending(p, now)
}

// planPending queues the resolution of a pending username when it is a seed or its
// references suffice, unless resolving it failed before.
func (c *Collector) planPending(p *state.Pending, now time.Time) {
	if p.Failed != "" {
		return
	}
	if !p.Seed && !c.opts.Scope.Rules.ByReferences(p.Refs).Ready {
		return
	}
	k := resolveKey(p.Username)
	c.frame.resolveKeys[k] = p.Username
	c.due.sched.Add(schedule.Task{Channel: k, Kind: kindResolve, Method: telegram.MethodResolveUsername, Due: c.due.clampDue(now)})
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
		p := c.frame.pending[j.username]
		if p == nil {
			return
		}
		now := c.opts.Clock.Now()
		if failed != "" {
			p.Failed, p.CheckedAt = failed, j.now
			c.frame.dirtyPend[p.Username] = true
			if p.Seed {
				c.log.Warn("seed cannot be collected", "seed", p.Username, "reason", failed)
				c.summary.Errors = append(c.summary.Errors, "seed @"+p.Username+": "+failed)
			}
			return
		}
		delete(c.frame.pending, p.Username)
		delete(c.frame.dirtyPend, p.Username)
		delete(c.frame.resolveKeys, resolveKey(p.Username))
		c.frame.resolved = append(c.frame.resolved, p.Username)
		c.pool.learnPeer(j.acct, telegram.ChannelInfo{Peer: peer})
		ch := c.frame.channels[peer.ChannelID]
		if ch == nil {
			ch = c.frame.newChannel(peer.ChannelID, p.DiscoveredAt)
		}
		if ch.Username == "" {
			ch.Username = p.Username
		}
		c.frame.names.set(p.Username, ch.ID)
		ch.Refs = discovery.MergeRefs(ch.Refs, p.Refs)
		ch.Seed = ch.Seed || p.Seed
		ch.RefsDirty = true
		if home := c.pool.byLabel[ch.Home]; home == nil || home.disabled() || home.st.Peers[ch.ID] == 0 {
			c.setHome(ch, j.acct)
		}
		c.frame.markDirty(ch)
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
			if live := c.frame.channels[j.ch.ID]; live != nil && live.Home == "" && !live.Included {
				live.Reason = "username no longer resolves"
				live.CheckedAt = state.At(j.now)
				live.RefsDirty = true
				c.frame.markDirty(live)
			}
		}, nil
	default:
		return nil, err
	}
	return func() {
		live := c.frame.channels[j.ch.ID]
		if live == nil || peer.ChannelID != live.ID {
			return
		}
		c.pool.learnPeer(j.acct, telegram.ChannelInfo{Peer: peer})
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
		live := c.frame.channels[j.ch.ID]
		if live == nil {
			return
		}
		c.pool.learnChats(j.acct, infos)
		live.LastRecommend = state.At(j.now)
		c.frame.markDirty(live)
		c.addRefs(live, j.acct, refs, j.now)
		c.plan(live, c.opts.Clock.Now())
	}, nil
}
