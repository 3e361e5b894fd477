package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults and bounds of WriterOptions.
const (
	DefaultBatchRows     = 100_000
	MinBatchRows         = 10_000
	DefaultBatchBytes    = 8 << 20
	DefaultFlushInterval = time.Second
	DefaultSpoolDir      = ".tidewatch/spool"
	DefaultMaxAttempts   = 5
	DefaultRetryBackoff  = 100 * time.Millisecond
	DefaultMaxBackoff    = 5 * time.Second
	DefaultQueueBatches  = 2
	DefaultInserters     = 2
	DefaultInsertTimeout = 2 * time.Minute
)

var (
	// ErrClosed is returned by a Writer's methods after Close.
	ErrClosed = errors.New("writer is closed")
	// ErrSpoolPending is wrapped by Close when batches remain in the spool
	// because ClickHouse did not take them in time. They are safe on disk
	// and the next writer for the table replays them.
	ErrSpoolPending = errors.New("batches remain in the spool")
	// ErrRejected is wrapped when ClickHouse refuses a batch for good (its
	// rows do not fit the table). The batch is kept under the spool's
	// failed/ folder, never dropped.
	ErrRejected = errors.New("batch rejected by clickhouse")
)

// WriterOptions tune a Writer. Zero fields get defaults.
type WriterOptions struct {
	// BatchRows is how many rows make a batch. Default DefaultBatchRows;
	// smaller values are raised to MinBatchRows, since small inserts leave
	// ClickHouse too many parts to merge.
	BatchRows int
	// BatchBytes also makes a batch full: once its rows take about this
	// many bytes of memory (estimated from their columns and string
	// lengths), and it has at least MinBatchRows rows. It bounds the
	// writer's memory by bytes, not rows: 100,000 wide rows (posts with
	// their texts) take tens of megabytes. Default DefaultBatchBytes.
	BatchBytes int
	// FlushInterval bounds how long a row waits in memory before its batch
	// is sent anyway. Each writer's ticks get ±10% jitter so that many
	// writers do not insert in lockstep. Default DefaultFlushInterval.
	FlushInterval time.Duration
	// SpoolDir holds batches ClickHouse did not take, one folder per table
	// (<SpoolDir>/<database>.<table>). Default DefaultSpoolDir.
	SpoolDir string
	// MaxAttempts is how many times a batch is tried before it is spooled.
	MaxAttempts int
	// RetryBackoff is the first wait between attempts; it doubles, with
	// jitter, up to MaxBackoff, which also caps the wait between replays of
	// the spool while ClickHouse stays away.
	RetryBackoff time.Duration
	MaxBackoff   time.Duration
	// QueueBatches is how many full batches may wait for the sender.
	// Memory holds at most QueueBatches + Inserters + 1 batches (the one
	// being filled) and one emptied batch kept for reuse; Write blocks
	// beyond that.
	QueueBatches int
	// Inserters is how many batches are inserted at once, each over its
	// own connection. Two let ClickHouse write one batch's part while the
	// next batch is on the wire. Default DefaultInserters.
	Inserters int
	// InsertTimeout bounds one insert attempt.
	InsertTimeout time.Duration
	// Logger receives outages, spooling and replays; nil is silent.
	Logger *slog.Logger
	// Registerer, when set, gets the writer's counters as Prometheus
	// metrics labelled with the table.
	Registerer prometheus.Registerer
}

