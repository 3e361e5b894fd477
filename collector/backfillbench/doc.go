// Package backfillbench holds the full-history backfill benchmarks of the collector: the
// tidewatch and tgsim binaries, each in a process of its own as a user runs them, collecting
// whole histories into a throwaway ClickHouse, against the raw gotd client paging the same
// channels. It measures the collector's peak resident memory, its CPU per post against the
// raw client's, ClickHouse's CPU, and the parts each insert leaves in ClickHouse; and, at the
// default rate limits, the collector's CPU per post over repeated runs, which exposes a
// collector that spins. See BENCHMARKS.md for the commands and results.
package backfillbench
