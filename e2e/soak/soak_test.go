package soak

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// channels is the size of every scenario's world: 40 channels, a year of history each, about
// 45,000 posts in the readable ones.
const channels = 40

// historyLimits are the collector's per-account call rates in the scenarios: slow enough
// that the full histories take a minute or more, so that the faults land in the middle of
// the collection.
var historyLimits = []string{
	"messages.getHistory=4/4", "channels.getFullChannel=20/20", "channels.getChannels=20/20",
	"messages.getMessagesViews=20/20", "channels.getMessages=20/20",
}

// exited reports whether the collector has ended (and puts its result back).
func (c *collector) exited() bool {
	select {
	case err := <-c.done:
		c.done <- err
		return true
	default:
		return false
	}
}

// BenchmarkSoakClickHouseKills kills ClickHouse with SIGKILL ten times during one collection
// and restarts it after 1 to 4 seconds: the writers retry and spool meanwhile.
func BenchmarkSoakClickHouseKills(b *testing.B) {
	e := newEnv(b, channels)
	e.configure(historyLimits, "")
	c := e.startCollect()
	kills := 0
	for kills < 10 && !c.exited() {
		e.sleep(2*time.Second, 5*time.Second)
		require.NoError(b, e.ch.Kill())
		kills++
		e.logf("ClickHouse killed (%d)", kills)
		e.sleep(time.Second, 4*time.Second)
		e.ch.Restart(b)
	}
	require.Equal(b, 10, kills, "the collection ended before the tenth kill: make the history longer")
	runs := 1
	if err := c.wait(b, 20*time.Minute); err != nil {
		e.logf("collect run 1: %v", err)
		runs += e.collectToEnd(3)
	}
	report(b, e.compare(outcome{
		Scenario: "ClickHouse killed and restarted during a collection",
		Faults:   "10 × SIGKILL, down 1-4 s",
		Runs:     runs,
	}))
}

// BenchmarkSoakCollectorKills kills the collector with SIGKILL twenty times, each 0.3 to 4
// seconds after it started, then lets a last run finish.
func BenchmarkSoakCollectorKills(b *testing.B) {
	e := newEnv(b, channels)
	e.configure(historyLimits, "")
	kills := 0
	for kills < 20 {
		c := e.startCollect()
		e.sleep(300*time.Millisecond, 4*time.Second)
		require.False(b, c.exited(), "the collection ended before kill %d: make the history longer", kills+1)
		c.kill()
		kills++
	}
	runs := kills + e.collectToEnd(3)
	report(b, e.compare(outcome{
		Scenario: "collector killed at random moments",
		Faults:   "20 × SIGKILL, 0.3-4 s into a run",
		Runs:     runs,
	}))
}

// BenchmarkSoakTelegramFaults collects from a Telegram that drops 5% of connections, answers
// 2% of calls INTERNAL, adds up to a second of latency to every call and floods (its limits
// are below the collector's rates), and that restarts once, in a new process, having lost
// every session: the collector must say that the account has to log in again.
func BenchmarkSoakTelegramFaults(b *testing.B) {
	dir := b.TempDir()
	limits := filepath.Join(dir, "limits.json")
	require.NoError(b, os.WriteFile(limits, []byte(`{"methods": {
		"messages.getHistory": {"rate": 4, "burst": 4},
		"messages.getMessagesViews": {"rate": 2, "burst": 2},
		"channels.getFullChannel": {"rate": 2, "burst": 4},
		"*": {"rate": 10, "burst": 10}}}`), 0o644))
	e := newEnv(b, channels, "--drop-rate", "0.05", "--internal-rate", "0.02", "--jitter", "1s", "--limits", limits)
	e.configure(historyLimits, "")
	c := e.startCollect()
	time.Sleep(20 * time.Second)
	require.False(b, c.exited(), "the collection ended before the restart: make the history longer")
	e.stopSim(syscall.SIGKILL)
	e.startSim()
	e.logf("tgsim restarted in a new process")
	err := c.wait(b, 5*time.Minute)
	require.Error(b, err, "the collector went on without its session")
	out := c.out.String()
	require.Contains(b, out, "log in again", "the collector says the account must log in again")
	e.logf("collector exited: %v", err)
	e.login()
	runs := 1 + e.collectToEnd(3)
	o := e.compare(outcome{
		Scenario: "Telegram faults and a restart that loses the sessions",
		Faults:   "5% connections dropped, 2% INTERNAL, latency 0-1 s, flood waits, 1 restart",
		Runs:     runs,
	})
	o.Note = "the collector stopped: " + lastLine(out, "log in again")
	report(b, o)
}

// BenchmarkSoakSpoolDiskFull runs a collection while ClickHouse is down and the spool folder
// is on a 4 MiB file system: the writers spool until the disk is full, the collector must
// stop with a clear error, and once ClickHouse is back and the disk has room a new run must
// store everything, replaying the spool (nothing in it corrupt).
func BenchmarkSoakSpoolDiskFull(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Fatal("the disk-full scenario mounts a tmpfs: run make soak as root")
	}
	e := newEnv(b, channels)
	spool := filepath.Join(e.dir, "smallspool")
	require.NoError(b, os.MkdirAll(spool, 0o755))
	mount := func(opts string) {
		b.Helper()
		out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", spool).CombinedOutput()
		require.NoError(b, err, "mount: %s", out)
	}
	mount("size=4m")
	b.Cleanup(func() { _ = exec.Command("umount", spool).Run() })
	e.configure(historyLimits, spool)
	require.NoError(b, e.ch.Stop())
	c := e.startCollect()
	err := c.wait(b, 10*time.Minute)
	out := c.out.String()
	e.logf("collector on a full spool disk exited: %v", err)
	require.Error(b, err, "the collector went on with neither ClickHouse nor room in the spool")
	require.Contains(b, out, "no space left on device", "the error names the cause")
	require.NoFileExists(b, filepath.Join(spool, "failed"), "no batch was given up")
	mount("remount,size=512m")
	e.ch.Restart(b)
	runs := 1 + e.collectToEnd(3)
	o := e.compare(outcome{
		Scenario: "spool disk full while ClickHouse is down",
		Faults:   "ClickHouse stopped, spool on a 4 MiB tmpfs",
		Runs:     runs,
	})
	o.Note = "the collector stopped: " + lastLine(out, "no space left on device")
	report(b, o)
}

// lastLine is the last line of out that contains s, without its log prefix, shortened.
func lastLine(out, s string) string {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], s) {
			l := lines[i]
			if len(l) > 160 {
				l = l[:160] + "…"
			}
			return fmt.Sprintf("%q", l)
		}
	}
	return ""
}

// BenchmarkSoakBaseline is the reference: one collection without faults.
func BenchmarkSoakBaseline(b *testing.B) {
	e := newEnv(b, channels)
	e.configure(historyLimits, "")
	runs := e.collectToEnd(1)
	report(b, e.compare(outcome{Scenario: "no faults (reference)", Faults: "none", Runs: runs}))
}