func (o WriterOptions) withDefaults() WriterOptions {
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	o.BatchRows = max(o.BatchRows, MinBatchRows)
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.SpoolDir == "" {
		o.SpoolDir = DefaultSpoolDir
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = DefaultRetryBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.RetryBackoff)
	if o.QueueBatches <= 0 {
		o.QueueBatches = DefaultQueueBatches
	}
	if o.Inserters <= 0 {
		o.Inserters = DefaultInserters
	}
	if o.InsertTimeout <= 0 {
		o.InsertTimeout = DefaultInsertTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Stats are a writer's counters since it was created.
type Stats struct {
	// RowsAccepted counts rows taken by Write.
	RowsAccepted uint64
	// RowsWritten counts rows ClickHouse acknowledged, replays included.
	RowsWritten uint64
	// Batches counts acknowledged inserts, replays included.
	Batches uint64
	// Retries counts failed insert attempts that were tried again.
	Retries uint64
	// Spooled and SpooledRows count batches (and their rows) written to
	// the spool.
	Spooled     uint64
	SpooledRows uint64
	// Replayed counts spooled batches that ClickHouse then acknowledged.
	Replayed uint64
	// Rejected counts batches moved to the spool's failed/ folder.
	Rejected uint64
	// SpoolPending is the number of batches in the spool right now.
	SpoolPending int
}

type counters struct {
	rowsAccepted, rowsWritten, batches, retries, spooled, spooledRows, replayed, rejected atomic.Uint64
	spoolPending                                                                          atomic.Int64
}

// item is one entry of the sender's queue: a batch to insert, or a flush
// marker whose done channel is answered once everything before it is
// stored (drain: and the spool replayed with retries).
type item struct {
	b     *batch
	done  chan error
	drain bool
}

// Writer batches rows of type T into one table and never loses them: see
// the package documentation.
type Writer[T any] struct {
	db        *DB
	table     string // database.table
	layout    *rowLayout
	columns   []string
	kinds     []kind
	insertSQL string
	opts      WriterOptions
	log       *slog.Logger

	mu      sync.Mutex
	cur     *batch
	closed  bool
	spaceCh chan struct{} // closed when the sender takes an item

	queue   chan item
	free    chan *batch
	jobs    chan *batch       // sender -> inserters
	results chan insertResult // inserters -> sender

	// Owned by the sender goroutine once it runs.
	spool          *spool
	nextReplay     time.Time
	replayBackoff  time.Duration
	rejectedErrors []error
	inflight       int // batches handed to inserters, results not seen yet

	stats      counters
	collectors []prometheus.Collector

	// The column check: database and name of the table, and the outcome once
	// the server answered (checkErr is nil when the columns fit).
	database, name string
	checkMu        sync.Mutex
	checked        bool
	checkErr       error

	ctx    context.Context // cancelled to abort in-flight inserts at Close
	cancel context.CancelFunc
	stop   chan struct{}
	wg     sync.WaitGroup
}

// NewWriter returns a writer of T rows into table (in db's database, or
// "database.table"). It asks nothing of ClickHouse: it opens the table's
// spool and starts the writer, which replays any batches an earlier writer
// left there. Every tagged column of T is checked against the table before
// the writer's first insert, so a mismatch is a rejected batch naming the
// table and column, never a row stored in the wrong column; Check runs that
// check at once, for callers that want a mismatch to stop them at start.
// While ClickHouse cannot be asked, rows go to the spool until it returns.
func NewWriter[T any](db *DB, table string, opts WriterOptions) (*Writer[T], error) {
	opts = opts.withDefaults()
	layout, err := layoutOf(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	database, name := db.opts.Database, table
	if d, t, ok := strings.Cut(table, "."); ok {
		database, name = d, t
	}
	if !identRE.MatchString(database) || !identRE.MatchString(name) {
		return nil, fmt.Errorf("table %q is not a plain [database.]name", table)
	}
	w := &Writer[T]{
		db:      db,
		table:   database + "." + name,
		layout:  layout,
		columns: layout.columns(),
		kinds:   layout.kinds(),
		opts:    opts,
		spaceCh: make(chan struct{}),
		queue:   make(chan item, opts.QueueBatches),
		free:    make(chan *batch, 1),
		jobs:    make(chan *batch),
		results: make(chan insertResult, opts.Inserters),
		stop:    make(chan struct{}),
	}
	w.log = opts.Logger.With("table", w.table)
	w.insertSQL = insertSQL(w.table, w.columns)
	w.replayBackoff = opts.RetryBackoff

	w.database, w.name = database, name
	w.spool, err = openSpool(filepath.Join(opts.SpoolDir, database+"."+name))
	if err != nil {
		return nil, err
	}
	w.stats.spoolPending.Store(int64(w.spool.pending()))
	if n := w.spool.pending(); n > 0 {
		w.log.Info("replaying spooled batches", "files", n)
	}
	if opts.Registerer != nil {
		if err := w.register(opts.Registerer); err != nil {
			return nil, errors.Join(err, w.spool.close())
		}
	}
	w.cur = w.newBatch()
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.wg.Add(2 + opts.Inserters)
	go w.send()
	go w.tick()
	for i := 0; i < opts.Inserters; i++ {
		go w.inserter()
	}
	return w, nil
}

// Check compares every tagged column of T with the table's columns, so a
// row type that does not fit its table is an error now, naming the table
// and the column. When ClickHouse cannot be asked right now it logs that and
// returns nil: the writer starts anyway, spools until ClickHouse returns, and
// checks before its first insert.
func (w *Writer[T]) Check(ctx context.Context) error {
	err := w.checkColumns(ctx)
	if errors.Is(err, errUnreachable) {
		w.log.Warn("cannot check the table's columns now; starting anyway", "error", err)
		return nil
	}
	return err
}

// checkColumns runs the column check once the server answers and returns its
// outcome; while the server cannot be asked it returns an error wrapping
// errUnreachable and asks again next time.
func (w *Writer[T]) checkColumns(ctx context.Context) error {
	w.checkMu.Lock()
	defer w.checkMu.Unlock()
	if w.checked {
		return w.checkErr
	}
	err := checkColumns(ctx, w.db, w.database, w.name, w.layout)
	if errors.Is(err, errUnreachable) {
		return err
	}
	w.checked, w.checkErr = true, err
	return err
}

func insertSQL(table string, columns []string) string {
	return "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ")"
}

func (w *Writer[T]) newBatch() *batch {
	select {
	case b := <-w.free:
		return b
	default:
		return newBatch(w.columns, w.kinds, initialBatchRows)
	}
}

func (w *Writer[T]) recycle(b *batch) {
	if !slices.Equal(b.columns, w.columns) || !slices.Equal(b.kinds, w.kinds) {
		return // a replayed batch of an older layout
	}
	b.reset()
	select {
	case w.free <- b:
	default:
	}
}

// initialBatchRows is the capacity a new batch starts with; its columns grow
// as rows arrive, so a writer of a table that gets a few rows a minute holds
// a few kilobytes, not a preallocated BatchRows.
const initialBatchRows = 256

// bytesStepRows is how many rows Write adds between checks of BatchBytes,
// once a batch has MinBatchRows.
const bytesStepRows = 1024

// fullLocked reports whether the current batch is to be sent: it has
// BatchRows rows, or BatchBytes of rows and at least MinBatchRows.
func (w *Writer[T]) fullLocked() bool {
	return w.cur.rows >= w.opts.BatchRows || (w.cur.bytes >= w.opts.BatchBytes && w.cur.rows >= MinBatchRows)
}

// Write adds rows. It returns once they are buffered; they reach
// ClickHouse, or the spool, within FlushInterval or when a batch fills.
// Write blocks while QueueBatches full batches wait for the sender. On an
// error (ctx done, writer closed) a prefix of rows may have been taken: the
// tables' dedupe makes writing them again harmless.
func (w *Writer[T]) Write(ctx context.Context, rows ...T) error {
	for i := 0; i < len(rows); {
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return fmt.Errorf("write %s: %w", w.table, ErrClosed)
		}
		if w.fullLocked() && !w.sealLocked() {
			space := w.spaceCh
			w.mu.Unlock()
			select {
			case <-space:
			case <-ctx.Done():
				return fmt.Errorf("write %s: %w", w.table, ctx.Err())
			}
			continue
		}
		if w.cur.rows == 0 {
			w.cur.started = time.Now()
		}
		// Rows go in in steps, so that the byte bound is checked every
		// few thousand rows however many come in one call.
		step := bytesStepRows
		if w.cur.rows < MinBatchRows {
			step = MinBatchRows - w.cur.rows
		}
		n := min(len(rows)-i, w.opts.BatchRows-w.cur.rows, step)
		w.cur.appendRows(w.layout, unsafe.Pointer(&rows[i]), n)
		i += n
		w.stats.rowsAccepted.Add(uint64(n))
		if w.fullLocked() {
			w.sealLocked() // when the queue is full, the next call or tick retries
		}
		w.mu.Unlock()
	}
	return nil
}

// sealLocked hands the current batch to the sender without blocking. It
// reports false when the queue is full.
func (w *Writer[T]) sealLocked() bool {
	if w.cur.rows == 0 {
		return true
	}
	select {
	case w.queue <- item{b: w.cur}:
		w.cur = w.newBatch()
		return true
	default:
		return false
	}
}

// enqueueMarker seals the current batch and queues a flush marker behind it,
// waiting for room as Write does.
func (w *Writer[T]) enqueueMarker(ctx context.Context, it item) error {
	for {
		w.mu.Lock()
		if w.sealLocked() {
			select {
			case w.queue <- it:
				w.mu.Unlock()
				return nil
			default:
			}
		}
		space := w.spaceCh
		w.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Flush sends everything written so far and returns once it is stored:
// acknowledged by ClickHouse, or durable in the spool when ClickHouse is
// unreachable. It also tries to replay the spool once. The error reports
// batches ClickHouse rejected since the last Flush.
func (w *Writer[T]) Flush(ctx context.Context) error {
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return fmt.Errorf("flush %s: %w", w.table, ErrClosed)
	}
	return w.flush(ctx, false)
}

func (w *Writer[T]) flush(ctx context.Context, drain bool) error {
	done := make(chan error, 1)
	if err := w.enqueueMarker(ctx, item{done: done, drain: drain}); err != nil {
		return fmt.Errorf("flush %s: %w", w.table, err)
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("flush %s: %w", w.table, ctx.Err())
	}
}

// WriteAll writes rows to table through a writer of its own and closes it: for results
// that are all in hand at once. The error is Write's or Close's.
func WriteAll[T any](ctx context.Context, db *DB, table string, opts WriterOptions, rows ...T) error {
	w, err := NewWriter[T](db, table, opts)
	if err != nil {
		return err
	}
	return errors.Join(w.Write(ctx, rows...), w.Close(ctx))
}

// Close flushes, replays the spool (with retries), and stops the writer.
// When ctx ends first, or ClickHouse stays away, whatever was not inserted
// is left in the spool and the error wraps ErrSpoolPending; nothing is
// dropped.
func (w *Writer[T]) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return fmt.Errorf("close %s: %w", w.table, ErrClosed)
	}
	w.closed = true
	w.mu.Unlock()

	err := w.flush(ctx, true)
	w.cancel()
	close(w.stop)
	w.wg.Wait()
	// The sender is gone: a batch that never reached it goes to the spool
	// here, so even a cancelled Close keeps every accepted row.
	if w.cur.rows > 0 {
		if serr := w.spoolBatch(w.cur); serr != nil {
			err = errors.Join(err, serr)
		}
	}
	if n := w.spool.pending(); n > 0 && !errors.Is(err, ErrSpoolPending) {
		err = errors.Join(err, fmt.Errorf("close %s: %d %w in %s", w.table, n, ErrSpoolPending, w.spool.dir))
	}
	for _, c := range w.collectors {
		w.opts.Registerer.Unregister(c)
	}
	return errors.Join(err, w.spool.close())
}

