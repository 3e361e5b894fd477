package soak

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/chtest"
)

const (
	apiHash  = "0123456789abcdef0123456789abcdef"
	seed     = 5
	truthRun = "soak-truth"
	phone    = "+9996625001"
	label    = "soak"
)

// binaries builds tidewatch and tgsim once per test process.
var binaries = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "soak-bin-")
	if err != nil {
		return "", err
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/tidewatch", "./cmd/tgsim")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, b)
	}
	return dir, nil
})

// worldSpec is the soak world: channels with a year of history each, about 4 posts a day.
func worldSpec(channels int) string {
	return fmt.Sprintf("channels: %d\nhistory: 52w\nposting:\n  per_day: 4\n", channels)
}

// env is one scenario's world: the simulator's process (its clock stopped a day into the
// world, so that the ground truth is exact), a throwaway ClickHouse, and a data folder for
// tidewatch with a logged-in account and the seeds added.
type env struct {
	b        *testing.B
	dir, bin string
	specFile string
	simArgs  []string
	sim      *exec.Cmd
	simDone  chan error
	simAddr  string
	ch       *chtest.Server
	seeds    []string
	rng      *rand.Rand
	logFile  *os.File
}

// newEnv starts the simulator with simFlags (faults) and ClickHouse, and writes the spec.
func newEnv(b *testing.B, channels int, simFlags ...string) *env {
	b.Helper()
	bin, err := binaries()
	require.NoError(b, err)
	e := &env{b: b, dir: b.TempDir(), bin: bin, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
	e.specFile = filepath.Join(e.dir, "spec.yaml")
	require.NoError(b, os.WriteFile(e.specFile, []byte(worldSpec(channels)), 0o644))
	e.logFile, err = os.Create(filepath.Join(e.dir, "soak.log"))
	require.NoError(b, err)
	b.Cleanup(func() {
		if b.Failed() {
			b.Logf("logs of the failed scenario:\n%s", e.tail(80))
			if keep := os.Getenv("SOAK_KEEP_LOGS"); keep != "" {
				all, _ := os.ReadFile(e.logFile.Name())
				_ = os.WriteFile(filepath.Join(keep, b.Name()+".log"), all, 0o644)
			}
		}
		e.logFile.Close()
	})
	// A fixed port, so that a new simulator process serves where the old one did.
	e.simAddr = "127.0.0.1:" + strconv.Itoa(freePort(b))
	e.simArgs = append([]string{"serve", "--spec", e.specFile, "--seed", strconv.Itoa(seed), "--start", "1d",
		"--speed", "0.000001", "--listen", e.simAddr, "--key", filepath.Join(e.dir, "sim.key"),
		"--key-out", filepath.Join(e.dir, "sim.pem"), "--quiet"}, simFlags...)
	e.startSim()
	b.Cleanup(func() { e.stopSim(syscall.SIGTERM) })
	e.ch = chtest.Migrated(b)
	out := e.run("tgsim", "seeds", "--spec", e.specFile, "--seed", strconv.Itoa(seed), "--at", "1d", "--count", strconv.Itoa(channels))
	e.seeds = strings.Fields(out)
	require.NoError(b, os.WriteFile(filepath.Join(e.dir, "seeds.txt"), []byte(out), 0o644))
	return e
}

// startSim starts a simulator process and waits until it accepts connections.
func (e *env) startSim() {
	e.b.Helper()
	e.sim = exec.Command(filepath.Join(e.bin, "tgsim"), e.simArgs...)
	e.sim.Dir = e.dir
	e.sim.Stdout, e.sim.Stderr = e.logFile, e.logFile
	require.NoError(e.b, e.sim.Start())
	done := make(chan error, 1)
	go func(c *exec.Cmd) { done <- c.Wait() }(e.sim)
	e.simDone = done
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", e.simAddr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		require.Less(e.b, i, 300, "tgsim did not listen on %s", e.simAddr)
		time.Sleep(50 * time.Millisecond)
	}
}

// stopSim ends the simulator process with sig and waits for it.
func (e *env) stopSim(sig syscall.Signal) {
	if e.sim == nil {
		return
	}
	_ = e.sim.Process.Signal(sig)
	<-e.simDone
	e.sim = nil
}

