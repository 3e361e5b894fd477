package tgsim

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/tgsim/internal/testclient"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

// A real gotd client in another process logs in, resolves every username
// (current, freed and malformed), reads each channel's full history, re-reads
// the counters and probes the id gaps; everything it saw must equal the
// world's ground truth at that world time.
func TestChildClientMatchesTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end with a child process")
	}
	w := mustWorld(t)
	at := testTime(w)
	s := startSim(t, Options{World: w, Limits: Limits{Off: true}})

	tr, err := w.Truth(world.TruthOptions{SnapshotTimes: []time.Time{at}, Until: at})
	require.NoError(t, err)
	channels := map[int64]world.TruthChannel{}
	for _, c := range tr.Channels {
		channels[c.ID] = c
	}
	snaps := map[string]world.TruthSnapshot{} // current username -> snapshot
	for _, sn := range tr.Snapshots {
		if sn.Status == world.StatusActive && sn.Username != "" {
			snaps[strings.ToLower(sn.Username)] = sn
		}
	}
	require.GreaterOrEqual(t, len(snaps), 10)
	var usernames, freed []string
	for _, sn := range tr.Snapshots {
		if sn.Username != "" {
			usernames = append(usernames, sn.Username)
		}
	}
	for _, c := range tr.Channels {
		for _, sp := range c.Usernames {
			if sp.Value != "" {
				if _, held := snaps[strings.ToLower(sp.Value)]; !held {
					freed = append(freed, sp.Value)
				}
			}
		}
	}
	require.NotEmpty(t, freed, "the world should have renamed or vanished channels by then")
	sort.Strings(usernames)
	sort.Strings(freed)
	job := testclient.Job{
		Config:  clientConfig(t, s, testPhone),
		Collect: append(append(append([]string{}, usernames...), freed...), "a-b"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := testclient.Spawn(ctx, t.TempDir(), job)
	require.NoError(t, err)

	require.InDelta(t, at.Unix(), res.WorldDate, 1, "help.getConfig reports world time")
	require.Len(t, res.Channels, len(job.Collect))

	posts := map[int64][]world.TruthPost{}
	for _, p := range tr.Posts {
		if p.Date.After(at) || (p.Deleted != nil && !p.Deleted.After(at)) {
			continue
		}
		posts[p.Channel] = append(posts[p.Channel], p)
	}
	links := map[[2]int64][]world.PlantedLink{}
	for _, l := range tr.Links {
		k := [2]int64{l.Channel, int64(l.Post)}
		links[k] = append(links[k], l)
	}
	mentions := map[[2]int64][]world.PlantedMention{}
	for _, m := range tr.Mentions {
		k := [2]int64{m.Channel, int64(m.Post)}
		mentions[k] = append(mentions[k], m)
	}

	totalPosts, totalPages := 0, 0
	for _, got := range res.Channels {
		sn, occupied := snaps[strings.ToLower(got.Username)]
		switch {
		case got.Username == "a-b":
			require.Equal(t, "USERNAME_INVALID", got.Error)
			continue
		case !occupied:
			require.Equal(t, "USERNAME_NOT_OCCUPIED", got.Error, got.Username)
			continue
		}
		require.Empty(t, got.Error, got.Username)
		tc := channels[sn.Channel]
		require.Equal(t, sn.Channel, got.ID)
		require.Equal(t, tc.AccessHash, got.AccessHash)
		require.Equal(t, sn.Title, got.Title)
		require.Equal(t, sn.About, got.About)
		require.Equal(t, sn.Subscribers, got.Subscribers)
		require.Equal(t, sn.PinnedMsgID, got.Pinned)
		require.Equal(t, [4]bool{sn.Verified, sn.Scam, sn.Fake, sn.Restricted}, [4]bool{got.Verified, got.Scam, got.Fake, got.Restricted})
		require.Equal(t, tc.LinkedChatID, got.LinkedChat)
		require.Len(t, got.Restrictions, len(tc.Restrictions))

		want := posts[sn.Channel]
		sort.Slice(want, func(i, j int) bool { return want[i].ID > want[j].ID }) // newest first, as paged
		require.Equal(t, len(want), got.Count, "true count of %s", got.Username)
		require.Len(t, got.Posts, len(want), got.Username)
		totalPosts += len(got.Posts)
		totalPages += got.Pages

		ids := make([]int, len(want))
		for i, tp := range want {
			p := got.Posts[i]
			ids[i] = tp.ID
			require.Equal(t, tp.ID, p.ID)
			require.Equal(t, tp.Date.Unix(), p.Date, "post %d", p.ID)
			require.Equal(t, tp.Service, p.Service)
			require.Equal(t, tp.Action, p.Action)
			require.Equal(t, tp.GroupedID, p.GroupedID)
			require.Equal(t, tp.Media, p.Media)
			require.Equal(t, tp.FwdChannel, p.FwdChannel)
			require.Equal(t, tp.FwdPost, p.FwdPost)
			require.Equal(t, tp.FwdFromName, p.FwdName)
			require.Equal(t, tp.ReplyTo, p.ReplyTo)
			if tp.Edited != nil {
				require.Equal(t, tp.Edited.Unix(), p.EditDate, "post %d edit", p.ID)
			} else {
				require.Zero(t, p.EditDate)
			}
			if !p.Service {
				require.Equal(t, tp.TextLength, len(utf16.Encode([]rune(p.Text))), "post %d text", p.ID)
			}
			if p.FwdChannel != 0 {
				require.Contains(t, got.Chats, p.FwdChannel, "forward source listed in chats")
			}
			for _, l := range links[[2]int64{sn.Channel, int64(p.ID)}] {
				if l.Entity == "text_url" {
					require.True(t, hasTextURL(p, l.URL), "post %d hides %s", p.ID, l.URL)
				} else {
					require.Contains(t, p.Text, l.URL, "post %d", p.ID)
				}
			}
			for _, m := range mentions[[2]int64{sn.Channel, int64(p.ID)}] {
				require.Contains(t, p.Text, "@"+m.Username, "post %d", p.ID)
			}
		}

		// Counters: the world's own values at that time, both from the
		// history pages and from messages.getMessagesViews.
		truth, err := w.MessagesByID(sn.Channel, at, ids)
		require.NoError(t, err)
		for i, m := range truth {
			require.NotNil(t, m)
			p := got.Posts[i]
			if m.Service {
				continue
			}
			require.Equal(t, [3]int{m.Views, m.Forwards, m.Replies}, [3]int{p.Views, p.Forwards, p.Replies}, "post %d", p.ID)
			c := got.Counters[p.ID]
			require.Equal(t, [3]int{m.Views, m.Forwards, m.Replies}, [3]int{c.Views, c.Forwards, c.Replies}, "views of post %d", p.ID)
			require.Len(t, p.Reactions, len(m.Reactions))
			for j, r := range m.Reactions {
				require.Equal(t, testclient.Reaction{Emoji: r.Emoji, Count: r.Count}, p.Reactions[j])
			}
		}

		// The gaps channels.getMessages reports are exactly the ids not visible.
		visible := map[int]bool{}
		for _, id := range ids {
			visible[id] = true
		}
		var gaps []int
		for id := 1; id <= ids[0]; id++ {
			if !visible[id] {
				gaps = append(gaps, id)
			}
		}
		require.Equal(t, gaps, got.Empty, got.Username)
	}
	require.Greater(t, totalPosts, 1000)
	t.Logf("child client read %d posts in %d pages from %d channels", totalPosts, totalPages, len(snaps))

	// The server saw exactly one login and no member listing or joining.
	st := s.Stats()
	require.Equal(t, 1, st.Methods["auth.signIn"])
	require.Zero(t, st.Methods["channels.joinChannel"])
	require.Zero(t, st.Methods["channels.getParticipants"])
	require.Equal(t, totalPages+len(snaps), st.Methods["messages.getHistory"])
	require.Equal(t, len(job.Collect), st.Methods["contacts.resolveUsername"])
	for _, c := range s.Calls() {
		if c.Method == "messages.getMessagesViews" {
			require.Contains(t, c.Params, "increment=false")
		}
		if c.Method == "messages.getHistory" {
			require.Equal(t, testPhone, c.Account)
			require.Equal(t, 229, c.Layer)
		}
	}
}

func hasTextURL(p testclient.Post, url string) bool {
	for _, e := range p.Entities {
		if e.Type == "text_url" && e.URL == url {
			return true
		}
	}
	return false
}
