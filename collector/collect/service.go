package collect

import (
	"context"
	"errors"
	"runtime/debug"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/schema/store"
)

// StoreRun wires one collection to Telegram's time and to ClickHouse.
type StoreRun struct {
	// Engine are the engine's options; CollectIntoStore sets their Output, Posts,
	// Recovery, Clock and RateClock.
	Engine Options
	// Time tells the server's time (usually the first account); the data's time follows it.
	Time TimeSource
	// DB is where the rows go and are read back from.
	DB *store.DB
	// Writer tunes the writers, one per table.
	Writer store.WriterOptions
	// SoftMemoryLimit sets the process's soft memory limit (runtime/debug.SetMemoryLimit)
	// to MemoryLimit of the channels the collector knows at start. For a process that runs
	// only this collection.
	SoftMemoryLimit bool
	// Progress, when set, runs beside the collection until the collection ends (a progress
	// display); it may ask the collector for its Stats.
	Progress func(ctx context.Context, c *Collector)
}

// CollectIntoStore runs one collection into ClickHouse: it follows the server's time,
// opens a writer per table and checks their columns, reads stored rows back for deletions
// and recovery, runs the collector, then flushes and closes the writers. The summary is
// returned even when the run failed.
func CollectIntoStore(ctx context.Context, r StoreRun) (Summary, error) {
	clk, err := FollowServerTime(ctx, r.Time, r.Engine.Logger)
	if err != nil {
		return Summary{}, err
	}
	defer clk.Stop()
	out, err := OpenOutput(r.DB, r.Writer)
	if err != nil {
		return Summary{}, err
	}
	if err := out.Check(ctx); err != nil {
		return Summary{}, errors.Join(err, out.Close(context.WithoutCancel(ctx)))
	}
	opts := r.Engine
	opts.Output = out.Output
	opts.Posts = StoreReader{DB: r.DB}
	opts.Recovery = StoreReader{DB: r.DB}
	opts.Clock = clk
	opts.RateClock = clock.Real{}
	c, err := New(opts)
	if err != nil {
		return Summary{}, errors.Join(err, out.Close(context.WithoutCancel(ctx)))
	}
	if r.SoftMemoryLimit {
		debug.SetMemoryLimit(MemoryLimit(len(c.frame.channels)))
	}

	progCtx, stopProgress := context.WithCancel(context.WithoutCancel(ctx))
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if r.Progress != nil {
			r.Progress(progCtx, c)
		}
	}()
	sum, runErr := c.Run(ctx)
	stopProgress()
	<-progressDone

	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	return sum, errors.Join(runErr, out.Close(cctx))
}

// MemoryLimit is the soft memory limit a collector process should run with when it knows
// channels channels: 96 MiB for the writers' batches (bounded by bytes, store.DefaultBatchBytes
// each), the pages in flight and the runtime, and 2 KiB per channel for the frame, its
// schedule and its checkpoint. The Go collector otherwise lets the heap grow to twice the live
// data between collections, and a backfill makes garbage fast (decoded pages, rows, insert
// buffers): without the limit a 200-channel backfill peaked at 220 MB resident, with it at 142
// MB. The limit is soft: a collection that needs more gets it, at the cost of more frequent
// collections.
func MemoryLimit(channels int) int64 {
	return 96<<20 + int64(channels)*2<<10
}
