// Package store connects to ClickHouse and writes rows through a batched
// writer that loses nothing while ClickHouse restarts, fails or is away.
//
// Open returns a DB: a native-protocol connection pool, LZ4-compressed
// unless the server is on the loopback interface. NewWriter returns a
// Writer[T] for one table, where T is a struct whose fields carry
// `ch:"column"` tags (`ch:"day,date"` for a Date column). The column list and per-field readers are built once per type by
// reflection; rows are then copied column by column into typed column
// slices and sent columnar, with an explicit column list (18.16 needs one),
// in blocks of about 1 MiB.
//
// # Batching
//
// A batch is sent when it reaches BatchRows rows (default 100,000, at least
// 10,000: small inserts leave ClickHouse many parts to merge) or when its
// first row has waited FlushInterval (default 1 s, jittered per writer).
// A batch goes out as blocks (of about 1 MiB, 1k to 32k rows) of one
// INSERT, acknowledged once. Up to Inserters batches (default 2) are
// inserted at once over their own connections, so ClickHouse writes one
// batch's part while the next is on the wire. At most QueueBatches full
// batches wait, and Write blocks beyond that, so memory stays bounded.
//
// # Loss-free delivery
//
// A failed insert is retried MaxAttempts times with exponential backoff and
// jitter. When ClickHouse stays unreachable the batch goes to the spool: one
// file per batch under SpoolDir/<database>.<table>/, written under a
// temporary name, fsynced and renamed, in a framed binary encoding with a
// CRC-32C (spool.go documents the format). Write keeps accepting rows
// meanwhile: new batches join the spool behind the older ones, so memory does
// not grow. The spool is replayed oldest first in the background (with
// backoff), at every Flush, and by the next writer of the table after a
// restart; a file is deleted only after ClickHouse acknowledged its insert.
// Close flushes and replays; what ClickHouse did not take by then stays on
// disk (ErrSpoolPending). A batch ClickHouse refuses for good (its rows do
// not fit the table) is kept under failed/ and reported by Flush and Close,
// never dropped and never allowed to block the batches behind it.
//
// What is not covered: rows still in memory when the process itself dies.
// Flush returns once everything written before it is in ClickHouse or in the
// spool; callers that need a checkpoint (a collector's cursor, say) advance
// it after Flush.
//
// # Dedupe contract
//
// Retries and replays mean a batch can reach ClickHouse more than once: an
// insert whose acknowledgement was lost (the server died after writing the
// part) is retried, and a spooled batch whose deletion was interrupted is
// replayed again. The writer does not try to prevent that; the tables make
// it harmless. Every table written through a Writer is a ReplacingMergeTree
// whose ORDER BY is the row's natural key (and whose version column, where
// there is one, comes from the observation, never from the insert), so an
// identical row inserted twice collapses into one. Readers that need exact
// figures read with FINAL, or with argMax(col, version) grouped by the key;
// aggregate rollups fed by materialized views are approximate until merges
// run and must be recomputed from FINAL where exactness matters. A table
// that is not keyed this way must not be written through a Writer.
package store
