package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
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

// parseDuration reads time.ParseDuration's syntax plus days and weeks
// ("30d", "2w", "1d12h").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	var total time.Duration
	rest := s
	for _, unit := range []struct {
		suffix byte
		d      time.Duration
	}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}} {
		i := strings.IndexByte(rest, unit.suffix)
		if i < 0 {
			continue
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		total += time.Duration(n * float64(unit.d))
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		total += d
	}
	return total, nil
}

// worldTime reads an RFC3339 time, or a duration after the world's start.
func worldTime(w *world.World, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := parseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want an RFC3339 time or a duration after the world's start such as 30d", s)
	}
	return w.Start().Add(d), nil
}
