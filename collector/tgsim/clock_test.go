package tgsim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/stretchr/testify/require"
)

func TestWorldClock(t *testing.T) {
	fake := newFakeReal()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	c := newWorldClock(Clock{Start: start, Speed: 86400, Real: fake.Now}, time.Time{})
	require.Equal(t, start, c.Now())
	fake.Advance(time.Second)
	require.Equal(t, start.Add(24*time.Hour), c.Now())
	fake.Advance(500 * time.Millisecond)
	require.Equal(t, start.Add(36*time.Hour), c.Now())

	// Changing the speed keeps the world time continuous.
	c.Set(time.Time{}, 3600)
	fake.Advance(2 * time.Second)
	require.Equal(t, start.Add(38*time.Hour), c.Now())
	c.Set(start, 0)
	require.Equal(t, start, c.Now())
	require.Equal(t, 3600.0, c.Speed())

	// Defaults: real time from the world's start.
	d := newWorldClock(Clock{Real: fake.Now}, start)
	fake.Advance(time.Minute)
	require.Equal(t, start.Add(time.Minute), d.Now())
}

// A client follows the world clock through help.getConfig's date, while
// MTProto keeps working on real time at any world speed.
func TestGetConfigReportsWorldTime(t *testing.T) {
	w := mustWorld(t)
	s := startSim(t, Options{World: w, Clock: Clock{Start: w.Start(), Speed: 86400}})
	withClient(t, s, clientConfig(t, s, testPhone), func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		first, err := api.HelpGetConfig(ctx)
		require.NoError(t, err)
		time.Sleep(200 * time.Millisecond)
		second, err := api.HelpGetConfig(ctx)
		require.NoError(t, err)
		elapsed := time.Duration(second.Date-first.Date) * time.Second
		require.InDelta(t, (4 * time.Hour).Seconds(), elapsed.Seconds(), (3 * time.Hour).Seconds(),
			"200 ms at one world day per second is about 5 world hours")
		require.Equal(t, 2, first.ThisDC)
		require.Len(t, first.DCOptions, 1)
		require.Equal(t, s.ClientOptions().Port, first.DCOptions[0].Port)
		require.Greater(t, first.Expires, first.Date)
	})
}

func TestControlEndpoint(t *testing.T) {
	s := startSim(t, Options{})
	srv := httptest.NewServer(s.ControlHandler())
	defer srv.Close()
	do := func(method, path, body string) (int, string) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}

	code, body := do("POST", "/faults", `{"latency": "1ms", "internal_rate": 0.25}`)
	require.Equal(t, 200, code, body)
	require.Equal(t, Faults{Latency: time.Millisecond, InternalRate: 0.25}, s.Faults())
	code, body = do("POST", "/faults", `{"internal_rate": 2}`)
	require.Equal(t, 400, code)
	require.Contains(t, body, "internal_rate 2")

	code, body = do("POST", "/limits", `{"methods": {"messages.getHistory": {"rate": 1, "burst": 2}}, "ban_after": 5, "grace": "2s"}`)
	require.Equal(t, 200, code, body)
	require.Equal(t, Budget{Rate: 1, Burst: 2}, s.Limits().Methods["messages.getHistory"])
	require.Equal(t, 5, s.Limits().BanAfter)
	code, _ = do("POST", "/limits", `{"methods": {"x": {"rate": 1, "burst": 0}}}`)
	require.Equal(t, 400, code)

	code, body = do("POST", "/clock?world=2026-04-01T00:00:00Z&speed=60", "")
	require.Equal(t, 200, code, body)
	require.WithinDuration(t, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), s.WorldNow(), time.Minute)
	code, _ = do("POST", "/clock?speed=-1", "")
	require.Equal(t, 400, code)

	code, body = do("POST", "/drop", "")
	require.Equal(t, 200, code)
	require.JSONEq(t, `{"dropped": 0}`, body)

	addr := s.Addr()
	code, body = do("POST", "/restart?down=10ms", "")
	require.Equal(t, 200, code, body)
	require.JSONEq(t, `{"addr": "`+addr+`"}`, body)

	code, body = do("GET", "/stats", "")
	require.Equal(t, 200, code)
	var st Stats
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	code, body = do("GET", "/calls?method=messages.getHistory", "")
	require.Equal(t, 200, code)
	require.JSONEq(t, "[]", body)
}

func TestLimitsAndFaultsJSON(t *testing.T) {
	l := Limits{
		Methods:         map[string]Budget{"messages.getHistory": {Rate: 2, Burst: 5}},
		EscalationReset: 10 * time.Minute, MaxWait: time.Hour, Grace: 1500 * time.Millisecond, BanAfter: 7,
	}
	b, err := json.Marshal(l)
	require.NoError(t, err)
	require.JSONEq(t, `{"off": false, "methods": {"messages.getHistory": {"rate": 2, "burst": 5}},
		"escalation_reset": "10m0s", "max_wait": "1h0m0s", "ban_after": 7, "grace": "1.5s"}`, string(b))
	var back Limits
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, l, back)
	require.NoError(t, json.Unmarshal([]byte(`{"grace": 1000000}`), &back), "nanoseconds too")
	require.Equal(t, time.Millisecond, back.Grace)
	require.ErrorContains(t, json.Unmarshal([]byte(`{"graec": "1s"}`), &back), `unknown field "graec"`)
	require.ErrorContains(t, json.Unmarshal([]byte(`{"grace": "soon"}`), &back), `duration "soon"`)

	f := Faults{Latency: 250 * time.Millisecond, TimeoutRate: 0.1}
	b, err = json.Marshal(f)
	require.NoError(t, err)
	require.JSONEq(t, `{"latency": "250ms", "timeout_rate": 0.1}`, string(b))
	var fb Faults
	require.NoError(t, json.Unmarshal(b, &fb))
	require.Equal(t, f, fb)
}
