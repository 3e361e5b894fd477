package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildVersion is what the binary knows about the code it was built from.
type buildVersion struct {
	Module   string // module version: "v1.2.3", or "(devel)" for a build from a work tree
	Revision string // vcs.revision, "" when built without version control information
	Time     string // vcs.time
	Modified bool   // vcs.modified: the work tree had uncommitted changes
	Go       string // the Go release that built the binary
}

// readBuildVersion reads the version stamped in by the Go toolchain.
func readBuildVersion() buildVersion {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return buildVersion{Module: "(unknown)"}
	}
	v := buildVersion{Module: info.Main.Version, Go: info.GoVersion}
	if v.Module == "" {
		v.Module = "(devel)"
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the one-line form recorded with collection runs:
// "(devel) 0f12ba6c7d1e+modified".
func (v buildVersion) String() string {
	s := v.Module
	if v.Revision != "" {
		rev := v.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " " + rev
		if v.Modified {
			s += "+modified"
		}
	}
	return s
}

type versionOptions struct {
	Stdout io.Writer
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of the code this binary was built from",
		Long: `Print the module version, the commit (vcs.revision), whether the work tree had
uncommitted changes (vcs.modified), and the Go release. A binary built with
'go run' or outside a git checkout has no commit to report.`,
		Example: `  tidewatch version`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return versionRun(cmd.Context(), versionOptions{Stdout: a.stdout})
		},
	}
}

func versionRun(_ context.Context, opts versionOptions) error {
	v := readBuildVersion()
	fmt.Fprintf(opts.Stdout, "tidewatch %s\n", v.Module)
	if v.Revision == "" {
		fmt.Fprintln(opts.Stdout, "revision: unknown (built without version control information)")
	} else {
		fmt.Fprintf(opts.Stdout, "revision: %s\n", v.Revision)
		if v.Time != "" {
			fmt.Fprintf(opts.Stdout, "committed: %s\n", v.Time)
		}
		fmt.Fprintf(opts.Stdout, "modified: %t\n", v.Modified)
	}
	fmt.Fprintf(opts.Stdout, "go: %s\n", v.Go)
	return nil
}
