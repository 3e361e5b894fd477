package world

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseSpecGoodFiles(t *testing.T) {
	tests := []struct {
		file     string
		channels int
		events   int
		check    func(t *testing.T, s Spec)
	}{
		{"small.yaml", 40, 3, func(t *testing.T, s Spec) {
			require.Equal(t, 14*24*time.Hour, s.Duration.D())
			require.Equal(t, 6.0, s.Posting.PerDay)
			// Unset fields keep their defaults.
			require.Equal(t, baseSpec().Posting.Forwards, s.Posting.Forwards)
			attack := s.Events[1]
			require.Equal(t, "market attack", attack.Name)
			require.Equal(t, 2, *attack.Community)
			require.Equal(t, 4.0, attack.Burst)
			require.Equal(t, 12*time.Hour, attack.Decay.D())
			// Omitted event parameters get defaults.
			require.Equal(t, 0.9, s.Events[0].Share)
			require.Equal(t, "twitter takedown 2026-03-05", s.Events[0].Name)
			require.Equal(t, 0.3, s.Events[2].Share)
		}},
		{"migration.yaml", 300, 4, func(t *testing.T, s Spec) {
			require.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), s.Start)
			require.Equal(t, 25.0, s.Links.Platforms["twitter"])
			require.Equal(t, 2*24*time.Hour, s.Lifecycle.ReincarnationLag.D())
			// An attack's omitted decay and jump get defaults.
			require.Equal(t, 12*time.Hour, s.Events[2].Decay.D())
			require.Equal(t, 1.15, s.Events[2].Jump)
		}},
		{"counters-only.yaml", 1000, 0, func(t *testing.T, s Spec) {
			require.False(t, s.Text)
			require.Empty(t, s.Events)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := LoadSpec(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			require.Equal(t, tt.channels, s.Channels)
			require.Len(t, s.Events, tt.events)
			tt.check(t, s)
			require.NoError(t, s.Validate())
		})
	}
}

func TestParseSpecBadFiles(t *testing.T) {
	tests := []struct{ file, err string }{
		{"bad_duration.yaml", `testdata/bad/bad_duration.yaml:2: duration: invalid duration "3 weeks": unexpected " " after "3"`},
		{"bad_time.yaml", `testdata/bad/bad_time.yaml:2: start: want a time like 2026-03-10T18:00:00Z, got "yesterday"`},
		{"duplicate.yaml", `testdata/bad/duplicate.yaml:2: channels: duplicate field`},
		{"event_community.yaml", `testdata/bad/event_community.yaml:6: events[0].community: must be between 0 and 2, got 7`},
		{"event_kind.yaml", `testdata/bad/event_kind.yaml:3: events[0].kind: must be "attack" or "takedown", got "flood"`},
		{"event_platform.yaml", `testdata/bad/event_platform.yaml:5: events[0].platform: unknown platform "myspace" (known: twitter, facebook, youtube, instagram, tiktok, telegram, bluesky, mastodon, vk, gab, rumble, truthsocial, odysee, bitchute, archive, filesharing, web)`},
		{"link_platform.yaml", `testdata/bad/link_platform.yaml:4: links.platforms.friendster: unknown platform (known: twitter, facebook, youtube, instagram, tiktok, telegram, bluesky, mastodon, vk, gab, rumble, truthsocial, odysee, bitchute, archive, filesharing, web)`},
		{"not_a_number.yaml", `testdata/bad/not_a_number.yaml:1: channels: want an integer, got "forty"`},
		{"share_range.yaml", `testdata/bad/share_range.yaml:3: posting.deletions: must be between 0 and 1, got 1.5`},
		{"syntax.yaml", `testdata/bad/syntax.yaml:1: did not find expected ',' or ']'`},
		{"telegram_takedown_community.yaml", `testdata/bad/telegram_takedown_community.yaml:3: events[0].community: a telegram takedown must name its community`},
		{"terminal_sum.yaml", `testdata/bad/terminal_sum.yaml:2: lifecycle: private + bans + deletions must not exceed 1`},
		{"too_few_channels.yaml", `testdata/bad/too_few_channels.yaml:1: channels: must be between 10 and 100000, got 5`},
		{"unknown_field.yaml", `testdata/bad/unknown_field.yaml:7: posting.colour: unknown field (known: per_day, spread, daily_cycle, albums, media, edits, deletions, forwards, same_community, hidden_forwards, replies, linked_chats)`},
	}
	files, err := filepath.Glob("testdata/bad/*.yaml")
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every bad fixture has a row")
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := LoadSpec(filepath.Join("testdata", "bad", tt.file))
			require.EqualError(t, err, tt.err)
		})
	}
}

