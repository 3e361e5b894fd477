package job

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/tidewatch/tidewatch/schema/store"
)

// Batch is a run of consecutive channels of one platform, [Lo, Hi] by channel id, read
// together: small enough to hold in memory, large enough that a query per batch costs
// little. Rows is how many rows the batch's channels had when the batches were planned.
type Batch struct {
	Platform string
	Lo, Hi   uint64
	Channels int
	Rows     uint64
}

// Filter is the batch's condition on platform and channel_id, for a table whose primary
// key starts with them, so a batch's query reads only its channels' granules.
func (b Batch) Filter() (string, []any) {
	return "platform = ? AND channel_id >= ? AND channel_id <= ?", []any{b.Platform, b.Lo, b.Hi}
}

// DefaultBatchRows is the rows a batch aims at: about 50 MB of posts in memory.
const DefaultBatchRows = 500_000

// Batches plans the batches of a table's rows that match where (a condition with args,
// such as a time range and a scope's filter): channels in (platform, channel_id) order,
// cut into runs of about maxRows rows (a channel with more rows is a batch of its own).
// The table's primary key must start with (platform, channel_id).
func Batches(ctx context.Context, db *store.DB, table, where string, maxRows uint64, args ...any) ([]Batch, error) {
	if maxRows == 0 {
		maxRows = DefaultBatchRows
	}
	type count struct {
		Platform  string `ch:"platform"`
		ChannelID uint64 `ch:"channel_id"`
		N         uint64 `ch:"n"`
	}
	q := fmt.Sprintf("SELECT platform, channel_id, count() AS n FROM %s WHERE %s GROUP BY platform, channel_id ORDER BY platform, channel_id",
		db.Table(table), where)
	var (
		out []Batch
		cur *Batch
	)
	err := store.Each(ctx, db, q, func(c *count) error {
		if cur == nil || cur.Platform != c.Platform || cur.Rows+c.N > maxRows {
			out = append(out, Batch{Platform: c.Platform, Lo: c.ChannelID})
			cur = &out[len(out)-1]
		}
		cur.Hi = c.ChannelID
		cur.Channels++
		cur.Rows += c.N
		return nil
	}, args...)
	return out, err
}

// Pipeline runs work on every item produce emits, on workers goroutines (0: GOMAXPROCS),
// and hands the results to use in the order the items were emitted, on the caller's
// goroutine, so use may write to store writers and keep totals without locks. produce runs
// on a goroutine of its own (reading the next batch while the workers compute); work must
// be safe to run concurrently. The first error of produce or use stops everything and is
// returned.
func Pipeline[In, Out any](ctx context.Context, workers int, produce func(ctx context.Context, emit func(In) error) error,
	work func(In) Out, use func(Out) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type slot struct {
		in  In
		out chan Out
	}
	jobs := make(chan slot)
	order := make(chan chan Out, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				s.out <- work(s.in)
			}
		}()
	}
	var perr error
	go func() {
		defer close(order)
		defer close(jobs)
		perr = produce(ctx, func(in In) error {
			s := slot{in: in, out: make(chan Out, 1)}
			select {
			case jobs <- s:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case order <- s.out:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		})
	}()
	var uerr error
	for out := range order {
		if uerr != nil {
			continue // drain: the producer stops at its next emit
		}
		select {
		case v := <-out:
			uerr = use(v)
		case <-ctx.Done():
			uerr = ctx.Err()
		}
		if uerr != nil {
			cancel()
		}
	}
	wg.Wait()
	if uerr != nil {
		return uerr
	}
	if perr != nil {
		return perr
	}
	return ctx.Err()
}
