package importer

import (
	"context"
	"errors"

	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// StoreSink writes an import's rows to ClickHouse through one batched, loss-free writer per
// table (schema/store).
type StoreSink struct {
	channels     *store.Writer[schema.Channel]
	snapshots    *store.Writer[schema.ChannelSnapshot]
	posts        *store.Writer[schema.Post]
	postLinks    *store.Writer[schema.PostLink]
	accountLinks *store.Writer[schema.AccountLink]
	events       *store.Writer[schema.Event]
	communities  *store.Writer[schema.Community]
	runs         *store.Writer[schema.Run]
}

// NewStoreSink opens the writers. Close must be called to flush and stop them.
//
// Memory is what bounds the options: a writer holds up to QueueBatches + Inserters + 1 batches,
// each allocated at its full size, and an import is limited by parsing, not by inserting, so
// one batch queued and one on the wire keep ClickHouse busy (QueueBatches and Inserters are
// set to 1). The tables an import writes few rows to (channels, once per account at the end;
// account links; events; communities; runs) get the smallest batches the writer allows.
func NewStoreSink(db *store.DB, opts store.WriterOptions) (_ *StoreSink, err error) {
	s := &StoreSink{}
	opts.QueueBatches, opts.Inserters = 1, 1
	small := opts
	small.BatchRows = store.MinBatchRows
	var open []func(context.Context) error
	defer func() {
		if err != nil {
			for _, c := range open {
				err = errors.Join(err, c(context.Background()))
			}
		}
	}()
	if s.channels, err = store.NewWriter[schema.Channel](db, schema.TableChannels, small); err != nil {
		return nil, err
	}
	open = append(open, s.channels.Close)
	if s.snapshots, err = store.NewWriter[schema.ChannelSnapshot](db, schema.TableChannelSnapshots, opts); err != nil {
		return nil, err
	}
	open = append(open, s.snapshots.Close)
	if s.posts, err = store.NewWriter[schema.Post](db, schema.TablePosts, opts); err != nil {
		return nil, err
	}
	open = append(open, s.posts.Close)
	if s.postLinks, err = store.NewWriter[schema.PostLink](db, schema.TablePostLinks, opts); err != nil {
		return nil, err
	}
	open = append(open, s.postLinks.Close)
	if s.accountLinks, err = store.NewWriter[schema.AccountLink](db, schema.TableAccountLinks, small); err != nil {
		return nil, err
	}
	open = append(open, s.accountLinks.Close)
	if s.events, err = store.NewWriter[schema.Event](db, schema.TableEvents, small); err != nil {
		return nil, err
	}
	open = append(open, s.events.Close)
	if s.communities, err = store.NewWriter[schema.Community](db, schema.TableCommunities, small); err != nil {
		return nil, err
	}
	open = append(open, s.communities.Close)
	if s.runs, err = store.NewWriter[schema.Run](db, schema.TableRuns, small); err != nil {
		return nil, err
	}
	return s, nil
}

// Write hands each table's rows to its writer (which copies them).
func (s *StoreSink) Write(ctx context.Context, r *Rows) error {
	if len(r.Channels) > 0 {
		if err := s.channels.Write(ctx, r.Channels...); err != nil {
			return err
		}
	}
	if len(r.Snapshots) > 0 {
		if err := s.snapshots.Write(ctx, r.Snapshots...); err != nil {
			return err
		}
	}
	if len(r.Posts) > 0 {
		if err := s.posts.Write(ctx, r.Posts...); err != nil {
			return err
		}
	}
	if len(r.PostLinks) > 0 {
		if err := s.postLinks.Write(ctx, r.PostLinks...); err != nil {
			return err
		}
	}
	if len(r.AccountLinks) > 0 {
		if err := s.accountLinks.Write(ctx, r.AccountLinks...); err != nil {
			return err
		}
	}
	if len(r.Events) > 0 {
		if err := s.events.Write(ctx, r.Events...); err != nil {
			return err
		}
	}
	if len(r.Communities) > 0 {
		if err := s.communities.Write(ctx, r.Communities...); err != nil {
			return err
		}
	}
	return nil
}

// WriteRun writes the runs row.
func (s *StoreSink) WriteRun(ctx context.Context, run schema.Run) error {
	return s.runs.Write(ctx, run)
}

// Flush returns once every row written so far is in ClickHouse (or safe in the spool).
func (s *StoreSink) Flush(ctx context.Context) error {
	return errors.Join(
		s.channels.Flush(ctx), s.snapshots.Flush(ctx), s.posts.Flush(ctx), s.postLinks.Flush(ctx),
		s.accountLinks.Flush(ctx), s.events.Flush(ctx), s.communities.Flush(ctx), s.runs.Flush(ctx))
}

// Close flushes and stops every writer.
func (s *StoreSink) Close(ctx context.Context) error {
	return errors.Join(
		s.channels.Close(ctx), s.snapshots.Close(ctx), s.posts.Close(ctx), s.postLinks.Close(ctx),
		s.accountLinks.Close(ctx), s.events.Close(ctx), s.communities.Close(ctx), s.runs.Close(ctx))
}

// MemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) an import process should
// run with when its writers batch batchRows rows: the writers' batches, allocated at full size,
// take about 2 KiB per batch row in all (three batches each of posts and post_links, one of
// the other tables), and the Go collector otherwise lets the heap grow to twice the live data
// between collections, plus the insert buffers that become garbage after every insert. With
// the limit, the peak stays near live data plus a fixed margin, whatever the size of the
// files.
func MemoryLimit(batchRows int) int64 {
	if batchRows < store.MinBatchRows {
		batchRows = store.DefaultBatchRows
	}
	return 256<<20 + int64(batchRows)*3<<10
}
