package config

// suggest returns the full key the user most likely meant by name inside sec:
// a sibling spelled almost the same, or else a key of that exact name elsewhere
// (a key put in the wrong section). It returns "" when nothing is close.
func suggest(sec *node, name string) string {
	best, bestDist := "", maxTypoDistance(name)+1
	for _, c := range sec.children {
		if d := editDistance(name, c.name); d < bestDist {
			best, bestDist = c.key, d
		}
	}
	if best != "" {
		return best
	}
	var walk func(n *node) string
	walk = func(n *node) string {
		for _, c := range n.children {
			if c.name == name {
				return c.key
			}
			if k := walk(c); k != "" {
				return k
			}
		}
		return ""
	}
	return walk(tree())
}

// maxTypoDistance is how many edits still count as a typo of name: one for short
// names, where two edits turn one word into an unrelated one, up to three.
func maxTypoDistance(name string) int {
	switch {
	case len(name) <= 4:
		return 1
	case len(name) <= 9:
		return 2
	}
	return 3
}

// editDistance is the optimal string alignment distance: insertions, deletions,
// substitutions and transpositions of neighbours each cost one.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
