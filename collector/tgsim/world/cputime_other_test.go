//go:build !unix

package world

import "time"

// cpuTime is unknown here: benchmarks then report zero CPU time.
func cpuTime() time.Duration { return 0 }
