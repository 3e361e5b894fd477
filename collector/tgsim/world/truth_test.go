package world

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	migrationOnce  sync.Once
	migrationWorld *World
	migrationTruth *Truth
	migrationErr   error
)

// migration returns the world of testdata/migration.yaml and its truth.
func migration(t testing.TB) (*World, *Truth) {
	t.Helper()
	migrationOnce.Do(func() {
		var spec Spec
		if spec, migrationErr = LoadSpec("testdata/migration.yaml"); migrationErr != nil {
			return
		}
		if migrationWorld, migrationErr = Generate(spec, 11); migrationErr != nil {
			return
		}
		migrationTruth, migrationErr = migrationWorld.Truth(TruthOptions{})
	})
	require.NoError(t, migrationErr)
	return migrationWorld, migrationTruth
}

func TestTakedownShiftsLinks(t *testing.T) {
	w, tr := migration(t)
	takedown := w.events[0].at // twitter
	dates := map[[2]int64]int64{}
	for _, p := range tr.Posts {
		dates[[2]int64{p.Channel, int64(p.ID)}] = p.Date.Unix()
	}
	share := func(from, to int64) map[string]float64 {
		n := map[string]float64{}
		total := 0.0
		for _, l := range tr.Links {
			d := dates[[2]int64{l.Channel, int64(l.Post)}]
			if d < from || d >= to || l.Forwarded {
				continue
			}
			n[l.Platform]++
			total++
		}
		for k := range n {
			n[k] /= total
		}
		return n
	}
	before := share(takedown-30*day, takedown)
	after := share(takedown+7*day, takedown+37*day)
	t.Logf("twitter %.3f -> %.3f, telegram %.3f -> %.3f, bluesky %.3f -> %.3f", before["twitter"], after["twitter"], before["telegram"], after["telegram"], before["bluesky"], after["bluesky"])
	require.Greater(t, before["twitter"], 0.15)
	require.Less(t, after["twitter"], before["twitter"]/4, "links to twitter fall sharply")
	for _, p := range []string{"telegram", "bluesky", "gab", "rumble", "truthsocial"} {
		require.Greater(t, after[p], before[p], "%s rises", p)
	}
	// Every link's URL matches its planted platform's domains.
	for _, l := range tr.Links {
		require.True(t, urlOnPlatform(l.URL, l.Platform), "%s is not %s", l.URL, l.Platform)
	}
}

// urlOnPlatform reports whether url's host is one of the platform's domains.
func urlOnPlatform(url, platform string) bool {
	host := url
	for _, scheme := range []string{"https://", "http://"} {
		host = strings.TrimPrefix(host, scheme)
	}
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	for _, d := range PlatformDomains(platform) {
		if host == d {
			return true
		}
	}
	return false
}

func TestAttackBurst(t *testing.T) {
	w, tr := migration(t)
	var attack *worldEvent
	for i := range w.events {
		if w.events[i].spec.Kind == EventAttack {
			attack = &w.events[i]
		}
	}
	require.NotNil(t, attack)
	members := map[int64]bool{}
	for _, ch := range w.chans {
		if ch.community == attack.community {
			members[ch.id] = true
		}
	}
	// Posts in the 24 hours after the attack against the same hours of the
	// three weeks before.
	count := func(from int64) (in, out int) {
		for _, p := range tr.Posts {
			d := p.Date.Unix()
			if d < from || d >= from+day || p.Service {
				continue
			}
			if members[p.Channel] {
				in++
			} else {
				out++
			}
		}
		return in, out
	}
	in, out := count(attack.at)
	var inBase, outBase float64
	for k := int64(1); k <= 3; k++ {
		i, o := count(attack.at - 7*k*day)
		inBase += float64(i) / 3
		outBase += float64(o) / 3
	}
	t.Logf("community posts %d vs %.0f before; others %d vs %.0f", in, inBase, out, outBase)
	require.Greater(t, float64(in), 1.8*inBase, "the community bursts")
	require.Less(t, math.Abs(float64(out)-outBase), 0.3*outBase, "others do not")
}

