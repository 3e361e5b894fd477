package schema

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func TestRenderGolden(t *testing.T) {
	migs, err := Load(os.DirFS("testdata"), "migrations")
	require.NoError(t, err)
	require.Len(t, migs, 2)

	modes := []struct {
		name string
		opts RenderOptions
	}{
		{"single", RenderOptions{DB: "tw"}},
		{"cluster", RenderOptions{DB: "tw", Cluster: "c1"}},
	}
	for _, mode := range modes {
		for _, m := range migs {
			t.Run(mode.name+"/"+m.File, func(t *testing.T) {
				stmts, err := Render(m, mode.opts)
				require.NoError(t, err)
				got := strings.Join(stmts, "\n;\n") + "\n"
				golden := filepath.Join("testdata", "golden", mode.name, m.File)
				if *update {
					require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
					require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err)
				require.Equal(t, string(want), got)
			})
		}
	}
}

func TestRenderFunctions(t *testing.T) {
	single := RenderOptions{DB: "db"}
	cluster := RenderOptions{DB: "db", Cluster: "c"}
	tests := []struct {
		tmpl    string
		single  string
		cluster string
	}{
		{`{{.DB}}`, "db", "db"},
		{`{{local "posts"}}`, "db.posts", "db.posts_local"},
		{`{{onCluster}}`, "", "ON CLUSTER c"},
		{`{{engine "posts" "ReplacingMergeTree" "version"}}`,
			"ReplacingMergeTree(version)",
			"ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/posts_local', '{replica}', version)"},
		{`{{engine "t" "MergeTree"}}`, "MergeTree()", "ReplicatedMergeTree('/clickhouse/tables/{shard}/db/t_local', '{replica}')"},
		{`{{engine "a" "AggregatingMergeTree"}}`, "AggregatingMergeTree()",
			"ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/db/a_local', '{replica}')"},
		{`{{engine "s" "SummingMergeTree" "(n, m)"}}`, "SummingMergeTree((n, m))",
			"ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/db/s_local', '{replica}', (n, m))"},
		{`{{distributed "posts" "cityHash64(channel_id)"}}`, "",
			"CREATE TABLE IF NOT EXISTS db.posts ON CLUSTER c AS db.posts_local ENGINE = Distributed(c, db, posts_local, cityHash64(channel_id))"},
		{`{{view "mv_posts_daily"}}`, "db.mv_posts_daily", "db.mv_posts_daily"},
	}
	for _, tc := range tests {
		t.Run(tc.tmpl, func(t *testing.T) {
			got, err := RenderText("t", tc.tmpl, single)
			require.NoError(t, err)
			require.Equal(t, tc.single, got)
			got, err = RenderText("t", tc.tmpl, cluster)
			require.NoError(t, err)
			require.Equal(t, tc.cluster, got)
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name, tmpl string
		opts       RenderOptions
		want       string
	}{
		{"bad db", `x`, RenderOptions{DB: "a-b"}, `database name "a-b"`},
		{"bad cluster", `x`, RenderOptions{DB: "a", Cluster: "c c"}, `cluster name "c c"`},
		{"unknown engine", `{{engine "t" "Log"}}`, RenderOptions{DB: "a"}, `engine "Log"`},
		{"bad table", `{{local "x;y"}}`, RenderOptions{DB: "a"}, `table "x;y"`},
		{"no sharding key", `{{distributed "t" ""}}`, RenderOptions{DB: "a", Cluster: "c"}, "sharding key"},
		{"unknown function", `{{nope}}`, RenderOptions{DB: "a"}, `function "nope" not defined`},
		{"unknown field", `{{.Nope}}`, RenderOptions{DB: "a"}, `Nope`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RenderText("f.sql", tc.tmpl, tc.opts)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.Contains(t, err.Error(), "f.sql")
		})
	}
}

func TestSplitStatements(t *testing.T) {
	text := "-- header; with a semicolon\n" +
		"SELECT 1;\n" +
		"\n" +
		"SELECT 'a;\n" +
		"b' -- trailing; comment\n" +
		"  ;\n" +
		";\n" +
		"SELECT \"--x\", `y--` FROM t; -- done\n" +
		"SELECT 'it\\'s -- fine'\n"
	require.Equal(t, []string{
		"SELECT 1",
		"SELECT 'a;\nb'",
		"SELECT \"--x\", `y--` FROM t",
		"SELECT 'it\\'s -- fine'",
	}, SplitStatements(text))
}

func TestLoad(t *testing.T) {
	t.Run("ordered with checksums of the raw file", func(t *testing.T) {
		fsys := fstest.MapFS{
			"m/0010_later.sql": {Data: []byte("SELECT 10;\n")},
			"m/0002_first.sql": {Data: []byte("SELECT {{.DB}};\n")},
			"m/README.md":      {Data: []byte("not a migration")},
		}
		migs, err := Load(fsys, "m")
		require.NoError(t, err)
		require.Len(t, migs, 2)
		require.Equal(t, uint32(2), migs[0].Version)
		require.Equal(t, "first", migs[0].Name)
		require.Equal(t, "0002_first.sql", migs[0].File)
		require.Equal(t, "SELECT {{.DB}};\n", migs[0].SQL)
		// sha256 of "SELECT {{.DB}};\n"
		require.Equal(t, "82879de5e0920e94158baaf17a3eefdd6034c3e857d7b08dfa9f6c7b06d3100f", migs[0].Checksum)
		require.Equal(t, uint32(10), migs[1].Version)
	})
	bad := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"bad name", fstest.MapFS{"m/first.sql": {}}, "first.sql: file name must be NNNN_name.sql"},
		{"zero version", fstest.MapFS{"m/0000_x.sql": {}}, "0000_x.sql: version must be a positive number"},
		{"duplicate", fstest.MapFS{"m/0001_a.sql": {}, "m/1_b.sql": {}}, "version 1 already used by 0001_a.sql"},
		{"missing dir", fstest.MapFS{}, "read migrations"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.fsys, "m")
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestEmbeddedMigrationsRender(t *testing.T) {
	migs, err := Migrations()
	require.NoError(t, err)
	require.NotEmpty(t, migs)
	for _, m := range migs {
		for _, opts := range []RenderOptions{{DB: "tw"}, {DB: "tw", Cluster: "c"}} {
			stmts, err := Render(m, opts)
			require.NoError(t, err, m.File)
			require.NotEmpty(t, stmts, m.File)
		}
	}
}
