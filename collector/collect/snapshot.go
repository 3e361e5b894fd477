package collect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/registry"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/links"
	"github.com/tidewatch/tidewatch/schema"
)

// isChannelGone reports errors that say the channel cannot be read any more.
func isChannelGone(err error) bool {
	return errors.Is(err, telegram.ErrChannelPrivate) || errors.Is(err, telegram.ErrChannelInvalid)
}

// runSnapshot reads a channel's metadata and audience, and compares them with the last
// snapshot to detect identity and status changes.
func (c *Collector) runSnapshot(ctx context.Context, j *job) (func(), error) {
	full, err := j.acct.client.GetFullChannel(ctx, j.peer)
	if err != nil {
		if isChannelGone(err) {
			return c.goneApply(ctx, j, err), nil
		}
		return nil, err
	}
	now := c.opts.Clock.Now()
	prev := j.ch
	cur := identity{
		username: strings.ToLower(full.Username), title: full.Title, about: full.About,
		status: schema.StatusActive,
	}
	seenBefore := !prev.LastSeen.IsZero()
	var evs []event
	if schema.StatusGone(prev.Status) {
		evs = append(evs, event{kind: schema.EventReappeared, old: prev.Status, new: schema.StatusActive})
	}
	if seenBefore && !strings.EqualFold(prev.Username, cur.username) {
		evs = append(evs, event{kind: schema.EventRenamed, old: prev.Username, new: cur.username})
	}
	if seenBefore && prev.Title != cur.title {
		evs = append(evs, event{kind: schema.EventTitleChanged, old: prev.Title, new: cur.title})
	}
	if seenBefore && prev.About != cur.about {
		evs = append(evs, event{kind: schema.EventAboutChanged, old: prev.About, new: cur.about})
	}
	aboutSince := prev.AboutSince.Time()
	if !seenBefore || prev.About != cur.about || aboutSince.IsZero() {
		aboutSince = now
	}
	firstSeen := prev.FirstSeen.Time()
	if firstSeen.IsZero() {
		firstSeen = now
	}
	snap := schema.ChannelSnapshot{
		Platform: schema.PlatformTelegram, ChannelID: uint64(prev.ID), SnapshotAt: now,
		Username: cur.username, Title: full.Title, About: full.About, Subscribers: uint64(max(full.Subscribers, 0)),
		Status: cur.status, Verified: b2u(full.Verified), Scam: b2u(full.Scam), Fake: b2u(full.Fake),
		Restricted: b2u(full.Restricted), RestrictionReasons: nonNil(full.RestrictionReasons),
		LinkedChatID: uint64(max(full.LinkedChatID, 0)), PinnedPostID: uint64(max(full.PinnedMsgID, 0)),
		Source: sourceCollector, RunID: c.opts.Run.ID,
	}
	kind := "channel"
	if full.Megagroup {
		kind = "supergroup"
	}
	chRow := schema.Channel{
		Platform: schema.PlatformTelegram, ChannelID: uint64(prev.ID), ExternalID: strconv.FormatInt(prev.ID, 10),
		Username: cur.username, Title: full.Title, About: full.About, Kind: kind, Status: cur.status,
		Subscribers: snap.Subscribers, CreatedAt: full.Date, FirstSeenAt: firstSeen, LastSeenAt: now,
		Verified: snap.Verified, Scam: snap.Scam, Fake: snap.Fake, Restricted: snap.Restricted,
		Source: sourceCollector, Version: schema.Version(now),
	}
	if err := c.out.Snapshots.Write(ctx, snap); err != nil {
		return nil, fmt.Errorf("write snapshot: %w", err)
	}
	if err := c.out.Channels.Write(ctx, chRow); err != nil {
		return nil, fmt.Errorf("write channel: %w", err)
	}
	c.m.rows.WithLabelValues(schema.TableChannelSnapshots).Inc()
	c.m.rows.WithLabelValues(schema.TableChannels).Inc()
	if err := c.writeEvents(ctx, prev.ID, cur.username, now, evs); err != nil {
		return nil, err
	}
	// Links in the about text are stored once per version of the text (dated by when it was
	// first seen, so a re-write collapses with the earlier one); proposed account links are
	// re-verified at every snapshot.
	if aboutSince.Equal(now) && full.About != "" {
		if err := c.writeRows(ctx, nil, c.rows.aboutLinks(prev.ID, cur.username, full.About, aboutSince), nil); err != nil {
			return nil, err
		}
	}
	if prev.Included {
		al := c.rows.accountLinks(prev.ID, "handle_in_about", aboutHandles(full.About), aboutSince, now)
		al = append(al, c.rows.accountLinks(prev.ID, "link_in_pinned", prev.PinnedHandles, prev.PinnedSince.Time(), now)...)
		if len(al) > 0 {
			if err := c.out.AccountLinks.Write(ctx, al...); err != nil {
				return nil, fmt.Errorf("write account links: %w", err)
			}
			c.m.rows.WithLabelValues(schema.TableAccountLinks).Add(float64(len(al)))
		}
	}

	return func() {
		live := c.frame.channels[prev.ID]
		if live == nil {
			return
		}
		c.pool.learnPeer(j.acct, full.ChannelInfo)
		if live.Username != "" && !strings.EqualFold(live.Username, cur.username) {
			c.frame.names.drop(live.Username, live.ID)
			if seenBefore {
				live.Recheck = live.Username // was the old name freed?
			}
		}
		if cur.username != "" {
			c.frame.names.set(cur.username, live.ID)
		}
		live.Username, live.Title, live.About = cur.username, full.Title, full.About
		live.Subscribers, live.Status = full.Subscribers, cur.status
		live.Verified, live.Scam, live.Fake, live.Restricted = full.Verified, full.Scam, full.Fake, full.Restricted
		live.Reasons = slices.Clone(full.RestrictionReasons)
		live.LinkedChatID, live.PinnedID = full.LinkedChatID, full.PinnedMsgID
		live.CreatedAt, live.Megagroup = state.At(full.Date), full.Megagroup
		live.FirstSeen, live.LastSnapshot, live.LastSeen = state.At(firstSeen), state.At(j.now), state.At(j.now)
		live.AboutSince = state.At(aboutSince)
		c.summary.Events += len(evs)
		c.frame.markDirty(live)
		c.claimPending(live)
		wasIncluded := live.Included
		c.judge(live, j.now)
		if live.Included && !wasIncluded {
			c.log.Info("channel joins the frame", "channel", live.ID, "username", live.Username, "depth", live.Depth, "subscribers", live.Subscribers)
		}
		c.plan(live, c.opts.Clock.Now())
	}, nil
}

