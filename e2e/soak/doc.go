// Package soak holds the fault scenarios of `make soak`: the binaries (tidewatch, tgsim) in
// their own processes, a throwaway ClickHouse, and faults a long collection meets in the
// field: ClickHouse killed and restarted, the collector killed with SIGKILL, a Telegram that
// drops connections, fails calls, stalls and floods and loses its sessions, and a spool
// folder whose disk is full. Each scenario ends by comparing the collected data with the
// simulated world's ground truth (tgsim load-truth) and prints one row of the results table
// kept in RELIABILITY.md.
//
// The scenarios are benchmarks so that `go test ./...` (and make test) leaves them out:
//
//	go test ./e2e/soak -run '^$' -bench Soak -benchtime 1x -timeout 60m
//
// The disk-full scenario mounts a small tmpfs and needs root.
package soak
