package stats

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// lgraph is an undirected weighted graph for the Louvain method: neighbor lists without
// self-loops (each edge listed at both ends), self-loop weights apart, and degrees with a
// self-loop counted twice.
type lgraph struct {
	adj  [][]nbr
	self []float64
	deg  []float64
	m2   float64 // twice the total edge weight: the sum of the degrees
}

type nbr struct {
	j int
	w float64
}

// newLGraph folds edges (weights of a -> b and b -> a summed) over nodes 0..n-1.
func newLGraph(n int, edges []Edge, index map[int64]int) (*lgraph, error) {
	g := &lgraph{adj: make([][]nbr, n), self: make([]float64, n), deg: make([]float64, n)}
	sum := map[[2]int]float64{}
	for i, e := range edges {
		if !(e.Weight > 0) || math.IsInf(e.Weight, 1) {
			return nil, fmt.Errorf("%w: edge %d (%d -> %d) weight %g: want a positive weight", ErrInvalidInput, i, e.From, e.To, e.Weight)
		}
		a, okA := index[e.From]
		b, okB := index[e.To]
		if !okA || !okB {
			return nil, fmt.Errorf("%w: edge %d (%d -> %d): node not in the node list", ErrInvalidInput, i, e.From, e.To)
		}
		if a == b {
			continue // self-loops of the input are left out, as the gonum graphs do
		}
		sum[[2]int{min(a, b), max(a, b)}] += e.Weight
	}
	keys := make([][2]int, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [2]int) int { return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1])) })
	for _, k := range keys {
		w := sum[k]
		g.adj[k[0]] = append(g.adj[k[0]], nbr{k[1], w})
		g.adj[k[1]] = append(g.adj[k[1]], nbr{k[0], w})
		g.deg[k[0]] += w
		g.deg[k[1]] += w
		g.m2 += 2 * w
	}
	return g, nil
}

// moveNodes is the Louvain method's first phase: nodes, in a random order, move to the
// neighboring community with the best modularity gain until a pass moves none. It returns
// whether any node moved.
func (g *lgraph) moveNodes(comm []int, res float64, r *rand.Rand) bool {
	n := len(g.adj)
	tot := make([]float64, n)
	for i := range n {
		tot[comm[i]] += g.deg[i]
	}
	wc := make([]float64, n)
	seen := make([]bool, n)
	var touched []int
	moved := false
	order := r.Perm(n)
	for pass := 0; pass < 1000; pass++ {
		changed := 0
		for _, i := range order {
			ci := comm[i]
			touched = touched[:0]
			for _, nb := range g.adj[i] {
				c := comm[nb.j]
				if !seen[c] {
					seen[c] = true
					touched = append(touched, c)
				}
				wc[c] += nb.w
			}
			tot[ci] -= g.deg[i]
			k := g.deg[i] / g.m2
			best, bestGain := ci, wc[ci]-res*tot[ci]*k
			for _, c := range touched {
				if gain := wc[c] - res*tot[c]*k; gain > bestGain+1e-12*math.Max(1, math.Abs(bestGain)) {
					best, bestGain = c, gain
				}
			}
			tot[best] += g.deg[i]
			if best != ci {
				comm[i] = best
				changed++
			}
			for _, c := range touched {
				wc[c], seen[c] = 0, false
			}
		}
		if changed == 0 {
			break
		}
		moved = true
	}
	return moved
}

// aggregate is the second phase: one node per community (renumbered from 0 in order of
// first appearance), edges summed, internal weight kept as self-loops.
func (g *lgraph) aggregate(comm []int) (*lgraph, []int) {
	n := len(g.adj)
	renum := make([]int, n)
	for i := range renum {
		renum[i] = -1
	}
	k := 0
	for i := range n {
		if renum[comm[i]] < 0 {
			renum[comm[i]] = k
			k++
		}
	}
	of := make([]int, n)
	for i := range n {
		of[i] = renum[comm[i]]
	}
	h := &lgraph{adj: make([][]nbr, k), self: make([]float64, k), deg: make([]float64, k), m2: g.m2}
	acc := make([]map[int]float64, k)
	for i := range n {
		a := of[i]
		h.self[a] += g.self[i]
		h.deg[a] += g.deg[i]
		for _, nb := range g.adj[i] {
			b := of[nb.j]
			if a == b {
				h.self[a] += nb.w / 2 // listed at both ends
				continue
			}
			if acc[a] == nil {
				acc[a] = map[int]float64{}
			}
			acc[a][b] += nb.w
		}
	}
	for a := range k {
		for b, w := range acc[a] {
			h.adj[a] = append(h.adj[a], nbr{b, w})
		}
		slices.SortFunc(h.adj[a], func(x, y nbr) int { return cmp.Compare(x.j, y.j) })
	}
	return h, of
}

// modularity is Newman's modularity of the partition comm of g at resolution res.
func (g *lgraph) modularity(comm []int, res float64) float64 {
	if g.m2 == 0 {
		return math.NaN()
	}
	in := map[int]float64{}
	tot := map[int]float64{}
	for i, nbs := range g.adj {
		c := comm[i]
		tot[c] += g.deg[i]
		in[c] += 2 * g.self[i]
		for _, nb := range nbs {
			if comm[nb.j] == c {
				in[c] += nb.w
			}
		}
	}
	q := 0.0
	for c, t := range tot {
		q += in[c]/g.m2 - res*(t/g.m2)*(t/g.m2)
	}
	return q
}

// louvain runs the Louvain method once: the community of every node of g.
func louvain(g *lgraph, res float64, r *rand.Rand) []int {
	n := len(g.adj)
	member := make([]int, n) // each original node's node at the current level
	for i := range member {
		member[i] = i
	}
	cur := g
	for {
		comm := make([]int, len(cur.adj))
		for i := range comm {
			comm[i] = i
		}
		if !cur.moveNodes(comm, res, r) {
			break
		}
		next, of := cur.aggregate(comm)
		for i := range member {
			member[i] = of[member[i]]
		}
		if len(next.adj) == len(cur.adj) {
			break
		}
		cur = next
	}
	return member
}