func TestDailyCycle(t *testing.T) {
	w, tr := migration(t)
	tz := map[int64]int{}
	for _, ch := range w.chans {
		tz[ch.id] = w.communities[ch.community].tz
	}
	var hours [24]int
	for _, p := range tr.Posts {
		if p.Service {
			continue
		}
		local := (p.Date.Hour() + tz[p.Channel] + 48) % 24
		hours[local]++
	}
	night := hours[2] + hours[3] + hours[4]
	evening := hours[15] + hours[16] + hours[17]
	t.Logf("posts by local hour: %v", hours)
	require.Greater(t, evening, 5*night, "channels post in their community's waking hours")
}

func TestForwardNetwork(t *testing.T) {
	w, tr := migration(t)
	same, total := 0, 0
	for _, e := range tr.Forwards {
		require.Positive(t, e.Count)
		require.NotEqual(t, e.Channel, e.Source)
		if w.byID[e.Channel].community == w.byID[e.Source].community {
			same += e.Count
		}
		total += e.Count
	}
	require.Positive(t, total)
	require.Greater(t, float64(same)/float64(total), 0.75, "communities forward mostly from each other")

	// Every forward from a world channel points at a real, earlier post of it.
	posts := map[[2]int64]TruthPost{}
	for _, p := range tr.Posts {
		posts[[2]int64{p.Channel, int64(p.ID)}] = p
	}
	checked := 0
	for _, p := range tr.Posts {
		if p.FwdChannel == 0 {
			continue
		}
		src, ok := posts[[2]int64{p.FwdChannel, int64(p.FwdPost)}]
		require.True(t, ok, "post %d/%d forwards %d/%d", p.Channel, p.ID, p.FwdChannel, p.FwdPost)
		require.False(t, src.Service)
		require.False(t, src.Date.After(p.Date))
		checked++
	}
	require.Positive(t, checked)
}

func TestTruthMatchesAPI(t *testing.T) {
	w := small(t)
	snap := []time.Time{w.Start(), w.Start().Add(5 * 24 * time.Hour), w.End().Add(-time.Hour)}
	ages := []time.Duration{time.Hour, 24 * time.Hour}
	until := w.End().Add(-time.Hour)
	tr, err := w.Truth(TruthOptions{SnapshotTimes: snap, CounterAges: ages, Until: until})
	require.NoError(t, err)
	require.Equal(t, len(w.chans), len(tr.Channels))

	for _, s := range tr.Snapshots {
		ch := w.byID[s.Channel]
		v, err := w.Channel(ch.id, ch.hash, s.At)
		if s.Status == StatusActive {
			require.NoError(t, err)
			require.Equal(t, v.Subscribers, s.Subscribers)
			require.Equal(t, v.Username, s.Username)
			require.Equal(t, v.About, s.About)
			require.Equal(t, v.PinnedMsgID, s.PinnedMsgID)
			require.Equal(t, v.Title, s.Title)
		} else {
			require.ErrorIs(t, err, ErrChannelPrivate)
			require.Zero(t, s.Subscribers)
		}
	}

	byChannel := map[int64][]TruthPost{}
	for _, p := range tr.Posts {
		require.False(t, p.Date.After(until))
		byChannel[p.Channel] = append(byChannel[p.Channel], p)
	}
	for _, ch := range w.chans {
		posts := byChannel[ch.id]
		at := until
		if ch.statusAt(until.Unix()) != StatusActive {
			at = unixTime(ch.terminalAt - 1)
		}
		// Every message visible at `at` is in the truth, not deleted by then.
		var visible []int
		for _, p := range posts {
			if !p.Date.After(at) && (p.Deleted == nil || p.Deleted.After(at)) {
				visible = append(visible, p.ID)
			}
		}
		got := pageAll(t, w, ch.id, at)
		require.Equal(t, len(visible), len(got))
		for i := range got {
			require.Equal(t, visible[len(visible)-1-i], got[i])
		}
		// Counters at each age are what a re-read at that age gives.
		for _, p := range posts[:min(len(posts), 40)] {
			for _, c := range p.Counters {
				msgs, err := w.MessagesByID(ch.id, p.Date.Add(c.Age.D()), []int{p.ID})
				require.NoError(t, err)
				require.NotNil(t, msgs[0])
				require.Equal(t, c.Views, msgs[0].Views)
				require.Equal(t, c.Forwards, msgs[0].Forwards)
				require.Equal(t, c.Replies, msgs[0].Replies)
				require.Equal(t, len(c.Reactions), len(msgs[0].Reactions))
			}
		}
	}

	// Links and mentions are where the texts put them.
	texts := map[[2]int64]Message{}
	for _, ch := range w.chans {
		h := w.history(ch)
		for i := range h.msgs {
			s := &h.msgs[i]
			texts[[2]int64{ch.id, int64(s.id)}] = w.message(s, s.date, new([]Reaction))
		}
	}
	for _, l := range tr.Links {
		m := texts[[2]int64{l.Channel, int64(l.Post)}]
		found := false
		for _, e := range m.Entities {
			switch {
			case e.Type == "text_url" && e.URL == l.URL && l.Entity == "text_url":
				found = true
			case e.Type == "url" && l.Entity == "url" && utf16Slice(m.Text, e.Offset, e.Length) == l.URL:
				found = true
			}
		}
		require.True(t, found, "link %s in %q", l.URL, m.Text)
		if l.TargetChannel != 0 && l.TargetPost != 0 {
			require.Contains(t, l.URL, "/"+strconv.Itoa(l.TargetPost))
		}
	}
	for _, mn := range tr.Mentions {
		m := texts[[2]int64{mn.Channel, int64(mn.Post)}]
		require.Contains(t, m.Text, "@"+mn.Username)
		target := w.byID[mn.Target]
		require.Equal(t, mn.Username, target.usernames[spanAt(target.usernames, m.Date.Unix())].value, "a mention names the target's username of the day")
	}
	require.NotEmpty(t, tr.Links)
	require.NotEmpty(t, tr.Mentions)

	// The JSON form round-trips.
	b, err := json.Marshal(tr)
	require.NoError(t, err)
	var back Truth
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, len(tr.Posts), len(back.Posts))
}

