package main

import (
	"bytes"
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/report"
	"github.com/rampart-sec/rampart/version"
)

func newVersionCmd(stdout io.Writer) *cobra.Command {
	var format string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "version [-v] [-o table|json]",
		Short: "Print rampart's version, commit, Go and libseccomp, and with -v what this kernel offers",
		Long: `Print which rampart this is: its version (as ` + "`make build`" + ` stamps it from
git describe, else the module version Go recorded, else ` + version.Devel + `), the
commit, the Go toolchain and platform, and the libseccomp linked in. Every
report rampart writes (JSON, SARIF, JUnit) names the same version.

With -v, also what the running kernel offers each layer: its active LSMs,
the Landlock ABI, AppArmor, the BPF LSM, and the seccomp filter return
actions; what is missing says why.`,
		Example: `  rampart version
  rampart --version
  rampart version -v -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return report.Version(stdout, version.Get(verbose), format)
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "also probe what this kernel offers each layer")
	return cmd
}

// versionFlag makes `rampart --version` print what `rampart version` does.
func versionFlag(root *cobra.Command) {
	var b bytes.Buffer
	_ = report.Version(&b, version.Get(false), "table")
	root.Version = version.Version()
	root.SetVersionTemplate(b.String())
}