type identity struct{ username, title, about, status string }

type event struct{ kind, old, new string }

// registryKinds are the channel events that also go to the events registry: changes of
// status, which analyses of takedowns join by time window.
var registryKinds = map[string]bool{
	schema.EventWentPrivate: true, schema.EventBanned: true, schema.EventDeleted: true,
	schema.EventUsernameFreed: true, schema.EventReappeared: true,
}

// writeEvents records channel events, and the status changes among them in the registry.
func (c *Collector) writeEvents(ctx context.Context, channel int64, username string, at time.Time, evs []event) error {
	if len(evs) == 0 {
		return nil
	}
	var rows []schema.ChannelEvent
	var reg []schema.Event
	for _, e := range evs {
		rows = append(rows, schema.ChannelEvent{
			Platform: schema.PlatformTelegram, ChannelID: uint64(channel), EventAt: at, Kind: e.kind,
			OldValue: e.old, NewValue: e.new, DetectedAt: at, RunID: c.opts.Run.ID,
		})
		if registryKinds[e.kind] {
			reg = append(reg, registry.Detected(registry.Detection{
				At: at, Platform: schema.PlatformTelegram, ChannelID: uint64(channel), Username: username,
				Kind: e.kind, Old: e.old, New: e.new,
			}))
		}
	}
	if err := c.out.Events.Write(ctx, rows...); err != nil {
		return fmt.Errorf("write channel events: %w", err)
	}
	c.m.rows.WithLabelValues(schema.TableChannelEvents).Add(float64(len(rows)))
	if len(reg) > 0 {
		if err := c.out.Registry.Write(ctx, reg...); err != nil {
			return fmt.Errorf("write events: %w", err)
		}
		c.m.rows.WithLabelValues(schema.TableEvents).Add(float64(len(reg)))
	}
	return nil
}

