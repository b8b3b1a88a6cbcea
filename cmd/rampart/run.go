package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/sandbox"
)

const runLong = `Run CMD under the requested layers, the way a container runtime starts a
container's first process, but on the host: no namespaces, no rootfs.
rampart applies every layer to itself and then becomes CMD (execve), so
CMD's stdin, stdout, stderr, environment, signals and exit status are its
own.

Which kernel mechanism enforces which flag:

  capabilities  --cap-drop, --cap-add, --cap-ambient
                bounding, effective, permitted, inheritable and ambient
                sets, applied as runc applies a container's; the base is
                rampart's own bounding set (with --from: the runtime's
                default set of 14)
  user          --user (setresgid/setresuid; supplementary groups cleared)
  no_new_privs  --no-new-privs (on by default with seccomp or Landlock)
  seccomp       --seccomp: runtime-default (Docker's and containerd's
                default profile, resolved against the bounding set the
                workload gets, as they resolve it), unconfined, or an
                OCI / Docker JSON profile; compiled with libseccomp
  AppArmor      --apparmor NAME|FILE: a FILE is loaded with
                apparmor_parser -r; the profile is attached with an exec
                transition. Needs a kernel with AppArmor.
  Landlock      --deny-read, --deny-write, --read-only, --allow, and an
                AppArmor profile under --lsm-fallback landlock

Landlock limits (it allows by path; denies are built by complement):
  * --deny-read PATH denies reading file contents at or beneath PATH;
    directory listings stay visible.
  * --deny-write / --read-only PATH deny writing, truncating, creating,
    removing and renaming at or beneath PATH.
  * Files created later directly in a directory on the way to a denied
    path (for /etc/shadow: in / and /etc) get no rights: they cannot be
    read (deny-read) or written (deny-write).
  * Rules follow paths: a denied file must have one hard link (rampart
    refuses otherwise); bind mounts of it elsewhere are not covered. The
    workload cannot make new links to it or mount anything.
  * --allow PATH:ACCESS (r, w, x) switches to an allow list: only allowed
    paths are reachable, with the listed access; denies still win.

rampart fails closed: if a requested layer cannot be applied (no AppArmor
in the kernel, a Landlock ABI too old for a rule, an unknown capability or
syscall, an unreadable or invalid profile), CMD is never started and
rampart exits with status 125, naming the layer and the reason. Before
execve it reads back what the kernel holds (capability sets, no_new_privs,
seccomp mode, uid and gid, Landlock denials, the AppArmor exec label) and
refuses on any mismatch; -v prints that state.

A seccomp profile is refused (125, file:line:col where there is one) when
  * a name in one of its lists would never match where the runtimes
    compare it: includes/excludes arches (amd64, x86, arm64, ...) and caps
    (CAP_SYS_ADMIN, spelt exactly), architectures, archMap, flags;
  * a key is written twice, or differs from its field only in case
    ("DefaultAction"): the runtimes' decoder would read the last one, or
    read it anyway; the file is empty;
  * a rule that denies a syscall newer than the linked libseccomp has
    argument conditions (without them, rampart installs it by number, as
    runc would not: it drops such rules without a word);
  * the compiled filter refuses execve (CMD could never start), exit_group
    and its fallback exit on CMD's ABI (CMD could only end by a signal), or
    a call rampart makes after loading it (pread64 and close; without
    no_new_privs also prctl, capget, capset and the user calls): decided
    on the compiled program, so argument conditions and the default count;
  * the compiled program does not do what the profile's rules say for the
    syscalls it names. A cached program that fails this check, or whose
    recorded input is not this profile's, is compiled again (-v says so).

Exit status: CMD's own; 125 a layer was refused (CMD did not run);
126 CMD could not be executed; 127 CMD not found; 2 bad usage.`

const runExample = `  # the seed's three layers, one at a time
  rampart run --cap-drop NET_RAW -- python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)'
  rampart run --cap-drop SYS_ADMIN --seccomp runtime-default -- unshare -r -n true
  rampart run --deny-read /etc/shadow -- cat /etc/shadow

  # a Kubernetes container's securityContext, AppArmor enforced by Landlock here
  rampart run --from examples/seed/3-apparmor.yaml --apparmor-dir examples/seed --lsm-fallback landlock -- cat /etc/shadow`

func newRunCmd(stderr io.Writer) *cobra.Command {
	var (
		lf         layerFlags
		noNewPrivs bool
		from       string
		policyFile string
		verbose    bool
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
			p, err := buildPolicy(&lf, from, policyFile)
			if err != nil {
				return err
			}
			pl, err := sandbox.Prepare(p, args, os.Environ())
			if err != nil {
				return err
			}
			for _, n := range pl.Notes {
				io.WriteString(stderr, "rampart: "+n+"\n")
			}
			if verbose {
				for _, n := range pl.Details {
					io.WriteString(stderr, "rampart: "+n+"\n")
				}
				for _, l := range pl.Describe() {
					io.WriteString(stderr, "rampart: plan: "+l+"\n")
				}
				return pl.Exec(stderr)
			}
			return pl.Exec(nil)
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	lf.register(fl, "")
	fl.BoolVar(&f.CapAmbient, "cap-ambient", false, "also raise the resulting set into the ambient set, so a non-root CMD keeps it")
	fl.BoolVar(&noNewPrivs, "no-new-privs", false, "set no_new_privs; =false turns it off (unset: on when seccomp or Landlock is used)")
	fl.StringVar(&from, "from", "", "take the layers from a Kubernetes manifest: FILE[#CONTAINER]")
	fl.BoolVarP(&verbose, "verbose", "v", false, "print the plan and the state the kernel reports before exec")
	fl.StringVar(&policyFile, "policy", "", "take the layers from a policy JSON file (as `rampart layers` writes for its steps)")
	fl.MarkHidden("policy")
	return cmd
}

// buildPolicy combines --policy or --from and the layer flags into one
// policy.
func buildPolicy(lf *layerFlags, from, policyFile string) (*policy.Policy, error) {
	f := &lf.Flags
	var p *policy.Policy
	if policyFile != "" {
		b, err := os.ReadFile(policyFile)
		if err != nil {
			return nil, usageError{err}
		}
		p = &policy.Policy{}
		if err := json.Unmarshal(b, p); err != nil {
			return nil, usageError{fmt.Errorf("%s: %w", policyFile, err)}
		}
	}
	if from != "" {
		var err error
		if p, err = lf.manifestPolicy(from, caps.ContainerdDefault); err != nil {
			return nil, err
		}
	}
	p, err := f.Apply(p)
	if err != nil {
		return nil, err
	}
	if f.AppArmor != "" {
		ref, err := apparmor.Reference(f.AppArmor, lf.apparmorDir, "--apparmor")
		if err != nil {
			return nil, &sandbox.LayerError{Layer: sandbox.LayerAppArmor, Err: err}
		}
		p.AppArmor = ref
	}
	if p.Capabilities == nil && p.User == nil && p.Seccomp.Kind == policy.SeccompNone && p.NoNewPrivs == nil && p.AppArmor == nil && len(p.Landlock) == 0 {
		return nil, usageError{errors.New("no layer requested; see rampart run --help")}
	}
	return p, nil
}