// Stats returns a snapshot of the writer's counters.
func (w *Writer[T]) Stats() Stats {
	s := &w.stats
	return Stats{
		RowsAccepted: s.rowsAccepted.Load(),
		RowsWritten:  s.rowsWritten.Load(),
		Batches:      s.batches.Load(),
		Retries:      s.retries.Load(),
		Spooled:      s.spooled.Load(),
		SpooledRows:  s.spooledRows.Load(),
		Replayed:     s.replayed.Load(),
		Rejected:     s.rejected.Load(),
		SpoolPending: int(s.spoolPending.Load()),
	}
}

// Table is the qualified table name the writer inserts into.
func (w *Writer[T]) Table() string { return w.table }

// tick seals a batch whose first row has waited FlushInterval.
func (w *Writer[T]) tick() {
	defer w.wg.Done()
	period := w.opts.FlushInterval / 2
	timer := time.NewTimer(jitter(period))
	defer timer.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-timer.C:
		}
		w.mu.Lock()
		if w.cur.rows > 0 && (w.fullLocked() || time.Since(w.cur.started) >= w.opts.FlushInterval) {
			w.sealLocked()
		}
		w.mu.Unlock()
		timer.Reset(jitter(period))
	}
}

// jitter spreads d by ±10%.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()-0.5)*0.2*float64(d))
}

