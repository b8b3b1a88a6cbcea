package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/seccomp"
)

const auditLong = `For each container of Kubernetes manifests, predict statically what it runs
under on a node and which attack paths stay open:

  - the effective layers, resolved against the node's defaults: the
    capability set (the runtime's default set with the manifest's adds and
    drops; empty after exec for a non-root runAsUser, which keeps no
    ambient capabilities), the seccomp profile, the AppArmor profile;
  - for every path of the probe catalog, open or blocked and by which
    layer, decided in kernel order from the paths' static models: seccomp
    (the compiled filter through the BPF interpreter, or the profile's
    rules), then capabilities, then what the node decides by itself
    ("other": read-only mounts, file permissions, sysctls; see below),
    then AppArmor;
  - the Pod Security Standards level (privileged, baseline, restricted),
    with the failing checks of k8s.io/pod-security-admission.

FILES are manifests (all workload kinds, multi-document YAML, JSON, Lists),
directories (walked for *.yaml, *.yml, *.json) or - for standard input.
Malformed documents are reported with file and document; the rest is
audited. Documents are read, audited and written out one at a time, so
memory does not grow with the input, an endless stream on standard input
included. A document over --max-document-size (default 8MiB, 0 for no
limit) is reported with its file, number and line, and skipped; a List
(kubectl get -o yaml) is one document, so raise the limit for a large one.
The summary keeps counts and the unreadable documents' messages only;
-o junit, whose root element carries the totals, keeps its test suites in
a temporary file until the end.

The node is described with flags: --runtime picks the default capability
set (containerd and docker: 14; cri-o: 9) and, with --runtime-version,
the RuntimeDefault seccomp profile; --seccomp-default is the kubelet's
seccompDefault (unset seccomp becomes RuntimeDefault); --apparmor-node
says the node has AppArmor (unset AppArmor becomes the runtime's default
profile; without it, the kubelet refuses a pod that asks for an AppArmor
profile, and the audit says so); --profiles DIR holds Localhost profiles
(seccomp JSON by relative path, AppArmor by name).
privileged: true means every capability, no seccomp, no AppArmor unless a
Localhost profile is named, and is always reported.

Some paths the node closes by itself, from facts no manifest holds; these
flags give them, and without them a path's "why" says what was assumed:
  --image-shadow  /etc/shadow's mode in the images (assumed Debian's and
      Ubuntu's, 0640:root:shadow; Fedora's and RHEL's is 0000:root:root).
      A non-root user, whose effective set is empty, reads it (read-shadow)
      only through its groups: runAsGroup (without it, gid 0 for a uid the
      image's /etc/passwd does not name), supplementalGroups, fsGroup.
  --node-runtime-socket  where the node's runtime listens (assumed its
      usual socket, 0660 root:root; Docker's, group docker). runtime-socket
      is open only where a hostPath volume brings one in at a path the
      attack tries, or hostPID gives the node's root at /proc/1/root to a
      process holding CAP_SYS_PTRACE, and the socket's mode admits the user.
  --node-disk  the node's disk nodes (assumed udev's, 0660:root:disk), which
      a privileged container can open (read-shadow-blockdev), or refused.
  --node-kernel  facts of the kernel: no-modules, no-ia32, no-sysrq,
      pid1-protected.
  --sysctl  the sysctls that decide paths:
%s

RuntimeDefault differs between runtimes and between releases of one
(containerd 1.6 allows io_uring to every container and process_vm_readv
only with CAP_SYS_PTRACE; Docker's profile, the reverse). --runtime-version
takes the node's release (1.6.20, v1.7.35, 1.6.20~ds1) or a line (1.7, 2)
and models the newest release rampart has at or below it in that line;
unset, the newest it has. The report's node.seccompRuntimeDefault says
which. Modeled:
%s
Exit status:
  0  audited; no --fail-on condition met
  1  a --fail-on condition is met: open-path (any container has an open
     path), baseline (any pod fails baseline), restricted (any pod fails
     restricted); or, with --fail-on, a document could not be read
     (missing, malformed, larger than --max-document-size)
  2  bad flags or arguments
  125 nothing could be audited (no file readable, no container found)`