// goneApply handles a read that found the channel unreadable. CHANNEL_PRIVATE is all
// Telegram says whether the owner made it private, Telegram banned it or it was deleted,
// so the status is "private" and the event went_private; re-resolving the username
// afterwards tells whether the name was freed. CHANNEL_INVALID with a hash that worked
// before means the hash is no longer good for this account: the username is resolved
// again, or without one the channel is recorded as not found.
func (c *Collector) goneApply(ctx context.Context, j *job, err error) func() {
	now := c.opts.Clock.Now()
	prev := j.ch
	status, kind := schema.StatusPrivate, schema.EventWentPrivate
	invalid := errors.Is(err, telegram.ErrChannelInvalid)
	if invalid {
		if prev.Username != "" {
			status = ""
		} else {
			status, kind = schema.StatusNotFound, schema.EventDeleted
		}
	}
	var evs []event
	if status != "" && prev.Included && !schema.StatusGone(prev.Status) && prev.Status != "" {
		evs = append(evs, event{kind: kind, old: prev.Status, new: status})
	}
	writeErr := c.writeEvents(ctx, prev.ID, prev.Username, now, evs)
	if writeErr == nil && status != "" && prev.Status != status {
		row := schema.Channel{
			Platform: schema.PlatformTelegram, ChannelID: uint64(prev.ID), ExternalID: strconv.FormatInt(prev.ID, 10),
			Username: prev.Username, Title: prev.Title, About: prev.About, Kind: "channel", Status: status,
			Subscribers: uint64(max(prev.Subscribers, 0)), CreatedAt: prev.CreatedAt.Time(), FirstSeenAt: prev.FirstSeen.Time(),
			LastSeenAt: prev.LastSeen.Time(), Verified: b2u(prev.Verified), Scam: b2u(prev.Scam), Fake: b2u(prev.Fake),
			Restricted: b2u(prev.Restricted), Source: sourceCollector, Version: schema.Version(now),
		}
		if prev.Megagroup {
			row.Kind = "supergroup"
		}
		writeErr = c.out.Channels.Write(ctx, row)
	}
	return func() {
		live := c.frame.channels[prev.ID]
		if live == nil {
			return
		}
		if writeErr != nil {
			c.log.Error("writing a status change failed", "channel", prev.ID, "err", writeErr)
			return
		}
		live.LastSnapshot = state.At(j.now)
		if invalid {
			delete(j.acct.st.Peers, live.ID)
			j.acct.dirty = true
		}
		if status != "" {
			live.Status = status
		}
		if live.Username != "" {
			live.Recheck = live.Username
		}
		if !live.Included {
			live.Reason = "unreadable: " + strings.TrimPrefix(kind, "went_")
			live.CheckedAt = state.At(j.now)
			live.RefsDirty = true
		}
		c.summary.Events += len(evs)
		c.frame.markDirty(live)
		if invalid {
			c.rehome(live, j.acct)
		}
		c.plan(live, c.opts.Clock.Now())
	}
}

// runRecheck resolves a username again after a rename or a disappearance: freed, still the
// channel's, or taken by another channel.
func (c *Collector) runRecheck(ctx context.Context, j *job) (func(), error) {
	peer, err := j.acct.client.ResolveUsername(ctx, j.username)
	now := c.opts.Clock.Now()
	var evs []event
	switch {
	case err == nil && peer.ChannelID == j.ch.ID:
	case err == nil:
		evs = append(evs, event{kind: schema.EventUsernameFreed, old: j.username, new: "taken by " + strconv.FormatInt(peer.ChannelID, 10)})
	case errors.Is(err, telegram.ErrUsernameNotOccupied), errors.Is(err, telegram.ErrUsernameInvalid), errors.Is(err, telegram.ErrNotChannel):
		evs = append(evs, event{kind: schema.EventUsernameFreed, old: j.username})
	default:
		return nil, err
	}
	if !j.ch.Included {
		evs = nil
	}
	if err := c.writeEvents(ctx, j.ch.ID, j.username, now, evs); err != nil {
		return nil, err
	}
	return func() {
		live := c.frame.channels[j.ch.ID]
		if live == nil {
			return
		}
		if live.Recheck == j.username {
			live.Recheck = ""
		}
		c.summary.Events += len(evs)
		if err == nil && peer.ChannelID == live.ID {
			c.pool.learnPeer(j.acct, telegram.ChannelInfo{Peer: peer})
			if live.Home == "" || c.pool.byLabel[live.Home] == nil || c.pool.byLabel[live.Home].st.Peers[live.ID] == 0 {
				c.setHome(live, j.acct)
			}
			if schema.StatusGone(live.Status) || live.Status == "" {
				live.LastSnapshot = 0 // it resolves: look again at once
			}
		} else if strings.EqualFold(live.Username, j.username) {
			c.frame.names.drop(j.username, live.ID)
		}
		c.frame.markDirty(live)
		c.plan(live, c.opts.Clock.Now())
	}, nil
}