// send is the only goroutine that inserts and touches the spool, which keeps
// batches in order: while the spool holds anything, new batches join it
// behind the older ones instead of overtaking them.
func (w *Writer[T]) send() {
	defer w.wg.Done()
	replay := time.NewTimer(time.Hour)
	replay.Stop()
	defer replay.Stop()
	if w.spool.pending() > 0 {
		replay.Reset(0)
	}
	defer close(w.jobs) // ends the inserters
	for {
		// A batch is taken from the queue only when an inserter is free.
		var queue <-chan item
		if w.inflight < w.opts.Inserters {
			queue = w.queue
		}
		select {
		case it := <-queue:
			w.mu.Lock()
			close(w.spaceCh)
			w.spaceCh = make(chan struct{})
			w.mu.Unlock()
			w.handle(it)
		case r := <-w.results:
			w.inflight--
			w.settle(r)
		case <-replay.C:
			w.replay(1)
		case <-w.stop:
			// w.ctx is cancelled: inserts in flight end at once.
			w.waitInflight()
			w.shutdown()
			return
		}
		if w.spool.pending() > 0 {
			replay.Reset(max(time.Until(w.nextReplay), 0))
		} else {
			replay.Stop()
		}
	}
}

func (w *Writer[T]) handle(it item) {
	if b := it.b; b != nil {
		if w.spool.pending() > 0 && !time.Now().Before(w.nextReplay) {
			w.replay(1)
		}
		if w.spool.pending() > 0 {
			w.storeSpooled(b)
		} else {
			w.jobs <- b // an inserter is free: the loop checked inflight
			w.inflight++
		}
	}
	if it.done != nil {
		// Everything before the marker must be stored before it answers.
		w.waitInflight()
		var err error
		if w.spool.pending() > 0 {
			attempts := 1
			if it.drain {
				attempts = w.opts.MaxAttempts
			}
			w.replay(attempts)
		}
		if it.drain && w.spool.pending() > 0 {
			err = fmt.Errorf("close %s: %d %w in %s", w.table, w.spool.pending(), ErrSpoolPending, w.spool.dir)
		}
		err = errors.Join(append(w.rejectedErrors, err)...)
		w.rejectedErrors = nil
		it.done <- err
	}
}

