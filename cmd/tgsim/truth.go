package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/internal/duration"
)

type truthOptions struct {
	world     worldFlags
	snapshots string
	every     string
	ages      string
	until     string
	noPosts   bool
}

func newTruthCmd(stdout io.Writer) *cobra.Command {
	var o truthOptions
	cmd := &cobra.Command{
		Use:   "truth",
		Short: "Print the world's ground truth for a collection schedule as JSON",
		Long: `truth prints what a perfect collector would have recorded from the world of
--spec/--channels and --seed (the same flags as serve): channels and their
identities over time, snapshots at the given times, posts with counters at
the given ages, links with their platforms, mentions, events (renames, bans,
reincarnations), the forward network, and what the world planted: the spec,
growth models and changepoints (by --until), noise-free subscriber values next
to the observed ones, reach and ERR per channel, each post's view multiplier,
the channels each attack affected, reincarnations' audience carryover,
forward-source weights, and each community's expected link mix before and
after each takedown with its Jensen-Shannon shift (nats). Times are RFC3339 or
durations after the world's start ("30d", "36h"). The output is deterministic.
'tgsim load-truth' writes the same truth into ClickHouse.`,
		Example: `  # Snapshots every day for 30 days, counters at 1h, 6h, 24h, 72h and 7d
  tgsim truth --channels 300 --seed 7 --until 30d --every 1d > truth.json

  # Metadata only for a large world, snapshots at two moments
  tgsim truth --channels 100000 --no-posts --snapshots 10d,2026-04-01T00:00:00Z`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return truth(o, stdout) },
	}
	o.addFlags(cmd.Flags())
	return cmd
}

// addFlags adds the world and schedule flags (truth and load-truth share them).
func (o *truthOptions) addFlags(f *pflag.FlagSet) {
	o.world.add(f)
	f.StringVar(&o.snapshots, "snapshots", "", "comma-separated snapshot `times`")
	f.StringVar(&o.every, "every", "", "also take a snapshot every `duration` from the world's start to --until")
	f.StringVar(&o.ages, "ages", "1h,6h,24h,72h,7d", "comma-separated post `ages` at which counters are read")
	f.StringVar(&o.until, "until", "", "when collection stops (default: the world's end)")
	f.BoolVar(&o.noPosts, "no-posts", false, "leave out posts, links, mentions and the forward network")
}

func truth(o truthOptions, stdout io.Writer) error {
	tr, err := buildTruth(o)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", " ")
	return enc.Encode(tr)
}

// buildTruth generates the world and its truth for the schedule flags.
func buildTruth(o truthOptions) (*world.Truth, error) {
	w, err := o.world.generate()
	if err != nil {
		return nil, err
	}
	opts := world.TruthOptions{NoPosts: o.noPosts, Until: w.End()}
	if o.until != "" {
		if opts.Until, err = worldTime(w, o.until); err != nil {
			return nil, &usageError{fmt.Errorf("--until %w", err)}
		}
	}
	for _, s := range splitList(o.snapshots) {
		t, err := worldTime(w, s)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--snapshots %w", err)}
		}
		opts.SnapshotTimes = append(opts.SnapshotTimes, t)
	}
	if o.every != "" {
		step, err := duration.Parse(o.every)
		if err != nil || step < time.Minute {
			return nil, &usageError{fmt.Errorf("--every %q: want a duration of at least 1m", o.every)}
		}
		for t := w.Start(); !t.After(opts.Until); t = t.Add(step) {
			opts.SnapshotTimes = append(opts.SnapshotTimes, t)
		}
	}
	for _, s := range splitList(o.ages) {
		d, err := duration.Parse(s)
		if err != nil || d <= 0 {
			return nil, &usageError{fmt.Errorf("--ages %q: want positive durations such as 1h,24h,7d", s)}
		}
		opts.CounterAges = append(opts.CounterAges, d)
	}
	return w.Truth(opts)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
