package main

import (
	"errors"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/sandbox"
)

const runLong = `Run CMD under the requested layers, the way a container runtime starts a
container's first process, but on the host: no namespaces, no rootfs.
rampart applies every layer to itself and then becomes CMD (execve), so
CMD's stdin, stdout, stderr, environment, signals and exit status are its
own.

The layers come from the flags below, from a Kubernetes manifest (--from
FILE[#CONTAINER]: its container's securityContext), or from a policy file
(--policy FILE: rampart.policy/v1, documented in docs/policy-json.md;
rampart record writes one); the layer flags apply over either. An
unversioned policy file of an older rampart is refused with the command
that converts it (rampart policy convert).

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
    directory listings and stat() stay visible.
  * --deny-write / --read-only PATH deny writing, truncating, creating,
    removing and renaming at or beneath PATH. Metadata is not covered:
    chmod, chown, utimes and setxattr stay as the kernel's own checks
    allow them (the owner; CAP_FOWNER, CAP_CHOWN). rampart says so where
    CMD has that power, and refuses an AppArmor profile's deny w under
    --lsm-fallback there (AppArmor's w denies them too).
  * Files created later directly in a directory on the way to a denied
    path (for /etc/shadow: in / and /etc) get no rights: they cannot be
    read (deny-read) or written (deny-write).
  * Symlinks are resolved at launch as the kernel will resolve them,
    dangling ones included: the rule lands where the file is or will be.
  * --allow PATH:ACCESS (r, w, x) switches to an allow list: only allowed
    paths are reachable, with the listed access; denies still win.

The other routes to the same bytes, closed with each deny rule:
  * the block devices of the denied path's filesystem and every device
    sharing its blocks (the disk of a partition, device-mapper and md
    devices, a loop device's image file), the disks' SCSI generic and
    NVMe nodes, and swap; --allow-device PATH leaves one open on purpose
  * other paths of the same file: bind mounts and second mounts of its
    filesystem, the layers of an overlay it is on, and the merged tree
    of an overlay whose layer holds it; a mount of a directory beneath a
    denied one (a subPath volume) and an overlay with a layer beneath
    it are denied whole
  * new names: CMD cannot link or rename a denied file elsewhere, make a
    device node anywhere, or attach a mount (mount, move_mount,
    pivot_root); a detached mount it makes with CAP_SYS_ADMIN (fsopen,
    fsmount, open_tree) gets none of the access a deny rule handles: no
    rule covers a path beneath it
  * descriptors: every one above stderr is closed at exec (runc's rule);
    --preserve-fds N keeps 3 to 3+N-1
The launch names the routes it closed. Routes that need a capability
(kernel memory with SYS_RAWIO, BPF tracing, modules, another process's
memory with SYS_PTRACE) are the capability layer's to close: the launch
names the ones CMD keeps. Not closed, because no path rule can: a
descriptor another process sends CMD later over a socket CMD keeps
(Landlock refuses opening, not receiving), and a device node made before
the launch outside /dev (the disks' nodes are looked for in /dev).

rampart fails closed: CMD is never started, and rampart exits 125 naming
the layer and the reason, when
  * a layer the kernel lacks is asked for: seccomp filters, AppArmor
    (unless --lsm-fallback landlock can express the profile exactly),
    the Landlock ABI a rule needs
  * a capability is unknown to the kernel, not in rampart's own bounding
    or permitted set, or a drop needs CAP_SETPCAP rampart lacks; --user
    needs CAP_SETUID and CAP_SETGID
  * a seccomp profile is unreadable, malformed (position given), has an
    unknown field, action or operator, or is refused for one of the
    reasons listed below; with --strict-profile, a deny that a variant
    of the call gets past
  * a policy file (--policy) is no rampart.policy/v1 file, or has an
    unknown field or value, a key written twice or in another case, or
    trailing data (file:line:col); a manifest (--from) names an unknown
    capability or profile
  * a deny rule cannot be protected by path: a denied file or a file
    beneath a denied directory has a hard link outside it (both named),
    a symlink loop, a ".." beneath a missing directory, a /proc magic
    link; or a descriptor CMD would keep is open on what it denies
  * --no-new-privs=false when rampart inherited no_new_privs, or when
    Landlock or seccomp then needs CAP_SYS_ADMIN rampart lacks
  * what the kernel reports after applying the layers differs from the
    plan (capability sets, no_new_privs, seccomp mode and filter count,
    uid and gid, a denied file still opening); -v prints that state and
    the capability sets CMD will hold after execve

A seccomp deny holds only if the filter also refuses the other ways to
the same call. At launch rampart tries them for each deny of the profile:
the same call on every ABI the filter lets in (x86_64, x32, i386 through
int 0x80), i386 socketcall(2) and ipc(2), a harmless flag added to an
argument a rule compares with == (SOCK_CLOEXEC, O_CLOEXEC, CLONE_*...),
high bits the kernel drops from an int argument, and sibling calls
(openat for open, clone and clone3 for unshare, the new mount API,
io_uring). The compiled filter decides each; a deny that one gets past on
this kernel is one warning line naming the rule (file:line) and the
variant; -v lists all, with those on ABIs this kernel does not run.
--strict-profile refuses such a profile (125), and one it cannot check
(a filter compiled at launch, as for a non-root user).

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
  * two rules on one syscall with different actions both match one call
    (both rules and the call are named): the format does not say which
    wins, and libseccomp picks by the shape of the conditions (an
    unconditional rule replaces conditional ones), so a deny beside an
    allow may silently not hold. Checked where the filter compares: on
    each ABI it covers, on the low 32 bits on x86 and x32, and on x86's
    socketcall(2) and ipc(2), which carry every socket and IPC rule. A
    rule whose action is the default's does not count (runc drops it);
  * the compiled filter refuses execve (CMD could never start), exit_group
    and its fallback exit on CMD's ABI (CMD could only end by a signal), or
    a call rampart makes after loading it (pread64 and close; without
    no_new_privs also prctl, capget, capset and the user calls): decided
    on the compiled program, so argument conditions and the default count;
  * the compiled program does not do what the profile's rules say for the
    syscalls it names, tried with arguments on both sides of each
    condition (libseccomp 2.5.4 miscompiles some rules whose conditions
    meet on one argument); a program compiled at exec time is checked as
    libseccomp exports it. A cached program that fails this check, or
    whose recorded input is not this profile's, is compiled again (-v
    says so).

Exit status: CMD's own; 125 a layer was refused (CMD did not run);
126 CMD could not be executed (also when its file capabilities cannot
all be granted); 127 CMD not found; 2 bad usage (an unknown flag, an
empty item in a list, a uid with a sign).`

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
			p, err := buildPolicy(&lf, from, policyFile)
			if err != nil {
				return err
			}
			pl, err := sandbox.Prepare(p, args, os.Environ())
			if err != nil {
				return err
			}
			pl.PreserveFDs = preserveFDs
			for _, n := range pl.Notes {
				io.WriteString(stderr, "rampart: "+n+"\n")
			}
			if err := checkProfileVariants(stderr, pl, strict, verbose); err != nil {
				pl.Close()
				return err
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
	fl.IntVar(&preserveFDs, "preserve-fds", 0, "keep descriptors 3 to 3+N-1 open in CMD (every other one above 2 is closed, as runc does)")
	fl.BoolVarP(&verbose, "verbose", "v", false, "print the plan and the state the kernel reports before exec")
	fl.BoolVar(&strict, "strict-profile", false, "refuse (exit 125) a seccomp profile with a deny that a variant of the same call gets past on this kernel, instead of warning")
	fl.StringVar(&policyFile, "policy", "", "take the layers from a policy `FILE` (rampart.policy/v1, docs/policy-json.md; as rampart record writes), the layer flags over it")
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
		if p, err = policy.Decode(policyFile, b); err != nil {
			return nil, err
		}
	}
	if from != "" {
		var err error
		if p, err = lf.manifestPolicy(from, runtimes.Containerd.Caps); err != nil {
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
