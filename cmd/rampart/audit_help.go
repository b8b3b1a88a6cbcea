package main

// auditLong is audit's --help: what it predicts, what it reads, the
// node's flags (the sysctls and modeled runtimes are filled in from the
// audit package) and its exit statuses.
const auditLong = `For each container of Kubernetes manifests, predict statically what it runs
under on a node and which attack paths stay open. A Docker Compose file is
audited service by service as Docker runs it (its capabilities, its
RuntimeDefault, docker-default where the node has AppArmor), and an OCI
runtime config (a bundle's config.json) as runc runs it, with exactly its
own layers; a systemd service unit (NAME.service, with the drop-ins beside
it) as systemd 252 runs it: its bounding and ambient sets, user,
no_new_privs and the seccomp filters its directives build; a Podman
Quadlet unit (NAME.container) as Podman runs it (its 11 capabilities,
containers-common's seccomp.json); a docker run command line given as an
argument ('docker run --privileged IMAGE') as the Compose service it
amounts to; findings point into those files (and at the command's
flags).

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
directories (walked for *.yaml, *.yml, *.json, *.service, *.container) or
- for standard input.
Malformed documents are reported with file and document; the rest is
audited. Documents are read, audited and written out one at a time, so
memory does not grow with the input, an endless stream on standard input
included. A document over --max-document-size (default 8MiB, 0 for no
limit) is reported with its file, number and line, and skipped; a List
(kubectl get -o yaml) is one document, so raise the limit for a large one.
The summary keeps counts and the unreadable documents' messages only;
-o junit, whose root element carries the totals, keeps its test suites in
a temporary file until the end. --summary writes counts only, for a whole
cluster's objects: no workload, the summary with each namespace's share
(objects, containers, open paths by path, Pod Security levels), and the
errors; in table or json. --fail-on and the exit status are the same.

--cluster audits a live cluster instead of files, read through kubectl
(--context, -n NAMESPACE or -A; RBAC: list the workload kinds and nodes,
get nodes/proxy for configz): each Pod for the node it is bound to, each
template (and each Pod not yet scheduled) for every set of node facts
among the nodes its nodeSelector and tolerations let it onto. A node's
facts come from the cluster: its runtime and version and architecture
(the kubelet's status.nodeInfo), seccompDefault (the kubelet's configz
through the API server's node proxy), AppArmor (the kubelet's own word
where a Pod asking for a profile runs or was refused there, else the node
label rampart.dev/apparmor=enabled). A fact the cluster does not tell is
taken as false, the kubelet's default, and the node's notes say so; a
node flag given (--runtime, --runtime-version, --arch, --seccomp-default,
--apparmor-node, or the config's) wins, for every node. The table and
-o json list the nodes with their facts, name each workload's nodes, and
--summary counts per node too.

The node is described with flags: --runtime picks the default capability
set (containerd and docker: 14; cri-o: 9) and, with --runtime-version,
the RuntimeDefault seccomp profile; --seccomp-default is the kubelet's
seccompDefault (unset seccomp becomes RuntimeDefault); --apparmor-node
says the node has AppArmor (unset AppArmor becomes the runtime's default
profile: containerd's own cri-containerd.apparmor.d of the release, as it
renders it on a Debian 12 node; for cri-o and docker, whose own are not
modeled, rampart's stand-in rampart-default, and the audit says so;
without it, the kubelet refuses a pod that asks for an AppArmor profile,
and the audit says so); --profiles DIR holds Localhost profiles
(seccomp JSON by relative path, AppArmor by name). Each AppArmor profile
file is also compiled once with apparmor_parser -Q -K where it is
installed, as the node compiles it before loading: one the parser refuses
is an error (its message, the file named) and its containers are refused,
for the runtime does not start a container whose profile is not loaded.
Without the parser the audit says validation was rampart's alone: on
standard error (table), apparmorValidation (json), a notification of the
run (sarif), a skipped case (junit). RAMPART_APPARMOR_PARSER names the
parser to run; "none" runs none.
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
  --arch  the node's architecture, amd64 or arm64 (default: this machine's
      on Linux, amd64 on other systems). The runtime's RuntimeDefault is
      resolved for it (its archMap and arch-only rules), compiled as runc
      builds it there, and each path's calls take that architecture's
      numbers: arm64 has no open, fork or socketcall, and i386's calls are
      AArch32's there.
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
The node's facts can also come from .rampart.yaml, looked for upward from
the audited files to a repository's root (a directory with .git), or from
--config FILE; a flag given wins over the file. The file also accepts
findings: a rule (open-path/ID, pss/CHECK), globs of the workload's kind,
namespace, name, container and path, a required reason and an optional
expiry date; a workload accepts its own with the annotation
rampart.dev/accept: "open-path/tiocsti=REASON; pss/runAsNonRoot=REASON".
--write-baseline FILE records the findings' fingerprints; --baseline FILE
accepts those, so only new findings fail --fail-on. An accepted finding
stays in every output, marked with its reason, and fails no --fail-on
until its date has passed. A config or baseline that cannot be read
exactly is refused, at its line and column. See docs/config.md.

Exit status:
  0  audited; no --fail-on condition met
  1  a --fail-on condition is met by a finding not accepted: open-path
     (any container has an open path), baseline (any pod fails baseline),
     restricted (any pod fails restricted); or, with --fail-on, a
     document could not be read (missing, malformed, larger than
     --max-document-size), or apparmor_parser refuses a profile
  2  bad flags or arguments, a config or baseline refused
  125 nothing could be audited (no file readable, no container found);
      with --allow-empty, files that hold no workload exit 0 (a pre-commit
      hook is given every YAML file a commit touches), one that cannot be
      read still exits 125`