func pageAll(t *testing.T, w *World, id int64, at time.Time) []int {
	var out []int
	offset := 0
	for {
		msgs, _, err := w.History(id, at, HistoryQuery{OffsetID: offset, Limit: 100})
		require.NoError(t, err)
		if len(msgs) == 0 {
			return out
		}
		out = append(out, ids(msgs)...)
		offset = msgs[len(msgs)-1].ID
	}
}

func utf16Slice(s string, off, n int) string {
	var out []rune
	pos := 0
	for _, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if pos >= off && pos < off+n {
			out = append(out, r)
		}
		pos += w
	}
	return string(out)
}

func TestTruthEventsAtTheRightTimes(t *testing.T) {
	w := small(t)
	tr, err := w.Truth(TruthOptions{NoPosts: true})
	require.NoError(t, err)
	require.Empty(t, tr.Posts)
	kinds := map[string]int{}
	for _, e := range tr.Events {
		kinds[e.Kind]++
		ch := w.byID[e.Channel]
		at := e.At
		switch e.Kind {
		case TruthRenamed:
			v, err := w.Channel(ch.id, ch.hash, at)
			require.NoError(t, err)
			require.Equal(t, e.New, v.Username)
			v, err = w.Channel(ch.id, ch.hash, at.Add(-time.Second))
			require.NoError(t, err)
			require.Equal(t, e.Old, v.Username)
		case TruthTitleChanged:
			v, err := w.Channel(ch.id, ch.hash, at)
			require.NoError(t, err)
			require.Equal(t, e.New, v.Title)
			// A service message announces it.
			msgs, _, err := w.History(ch.id, at, HistoryQuery{Limit: 5})
			require.NoError(t, err)
			found := false
			for _, m := range msgs {
				if m.Service && m.Action == ActionTitleChanged && m.Date.Equal(at) && m.Text == e.New {
					found = true
				}
			}
			require.True(t, found)
		case TruthAboutChanged:
			v, err := w.Channel(ch.id, ch.hash, at)
			require.NoError(t, err)
			require.Equal(t, e.New, v.About)
		case TruthBanned, TruthWentPrivate, TruthDeleted:
			_, err := w.Channel(ch.id, ch.hash, at)
			require.ErrorIs(t, err, ErrChannelPrivate)
			_, err = w.Channel(ch.id, ch.hash, at.Add(-time.Second))
			require.NoError(t, err)
		case TruthReincarnated:
			require.NotZero(t, e.Predecessor)
			require.Equal(t, unixTime(ch.created), at)
		case TruthCreated:
			_, err := w.Channel(ch.id, ch.hash, at)
			require.NoError(t, err)
		}
	}
	for _, k := range []string{TruthCreated, TruthRenamed, TruthBanned, TruthReincarnated, TruthAccountSuspended, TruthAboutChanged} {
		require.Positive(t, kinds[k], k)
	}
}

