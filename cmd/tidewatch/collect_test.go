package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/collector/collect"
	"github.com/tidewatch/tidewatch/schema/chtest"
)

func TestParseShardAndSince(t *testing.T) {
	for _, c := range []struct {
		in      string
		i, n    int
		invalid bool
	}{{"", 0, 0, false}, {"0/1", 0, 1, false}, {"2/4", 2, 4, false}, {"4/4", 0, 0, true}, {"-1/2", 0, 0, true}, {"1", 0, 0, true}, {"a/b", 0, 0, true}} {
		i, n, err := parseShard(c.in)
		if c.invalid {
			require.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, []int{c.i, c.n}, []int{i, n}, c.in)
	}
	now := mustTime(t, "2024-05-10T12:00:00Z")
	for in, want := range map[string]string{
		"2024-01-31":           "2024-01-31T00:00:00Z",
		"2024-02-01T10:00:00Z": "2024-02-01T10:00:00Z",
		"30d":                  "2024-04-10T12:00:00Z",
		"72h":                  "2024-05-07T12:00:00Z",
	} {
		got, err := parseSince(in, now)
		require.NoError(t, err, in)
		require.Equal(t, mustTime(t, want), got.UTC(), in)
	}
	_, err := parseSince("yesterday", now)
	require.Error(t, err)
}

func TestCollectCommandAgainstTheSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("collects from the simulated Telegram into ClickHouse")
	}
	isolate(t)
	s := startLoginSim(t)
	ch := chtest.Migrated(t)
	t.Setenv(config.EnvName("clickhouse.addr"), ch.Addr())
	t.Setenv(config.EnvName("clickhouse.database"), ch.Database)
	t.Setenv(config.EnvName("privacy.hash_key"), "a-key-for-the-collect-command-test")
	t.Setenv(config.EnvName("collect.discovery.max_depth"), "0")

	code, _, stderr := runCollector(t, "login", "--phone", "+9996621240", "--label", "c1", "--code", "22222")
	require.Equal(t, 0, code, stderr)

	w, err := loginWorld()
	require.NoError(t, err)
	var seeds []string
	for _, id := range w.ChannelIDs() {
		hash, _ := w.AccessHash(id)
		if v, err := w.Channel(id, hash, s.WorldNow()); err == nil && v.Username != "" {
			seeds = append(seeds, "@"+v.Username)
		}
		if len(seeds) == 2 {
			break
		}
	}
	require.Len(t, seeds, 2)
	code, _, stderr = runCollector(t, append([]string{"seeds", "add"}, seeds...)...)
	require.Equal(t, 0, code, stderr)

	code, stdout, stderr := runCollector(t, "collect")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `run collect-\S+: ok`, stdout)
	require.Contains(t, stdout, ": 2 channels")

	code, stdout, stderr = runCollector(t, "collect", "--status")
	require.Equal(t, 0, code, stderr)
	for _, seed := range seeds {
		require.Contains(t, stdout, strings.ToLower(seed))
	}
	require.NotEqual(t, "0", ch.Query(t, "SELECT count() FROM posts"))
	run := ch.Query(t, "SELECT status, config_hash != '', code_version != '' FROM runs FINAL WHERE job = 'collect'")
	require.Equal(t, "ok\t1\t1", run)
	for _, m := range []string{"channels.joinChannel", "channels.getParticipants", "messages.importChatInvite"} {
		require.Zero(t, s.CallCount(m), m)
	}

	// A second run has nothing new to fetch and resolves nothing again.
	resolves := s.CallCount("contacts.resolveUsername")
	code, _, stderr = runCollector(t, "collect")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, resolves, s.CallCount("contacts.resolveUsername"))
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

func TestProgressLine(t *testing.T) {
	s := collect.Stats{Channels: 40, Candidates: 12, Pending: 3, Posts: 12345, Calls: 678, InFlight: 2, Due: 5,
		Lag: 1500 * time.Millisecond, BacklogIDs: 9000,
		Parked: []collect.ParkedPair{{Account: "acc1", Method: "messages.getHistory", Until: time.Now().Add(30 * time.Second)}}}
	line := progressLine(s, 300)
	require.Contains(t, line, "channels 40 (+12 seen, 3 to resolve)")
	require.Contains(t, line, "posts 12345 (300/s)")
	require.Contains(t, line, "due 5, lag 2s")
	require.Contains(t, line, "backlog 9000 ids, ETA 30s")
	require.Regexp(t, `waits: acc1 getHistory (29|30)s`, line)
	require.Equal(t, "?", eta(s, 0))
	require.Equal(t, "-", eta(collect.Stats{}, 10))
}