type insertResult struct {
	b   *batch
	err error
}

// inserter inserts the batches the sender hands it, with retries, and
// reports each outcome back; the sender alone decides what happens next.
func (w *Writer[T]) inserter() {
	defer w.wg.Done()
	for b := range w.jobs {
		w.results <- insertResult{b: b, err: w.insert(b, w.opts.MaxAttempts)}
	}
}

func (w *Writer[T]) waitInflight() {
	for ; w.inflight > 0; w.inflight-- {
		w.settle(<-w.results)
	}
}

// settle deals with the outcome of one insert.
func (w *Writer[T]) settle(r insertResult) {
	switch {
	case r.err == nil:
		w.recycle(r.b)
	case errors.Is(r.err, ErrRejected):
		w.reject(r.b, r.err)
	default:
		w.log.Warn("clickhouse unreachable, spooling", "rows", r.b.rows, "error", r.err)
		w.storeSpooled(r.b)
		w.nextReplay = time.Now().Add(w.replayBackoff)
	}
}

// storeSpooled writes b to the spool. Should the disk fail too, it keeps
// trying both ClickHouse and the disk: the queue then fills and Write
// blocks, which bounds memory without dropping rows.
func (w *Writer[T]) storeSpooled(b *batch) {
	backoff := w.opts.RetryBackoff
	for {
		err := w.spoolBatch(b)
		if err == nil {
			w.recycle(b)
			return
		}
		w.log.Error("cannot spool batch", "rows", b.rows, "error", err)
		select {
		case <-w.stop:
			w.rejectedErrors = append(w.rejectedErrors, fmt.Errorf("%s: %d rows lost: %w", w.table, b.rows, err))
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, w.opts.MaxBackoff)
		if w.spool.pending() == 0 && w.insert(b, 1) == nil {
			w.recycle(b)
			return
		}
	}
}

func (w *Writer[T]) spoolBatch(b *batch) error {
	if err := w.spool.write(w.table, b); err != nil {
		return err
	}
	w.stats.spooled.Add(1)
	w.stats.spooledRows.Add(uint64(b.rows))
	w.stats.spoolPending.Store(int64(w.spool.pending()))
	return nil
}

// reject keeps a batch ClickHouse refuses for good under failed/ and
// reports it at the next Flush.
func (w *Writer[T]) reject(b *batch, cause error) {
	w.log.Error("clickhouse rejected batch", "rows", b.rows, "error", cause)
	if err := w.spool.writeFailed(w.table, b); err != nil {
		cause = errors.Join(cause, fmt.Errorf("%d rows lost: %w", b.rows, err))
	}
	w.rejectedErrors = append(w.rejectedErrors, cause)
	w.stats.rejected.Add(1)
	w.recycle(b)
}