// runPinned reads a channel's pinned post for the handles and links it names.
func (c *Collector) runPinned(ctx context.Context, j *job) (func(), error) {
	msgs, err := j.acct.client.GetMessages(ctx, j.peer, j.ids)
	if err != nil {
		if isChannelGone(err) {
			return c.goneApply(ctx, j, err), nil
		}
		return nil, err
	}
	now := c.opts.Clock.Now()
	var handles []state.Handle
	if len(msgs) == 1 && msgs[0] != nil {
		m := msgs[0]
		handles = pinnedHandles(m)
		if m.ID <= j.ch.Floor {
			// Not in the stored history (before --since): its links are stored from here.
			base := schema.PostLink{Platform: schema.PlatformTelegram, ChannelID: uint64(j.ch.ID), PostID: uint64(m.ID), PostedAt: m.Date, RunID: c.opts.Run.ID}
			var rows []schema.PostLink
			for _, l := range links.Extract(m.Text, fromEntities(m.Entities)) {
				row, _ := c.rows.linkRow(base, l.URL, string(l.Platform), "pinned", j.ch.ID, j.ch.Username)
				rows = append(rows, row)
			}
			if len(rows) > 0 {
				if err := c.out.Links.Write(ctx, rows...); err != nil {
					return nil, fmt.Errorf("write pinned links: %w", err)
				}
			}
		}
		if al := c.rows.accountLinks(j.ch.ID, "link_in_pinned", handles, now, now); len(al) > 0 {
			if err := c.out.AccountLinks.Write(ctx, al...); err != nil {
				return nil, fmt.Errorf("write account links: %w", err)
			}
			c.m.rows.WithLabelValues(schema.TableAccountLinks).Add(float64(len(al)))
		}
	}
	return func() {
		live := c.frame.channels[j.ch.ID]
		if live == nil {
			return
		}
		live.PinnedRead = j.ids[0]
		live.PinnedHandles = handles
		live.PinnedSince = state.At(now)
		c.frame.markDirty(live)
		c.plan(live, c.opts.Clock.Now())
	}, nil
}

// aboutHandles are the off-platform accounts an about text names.
func aboutHandles(about string) []state.Handle {
	return toHandles(links.ExtractHandles(about))
}

// pinnedHandles are the off-platform accounts a pinned post names, in its text or behind
// its text links.
func pinnedHandles(m *telegram.Message) []state.Handle {
	hs := links.ExtractHandles(m.Text)
	for _, e := range m.Entities {
		if e.URL == "" {
			continue
		}
		u, err := links.Normalize(e.URL)
		if err != nil {
			continue
		}
		if h, ok := links.ProfileHandle(u); ok {
			h.Evidence = e.URL
			hs = append(hs, h)
		}
	}
	return toHandles(hs)
}

func toHandles(hs []links.Handle) []state.Handle {
	var out []state.Handle
	seen := map[string]bool{}
	for _, h := range hs {
		if h.Platform == links.PlatformTelegram || h.Handle == "" {
			continue
		}
		k := string(h.Platform) + "/" + h.Handle
		if seen[k] {
			continue
		}
		seen[k] = true
		sh := state.Handle{Platform: string(h.Platform), Handle: h.Handle, Evidence: h.Evidence, Confidence: float32(h.Confidence.Score())}
		if h.Method == links.HandleFromURL {
			if u, err := links.Normalize(h.Evidence); err == nil {
				sh.URL = u.String()
			}
		}
		out = append(out, sh)
	}
	return out
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
