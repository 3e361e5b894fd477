package collect

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// StoreOutput is an Output of schema/store writers, one per table.
type StoreOutput struct {
	Output
	checks  []func(context.Context) error
	closers []func(context.Context) error
}

// OpenOutput opens a writer for every table the collector writes; it asks nothing of
// ClickHouse (Check does). Close flushes and closes them.
func OpenOutput(db *store.DB, opts store.WriterOptions) (*StoreOutput, error) {
	s := &StoreOutput{}
	var err error
	s.Channels, err = openWriter[schema.Channel](s, db, schema.TableChannels, opts, err)
	s.Snapshots, err = openWriter[schema.ChannelSnapshot](s, db, schema.TableChannelSnapshots, opts, err)
	s.Posts, err = openWriter[schema.Post](s, db, schema.TablePosts, opts, err)
	s.Counters, err = openWriter[schema.PostCounters](s, db, schema.TablePostCounters, opts, err)
	s.Links, err = openWriter[schema.PostLink](s, db, schema.TablePostLinks, opts, err)
	s.Events, err = openWriter[schema.ChannelEvent](s, db, schema.TableChannelEvents, opts, err)
	s.Registry, err = openWriter[schema.Event](s, db, schema.TableEvents, opts, err)
	s.AccountLinks, err = openWriter[schema.AccountLink](s, db, schema.TableAccountLinks, opts, err)
	s.Discovery, err = openWriter[schema.Discovery](s, db, schema.TableDiscovery, opts, err)
	s.Frames, err = openWriter[schema.SamplingFrame](s, db, schema.TableSamplingFrames, opts, err)
	s.Runs, err = openWriter[schema.Run](s, db, schema.TableRuns, opts, err)
	s.Completeness, err = openWriter[schema.Completeness](s, db, schema.TableCompleteness, opts, err)
	if err != nil {
		return nil, errors.Join(err, s.Close(context.Background()))
	}
	return s, nil
}

// openWriter opens one writer unless an earlier one failed.
func openWriter[T any](s *StoreOutput, db *store.DB, table string, opts store.WriterOptions, prev error) (Writer[T], error) {
	if prev != nil {
		return nil, prev
	}
	w, err := store.NewWriter[T](db, table, opts)
	if err != nil {
		return nil, fmt.Errorf("open writer for %s: %w", table, err)
	}
	s.checks = append(s.checks, func(ctx context.Context) error {
		if err := w.Check(ctx); err != nil {
			return fmt.Errorf("open writer for %s: %w", table, err)
		}
		return nil
	})
	s.closers = append(s.closers, w.Close)
	return w, nil
}

// Check compares every writer's row type with its table, so a table that does not fit
// stops a run before it calls Telegram. While ClickHouse cannot be asked it reports
// nothing: the writers spool, and check before their first insert.
func (s *StoreOutput) Check(ctx context.Context) error {
	for _, check := range s.checks {
		if err := check(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close flushes and closes every writer. Batches ClickHouse did not take stay in the
// spool for the next run (store.ErrSpoolPending).
func (s *StoreOutput) Close(ctx context.Context) error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c(ctx))
	}
	s.closers = nil
	return errors.Join(errs...)
}

// StoreReader reads rows back from ClickHouse: the engine's PostReader (to mark deletions)
// and Recovery (to pick up after a crash).
type StoreReader struct{ DB *store.DB }

// Posts returns the stored rows of the given posts of a channel (the latest version of
// each).
func (s StoreReader) Posts(ctx context.Context, channelID int64, ids []int) ([]schema.Post, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = strconv.Itoa(id)
	}
	// The ids are integers formatted here, so splicing them is safe; 18.16 has no server-side
	// parameters.
	q := fmt.Sprintf("SELECT %s FROM %s.%s FINAL WHERE platform = 'telegram' AND channel_id = %d AND post_id IN (%s)",
		store.Columns[schema.Post](), s.DB.Database(), schema.TablePosts, uint64(channelID), strings.Join(list, ", "))
	out, err := store.Select[schema.Post](ctx, s.DB, q)
	if err != nil {
		return nil, fmt.Errorf("read posts of %d: %w", channelID, err)
	}
	return out, nil
}

// selectSince reads the Telegram rows of table whose column col is at or after since.
func selectSince[T any](ctx context.Context, db *store.DB, table, col string, since time.Time) ([]T, error) {
	q := fmt.Sprintf("SELECT %s FROM %s.%s WHERE platform = 'telegram' AND %s >= toDateTime(%d)",
		store.Columns[T](), db.Database(), table, col, since.Unix())
	out, err := store.Select[T](ctx, db, q)
	if err != nil {
		return nil, fmt.Errorf("read %s since %s: %w", table, since.Format(time.RFC3339), err)
	}
	return out, nil
}

// SnapshotsSince returns the snapshots taken at or after since.
func (s StoreReader) SnapshotsSince(ctx context.Context, since time.Time) ([]schema.ChannelSnapshot, error) {
	return selectSince[schema.ChannelSnapshot](ctx, s.DB, schema.TableChannelSnapshots, "snapshot_at", since)
}

// CountersSince returns the counter reads made at or after since.
func (s StoreReader) CountersSince(ctx context.Context, since time.Time) ([]schema.PostCounters, error) {
	return selectSince[schema.PostCounters](ctx, s.DB, schema.TablePostCounters, "read_at", since)
}

// FirstSightsSince returns the first sightings of the collector's posts stored at or after
// since and posted at or after postedAfter.
func (s StoreReader) FirstSightsSince(ctx context.Context, since, postedAfter time.Time) ([]FirstSight, error) {
	q := fmt.Sprintf("SELECT channel_id, post_id, min(counters_at) AS at FROM %s.%s "+
		"WHERE platform = 'telegram' AND source = '%s' AND counters_at >= toDateTime(%d) AND posted_at >= toDateTime(%d) "+
		"GROUP BY channel_id, post_id", s.DB.Database(), schema.TablePosts, sourceCollector, since.Unix(), postedAfter.Unix())
	out, err := store.Select[FirstSight](ctx, s.DB, q)
	if err != nil {
		return nil, fmt.Errorf("read first sightings since %s: %w", since.Format(time.RFC3339), err)
	}
	return out, nil
}

// EventsSince returns the channel events detected at or after since.
func (s StoreReader) EventsSince(ctx context.Context, since time.Time) ([]schema.ChannelEvent, error) {
	return selectSince[schema.ChannelEvent](ctx, s.DB, schema.TableChannelEvents, "detected_at", since)
}