// replay inserts spooled batches oldest first until the spool is empty or
// an insert fails, giving each batch up to attempts tries.
func (w *Writer[T]) replay(attempts int) {
	for w.spool.pending() > 0 {
		name, _, b, err := w.spool.oldest()
		if err == nil {
			err = w.insert(b, attempts)
		}
		switch {
		case err == nil:
			if rerr := w.spool.remove(name); rerr != nil {
				w.log.Error("cannot remove replayed spool file", "file", name, "error", rerr)
				w.nextReplay = time.Now().Add(w.opts.MaxBackoff)
				return
			}
			w.stats.replayed.Add(1)
			w.replayBackoff = w.opts.RetryBackoff
			w.log.Info("replayed spooled batch", "file", name, "rows", b.rows, "left", w.spool.pending())
			w.recycle(b)
		case errors.Is(err, ErrRejected) || errors.Is(err, ErrCorruptSpool):
			w.log.Error("spooled batch rejected, moving it to failed/", "file", name, "error", err)
			if qerr := w.spool.quarantine(name); qerr != nil {
				w.rejectedErrors = append(w.rejectedErrors, qerr)
				w.nextReplay = time.Now().Add(w.opts.MaxBackoff)
				return
			}
			w.stats.rejected.Add(1)
			w.rejectedErrors = append(w.rejectedErrors, err)
		default:
			w.nextReplay = time.Now().Add(jitter(w.replayBackoff))
			w.replayBackoff = min(2*w.replayBackoff, w.opts.MaxBackoff)
			w.stats.spoolPending.Store(int64(w.spool.pending()))
			return
		}
		w.stats.spoolPending.Store(int64(w.spool.pending()))
	}
}

// shutdown moves whatever is still queued into the spool.
func (w *Writer[T]) shutdown() {
	for {
		select {
		case it := <-w.queue:
			if it.b != nil {
				if err := w.spoolBatch(it.b); err != nil {
					w.rejectedErrors = append(w.rejectedErrors, fmt.Errorf("%s: %d rows lost: %w", w.table, it.b.rows, err))
				}
			}
			if it.done != nil {
				it.done <- fmt.Errorf("flush %s: %w", w.table, ErrClosed)
			}
		default:
			return
		}
	}
}

// insert sends b with up to attempts tries and exponential backoff with
// jitter. Errors that retrying cannot fix wrap ErrRejected.
func (w *Writer[T]) insert(b *batch, attempts int) error {
	backoff := w.opts.RetryBackoff
	for attempt := 1; ; attempt++ {
		err := w.insertOnce(b)
		if err == nil {
			w.stats.batches.Add(1)
			w.stats.rowsWritten.Add(uint64(b.rows))
			return nil
		}
		if errors.Is(err, ErrRejected) || attempt >= attempts || w.ctx.Err() != nil {
			return err
		}
		w.stats.retries.Add(1)
		w.log.Debug("insert failed, retrying", "attempt", attempt, "error", err)
		select {
		case <-w.ctx.Done():
			return err
		case <-time.After(jitter(backoff)):
		}
		backoff = min(2*backoff, w.opts.MaxBackoff)
	}
}

