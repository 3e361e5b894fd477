package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/graph/community"
)

// karate is Zachary's karate club (Zachary 1977), 34 members and 78 friendships, as
// networkx's karate_club_graph numbers them (0-based).
var karate = [][2]int64{{0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {0, 6}, {0, 7}, {0, 8}, {0, 10}, {0, 11}, {0, 12}, {0, 13}, {0, 17}, {0, 19}, {0, 21}, {0, 31},
	{1, 2}, {1, 3}, {1, 7}, {1, 13}, {1, 17}, {1, 19}, {1, 21}, {1, 30}, {2, 3}, {2, 7}, {2, 8}, {2, 9}, {2, 13}, {2, 27}, {2, 28}, {2, 32},
	{3, 7}, {3, 12}, {3, 13}, {4, 6}, {4, 10}, {5, 6}, {5, 10}, {5, 16}, {6, 16}, {8, 30}, {8, 32}, {8, 33}, {9, 33}, {13, 33}, {14, 32}, {14, 33},
	{15, 32}, {15, 33}, {18, 32}, {18, 33}, {19, 33}, {20, 32}, {20, 33}, {22, 32}, {22, 33}, {23, 25}, {23, 27}, {23, 29}, {23, 32}, {23, 33},
	{24, 25}, {24, 27}, {24, 31}, {25, 31}, {26, 29}, {26, 33}, {27, 33}, {28, 31}, {28, 33}, {29, 32}, {29, 33}, {30, 32}, {30, 33}, {31, 32},
	{31, 33}, {32, 33}}

// karateMrHi is the faction that followed the instructor, Mr. Hi (networkx's "club"
// attribute); the others followed the officer.
var karateMrHi = []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17, 19, 21}

// karateGraph is the club as directed edges both ways, weight 1.
func karateGraph() ([]int64, []Edge) {
	var nodes []int64
	for i := range int64(34) {
		nodes = append(nodes, i)
	}
	var edges []Edge
	for _, e := range karate {
		edges = append(edges, Edge{e[0], e[1], 1}, Edge{e[1], e[0], 1})
	}
	return nodes, edges
}

// networkx 2.8.8: nx.pagerank(nx.karate_club_graph(), alpha=0.85, weight=None, tol=1e-12).
var karatePageRank = []float64{0.09699729, 0.05287692, 0.05707851, 0.03585986, 0.02197795, 0.02911115, 0.02911115, 0.0244905, 0.02976606,
	0.0143094, 0.02197795, 0.00956475, 0.01464489, 0.02953646, 0.01453599, 0.01453599, 0.01678401, 0.01455868, 0.01453599, 0.01960464,
	0.01453599, 0.01455868, 0.01453599, 0.03152251, 0.02107603, 0.0210062, 0.01504404, 0.02563977, 0.01957346, 0.02628854, 0.02459016,
	0.03715809, 0.07169323, 0.10091918}

func TestPageRankKarate(t *testing.T) {
	nodes, edges := karateGraph()
	pr, err := PageRank(nodes, edges, 0.85)
	require.NoError(t, err)
	require.Len(t, pr, 34)
	for i, want := range karatePageRank {
		require.InDelta(t, want, pr[int64(i)], 1e-6, "node %d", i)
	}
}

// A weighted directed graph with a dangling node (5) and a parallel edge; networkx 2.8.8:
// d = nx.DiGraph(); d.add_weighted_edges_from([(1,2,3),(1,3,1),(2,3,2),(3,1,1),(4,3,5),
// (4,2,1),(3,5,1)]); nx.pagerank(d, alpha=0.85, tol=1e-12) and, unweighted, nx.hits(d).
func TestPageRankWeightedAndHITS(t *testing.T) {
	nodes := []int64{1, 2, 3, 4, 5}
	edges := []Edge{{1, 2, 2}, {1, 2, 1}, {1, 3, 1}, {2, 3, 2}, {3, 1, 1}, {4, 3, 5}, {4, 2, 1}, {3, 5, 1}, {5, 5, 9}}
	pr, err := PageRank(nodes, edges, 0.85)
	require.NoError(t, err)
	for id, want := range map[int64]float64{1: 0.203115, 2: 0.20315705, 3: 0.32608341, 4: 0.06452955, 5: 0.203115} {
		require.InDelta(t, want, pr[id], 1e-6, "node %d", id)
	}
	h, err := HITS(nodes, edges)
	require.NoError(t, err)
	for id, want := range map[int64][2]float64{1: {0.3903882, 0}, 2: {0.21922359, 0.43844719}, 3: {0, 0.56155281}, 4: {0.3903882, 0}, 5: {0, 0}} {
		require.InDelta(t, want[0], h[id].Hub, 1e-6, "hub %d", id)
		require.InDelta(t, want[1], h[id].Authority, 1e-6, "authority %d", id)
	}
	_, err = PageRank(nodes, []Edge{{1, 2, -1}}, 0.85)
	require.Error(t, err)
	_, err = PageRank(nodes, edges, 1)
	require.Error(t, err)
}

