package main

import (
	_ "embed"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/policy/source"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/sandbox"
)

//go:embed help/run.txt
var runLong string

const runExample = `  # the seed's three layers, one at a time
  rampart run --cap-drop NET_RAW -- python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)'
  rampart run --cap-drop SYS_ADMIN --seccomp runtime-default -- unshare -r -n true
  rampart run --deny-read /etc/shadow -- cat /etc/shadow

  # a Kubernetes container's securityContext, AppArmor enforced by Landlock here
  rampart run --from examples/seed/3-apparmor.yaml --apparmor-dir examples/seed --lsm-fallback landlock -- cat /etc/shadow

  # the least privilege of a recorded run (docs/policy-json.md)
  rampart record --out rec/ -- python3 -m http.server 8080
  rampart run --policy rec/policy.json -- python3 -m http.server 8080`

func newRunCmd(stderr io.Writer) *cobra.Command {
	var (
		lf          layerFlags
		noNewPrivs  bool
		from        string
		policyFile  string
		verbose     bool
		preserveFDs int
		strict      bool
	)
	f := &lf.Flags
	cmd := &cobra.Command{
		Use:     "run [flags] -- CMD [ARGS...]",
		Short:   "Run a command under capabilities, seccomp and an LSM, failing closed",
		Long:    runLong,
		Example: runExample,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("no-new-privs") {
				f.NoNewPrivs = &noNewPrivs
			}
			if err := sandbox.CheckPreserveFDs(preserveFDs); err != nil {
				return usageError{err}
			}
			in := lf.input(runtimes.Containerd.Caps)
			in.Manifest, in.Policy, in.RequireLayer = from, policyFile, true
			res, err := source.Resolve(in)
			if err != nil {
				return err
			}
			// No file to remove: without Seed and Probe, Resolve writes none,
			// and a successful launch never returns.
			return launch(stderr, res.Policy, args, launchOptions{preserveFDs: preserveFDs, strict: strict, verbose: verbose})
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	lf.register(fl, "")
	fl.BoolVar(&f.CapAmbient, "cap-ambient", false, "also raise the resulting set into the ambient set, so a non-root CMD keeps it")
	fl.BoolVar(&noNewPrivs, "no-new-privs", false, "set no_new_privs; =false turns it off (unset: on when seccomp or Landlock is used)")
	fl.StringVar(&from, "from", "", "take the layers from a Kubernetes manifest: FILE[#CONTAINER]")
	fl.StringVar(&policyFile, "policy", "", "take the layers from a policy `FILE` (rampart.policy/v1, docs/policy-json.md; as rampart record writes, or the directory it wrote), the layer flags over it")
	fl.IntVar(&preserveFDs, "preserve-fds", 0, "keep descriptors 3 to 3+N-1 open in CMD (every other one above 2 is closed, as runc does)")
	fl.BoolVarP(&verbose, "verbose", "v", false, "print the plan and the state the kernel reports before exec")
	fl.BoolVar(&strict, "strict-profile", false, "refuse (exit 125) a seccomp profile with a deny that a variant of the same call gets past on this kernel, instead of warning")
	return cmd
}

type launchOptions struct {
	preserveFDs     int
	strict, verbose bool
}

// launch applies p's layers to this process and becomes argv, as `rampart
// run` and a layers step do: it returns only when something refused.
func launch(stderr io.Writer, p *policy.Policy, argv []string, o launchOptions) error {
	pl, err := sandbox.Prepare(p, argv, os.Environ())
	if err != nil {
		return err
	}
	pl.PreserveFDs = o.preserveFDs
	for _, n := range pl.Notes {
		io.WriteString(stderr, "rampart: "+n+"\n")
	}
	if err := checkProfileVariants(stderr, pl, o.strict, o.verbose); err != nil {
		pl.Close()
		return err
	}
	if !o.verbose {
		return pl.Exec(nil)
	}
	for _, n := range pl.Details {
		io.WriteString(stderr, "rampart: "+n+"\n")
	}
	for _, l := range pl.Describe() {
		io.WriteString(stderr, "rampart: plan: "+l+"\n")
	}
	return pl.Exec(stderr)
}