func TestCrossPlatformAccounts(t *testing.T) {
	w, tr := migration(t)
	require.NotEmpty(t, tr.Accounts)
	evidence := map[string]int{}
	suspended := 0
	for _, a := range tr.Accounts {
		ch := w.byID[a.Channel]
		require.NotEmpty(t, a.Evidence)
		for _, ev := range a.Evidence {
			evidence[ev]++
			switch ev {
			case "about":
				// Some about version names the handle.
				found := false
				for _, s := range ch.abouts {
					if strings.Contains(strings.ToLower(s.value), strings.ToLower(a.Handle)) {
						found = true
					}
				}
				require.True(t, found, "%s/%s in about", a.Platform, a.Handle)
			case "pinned":
				pin := w.pinnedAt(ch, ch.stop-1)
				require.NotZero(t, pin)
				msgs, err := w.MessagesByID(ch.id, unixTime(ch.stop-1), []int{pin})
				require.NoError(t, err)
				require.NotNil(t, msgs[0])
				require.Contains(t, strings.ToLower(msgs[0].Text), strings.ToLower(a.Handle))
			}
		}
		if a.Suspended != nil {
			suspended++
			require.Contains(t, []string{"twitter", "facebook"}, a.Platform, "only the platforms taken down suspend accounts")
		}
	}
	require.Positive(t, evidence["about"])
	require.Positive(t, evidence["pinned"])
	require.Positive(t, suspended)
}

func TestBanWave(t *testing.T) {
	w, tr := migration(t)
	var wave *worldEvent
	for i := range w.events {
		if w.events[i].platform == platformTelegram {
			wave = &w.events[i]
		}
	}
	require.NotNil(t, wave)
	alive, banned := 0, 0
	for _, ch := range w.chans {
		if ch.community != wave.community || ch.created >= wave.at || ch.statusAt(wave.at-1) != StatusActive {
			continue
		}
		alive++
		if ch.terminal == StatusBanned && ch.terminalAt >= wave.at && ch.terminalAt < wave.at+6*3600 {
			banned++
		}
	}
	require.GreaterOrEqual(t, alive, 8)
	t.Logf("ban wave: %d of %d channels banned", banned, alive)
	require.InDelta(t, 0.5, float64(banned)/float64(alive), 0.2, "the wave bans its share of the community")
	// Reincarnations follow the wave.
	reborn := 0
	for _, e := range tr.Events {
		if e.Kind == TruthReincarnated && e.At.Unix() > wave.at && e.At.Unix() < wave.at+30*day {
			reborn++
		}
	}
	require.Positive(t, reborn)
}

func TestTextOff(t *testing.T) {
	spec, err := LoadSpec("testdata/counters-only.yaml")
	require.NoError(t, err)
	spec.Channels = 60
	w, err := Generate(spec, 5)
	require.NoError(t, err)
	tr, err := w.Truth(TruthOptions{CounterAges: []time.Duration{24 * time.Hour}})
	require.NoError(t, err)
	require.Empty(t, tr.Links)
	require.Empty(t, tr.Mentions)
	require.NotEmpty(t, tr.Posts)
	require.NotEmpty(t, tr.Forwards)
	for _, a := range tr.Accounts {
		require.Equal(t, []string{"about"}, a.Evidence, "no pinned text names accounts")
	}
	for _, ch := range w.chans[:10] {
		at := unixTime(ch.stop - 1)
		msgs, _, err := w.History(ch.id, at, HistoryQuery{Limit: 100})
		require.NoError(t, err)
		for _, m := range msgs {
			if !m.Service {
				require.Empty(t, m.Text)
				require.Empty(t, m.Entities)
			}
		}
	}
}
