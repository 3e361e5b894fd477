package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

func run(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = execute(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestEveryCommandHasAnExample(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() != "help" {
			require.NotEmpty(t, c.Example, c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(io.Discard, io.Discard))
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--channels", "5"}, "--channels 5: want 10 to 100000"},
		{[]string{"serve", "--listen", "0.0.0.0:0"}, `--listen: "0.0.0.0:0" is not a loopback address`},
		{[]string{"serve", "--speed", "0"}, "--speed 0: want > 0"},
		{[]string{"serve", "--no-limits", "--limits", "x.json"}, "--no-limits and --limits exclude each other"},
		{[]string{"serve", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"truth", "--channels", "10", "--until", "soon"}, `--until "soon": want an RFC3339 time or a duration`},
		{[]string{"truth", "--channels", "10", "--ages", "1h,-2h"}, `--ages "-2h": want positive durations`},
		{[]string{"truth", "--channels", "10", "--every", "1s"}, `--every "1s": want a duration of at least 1m`},
		{[]string{"load-truth", "--channels", "10"}, "--run-id is required"},
		{[]string{"load-truth", "--channels", "10", "--run-id", "r", "--until", "soon"}, `--until "soon": want an RFC3339 time or a duration`},
		{[]string{"load-truth", "--channels", "5", "--run-id", "r"}, "--channels 5: want 10 to 100000"},
		{[]string{"nonsense"}, `unknown command "nonsense"`},
	} {
		code, _, stderr := run(t, context.Background(), tc.args...)
		require.Equal(t, exitUsage, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, tc.args)
	}
}

func TestTruthIsDeterministic(t *testing.T) {
	args := []string{"truth", "--channels", "10", "--seed", "3", "--until", "10d", "--every", "2d", "--ages", "1h,1d"}
	code, first, stderr := run(t, context.Background(), args...)
	require.Equal(t, exitOK, code, stderr)
	code, second, _ := run(t, context.Background(), args...)
	require.Equal(t, exitOK, code)
	require.Equal(t, first, second)

	var tr struct {
		Seed      int64             `json:"seed"`
		Until     time.Time         `json:"until"`
		Channels  []json.RawMessage `json:"channels"`
		Snapshots []struct {
			At time.Time `json:"at"`
		} `json:"snapshots"`
		Posts []struct {
			Counters []struct {
				Age string `json:"age"`
			} `json:"counters"`
		} `json:"posts"`
	}
	require.NoError(t, json.Unmarshal([]byte(first), &tr))
	require.Equal(t, int64(3), tr.Seed)
	require.Equal(t, time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC), tr.Until)
	require.NotEmpty(t, tr.Channels)
	require.NotEmpty(t, tr.Snapshots)
	require.NotEmpty(t, tr.Posts)
	ages := map[string]bool{}
	for _, p := range tr.Posts {
		for _, c := range p.Counters {
			ages[c.Age] = true
		}
	}
	require.Equal(t, map[string]bool{"1h0m0s": true, "1d": true}, ages)
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	keyOut, addrOut, ctlOut := filepath.Join(dir, "sim.pem"), filepath.Join(dir, "sim.addr"), filepath.Join(dir, "ctl.addr")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errOut bytes.Buffer
		code := execute(ctx, []string{"serve", "--channels", "10", "--speed", "86400", "--start", "10d",
			"--key", filepath.Join(dir, "sim.key"), "--key-out", keyOut, "--addr-out", addrOut,
			"--control", "127.0.0.1:0", "--control-out", ctlOut}, &out, &errOut)
		done <- result{code, out.String(), errOut.String()}
	}()
	require.Eventually(t, func() bool {
		_, err := os.Stat(ctlOut)
		return err == nil
	}, 30*time.Second, 20*time.Millisecond)

	addr, err := os.ReadFile(addrOut)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", strings.TrimSpace(string(addr)))
	require.NoError(t, err)
	require.NoError(t, conn.Close())

	pemData, err := os.ReadFile(keyOut)
	require.NoError(t, err)
	block, _ := pem.Decode(pemData)
	require.NotNil(t, block)
	require.Equal(t, "RSA PUBLIC KEY", block.Type)
	_, err = x509.ParsePKCS1PublicKey(block.Bytes)
	require.NoError(t, err)

	ctl, err := os.ReadFile(ctlOut)
	require.NoError(t, err)
	res, err := http.Get("http://" + strings.TrimSpace(string(ctl)) + "/clock")
	require.NoError(t, err)
	var clock struct {
		World time.Time `json:"world"`
		Speed float64   `json:"speed"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&clock))
	require.NoError(t, res.Body.Close())
	require.Equal(t, 86400.0, clock.Speed)
	require.True(t, clock.World.After(time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)), clock.World)

	cancel()
	r := <-done
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, strings.TrimSpace(string(addr)), strings.TrimSpace(r.stdout))

	// The same key file gives the same public key next time.
	again, err := loadOrCreateKey(filepath.Join(dir, "sim.key"))
	require.NoError(t, err)
	require.Equal(t, block.Bytes, x509.MarshalPKCS1PublicKey(&again.PublicKey))
}

func TestServeRejectsBadLimitsFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "limits.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"methods": {"messages.getHistory": {"rate": 1, "burst": 0}}}`), 0o600))
	code, _, stderr := run(t, context.Background(), "serve", "--channels", "10", "--limits", bad)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, `limits: method "messages.getHistory": burst 0: want >= 1`)
	require.NoError(t, os.WriteFile(bad, []byte(`{"grase": "1s"}`), 0o600))
	code, _, stderr = run(t, context.Background(), "serve", "--channels", "10", "--limits", bad)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, `unknown field "grase"`)
}

func TestSeedsArePublicAndSpreadOverCommunities(t *testing.T) {
	ctx := context.Background()
	code, out, errOut := run(t, ctx, "seeds", "--channels", "60", "--seed", "3", "--at", "20d", "--count", "8")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 8)

	spec := world.DefaultSpec(60)
	w, err := world.Generate(spec, 3)
	require.NoError(t, err)
	at := w.Start().Add(20 * 24 * time.Hour)
	truth, err := w.Truth(world.TruthOptions{NoPosts: true, Until: at})
	require.NoError(t, err)
	community := map[int64]int{}
	for _, c := range truth.Channels {
		community[c.ID] = c.Community
	}
	seen := map[int]bool{}
	for _, l := range lines {
		require.True(t, strings.HasPrefix(l, "@"), l)
		v, err := w.ResolveUsername(strings.TrimPrefix(l, "@"), at)
		require.NoError(t, err, "seed %s must resolve at --at", l)
		require.Equal(t, world.StatusActive, v.Status)
		seen[community[v.ID]] = true
	}
	require.Greater(t, len(seen), 1, "seeds must come from more than one community")

	code, again, _ := run(t, ctx, "seeds", "--channels", "60", "--seed", "3", "--at", "20d", "--count", "8")
	require.Equal(t, 0, code)
	require.Equal(t, out, again, "seeds must be deterministic")

	code, _, _ = run(t, ctx, "seeds", "--count", "0")
	require.Equal(t, 2, code)
}