func newAuditCmd(stdout io.Writer) *cobra.Command {
	var (
		node   audit.Node
		output string
		failOn string
		maxDoc = byteSize(kube.DefaultMaxDocument)
	)
	cmd := &cobra.Command{
		Use:   "audit FILES...",
		Short: "Predict each Kubernetes container's layers, open attack paths and Pod Security level",
		Long:  fmt.Sprintf(auditLong, nodeSysctls(), modeledRuntimes()),
		Example: `  rampart audit deploy.yaml
  rampart audit k8s/ --runtime cri-o --seccomp-default
  rampart audit k8s/ --runtime containerd --runtime-version 1.6.20
  rampart audit examples/seed --apparmor-node --profiles examples/seed
  helm template . | rampart audit - -o sarif > rampart.sarif
  rampart audit k8s/ --fail-on restricted -o junit > audit.xml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch output {
			case "table", "json", "sarif", "junit":
			default:
				return usageError{fmt.Errorf("-o %q: want table, json, sarif or junit", output)}
			}
			switch failOn {
			case "", audit.FailOpenPath, audit.FailBaseline, audit.FailRestricted:
			default:
				return usageError{fmt.Errorf("--fail-on %q: want open-path, baseline or restricted", failOn)}
			}
			if _, err := audit.RuntimeCaps(node.Runtime); err != nil {
				return usageError{fmt.Errorf("--runtime: %w", err)}
			}
			if _, err := seccomp.RuntimeDefaultFor(node.Runtime, node.RuntimeVersion); err != nil {
				return usageError{fmt.Errorf("--runtime-version: %w", err)}
			}
			if err := audit.CheckSysctls(node.Sysctls); err != nil {
				return usageError{fmt.Errorf("--sysctl %w", err)}
			}
			if err := audit.CheckKernelFacts(node.Kernel); err != nil {
				return usageError{fmt.Errorf("--node-kernel %w", err)}
			}
			if node.ProfilesDir != "" {
				if st, err := os.Stat(node.ProfilesDir); err != nil || !st.IsDir() {
					return usageError{fmt.Errorf("--profiles %s: not a directory", node.ProfilesDir)}
				}
			}
			if os.Getenv("GOGC") == "" {
				// An audit is a short burst of allocation (YAML trees)
				// that all dies at exit: collecting it four times less
				// often is a quarter faster for ~1.5x the peak heap.
				debug.SetGCPercent(400)
			}
			a, err := audit.New(node)
			if err != nil {
				return err
			}
			out, err := audit.NewWriter(output, stdout, isTerminal(stdout))
			if err != nil {
				return err
			}
			if err := out.Begin(a.Report()); err != nil {
				return err
			}
			r, err := a.Stream(args, int(maxDoc), out.Workload)
			if err == nil {
				err = out.End(r)
			}
			if err != nil {
				return err
			}
			if output != "table" {
				for _, e := range r.Errors {
					fmt.Fprintln(cmd.ErrOrStderr(), "rampart: audit:", e.Message)
				}
			}
			if r.Summary.Containers == 0 && r.Summary.Objects == 0 {
				return fmt.Errorf("audit: no workload found in %v", args)
			}
			if failOn != "" && r.Failed(failOn) {
				return statusError{code: 1, err: fmt.Errorf("audit: --fail-on %s: condition met", failOn)}
			}
			// A gate passes only what it has read: a document it could
			// not read (missing, malformed, over --max-document-size)
			// may hold what the condition is about.
			if failOn != "" && len(r.Errors) > 0 {
				return statusError{code: 1, err: fmt.Errorf("audit: --fail-on %s: %d document(s) could not be read, so the condition is not ruled out", failOn, len(r.Errors))}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&node.Runtime, "runtime", "containerd", "the node's container runtime: containerd, cri-o or docker (its default capability set and RuntimeDefault seccomp profile)")
	fl.StringVar(&node.RuntimeVersion, "runtime-version", "", "the runtime's release or line (1.6.20, 1.7), which picks its RuntimeDefault seccomp profile (default the newest modeled)")
	fl.BoolVar(&node.SeccompDefault, "seccomp-default", false, "the kubelet's seccompDefault: an unset seccomp profile is RuntimeDefault")
	fl.BoolVar(&node.AppArmor, "apparmor-node", false, "the node has AppArmor: an unset AppArmor profile is the runtime's default profile")
	fl.StringVar(&node.ProfilesDir, "profiles", "", "directory of Localhost profiles: seccomp JSON by relative path, AppArmor profiles by name")
	fl.StringToStringVar(&node.Sysctls, "sysctl", nil, "a node sysctl that decides a path, KEY=VALUE (kernel.perf_event_paranoid=3 on Debian and Ubuntu, where the upstream default is 2); repeatable; the keys are listed above")
	fl.StringSliceVar(&node.Kernel, "node-kernel", nil, "a `FACT` of the node's kernel, comma-separated or repeated: "+kernelFacts())
	fl.Var(fileModeFlag{&node.ImageShadow}, "image-shadow", "/etc/shadow's mode and owner in the images, as 0640:root:shadow (assumed: Debian's and Ubuntu's) or 0000:0:0 (Fedora's); owner and group by number, or as root, shadow or disk")
	fl.Var(diskFlag{&node}, "node-disk", "the mode and owner of the node's disk device nodes (assumed 0660:root:disk, udev's), or refused: the node refuses to open them to any container, privileged root included")
	fl.Var(socketsFlag{&node.RuntimeSockets}, "node-runtime-socket", "where the node's runtime listens, a node path with its mode (default 0660:root:root), as /run/containerd/containerd.sock or /run/docker.sock=0660:0:999; repeatable (assumed: the --runtime's usual socket)")
	fl.StringVarP(&output, "output", "o", "table", "output format: table, json, sarif or junit")
	fl.Var(&maxDoc, "max-document-size", "the most read of one YAML document (a larger one is an error, and skipped): bytes, or with KiB, MiB or GiB; 0 for no limit")
	fl.StringVar(&failOn, "fail-on", "", "exit 1 when: open-path (a container has an open path), baseline (a pod fails baseline), restricted (a pod fails restricted)")
	return cmd
}

// nodeSysctls lists, for --help, the sysctls --sysctl takes, each with
// what it decides, wrapped.
func nodeSysctls() string {
	keys := make([]string, 0, len(audit.Sysctls))
	for k := range audit.Sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		lines = append(lines, "    "+k)
		line := "       "
		for _, w := range strings.Fields(audit.Sysctls[k].Decides + " (assumed " + audit.Sysctls[k].Assumed + ")") {
			if len(line)+1+len(w) > 76 {
				lines = append(lines, line)
				line = "       "
			}
			line += " " + w
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// kernelFacts lists, for --help, the --node-kernel facts.
func kernelFacts() string {
	var parts []string
	for _, f := range []string{audit.KernelNoModules, audit.KernelNoIA32, audit.KernelNoSysrq, audit.KernelPID1Protected} {
		parts = append(parts, f+": "+audit.KernelFacts[f])
	}
	return strings.Join(parts, "; ")
}

// fileModeFlag is a MODE:OWNER:GROUP flag, nil until given.
type fileModeFlag struct{ m **audit.FileMode }

func (f fileModeFlag) Type() string { return "MODE:OWNER:GROUP" }
func (f fileModeFlag) String() string {
	if *f.m == nil {
		return ""
	}
	return (*f.m).String()
}
func (f fileModeFlag) Set(s string) error {
	m, err := audit.ParseFileMode(s)
	if err != nil {
		return err
	}
	*f.m = &m
	return nil
}

// diskFlag is --node-disk: a mode, or refused.
type diskFlag struct{ n *audit.Node }

func (f diskFlag) Type() string { return "MODE:OWNER:GROUP|refused" }
func (f diskFlag) String() string {
	if f.n.DiskRefused {
		return "refused"
	}
	return fileModeFlag{&f.n.Disk}.String()
}
func (f diskFlag) Set(s string) error {
	if s == "refused" {
		f.n.DiskRefused, f.n.Disk = true, nil
		return nil
	}
	f.n.DiskRefused = false
	return fileModeFlag{&f.n.Disk}.Set(s)
}

// socketsFlag is --node-runtime-socket, repeatable.
type socketsFlag struct{ s *[]audit.RuntimeSocket }

func (f socketsFlag) Type() string { return "PATH[=MODE:OWNER:GROUP]" }
func (f socketsFlag) String() string {
	var parts []string
	for _, s := range *f.s {
		parts = append(parts, s.String())
	}
	return strings.Join(parts, ", ")
}
func (f socketsFlag) Set(s string) error {
	r, err := audit.ParseRuntimeSocket(s)
	if err != nil {
		return err
	}
	*f.s = append(*f.s, r)
	return nil
}

// modeledRuntimes lists, for --help, the releases whose RuntimeDefault
// seccomp profiles rampart has, a runtime a paragraph.
func modeledRuntimes() string {
	var b strings.Builder
	for _, rt := range seccomp.Runtimes {
		list := seccomp.RuntimeDefaultReleases(rt)
		if rt == "docker" {
			list = []string{seccomp.Docker.Release}
		}
		line := "  " + rt
		for i, r := range list {
			w := " " + r
			if i < len(list)-1 {
				w += ","
			}
			if len(line)+len(w) > 76 {
				b.WriteString(line + "\n")
				line = "   "
			}
			line += w
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
