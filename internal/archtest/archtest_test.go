package archtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLayerRules checks the module's real import graph against layerRules.
func TestLayerRules(t *testing.T) {
	root, modPath := moduleRoot(t)
	pkgs := listPackages(t, root, modPath)

	// The rules are only as good as the graph: make sure the packages they
	// are about were listed.
	have := map[string]bool{}
	for _, p := range pkgs {
		have[p.Path] = true
	}
	for _, want := range []string{"analysis/stats", "links", "links/accountlink", "schema", "schema/store"} {
		if !have[modPath+"/"+want] {
			t.Errorf("go list did not report %s/%s; the layer rules would check nothing about it", modPath, want)
		}
	}

	for _, v := range check(modPath, pkgs, layerRules) {
		t.Error(v)
	}
}

// TestCheckerCatchesViolations runs the rules on a synthetic graph that
// breaks each of them once, and on one that breaks none.
func TestCheckerCatchesViolations(t *testing.T) {
	const mod = "example.com/m"
	m := func(rel string) string { return mod + "/" + rel }
	bad := []pkgImports{
		{Path: m("analysis/growth"), Imports: []string{m("collector/collect"), m("schema/store")}},
		{Path: m("analysis/job"), TestImports: []string{m("cmd/tidewatch")}},
		{Path: m("collector/importer"), Imports: []string{m("analysis/crosslink")}},
		{Path: m("collector/collect"), XTest: []string{m("cmd/tgsim")}},
		{Path: m("schema/store"), Imports: []string{m("collector/registry")}},
		{Path: m("schema"), Imports: []string{m("analysis/job"), m("cmd/tidewatch")}},
		{Path: m("links"), Imports: []string{m("schema")}},
		{Path: m("links/accountlink"), Imports: []string{m("links"), m("schema/store")}},
		{Path: m("analysis/crosslink"), Imports: []string{"github.com/ClickHouse/clickhouse-go/v2/lib/driver"}},
		{Path: m("collector/telegram"), Imports: []string{"github.com/ClickHouse/ch-go/proto"}},
		{Path: m("analysis/stats"), Imports: []string{m("schema"), "database/sql", "gonum.org/v1/gonum/mat"}},
		{Path: m("internal/duration"), Imports: []string{m("schema")}},
	}
	got := check(mod, bad, layerRules)
	byRule := map[string][]violation{}
	for _, v := range got {
		byRule[v.Rule] = append(byRule[v.Rule], v)
	}
	for _, r := range layerRules {
		if len(byRule[r.Name]) == 0 {
			t.Errorf("rule %q caught nothing in the synthetic graph", r.Name)
		}
	}

	want := []violation{
		{m("analysis/growth"), m("collector/collect"), layerRules[0].Name, ""},
		{m("analysis/job"), m("cmd/tidewatch"), layerRules[0].Name, "test"},
		{m("collector/importer"), m("analysis/crosslink"), layerRules[1].Name, ""},
		{m("collector/collect"), m("cmd/tgsim"), layerRules[1].Name, "xtest"},
		{m("schema/store"), m("collector/registry"), layerRules[2].Name, ""},
		{m("schema"), m("analysis/job"), layerRules[2].Name, ""},
		{m("schema"), m("cmd/tidewatch"), layerRules[2].Name, ""},
		{m("links"), m("schema"), layerRules[3].Name, ""},
		{m("links/accountlink"), m("schema/store"), layerRules[4].Name, ""},
		{m("analysis/crosslink"), "github.com/ClickHouse/clickhouse-go/v2/lib/driver", layerRules[5].Name, ""},
		{m("analysis/crosslink"), "github.com/ClickHouse/clickhouse-go/v2/lib/driver", layerRules[6].Name, ""},
		{m("collector/telegram"), "github.com/ClickHouse/ch-go/proto", layerRules[6].Name, ""},
		{m("analysis/stats"), m("schema"), layerRules[7].Name, ""},
		{m("analysis/stats"), "database/sql", layerRules[7].Name, ""},
		{m("internal/duration"), m("schema"), layerRules[8].Name, ""},
	}
	gotSet := map[violation]bool{}
	for _, v := range got {
		gotSet[v] = true
	}
	for _, w := range want {
		if !gotSet[w] {
			t.Errorf("missed violation: %s", w)
		}
		delete(gotSet, w)
	}
	for v := range gotSet {
		t.Errorf("unexpected violation: %s", v)
	}

	// The message names the importer, the import and the rule.
	msg := violation{m("analysis/job"), m("cmd/tidewatch"), layerRules[0].Name, "test"}.String()
	for _, part := range []string{m("analysis/job"), m("cmd/tidewatch"), layerRules[0].Name, "test"} {
		if !strings.Contains(msg, part) {
			t.Errorf("message %q does not name %q", msg, part)
		}
	}

	// A graph with only allowed edges passes.
	good := []pkgImports{
		{Path: m("analysis/growth"), Imports: []string{m("analysis/job"), m("analysis/stats"), m("schema/store"), m("schema")}},
		{Path: m("analysis/crosslink"), Imports: []string{m("links"), m("links/accountlink"), m("schema/store")}, XTest: []string{m("analysis/crosslink"), m("schema/chtest")}},
		{Path: m("analysis/stats"), Imports: []string{"math", "gonum.org/v1/gonum/optimize"}, XTest: []string{m("analysis/stats")}},
		{Path: m("collector/collect"), Imports: []string{m("links"), m("schema/store")}},
		{Path: m("links"), Imports: []string{"golang.org/x/net/publicsuffix"}, XTest: []string{m("links")}},
		{Path: m("links/accountlink"), Imports: []string{m("links"), m("schema")}},
		{Path: m("schema/store"), Imports: []string{m("schema"), "github.com/ClickHouse/clickhouse-go/v2"}, TestImports: []string{"github.com/ClickHouse/ch-go/proto"}},
		{Path: m("cmd/tidewatch"), Imports: []string{m("analysis/growth"), m("collector/collect"), m("internal/duration")}},
		{Path: m("collector/tgsim/world"), Imports: []string{m("internal/duration")}},
		{Path: m("internal/duration"), Imports: []string{"time"}, XTest: []string{m("internal/duration")}},
		{Path: m("schema/privacy"), Imports: []string{"crypto/hmac"}, TestImports: []string{m("schema")}},
		{Path: "other.org/x/analysis", Imports: []string{"other.org/x/collector"}}, // not in the module
	}
	for _, v := range check(mod, good, layerRules) {
		t.Errorf("allowed graph reported: %s", v)
	}
}

