package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

type seedsOptions struct {
	world worldFlags
	count int
	at    string
}

// newSeedsCmd prints seed usernames for a collection of the world, so that scripts need no
// JSON tooling to start one.
func newSeedsCmd(stdout io.Writer) *cobra.Command {
	var o seedsOptions
	cmd := &cobra.Command{
		Use:   "seeds",
		Short: "Print usernames of public channels of the world, one a line, to seed a collection",
		Long: `seeds prints @usernames of channels that are public and active at --at, the
largest of each community first, taking communities in turn, so that a small
seed list reaches every community. The output is a seeds file for
'tidewatch seeds add --file'.`,
		Example: `  # Ten seeds from a 300-channel world as it is 45 days into its period
  tgsim seeds --channels 300 --seed 7 --at 45d --count 10 > seeds.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return printSeeds(o, stdout) },
	}
	f := cmd.Flags()
	o.world.add(f)
	f.IntVar(&o.count, "count", 10, "how many seeds")
	f.StringVar(&o.at, "at", "", "world time the seeds must be public at: RFC3339 or a duration after the world's start (default: the world's start)")
	return cmd
}

func printSeeds(o seedsOptions, stdout io.Writer) error {
	if o.count < 1 {
		return &usageError{fmt.Errorf("--count %d: want at least 1", o.count)}
	}
	w, err := o.world.generate()
	if err != nil {
		return err
	}
	at := w.Start()
	if o.at != "" {
		if at, err = worldTime(w, o.at); err != nil {
			return &usageError{fmt.Errorf("--at %w", err)}
		}
	}
	truth, err := w.Truth(world.TruthOptions{NoPosts: true, Until: at})
	if err != nil {
		return err
	}
	community := make(map[int64]int, len(truth.Channels))
	for _, c := range truth.Channels {
		community[c.ID] = c.Community
	}
	byCommunity := map[int][]world.ChannelView{}
	for _, id := range w.ChannelIDs() {
		hash, _ := w.AccessHash(id)
		v, err := w.Channel(id, hash, at)
		if err != nil || v.Username == "" || v.Status != world.StatusActive {
			continue
		}
		c := community[id]
		byCommunity[c] = append(byCommunity[c], v)
	}
	communities := make([]int, 0, len(byCommunity))
	for c, vs := range byCommunity {
		communities = append(communities, c)
		sort.Slice(vs, func(i, j int) bool {
			if vs[i].Subscribers != vs[j].Subscribers {
				return vs[i].Subscribers > vs[j].Subscribers
			}
			return vs[i].ID < vs[j].ID
		})
	}
	sort.Ints(communities)
	printed := 0
	for round := 0; printed < o.count; round++ {
		progressed := false
		for _, c := range communities {
			if round < len(byCommunity[c]) && printed < o.count {
				fmt.Fprintf(stdout, "@%s\n", byCommunity[c][round].Username)
				printed++
				progressed = true
			}
		}
		if !progressed {
			break
		}
	}
	if printed == 0 {
		return fmt.Errorf("no public channel is active at %s", at.Format("2006-01-02T15:04:05Z07:00"))
	}
	return nil
}
