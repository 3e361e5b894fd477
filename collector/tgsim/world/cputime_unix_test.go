//go:build unix

package world

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used: benchmarks report it per
// operation because wall time on a shared machine says little.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