func TestParseSpecInline(t *testing.T) {
	tests := []struct {
		name, yaml, err string
	}{
		{"empty", "", "inline: empty spec"},
		{"not a mapping", "- 1\n- 2\n", "inline:1: spec: want a mapping"},
		{"nested unknown", "channels: 20\nlifecycle:\n  bans: 0.1\n  purge: 0.2\n", "inline:4: lifecycle.purge: unknown field (known: no_username, renames, title_changes, about_changes, photo_changes, private, bans, deletions, reincarnations, reincarnation_lag, carryover)"},
		{"bad bool", "channels: 20\ntext: maybe\n", `inline:2: text: want true or false, got "maybe"`},
		{"events not a list", "channels: 20\nevents: {kind: attack}\n", "inline:2: events: want a list"},
		{"attack burst", "channels: 20\nevents:\n  - {kind: attack, at: 2026-03-02, burst: 0.5}\n", "inline:3: events[0].burst: must be between 1 and 100, got 0.5"},
		{"attack with platform", "channels: 20\nevents:\n  - {kind: attack, at: 2026-03-02, platform: twitter}\n", "inline:3: events[0].platform: is for takedowns only"},
		{"web takedown", "channels: 20\nevents:\n  - {kind: takedown, at: 2026-03-02, platform: web}\n", "inline:3: events[0].platform: the open web cannot be taken down"},
		{"two errors", "channels: 1\ncommunities: 0\n", "inline:1: channels: must be between 10 and 100000, got 1\ninline:2: communities: must be between 1 and 1000, got 0"},
		{"growth mix", "channels: 20\ngrowth: {logistic: 0, exponential: 0, decline: 0}\n", "inline:2: growth: at least one of logistic, exponential, decline must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpec([]byte(tt.yaml), "inline")
			require.EqualError(t, err, tt.err)
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"90d", 90 * 24 * time.Hour, false},
		{"2w", 14 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"36h", 36 * time.Hour, false},
		{"1.5d", 36 * time.Hour, false},
		{"45m", 45 * time.Minute, false},
		{"", 0, true},
		{"d", 0, true},
		{"3 weeks", 0, true},
		{"-2d", 0, true},
		{"-2h", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := parseDuration(tt.in)
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, d.D())
		})
	}
	_, err := parseDuration(" -2d ")
	require.EqualError(t, err, `duration "-2d": negative`)
	require.Equal(t, "90d", Duration(90*24*time.Hour).String())
	require.Equal(t, "36h0m0s", Duration(36*time.Hour).String())
}

func TestDefaultSpec(t *testing.T) {
	for _, n := range []int{10, 1000, 100000} {
		s := DefaultSpec(n)
		require.NoError(t, s.Validate())
		require.Equal(t, n, s.Channels)
		var kinds []string
		for _, e := range s.Events {
			kinds = append(kinds, e.Kind+":"+e.Platform)
			require.True(t, !e.At.Before(s.Start) && e.At.Before(s.Start.Add(s.Duration.D())), "events fall inside the period")
		}
		require.ElementsMatch(t, []string{"takedown:twitter", "attack:"}, kinds)
	}
	bad := DefaultSpec(5)
	require.ErrorContains(t, bad.Validate(), "channels: must be between 10 and 100000")
	_, err := Generate(bad, 1)
	require.ErrorContains(t, err, "invalid spec")
}
