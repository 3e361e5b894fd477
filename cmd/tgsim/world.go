package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/internal/duration"
)

// worldFlags choose the world: a spec file or a default world of N channels.
type worldFlags struct {
	spec     string
	channels int
	seed     int64
}

func (f *worldFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.spec, "spec", "", "world spec `file` (YAML); overrides --channels")
	fs.IntVar(&f.channels, "channels", 200, "channels of the default world (10 to 100000)")
	fs.Int64Var(&f.seed, "seed", 1, "world seed: the same spec and seed give the same world")
}

func (f *worldFlags) generate() (*world.World, error) {
	var spec world.Spec
	if f.spec != "" {
		s, err := world.LoadSpec(f.spec)
		if err != nil {
			return nil, err
		}
		spec = s
	} else {
		if f.channels < 10 || f.channels > 100_000 {
			return nil, &usageError{fmt.Errorf("--channels %d: want 10 to 100000", f.channels)}
		}
		spec = world.DefaultSpec(f.channels)
	}
	w, err := world.Generate(spec, f.seed)
	if err != nil {
		return nil, fmt.Errorf("generate world: %w", err)
	}
	return w, nil
}

// worldTime reads an RFC3339 time, or a duration after the world's start.
func worldTime(w *world.World, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := duration.Parse(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want an RFC3339 time or a duration after the world's start such as 30d", s)
	}
	return w.Start().Add(d), nil
}
