package chserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults for the zero fields of ClusterOptions. The port ranges sit apart
// from the single server's defaults, so both can run at once.
const (
	DefaultClusterDir             = ".tidewatch/cluster"
	DefaultClusterName            = "tidewatch"
	DefaultShards                 = 2
	DefaultReplicas               = 2
	DefaultClusterTCPPort         = 19100
	DefaultClusterHTTPPort        = 18200
	DefaultClusterInterserverPort = 19200
	DefaultZooKeeperPort          = 12181
)

// ClusterOptions configure a local cluster: one standalone ZooKeeper and
// Shards x Replicas clickhouse-servers on loopback, each in its own folder
// under Dir. Node k (shard s, replica r, k = s*Replicas + r, from 0) listens
// on TCPPort+k, HTTPPort+k and InterserverPort+k. Zero fields get defaults.
type ClusterOptions struct {
	// Dir holds one folder per node (s1r1, s1r2, ...) and zookeeper/.
	// Default DefaultClusterDir.
	Dir string
	// Name is the cluster's name in <remote_servers>. Default
	// DefaultClusterName.
	Name string
	// Shards and Replicas per shard. Defaults DefaultShards and
	// DefaultReplicas.
	Shards, Replicas int
	// TCPPort, HTTPPort and InterserverPort are the first node's ports.
	TCPPort, HTTPPort, InterserverPort int
	// ZooKeeperPort is ZooKeeper's client port.
	ZooKeeperPort int
	// Binary is the clickhouse-server executable (see Options.Binary).
	Binary string
	// Java runs ZooKeeper. Default: java on PATH.
	Java string
	// Database is the one database AnalystUser may read.
	Database string
	// StartTimeout and StopTimeout apply to each process.
	StartTimeout, StopTimeout time.Duration
	// Logger receives lifecycle messages; nil is silent.
	Logger *slog.Logger
}

// ClusterNode is one node of a local cluster.
type ClusterNode struct {
	// Shard and Replica count from 0.
	Shard, Replica int
	// Options start, stop or kill this node alone with Start, Stop and
	// Kill.
	Options Options
}

// ClusterStatus describes a local cluster.
type ClusterStatus struct {
	// Name is the cluster's name.
	Name string
	// Running is true when ZooKeeper and every node answer.
	Running bool
	// ZooKeeperPID is 0 when no ZooKeeper of ours runs; ZooKeeperAddr is
	// its client address.
	ZooKeeperPID  int
	ZooKeeperAddr string
	// Nodes in order shard by shard.
	Nodes []NodeStatus
	// Dir is the absolute cluster folder.
	Dir string
}

// NodeStatus is one node's status with its place in the cluster.
type NodeStatus struct {
	Shard, Replica int
	Status
}

// Addrs lists the native addresses of every node, for a client that
// connects to the cluster.
func (s *ClusterStatus) Addrs() []string {
	var out []string
	for _, n := range s.Nodes {
		out = append(out, n.Addr)
	}
	return out
}

type resolvedCluster struct {
	ClusterOptions
	dir   string
	zk    zooKeeper
	nodes []ClusterNode
}