// run runs one of the binaries in the data folder and returns its standard output.
func (e *env) run(name string, args ...string) string {
	e.b.Helper()
	cmd := exec.Command(filepath.Join(e.bin, name), args...)
	cmd.Dir = e.dir
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		e.b.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, ee.Stderr)
	}
	require.NoError(e.b, err)
	return string(out)
}

// configure writes tidewatch.yaml (the simulator, the throwaway server, discovery off,
// per-account rates of limits, the spool in spoolDir when it is set), logs in and adds the
// seeds.
func (e *env) configure(limits []string, spoolDir string) {
	e.b.Helper()
	cfg := fmt.Sprintf(`data_dir: .
clickhouse:
  addr: [%s]
  database: %s
telegram:
  api_id: 17
  api_hash: %s
  dc_addr: %s
  public_key_file: sim.pem
privacy:
  hash_key: soak-scenario-key-0123456789abcdef
collect:
  discovery:
    max_depth: 0
  limits: [%s]
`, e.ch.Addr(), e.ch.Database, apiHash, e.simAddr, strings.Join(limits, ", "))
	if spoolDir != "" {
		cfg += "writer:\n  spool_dir: " + spoolDir + "\n"
	}
	require.NoError(e.b, os.WriteFile(filepath.Join(e.dir, "tidewatch.yaml"), []byte(cfg), 0o600))
	e.login()
	e.run("tidewatch", "seeds", "add", "--file", "seeds.txt")
}

// login logs the scenario's account in (again).
func (e *env) login() {
	e.b.Helper()
	e.run("tidewatch", "login", "--phone", phone, "--code", "22222", "--label", label)
}

// collector is one `tidewatch collect` process.
type collector struct {
	cmd  *exec.Cmd
	done chan error
	out  *strings.Builder
}

// startCollect starts a one-shot `tidewatch collect`, which returns once every channel's
// history is in; its output goes to the scenario's log and is kept.
func (e *env) startCollect() *collector {
	e.b.Helper()
	c := &collector{out: &strings.Builder{}, done: make(chan error, 1)}
	level := os.Getenv("SOAK_LOG_LEVEL") // the collectors' log level, warn by default
	if level == "" {
		level = "warn"
	}
	c.cmd = exec.Command(filepath.Join(e.bin, "tidewatch"), "collect", "--log-level", level)
	c.cmd.Dir = e.dir
	pr, pw, err := os.Pipe()
	require.NoError(e.b, err)
	c.cmd.Stdout, c.cmd.Stderr = pw, pw
	require.NoError(e.b, c.cmd.Start())
	pw.Close()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text() + "\n"
			c.out.WriteString(line)
			_, _ = e.logFile.WriteString(line)
		}
		pr.Close()
	}()
	go func() {
		err := c.cmd.Wait()
		<-copied
		c.done <- err
	}()
	return c
}

// wait waits up to d for the collector to exit and returns its error; it fails the scenario
// when the collector is still running then.
func (c *collector) wait(b *testing.B, d time.Duration) error {
	b.Helper()
	select {
	case err := <-c.done:
		return err
	case <-time.After(d):
		_ = c.cmd.Process.Kill()
		<-c.done
		b.Fatalf("tidewatch collect still running after %s", d)
		return nil
	}
}

// kill ends the collector with SIGKILL.
func (c *collector) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// collectToEnd runs one-shot collections until one exits 0 (at most tries), as a
// researcher reruns an interrupted job; it returns the runs it took.
func (e *env) collectToEnd(tries int) int {
	e.b.Helper()
	for i := 1; i <= tries; i++ {
		err := e.startCollect().wait(e.b, 20*time.Minute)
		if err == nil {
			return i
		}
		e.logf("collect run %d: %v", i, err)
	}
	e.b.Fatalf("tidewatch collect did not finish in %d runs", tries)
	return 0
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.logFile, "soak: "+format+"\n", args...)
}

// tail returns the last n lines of the scenario's log.
func (e *env) tail(n int) string {
	b, _ := os.ReadFile(e.logFile.Name())
	lines := strings.Split(string(b), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// sleep waits a random time between lo and hi.
func (e *env) sleep(lo, hi time.Duration) {
	time.Sleep(lo + time.Duration(e.rng.Int64N(int64(hi-lo)+1)))
}

func freePort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
