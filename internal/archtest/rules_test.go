package archtest

import (
	"fmt"
	"sort"
	"strings"
)

// pkgImports is one module package and what it imports.
type pkgImports struct {
	Path        string   // full import path
	Imports     []string // imports of the package's own files
	TestImports []string // imports of its _test.go files in the same package
	XTest       []string // imports of its external (package x_test) test files
}

// violation is one import that breaks a rule.
type violation struct {
	Pkg, Import, Rule, Via string // Via: "", "test" or "xtest"
}

func (v violation) String() string {
	via := ""
	if v.Via != "" {
		via = " (in " + v.Via + " files)"
	}
	return fmt.Sprintf("%s imports %s%s: breaks rule %q", v.Pkg, v.Import, via, v.Rule)
}

// rule forbids some imports to some packages. Paths given to applies and
// forbids are relative to the module ("analysis/stats"); an import outside
// the module is passed as is, with inModule false.
type rule struct {
	Name    string
	applies func(rel string) bool
	forbids func(rel, imp string, inModule bool) bool
}

// under reports whether rel is dir or a package below it.
func under(rel, dir string) bool {
	return rel == dir || strings.HasPrefix(rel, dir+"/")
}

func underAny(rel string, dirs ...string) bool {
	for _, d := range dirs {
		if under(rel, d) {
			return true
		}
	}
	return false
}

// clickhouseClient reports whether imp is a ClickHouse client library.
func clickhouseClient(imp string) bool {
	return imp == "github.com/ClickHouse/clickhouse-go/v2" ||
		strings.HasPrefix(imp, "github.com/ClickHouse/clickhouse-go/v2/") ||
		imp == "github.com/ClickHouse/ch-go" ||
		strings.HasPrefix(imp, "github.com/ClickHouse/ch-go/")
}

// databaseDriver reports whether imp is a database driver or database API.
func databaseDriver(imp string) bool {
	return clickhouseClient(imp) || imp == "database/sql" || strings.HasPrefix(imp, "database/sql/")
}

// layerRules are the rules the module keeps. ARCHITECTURE.md lists them.
var layerRules = []rule{
	{
		Name:    "analysis/... imports nothing under collector/ or cmd/",
		applies: func(rel string) bool { return under(rel, "analysis") },
		forbids: func(_, imp string, in bool) bool { return in && underAny(imp, "collector", "cmd") },
	},
	{
		Name:    "collector/... imports nothing under analysis/ or cmd/",
		applies: func(rel string) bool { return under(rel, "collector") },
		forbids: func(_, imp string, in bool) bool { return in && underAny(imp, "analysis", "cmd") },
	},
	{
		Name:    "schema/... imports nothing under collector/, analysis/ or cmd/",
		applies: func(rel string) bool { return under(rel, "schema") },
		forbids: func(_, imp string, in bool) bool { return in && underAny(imp, "collector", "analysis", "cmd") },
	},
	{
		Name:    "links is a leaf: it imports no module package",
		applies: func(rel string) bool { return rel == "links" },
		forbids: func(rel, imp string, in bool) bool { return in && imp != rel },
	},
	{
		Name:    "links/... imports only links/... and schema (row types)",
		applies: func(rel string) bool { return under(rel, "links") },
		forbids: func(_, imp string, in bool) bool { return in && !under(imp, "links") && imp != "schema" },
	},
	{
		Name:    "analysis/... reaches ClickHouse only through schema/store, never clickhouse-go or ch-go",
		applies: func(rel string) bool { return under(rel, "analysis") },
		forbids: func(_, imp string, in bool) bool { return !in && clickhouseClient(imp) },
	},
	{
		Name:    "only schema/... imports clickhouse-go or ch-go",
		applies: func(rel string) bool { return !under(rel, "schema") },
		forbids: func(_, imp string, in bool) bool { return !in && clickhouseClient(imp) },
	},
	{
		Name:    "analysis/stats is pure: no module package, no database driver",
		applies: func(rel string) bool { return under(rel, "analysis/stats") },
		forbids: func(rel, imp string, in bool) bool {
			if in {
				return imp != rel // its external tests import it
			}
			return databaseDriver(imp)
		},
	},
	{
		Name:    "internal/... imports no module package outside internal/ (every layer may import it)",
		applies: func(rel string) bool { return under(rel, "internal") },
		forbids: func(_, imp string, in bool) bool { return in && !under(imp, "internal") },
	},
}

// check applies rules to pkgs of the module modPath and returns every
// violation, sorted.
func check(modPath string, pkgs []pkgImports, rules []rule) []violation {
	rel := func(p string) (string, bool) {
		if p == modPath {
			return ".", true
		}
		if r, ok := strings.CutPrefix(p, modPath+"/"); ok {
			return r, true
		}
		return p, false
	}
	var out []violation
	for _, p := range pkgs {
		from, ok := rel(p.Path)
		if !ok {
			continue
		}
		for _, r := range rules {
			if !r.applies(from) {
				continue
			}
			for _, set := range []struct {
				via  string
				imps []string
			}{{"", p.Imports}, {"test", p.TestImports}, {"xtest", p.XTest}} {
				for _, imp := range set.imps {
					to, in := rel(imp)
					if r.forbids(from, to, in) {
						out = append(out, violation{Pkg: p.Path, Import: imp, Rule: r.Name, Via: set.via})
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
