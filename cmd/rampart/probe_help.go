package main

const probeLong = `From inside any process or container: which attack paths are open now,
and for each closed one, which layer closed it and the evidence.

Every probe is harmless as full root on a production host: nothing
persistent is written, nothing is mounted outside a private namespace of a
thread or child that exits, no clock is changed, nothing is loaded, and no
secret is printed (/etc/shadow: one byte read and discarded). Calls that
would change the system use arguments the kernel rejects after its
permission check (reboot with a bad magic, init_module with an empty
image). ` + "`rampart probe --list`" + ` says, for each path, why it is safe.

Each path is tried every way an attacker has to it (mount(2) and the new
mount API, unshare, clone, clone3 and setns, socket flag bits, i386
socketcall and io_uring, openat, open, openat2 and file handles, ...), and
a layer closes it only by closing every way; the evidence names the way
that got past a layer. Layers are attributed in the kernel's order:
seccomp (a canary call the kernel would reject with a known errno gets the
filter's errno instead; where there is no canary, the filter itself is
asked about the call without it running), capabilities (CapEff lacks what
the kernel checks), LSM (a refusal the permission bits and capabilities do
not explain: AppArmor by its label, Landlock when it is the only path
LSM), else other (a sysctl, a read-only mount, an absent target). Evidence
that fits more than one layer is reported as ambiguous, never guessed.

With --pod, the probe runs in a container of a running Pod of the
kubeconfig's cluster instead, and the image need not hold rampart: this
binary (static, so it runs in any image) is streamed in over
` + "`kubectl exec -i`" + `, placed in the first of /tmp, /var/tmp, /run, /dev/shm, /dev
where the container may write and execute, run, and removed again. A
process started by kubectl exec gets the container's capabilities, seccomp
filter, AppArmor profile, user and no_new_privs, so the report measures
the live workload without rebuilding its image. The image needs /bin/sh
with cat, chmod and rm. In /dev/shm or /dev the binary's size counts
against the container's memory limit while it runs.

A container kubectl exec cannot reach (no shell, no directory to write:
distroless, scratch, a read-only root for a non-root user) is probed from
its node instead, when the node agent is installed (rampart fleet
manifests; --agent-namespace, default rampart-system): a short-lived
privileged Pod on that node runs rampart node-agent probe, which enters
the container's namespaces and cgroups, takes on the layers its first
process holds (read from the kernel, its seccomp filters included) and
runs the probe there, copying nothing into the container; the report is
kept only if the probe's state equals those layers, and says it was taken
from the node. --from-node=false turns this off. On a node, as root,
--enter CONTAINER-ID does the same for one container.

With --all (-n NAMESPACE, -A, -l SELECTOR), every running container of
the cluster is probed so, --concurrency at a time, and held to what
audit --cluster predicts for its Pod on its node (--profiles: the
Localhost profiles the manifests name): the drift report. Drift is where
the cluster does not do what its manifests say: a container that does
not run (the kubelet refused the Pod; the runtime could not create it: a
Localhost seccomp profile missing on its node, an AppArmor profile not
loaded), one that runs under other capabilities, seccomp mode or
AppArmor profile than predicted, a path open or closed otherwise. Paths a
node fact decides that audit could only assume (a sysctl, a kernel
feature, a read-only mount) are listed apart, as assumed. Containers
kubectl exec cannot enter are probed from their nodes, one probe Pod per
node, or else listed as not measured, with the reason. Exit status 1 when
there is drift. JSON: docs/drift-json.md.

The JSON form (-o json) is documented in docs/probe-json.md; that of
--list -o json has a schema, docs/catalog.schema.json.`