func (w *Writer[T]) insertOnce(b *batch) error {
	ctx, cancel := context.WithTimeout(w.ctx, w.opts.InsertTimeout)
	defer cancel()
	sql := w.insertSQL
	if !slices.Equal(b.columns, w.columns) {
		sql = insertSQL(w.table, b.columns)
	} else if err := w.checkColumns(ctx); errors.Is(err, errUnreachable) {
		return fmt.Errorf("insert into %s: %w", w.table, err)
	} else if err != nil {
		return fmt.Errorf("%w: %w", ErrRejected, err)
	}
	ins, err := w.db.conn.PrepareBatch(ctx, sql)
	if err != nil {
		return classify(w.table, err)
	}
	defer func() { _ = ins.Close() }()
	cols := ins.Columns()
	if len(cols) != len(b.columns) {
		_ = ins.Abort()
		return fmt.Errorf("%w: %s: server expects %d columns, batch has %d", ErrRejected, w.table, len(cols), len(b.columns))
	}
	types := make([]string, len(cols))
	for i := range b.cols {
		types[i] = string(cols[i].Type())
		if cols[i].Name() != b.columns[i] {
			_ = ins.Abort()
			return fmt.Errorf("%w: %s: server sent column %s where %s was expected", ErrRejected, w.table, cols[i].Name(), b.columns[i])
		}
	}
	fill := newBlockFiller(b, types)
	// The batch goes out as several blocks of one INSERT. The driver
	// reuses its column buffers from block to block, where one big block
	// would regrow them from nothing for every batch; the server still
	// writes the whole INSERT as one part per partition and acknowledges it
	// once, at Send.
	blockRows := b.blockRows()
	for lo := 0; lo < b.rows; lo += blockRows {
		hi := min(lo+blockRows, b.rows)
		if i, err := fill.appendBlock(func(i int) columnAppender { return ins.Column(i) }, lo, hi); err != nil {
			_ = ins.Abort()
			return fmt.Errorf("%w: table %s, column %s (%s into %s): %v", ErrRejected, w.table, b.columns[i], b.kinds[i], cols[i].Type(), err)
		}
		if hi < b.rows {
			if err := ins.Flush(); err != nil {
				return classify(w.table, err)
			}
		}
	}
	if err := ins.Send(); err != nil {
		return classify(w.table, err)
	}
	return nil
}

// A batch is sent in blocks of about sendBlockBytes, and of minBlockRows
// to sendBlockRows rows. The driver makes fresh columns for every insert
// and copies each block three times (into its columns, into the
// connection's buffer, through LZ4) before writing it: blocks that fit in
// the processor's cache make those copies several times cheaper than
// blocks of tens of megabytes, and few enough rows per block keep the
// per-block overhead (column headers, LowCardinality dictionaries) small.
const (
	sendBlockBytes = 1 << 20
	minBlockRows   = 1 << 10
	sendBlockRows  = 1 << 15
)

// blockRows is how many rows of b make a block of about sendBlockBytes on
// the wire, estimated from the first rows.
func (b *batch) blockRows() int {
	n := min(b.rows, 1024)
	if n == 0 {
		return sendBlockRows
	}
	bytes := 0
	for i, k := range b.kinds {
		switch k {
		case kindString:
			for _, s := range (*b.cols[i].(*[]string))[:n] {
				bytes += 1 + len(s)
			}
		case kindStrings:
			for _, a := range (*b.cols[i].(*[][]string))[:n] {
				bytes += 8
				for _, s := range a {
					bytes += 1 + len(s)
				}
			}
		case kindUint64s:
			for _, a := range (*b.cols[i].(*[][]uint64))[:n] {
				bytes += 8 + 8*len(a)
			}
		default:
			bytes += n * k.wireSize()
		}
	}
	return min(max(sendBlockBytes*n/max(bytes, 1), minBlockRows), sendBlockRows)
}

// columnAppender is the part of a driver batch column that appendBlock
// uses; the benchmarks feed the driver's columns without a server.
type columnAppender interface {
	Append(v any) error
	AppendRow(v any) error
}

// blockFiller appends a batch's rows to the driver's columns of one
// insert, block by block, in the form each driver column takes cheapest.
type blockFiller struct {
	b *batch
	// boxes has, for each string column the server stores as
	// LowCardinality, every distinct value of the insert boxed once. The
	// driver's LowCardinality column only takes values one at a time as
	// `any` (a whole slice goes through reflection and boxes every value
	// anew), so appending the same few boxed values keeps that per-row
	// path free of allocations.
	boxes []map[string]any
}

// newBlockFiller prepares the filling of b into columns of the given
// server types (as the insert's header names them).
func newBlockFiller(b *batch, types []string) *blockFiller {
	f := &blockFiller{b: b, boxes: make([]map[string]any, len(b.kinds))}
	for i, k := range b.kinds {
		if k == kindString && i < len(types) && strings.HasPrefix(types[i], "LowCardinality(") {
			f.boxes[i] = map[string]any{}
		}
	}
	return f
}