func (o ClusterOptions) resolve() (resolvedCluster, error) {
	if o.Dir == "" {
		o.Dir = DefaultClusterDir
	}
	if o.Name == "" {
		o.Name = DefaultClusterName
	}
	if o.Shards == 0 {
		o.Shards = DefaultShards
	}
	if o.Replicas == 0 {
		o.Replicas = DefaultReplicas
	}
	if o.TCPPort == 0 {
		o.TCPPort = DefaultClusterTCPPort
	}
	if o.HTTPPort == 0 {
		o.HTTPPort = DefaultClusterHTTPPort
	}
	if o.InterserverPort == 0 {
		o.InterserverPort = DefaultClusterInterserverPort
	}
	if o.ZooKeeperPort == 0 {
		o.ZooKeeperPort = DefaultZooKeeperPort
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if !validDatabase(o.Name) {
		return resolvedCluster{}, fmt.Errorf("cluster name %q: expected letters, digits and _ not starting with a digit", o.Name)
	}
	if o.Shards < 1 || o.Replicas < 1 || o.Shards*o.Replicas > 16 {
		return resolvedCluster{}, fmt.Errorf("cluster of %d shards x %d replicas: expected 1 to 16 nodes", o.Shards, o.Replicas)
	}
	n := o.Shards * o.Replicas
	used := map[int]string{o.ZooKeeperPort: "zookeeper"}
	for _, p := range []struct {
		name  string
		first int
	}{{"tcp", o.TCPPort}, {"http", o.HTTPPort}, {"interserver", o.InterserverPort}} {
		for k := 0; k < n; k++ {
			port := p.first + k
			if port < 1 || port > 65535 {
				return resolvedCluster{}, fmt.Errorf("node %d %s port %d out of range 1-65535", k, p.name, port)
			}
			name := fmt.Sprintf("node %d %s", k, p.name)
			if other, ok := used[port]; ok {
				return resolvedCluster{}, fmt.Errorf("%s port %d is also the %s port", name, port, other)
			}
			used[port] = name
		}
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return resolvedCluster{}, fmt.Errorf("cluster dir: %w", err)
	}
	r := resolvedCluster{ClusterOptions: o, dir: dir}
	r.zk = zooKeeper{
		dir: filepath.Join(dir, "zookeeper"), port: o.ZooKeeperPort,
		timeout: o.StartTimeout, stop: o.StopTimeout,
	}
	shards := make([][]string, o.Shards)
	for s := range shards {
		for rep := 0; rep < o.Replicas; rep++ {
			shards[s] = append(shards[s], net.JoinHostPort(Host, strconv.Itoa(o.TCPPort+s*o.Replicas+rep)))
		}
	}
	for s := 0; s < o.Shards; s++ {
		for rep := 0; rep < o.Replicas; rep++ {
			k := s*o.Replicas + rep
			r.nodes = append(r.nodes, ClusterNode{Shard: s, Replica: rep, Options: Options{
				Dir:             filepath.Join(dir, fmt.Sprintf("s%dr%d", s+1, rep+1)),
				TCPPort:         o.TCPPort + k,
				HTTPPort:        o.HTTPPort + k,
				InterserverPort: o.InterserverPort + k,
				Binary:          o.Binary,
				StartTimeout:    o.StartTimeout,
				StopTimeout:     o.StopTimeout,
				Database:        o.Database,
				Logger:          o.Logger.With("shard", s+1, "replica", rep+1),
				Node: &Node{
					Cluster:   o.Name,
					Shard:     fmt.Sprintf("%02d", s+1),
					Replica:   fmt.Sprintf("r%d", rep+1),
					Shards:    shards,
					ZooKeeper: []string{r.zk.addr()},
				},
			}})
		}
	}
	return r, nil
}

// Nodes returns the nodes of the cluster these options describe, with the
// options that start, stop or kill each one alone.
func (o ClusterOptions) Nodes() ([]ClusterNode, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	return r.nodes, nil
}

// StartCluster starts ZooKeeper and then every node that does not run yet,
// and waits until all answer. Starting a running cluster is a no-op that
// returns its status. A failure stops what this call started.
func StartCluster(ctx context.Context, opts ClusterOptions) (*ClusterStatus, error) {
	r, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	for _, n := range r.nodes {
		if _, err := FindBinary(n.Options.Binary); err != nil {
			return nil, err
		}
	}
	if r.zk.java, r.zk.cp, err = FindZooKeeper(r.Java); err != nil {
		return nil, err
	}
	log := r.Logger.With("cluster", r.Name, "dir", r.dir)
	zkBefore, err := r.zk.livePID()
	if err != nil {
		return nil, err
	}
	if _, err := r.zk.start(ctx); err != nil {
		return nil, err
	}
	log.Info("zookeeper ready", "addr", r.zk.addr())
	var started []Options
	undo := func(err error) error {
		errs := []error{err}
		for _, o := range started {
			errs = append(errs, Stop(context.Background(), o))
		}
		if zkBefore == 0 {
			errs = append(errs, r.zk.stopProcess(context.Background()))
		}
		return errors.Join(errs...)
	}
	for _, n := range r.nodes {
		st, err := Inspect(ctx, n.Options)
		if err != nil {
			return nil, undo(err)
		}
		if _, err := Start(ctx, n.Options); err != nil {
			return nil, undo(fmt.Errorf("node shard %d replica %d: %w", n.Shard+1, n.Replica+1, err))
		}
		if st.PID == 0 {
			started = append(started, n.Options)
		}
	}
	for _, n := range r.nodes {
		if err := waitZooKeeperSession(ctx, n.Options, r.StartTimeout); err != nil {
			return nil, undo(fmt.Errorf("node shard %d replica %d: %w", n.Shard+1, n.Replica+1, err))
		}
	}
	log.Info("cluster ready", "nodes", len(r.nodes))
	return r.inspect(ctx)
}

// StopCluster stops every node and then ZooKeeper. Stopping a cluster that
// does not run is not an error.
func StopCluster(ctx context.Context, opts ClusterOptions) error {
	r, err := opts.resolve()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range r.nodes {
		if err := Stop(ctx, n.Options); err != nil {
			errs = append(errs, fmt.Errorf("node shard %d replica %d: %w", n.Shard+1, n.Replica+1, err))
		}
	}
	if err := r.zk.stopProcess(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// InspectCluster reports which processes of the cluster run and answer.
func InspectCluster(ctx context.Context, opts ClusterOptions) (*ClusterStatus, error) {
	r, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	return r.inspect(ctx)
}

func (r resolvedCluster) inspect(ctx context.Context) (*ClusterStatus, error) {
	zkPID, err := r.zk.livePID()
	if err != nil {
		return nil, err
	}
	st := &ClusterStatus{Name: r.Name, ZooKeeperPID: zkPID, ZooKeeperAddr: r.zk.addr(), Dir: r.dir}
	st.Running = zkPID != 0 && r.zk.ping(ctx) == nil
	for _, n := range r.nodes {
		ns, err := Inspect(ctx, n.Options)
		if err != nil {
			return nil, err
		}
		st.Running = st.Running && ns.Running
		st.Nodes = append(st.Nodes, NodeStatus{Shard: n.Shard, Replica: n.Replica, Status: *ns})
	}
	return st, nil
}

// FreeClusterPorts returns opts with its ports set to ranges that are free
// now on Host, for clusters that must not collide with anything (tests). The
// ports are probed by binding them, so another process may still take one
// before the cluster starts; StartCluster then fails with ErrPortInUse.
func FreeClusterPorts(opts ClusterOptions) (ClusterOptions, error) {
	shards, replicas := opts.Shards, opts.Replicas
	if shards == 0 {
		shards = DefaultShards
	}
	if replicas == 0 {
		replicas = DefaultReplicas
	}
	n := shards * replicas
	// Three ranges of n ports and ZooKeeper's, from one block of 3n+1
	// consecutive ports below Linux's ephemeral range (32768 and up), where
	// outgoing connections take no port from under a server.
	for attempt := 0; attempt < 100; attempt++ {
		base := 20000 + int(time.Now().UnixNano()/7%12000)
		if portsFree(base, 3*n+1) {
			opts.TCPPort, opts.HTTPPort, opts.InterserverPort = base, base+n, base+2*n
			opts.ZooKeeperPort = base + 3*n
			return opts, nil
		}
	}
	return opts, fmt.Errorf("no block of %d free ports: %w", 3*n+1, ErrPortInUse)
}

func portsFree(first, count int) bool {
	for p := first; p < first+count; p++ {
		l, err := net.Listen("tcp", net.JoinHostPort(Host, strconv.Itoa(p)))
		if err != nil {
			return false
		}
		_ = l.Close()
	}
	return true
}

// waitZooKeeperSession waits until the node reads ZooKeeper. 18.16 crashes
// (a null session) on replicated or ON CLUSTER DDL sent before its ZooKeeper
// session exists, so a cluster is ready only once every node has one.
func waitZooKeeperSession(ctx context.Context, opts Options, timeout time.Duration) error {
	r, err := resolve(opts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	q := url.Values{"query": {"SELECT count() FROM system.zookeeper WHERE path = '/'"}}
	addr := "http://" + net.JoinHostPort(Host, strconv.Itoa(r.HTTPPort)) + "/?" + q.Encode()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("no zookeeper session within %s: %v", timeout, last)
		case <-tick.C:
		}
	}
}
