package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/internal/atomicfile"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/policy/source"
)

func newPolicyCmd(stdout io.Writer) *cobra.Command {
	root := &cobra.Command{Use: "policy", Short: "Policy files (rampart.policy/v1)"}
	var out string
	convert := &cobra.Command{
		Use:   "convert FILE [-o OUT]",
		Short: "Convert an unversioned policy file of an older rampart to rampart.policy/v1",
		Long: `Convert the unversioned policy file an older rampart wrote (the Go struct
dump of ` + "`rampart record`" + `'s policy.json and of layers' steps, capability
sets as bit masks) into a ` + policy.Schema + ` file (docs/policy-json.md),
which is what every command reads now. The old file is read as strictly as
it was then; the new one says the same: capabilities by name, the same
profiles and rules.

Profile files are named relative to OUT's directory when they are inside
it, else by absolute path; the old file's relative paths are taken
relative to the current directory, as the old file was read. Without -o
the file goes to stdout, every profile named by absolute path.`,
		Example: `  rampart policy convert rec/policy.json -o rec/policy.json
  rampart policy convert old.json > new.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[0])
			if err != nil {
				return &source.InputError{Err: err}
			}
			dir := ""
			if out != "" {
				dir = filepath.Dir(out)
			}
			v1, err := policy.Convert(args[0], b, dir)
			if err != nil {
				return err
			}
			if out == "" {
				_, err = stdout.Write(v1)
				return err
			}
			if err := atomicfile.WriteFile(out, v1, 0o644); err != nil {
				return fmt.Errorf("-o: %w", err)
			}
			return nil
		},
	}
	convert.Flags().StringVarP(&out, "output", "o", "", "write the converted file here (it may be FILE itself) instead of stdout")
	root.AddCommand(convert)
	return root
}
