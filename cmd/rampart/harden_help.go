package main

// hardenLong is rampart harden --help: what it edits, how it reads a
// manifest, and what it writes where.
const hardenLong = `Write hardened copies of Kubernetes manifests (and Docker Compose files, see
below), with minimal edits that keep
comments, key order and formatting. In every container (containers,
initContainers, ephemeralContainers) of every workload, at container level:

  - capabilities.drop: [ALL], keeping the capabilities the manifest adds
    (or exactly --keep CAP...);
  - seccompProfile: RuntimeDefault, or with --seccomp localhost a
    Localhost profile rampart/rampart-<workload>-<container>.json:
    RuntimeDefault for the capabilities the container keeps, less ptrace,
    process_vm_readv/writev (unless it keeps SYS_PTRACE) and
    ioctl TIOCSTI (refused on the request's low 32 bits, as the kernel
    reads it) — copy --profiles-out/rampart/ into the kubelet's seccomp
    directory (/var/lib/kubelet/seccomp) on every node, or use --spo;
  - appArmorProfile: Localhost rampart-<workload>-<container>, a generated
    profile (rampart's container defaults, deny reading /etc/shadow and
    writing the container runtimes' sockets; change with --deny-read and
    --deny-write) written to --profiles-out (default: next to the output);
  - allowPrivilegeEscalation: false;
  - runAsNonRoot: true when runAsUser is a non-zero UID, or with
    --assume-nonroot (the kubelet then refuses to start an image whose
    user is root or not numeric).

--from-recording DIR[#CONTAINER] takes the policy rampart record generated
from DIR/recording.json instead (DIR may also be the recording file, or
the policy.json generated from it, which names the recording), for
CONTAINER (default: every container):
exactly the capabilities the recording used, its seccomp allow list as the
Localhost profile rampart/<name>.json, and its AppArmor allow list as the
Localhost profile <name>, replacing whatever the manifest had.

What is already at least as strict stays (a Localhost profile, drop
[ALL], a pod-level profile). privileged: true is reported and left unless
--unprivileged. Findings go to standard error.

--userns sets spec.hostUsers: false, a user namespace of the Pod's own
whose root is an unprivileged id on the node (containerd 2.0+ or CRI-O
1.25+, runc 1.2+, Linux 6.3+), where the Pod can take it: none of
hostNetwork, hostPID, hostIPC (the API server refuses them beside it), no
volumeDevices, and volumes of the kubelet's own only (emptyDir,
configMap, secret, projected, downwardAPI); elsewhere the finding names
what stands in the way (docs/userns.md: what the namespace closes).

A Docker Compose file is hardened service by service: cap_drop: [ALL]
keeping what cap_add declares (or exactly --keep), no-new-privileges:true
in security_opt, and seccomp=unconfined and apparmor=unconfined removed so
that Docker's default profiles apply; privileged: true as above. A
service that is an alias, or whose edited field a merge key (<<) brings
in, is refused: the edit would change more than that service.

Fields are read as the API server reads them (YAML 1.1: privileged: True,
yes or on is privileged; runAsUser: 0x0 is root). A file is refused where
a field harden reads or edits reaches the API server another way than as
written: a duplicate key, a merge key (<<) that brings it in or overrides
it, an alias of a mapping or list (an edit would change every place
sharing the anchor); and where a field it reads holds a value the API
server refuses (privileged: "yes", runAsUser: 1.5), at its line and
column.

Output: FILE.yaml becomes FILE.hardened.yaml next to it (or in --out DIR;
--in-place overwrites; through a symbolic link, the file it names). Every
file is written whole or not at all: to a temporary file beside it,
synced, then renamed over it, keeping an existing file's mode and owner
(hard links to the old file keep the old text). The profiles are written
first and the manifest last, so a manifest never names a profile that
could not be written: on any failure it is left as it was. Two workloads
whose generated seccomp profiles would land on one path with different
rules are refused. --diff prints a unified diff and writes nothing.
--spo also writes Security Profiles Operator objects (FILE.spo.yaml) so
the profiles reach every node: SeccompProfile objects for --seccomp
localhost (the Localhost references then name the operator's path,
operator/<namespace>/<name>.json), and AppArmorProfile + ProfileBinding
objects for AppArmor profiles that are allow-lists (recorded ones:
--from-recording). The operator's AppArmorProfile holds allow-lists only
(spec.abstract), so the generated deny-list profiles are not sent through
it: load those files on each node with rampart apparmor load (harden says which).
A file with nothing to change is still written, unchanged. - reads standard
input and writes the hardened manifest to standard output.

Documents are read, hardened and written one at a time, so memory does not
grow with the input, an endless stream on standard input included (until
the first edit, the documents before it wait in a temporary file: a file
with nothing to change comes back byte for byte). A document over
--max-document-size (default 8MiB, 0 for no limit) fails the file, naming
the line it starts on (with -, the documents before it are already
written). --diff reads each file whole, and --spo keeps a file's profiles
until its end, for the objects that list them.

Every AppArmor profile harden writes is first compiled with apparmor_parser
-Q -K where it is installed (once per distinct set of rules), as the
nodes compile it before loading: a profile the parser refuses fails the
file, which is left unwritten, with the parser's message; a manifest must
not name a profile no node can load. Without the parser harden says that
validation was rampart's alone. RAMPART_APPARMOR_PARSER names the parser
to run; "none" runs none.

--admission writes, instead, the policies that hold every cluster's Pods
to the layers at the API server, as YAML for kubectl apply -f -: a
ValidatingAdmissionPolicy and its binding (admissionregistration.k8s.io/v1,
CEL the API server evaluates itself: no webhook) that refuses a Pod, or a
Deployment, DaemonSet, StatefulSet, ReplicaSet, ReplicationController,
Job or CronJob whose template, where a container falls short of --target:
  capabilities  NET_RAW out of its set: dropped by name or ALL, not added
                back, not privileged; and every name written as the
                node's runtime reads it (NET_RAW, not CAP_NET_RAW, which
                drops nothing);
  seccomp       a seccomp profile, RuntimeDefault or Localhost (its own or
                the Pod's), not privileged;
  apparmor      an AppArmor profile asked for (Localhost; RuntimeDefault
                unless privileged), in a field or the annotation; such a
                Pod runs only where the node has AppArmor.
The message names the object, the containers and the field to change.
--mutate puts a MutatingAdmissionPolicy in front that applies harden's
defaults to every container that is not privileged: drop ALL (adds kept),
RuntimeDefault seccomp and allowPrivilegeEscalation: false where unset,
and RuntimeDefault AppArmor where the target has apparmor. --warn warns
and audits instead of denying; --exclude-namespace (kube-system, and
rampart-system, where the node agent and its probe Pods run) and
--namespace-label choose where the bindings apply. The kube tier holds
the validating policy to rampart audit over the shared corpus: admitted
exactly where audit says every container meets the target.

Exit status: 0 hardened; 1 some file could not be read or hardened (or
apparmor_parser refuses its profile); 2 bad flags or arguments.`