// appendBlock appends rows [lo, hi) of every column to the driver's
// columns. On an error it returns the column that failed.
func (f *blockFiller) appendBlock(dst func(i int) columnAppender, lo, hi int) (int, error) {
	b := f.b
	for i, k := range b.kinds {
		col := dst(i)
		var err error
		switch {
		case f.boxes[i] != nil:
			err = appendBoxed(col, f.boxes[i], (*b.cols[i].(*[]string))[lo:hi])
		case k == kindStrings:
			// Row by row, the driver's arrays take typed slices without
			// reflection; a whole [][]string goes through reflection.
			err = appendRows(col, (*b.cols[i].(*[][]string))[lo:hi])
		case k == kindUint64s:
			err = appendRows(col, (*b.cols[i].(*[][]uint64))[lo:hi])
		default:
			err = col.Append(b.values(i, lo, hi))
		}
		if err != nil {
			return i, err
		}
	}
	return 0, nil
}

// appendBoxed appends vals one row at a time, each as the boxed value of
// box, boxing a value only the first time it is seen. Runs of one value
// (a platform, a kind) skip even the map.
func appendBoxed(col columnAppender, box map[string]any, vals []string) error {
	var last string
	var boxed any
	for _, s := range vals {
		if boxed == nil || s != last {
			v, ok := box[s]
			if !ok {
				v = s
				box[s] = v
			}
			last, boxed = s, v
		}
		if err := col.AppendRow(boxed); err != nil {
			return err
		}
	}
	return nil
}

func appendRows[E any](col columnAppender, rows []E) error {
	for _, r := range rows {
		if err := col.AppendRow(r); err != nil {
			return err
		}
	}
	return nil
}

// values is rows [lo, hi) of column i in the form clickhouse-go appends
// fastest.
func (b *batch) values(i, lo, hi int) any {
	switch b.kinds[i] {
	case kindDate:
		secs := (*b.cols[i].(*[]int64))[lo:hi]
		ts := make([]time.Time, len(secs))
		for j, s := range secs {
			ts[j] = time.Unix(s, 0).UTC()
		}
		return ts
	default:
		return reflect.ValueOf(b.cols[i]).Elem().Slice(lo, hi).Interface()
	}
}

// Server exception codes that no retry can fix: the rows do not fit the
// table. Anything else (network errors, too many parts, memory limits, a
// table not created yet, a read-only replica) is worth retrying and spooling.
var permanentCodes = map[int32]bool{
	6:  true, // CANNOT_PARSE_TEXT
	8:  true, // THERE_IS_NO_COLUMN
	10: true, // NOT_FOUND_COLUMN_IN_BLOCK
	16: true, // NO_SUCH_COLUMN_IN_TABLE
	20: true, // NUMBER_OF_COLUMNS_DOESNT_MATCH
	27: true, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
	44: true, // ILLEGAL_COLUMN
	53: true, // TYPE_MISMATCH
	62: true, // SYNTAX_ERROR
	70: true, // CANNOT_CONVERT_TYPE
}

func classify(table string, err error) error {
	var exc *clickhouse.Exception
	if errors.As(err, &exc) && permanentCodes[exc.Code] {
		return fmt.Errorf("%w: insert into %s: %v", ErrRejected, table, err)
	}
	return fmt.Errorf("insert into %s: %w", table, err)
}

func (w *Writer[T]) register(reg prometheus.Registerer) error {
	labels := prometheus.Labels{"table": w.table}
	counter := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "tidewatch", Subsystem: "store", Name: name, Help: help, ConstLabels: labels,
		}, func() float64 { return float64(v.Load()) })
	}
	s := &w.stats
	cs := []prometheus.Collector{
		counter("rows_accepted_total", "Rows taken by Write.", &s.rowsAccepted),
		counter("rows_written_total", "Rows acknowledged by ClickHouse.", &s.rowsWritten),
		counter("batches_total", "Inserts acknowledged by ClickHouse.", &s.batches),
		counter("retries_total", "Failed insert attempts that were retried.", &s.retries),
		counter("spooled_batches_total", "Batches written to the on-disk spool.", &s.spooled),
		counter("replayed_batches_total", "Spooled batches inserted after ClickHouse returned.", &s.replayed),
		counter("rejected_batches_total", "Batches ClickHouse refused for good, kept in failed/.", &s.rejected),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "tidewatch", Subsystem: "store", Name: "spool_pending_batches",
			Help: "Batches waiting in the spool.", ConstLabels: labels,
		}, func() float64 { return float64(s.spoolPending.Load()) }),
	}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return fmt.Errorf("register metrics for %s: %w", w.table, err)
		}
	}
	w.collectors = cs
	return nil
}
