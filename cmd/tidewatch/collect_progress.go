package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/tidewatch/tidewatch/collector/collect"
	"github.com/tidewatch/tidewatch/collector/collect/clock"
)

// showProgress reports the collection until ctx ends: a status line rewritten every second
// on a terminal, a log line every 30 seconds otherwise.
func showProgress(ctx context.Context, c *collect.Collector, env *cmdEnv) {
	f, isFile := env.Stderr.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	every := 30 * time.Second
	if tty {
		every = time.Second
	}
	var prev collect.Stats
	prevAt := time.Now()
	for {
		if clock.Wait(ctx, clock.Real{}, every) != nil {
			if tty {
				fmt.Fprintln(env.Stderr)
			}
			return
		}
		s, ok := c.Stats(ctx)
		if !ok {
			continue
		}
		now := time.Now()
		rate := float64(s.Posts-prev.Posts) / now.Sub(prevAt).Seconds()
		prev, prevAt = s, now
		if tty {
			fmt.Fprintf(env.Stderr, "\r\033[K%s", progressLine(s, rate))
			continue
		}
		env.Log.Info("progress", "channels", s.Channels, "candidates", s.Candidates, "posts", s.Posts,
			"posts_per_s", fmt.Sprintf("%.0f", rate), "calls", s.Calls, "due", s.Due, "lag", s.Lag.Round(time.Second),
			"backlog_ids", s.BacklogIDs, "eta", eta(s, rate), "waits", waits(s))
	}
}

// progressLine renders the terminal status line.
func progressLine(s collect.Stats, rate float64) string {
	line := fmt.Sprintf("channels %d (+%d seen, %d to resolve) | posts %d (%.0f/s) | calls %d, %d in flight | due %d, lag %s",
		s.Channels, s.Candidates, s.Pending, s.Posts, rate, s.Calls, s.InFlight, s.Due, s.Lag.Round(time.Second))
	if s.BacklogIDs > 0 {
		line += fmt.Sprintf(" | backlog %d ids, ETA %s", s.BacklogIDs, eta(s, rate))
	}
	if w := waits(s); w != "" {
		line += " | waits: " + w
	}
	return line
}

// eta estimates the time to fetch the history backlog at the current rate.
func eta(s collect.Stats, rate float64) string {
	if s.BacklogIDs == 0 {
		return "-"
	}
	if rate < 1 {
		return "?"
	}
	return (time.Duration(float64(s.BacklogIDs)/rate) * time.Second).Round(time.Second).String()
}

// waits lists the running flood waits, the shortest first.
func waits(s collect.Stats) string {
	var parts []string
	for i, p := range s.Parked {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("+%d more", len(s.Parked)-3))
			break
		}
		m := p.Method[strings.LastIndex(p.Method, ".")+1:]
		parts = append(parts, fmt.Sprintf("%s %s %s", p.Account, m, time.Until(p.Until).Round(time.Second)))
	}
	return strings.Join(parts, ", ")
}