func TestLouvainKarate(t *testing.T) {
	nodes, edges := karateGraph()
	// networkx 2.8.8: nx.community.modularity(g, [Mr. Hi's faction, the officer's],
	// weight=None) = 0.3582347140039448.
	other := []int64{}
	in := map[int64]bool{}
	for _, id := range karateMrHi {
		in[id] = true
	}
	for _, id := range nodes {
		if !in[id] {
			other = append(other, id)
		}
	}
	// Edges both ways count as weight 2 on the undirected graph: modularity is unchanged by
	// scaling every weight.
	q, err := Modularity(nodes, edges, [][]int64{karateMrHi, other}, 1)
	require.NoError(t, err)
	require.InDelta(t, 0.3582347140039448, q, 1e-12)

	c, err := Louvain(nodes, edges, 1, 1, 5)
	require.NoError(t, err)
	// The best partition known has Q = 0.4198 (Brandes et al. 2008, four communities);
	// Louvain reaches it or comes close.
	require.Greater(t, c.Q, 0.415)
	require.LessOrEqual(t, c.Q, 0.41979+1e-4)
	total := 0
	for _, g := range c.Groups {
		total += len(g)
	}
	require.Equal(t, 34, total)
	// Merging its communities by majority faction recovers the split for all but a few.
	wrong := 0
	for _, g := range c.Groups {
		hi := 0
		for _, id := range g {
			if in[id] {
				hi++
			}
		}
		wrong += min(hi, len(g)-hi)
	}
	require.LessOrEqual(t, wrong, 2)
	again, err := Louvain(nodes, edges, 1, 1, 5)
	require.NoError(t, err)
	require.Equal(t, c, again, "repeatable with the same seed")
	require.False(t, math.IsNaN(c.Q))
}

// Worked by hand (Hubert and Arabie's formula): a = [0 0 0 1 1 1], b = [0 0 1 1 2 2].
// Contingency cells (0,0)=2 (0,1)=1 (1,1)=1 (1,2)=2: sum C(n_ij, 2) = 1 + 0 + 0 + 1 = 2;
// rows 3, 3: 3 + 3 = 6; columns 2, 2, 2: 1 + 1 + 1 = 3; C(6, 2) = 15; expected = 6 x 3 / 15
// = 1.2; max = (6 + 3) / 2 = 4.5; ARI = (2 - 1.2) / (4.5 - 1.2) = 0.8 / 3.3.
func TestAdjustedRand(t *testing.T) {
	got, err := AdjustedRand([]int{0, 0, 0, 1, 1, 1}, []int{0, 0, 1, 1, 2, 2})
	require.NoError(t, err)
	require.InDelta(t, 0.8/3.3, got, 1e-12)
	got, err = AdjustedRand([]int{0, 0, 1, 1}, []int{5, 5, 7, 7})
	require.NoError(t, err)
	require.Equal(t, 1.0, got, "the same partition under other labels")
	got, err = AdjustedRand([]int{0, 0}, []int{0, 0})
	require.NoError(t, err)
	require.True(t, math.IsNaN(got))
	_, err = AdjustedRand([]int{0}, []int{0, 1})
	require.Error(t, err)
}

// On planted partitions, the Louvain here reaches at least the modularity of gonum's
// community.Modularize (best of the same tries), and its own Q is the Q gonum computes for
// its partition.
func TestLouvainAgainstGonum(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		r := rand.New(rand.NewPCG(seed, 11))
		var nodes []int64
		var edges []Edge
		const n, size = 300, 30
		for i := range n {
			nodes = append(nodes, int64(i))
			for range 6 {
				j := r.IntN(n)
				if r.Float64() < 0.7 {
					j = (i/size)*size + r.IntN(size)
				}
				if j != i {
					edges = append(edges, Edge{From: int64(i), To: int64(j), Weight: float64(1 + r.IntN(5))})
				}
			}
		}
		ours, err := Louvain(nodes, edges, 1, 1, 3)
		require.NoError(t, err)
		q, err := Modularity(nodes, edges, ours.Groups, 1)
		require.NoError(t, err)
		require.InDelta(t, q, ours.Q, 1e-9, "Q as gonum computes it")
		g, err := undirected(nodes, edges)
		require.NoError(t, err)
		theirs := math.Inf(-1)
		for k := range 3 {
			red := community.Modularize(g, 1, rand.NewPCG(1+uint64(k), 0x9e3779b97f4a7c15))
			theirs = math.Max(theirs, community.Q(g, red.Communities(), 1))
		}
		t.Logf("seed %d: modularity %.4f (gonum %.4f), %d communities", seed, ours.Q, theirs, len(ours.Groups))
		require.GreaterOrEqual(t, ours.Q, theirs-0.005)
	}
}