// goTool finds the go command. The rules must not pass unchecked, so a
// missing go command fails the test rather than skipping it.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if gr := os.Getenv("GOROOT"); gr != "" {
		p := filepath.Join(gr, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("archtest needs the go command to list the import graph, and found none on PATH or in $GOROOT/bin; install Go or put it on PATH")
	return ""
}

// moduleRoot returns the directory and path of the module this test is in.
func moduleRoot(t *testing.T) (dir, path string) {
	t.Helper()
	out, err := exec.Command(goTool(t), "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v%s", err, stderrOf(err))
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("go env GOMOD: not inside a module")
	}
	f, err := os.Open(gomod)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return filepath.Dir(gomod), strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	t.Fatalf("%s: no module line", gomod)
	return "", ""
}

// listPackages runs go list over every package of the module at root and
// returns the module's packages with their imports.
func listPackages(t *testing.T, root, modPath string) []pkgImports {
	t.Helper()
	cmd := exec.Command(goTool(t), "list", "-e", "-deps", "-json", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -e -deps -json ./... in %s: %v%s", root, err, stderrOf(err))
	}
	type listed struct {
		ImportPath   string
		Standard     bool
		Module       *struct{ Path string }
		Imports      []string
		TestImports  []string
		XTestImports []string
		Error        *struct{ Err string }
	}
	var pkgs []pkgImports
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		if p.Standard || p.Module == nil || p.Module.Path != modPath {
			continue
		}
		if p.Error != nil {
			// Its import list may be incomplete, so the rules cannot vouch for it.
			t.Errorf("cannot check the imports of %s: go list reports: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, pkgImports{
			Path:        p.ImportPath,
			Imports:     p.Imports,
			TestImports: p.TestImports,
			XTest:       p.XTestImports,
		})
	}
	if len(pkgs) == 0 {
		t.Fatalf("go list reported no packages of module %s under %s", modPath, root)
	}
	return pkgs
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return "\n" + string(ee.Stderr)
	}
	return ""
}
