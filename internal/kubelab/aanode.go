//go:build linux

package kubelab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	guest "github.com/rampart-sec/rampart/internal/lab"
	"github.com/rampart-sec/rampart/layers"
)

// The lab's second node: Debian's 6.1 kernel, AppArmor built in and on,
// booted under qemu (TCG) from an initramfs, running the host's
// containerd, runc and CNI plugins and the lab's kubelet, joined to the
// control plane on the host. The host kernel has no AppArmor; this node
// is where the third layer is enforced by a real kubelet, and the two
// together are the mixed cluster users run: the same Pod refused (or
// unconfined) on one node and confined on the other.
const (
	// HostNode is the node the host's kubelet registers.
	HostNode = "rampart-lab"
	// AppArmorNode is the guest's node name.
	AppArmorNode = "rampart-lab-apparmor"
	// AppArmorNodeRuntime is the release of the containerd the guest
	// runs: Debian 12's package, the host's own.
	AppArmorNodeRuntime = "1.6.20"
	// AppArmorTaint keeps Pods that do not ask for the node (nodeName,
	// or a toleration) on the host node: the tier's other tests measure
	// the host's kernel, and the emulated node is slower.
	AppArmorTaint = "rampart.dev/apparmor-node"
	aaNodeIP      = "10.250.0.250"
	// The guest's NIC is a tap on the lab's bridge: the node and the
	// control plane talk over it and nothing else. The host node's Pods
	// get addresses below aaNodeIP (hostRangeEnd).
	aaTap        = "rampartlab1"
	hostRangeEnd = "10.250.0.199"
	// The guest's Pods live on its own bridge, reachable only from the
	// guest: the API server reaches them through the kubelet.
	aaPodCIDR = "10.252.0.0/24"
	aaPodGW   = "10.252.0.1"
	aaMAC     = "52:54:00:72:61:fa"
	// aaMemoryMB holds the initramfs twice while the guest copies it to
	// a tmpfs, then containerd's images and the Pods.
	aaMemoryMB = 3072
)

// aaModules are the Debian kernel's modules the node loads, in order:
// its NIC (virtio-net), the CNI bridge and its veths, containerd's
// overlayfs snapshots.
var aaModules = []string{"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
	"failover", "net_failover", "virtio_net", "llc", "stp", "bridge", "veth", "overlay"}

// bootAppArmorNode writes the guest's initramfs and starts qemu in the
// background (process "aanode", its console in logs/aanode.log). The
// kubelet inside registers AppArmorNode once the API server answers.
func (c *Cluster) bootAppArmorNode(ctx context.Context, rampart string, logf func(string)) error {
	qemu, err := exec.LookPath(guest.Qemu)
	if err != nil {
		return fmt.Errorf("%s not found (Debian package qemu-system-x86; scripts/deps.sh kube)", guest.Qemu)
	}
	kernel, err := guest.Kernel("")
	if err != nil {
		return err
	}
	mods, err := guest.Modules(ctx, kernel, aaModules, logWriter(logf))
	if err != nil {
		return err
	}
	files := map[string]guest.File{}
	for name, text := range c.aaConfigs() {
		files[name] = guest.Text(text)
	}
	files["/init"] = guest.Executable(aaInit)
	files["/etc/kube/ca.crt"] = guest.HostFile(c.path("pki/ca.crt"))
	for _, img := range images {
		files["/var/lib/images/"+img] = guest.HostFile(c.path("images/" + img))
	}
	for _, m := range aaModules {
		files["/lib/modules/"+m+".ko"] = guest.HostFile(mods[m])
	}
	progs := map[string]string{"/usr/bin/kubelet": filepath.Join(c.Bin, "kubelet")}
	for _, p := range []string{"containerd", "containerd-shim-runc-v2", "ctr", "runc"} {
		host, err := exec.LookPath(p)
		if err != nil {
			return fmt.Errorf("%s not found (scripts/deps.sh kube)", p)
		}
		progs["/usr/bin/"+p] = host
	}
	progs["/usr/sbin/runc"] = progs["/usr/bin/runc"]
	delete(progs, "/usr/bin/runc")
	for _, p := range []string{"bridge", "host-local", "loopback"} {
		progs["/usr/lib/cni/"+p] = "/usr/lib/cni/" + p
	}
	initrd := c.path("aanode/node.cpio")
	if err := os.MkdirAll(filepath.Dir(initrd), 0o700); err != nil {
		return err
	}
	if _, err := guest.Initramfs(initrd, guest.Options{Rampart: rampart, Files: files, Programs: progs, Uncompressed: true}); err != nil {
		return err
	}
	if err := tapUp(); err != nil {
		return err
	}
	return c.start("aanode", qemu,
		// KVM hangs on the machines this was built on; TCG is slower but
		// always there. Two vCPUs: the kubelet and containerd run at once.
		"-accel", "tcg", "-cpu", "max", "-m", fmt.Sprint(aaMemoryMB), "-smp", "2",
		"-nographic", "-no-reboot", "-kernel", kernel, "-initrd", initrd,
		"-append", "console=ttyS0 panic=-1",
		"-netdev", "tap,id=n0,ifname="+aaTap+",script=no,downscript=no",
		"-device", "virtio-net-pci,netdev=n0,mac="+aaMAC)
}

type logWriter func(string)

func (l logWriter) Write(p []byte) (int, error) {
	if l != nil {
		l(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// aaConfigs are the guest's configuration files: containerd's, the
// CNI's and the kubelet's, as on the host node but for the guest's own
// paths, and a kubeconfig that reaches the API server over the bridge.
func (c *Cluster) aaConfigs() map[string]string {
	return map[string]string{
		"/etc/containerd/config.toml":           containerdConfig("/var/lib/containerd", "/run/containerd", "/run/containerd/containerd.sock", "/etc/cni/net.d"),
		"/etc/cni/net.d/10-rampartlab.conflist": cniConfig("cni0", aaPodCIDR, aaPodGW, "", "/var/lib/cni"),
		"/etc/kube/kubelet.yaml": kubeletConfig("/run/containerd/containerd.sock", aaNodeIP, fmt.Sprintf(`# Emulated, a sandbox can take minutes when many start at once; a CRI
# call the kubelet gives up on is retried, and the retries pile up.
runtimeRequestTimeout: 10m
registerWithTaints:
- {key: %q, effect: NoSchedule}
`, AppArmorTaint)),
		"/etc/kube/kubeconfig": kubeconfigFor(c.Server, "/etc/kube/ca.crt", c.Token),
		"/etc/hostname":        AppArmorNode + "\n",
		"/etc/hosts":           "127.0.0.1 localhost\n" + aaNodeIP + " " + AppArmorNode + "\n",
		"/etc/resolv.conf":     "nameserver 127.0.0.1\n",
		// The kubelet's cAdvisor reads the machine's identity.
		"/etc/machine-id": "72616d70617274616170706172656d6f\n",
		// The label is how rampart layers finds a node with AppArmor: the
		// kubelet reports none in the node's status.
		"/etc/node.env": fmt.Sprintf("NODE=%s\nNODE_IP=%s\nNODE_LABELS=%s=%s\nMODULES=%q\n", AppArmorNode, aaNodeIP,
			layers.AppArmorNodeLabel, layers.AppArmorNodeValue, strings.Join(aaModules, " ")),
	}
}

// aaInit is the guest's /init. Stage 1 copies the initramfs into a tmpfs
// and switches to it: runc's pivot_root refuses the initial rootfs, and
// every container on the node needs it. Stage 2 mounts what a node
// has, loads the modules, brings the NIC up on the lab's bridge and
// starts containerd (which loads its own AppArmor profile with the
// node's apparmor_parser) and the kubelet. Each step prints its uptime
// on the console, which the host keeps in logs/aanode.log.
const aaInit = `#!/bin/sh
export PATH=/usr/bin:/usr/sbin:/bin:/sbin HOME=/root
t() { echo "node-init: $(cut -d' ' -f1 /proc/uptime)s $*"; }
if [ ! -e /.stage2 ]; then
  mount -t proc proc /proc
  mkdir -p /newroot
  mount -t tmpfs -o size=90% tmpfs /newroot
  for d in /*; do
    case $d in /proc|/sys|/dev|/newroot) mkdir -p /newroot$d;; *) cp -a $d /newroot/;; esac
  done
  touch /newroot/.stage2
  t "root copied to tmpfs"
  umount /proc
  exec switch_root /newroot /init
fi
. /etc/node.env
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t securityfs securityfs /sys/kernel/security
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount --make-rshared /
echo 1 > /proc/sys/kernel/printk
for m in $MODULES; do insmod /lib/modules/$m.ko || t "insmod $m failed"; done
hostname "$NODE"
ip link set lo up
ip addr add "$NODE_IP/24" dev eth0 && ip link set eth0 up || t "eth0 failed"
echo 1 > /proc/sys/net/ipv4/ip_forward
echo "+cpu +cpuset +io +memory +pids" > /sys/fs/cgroup/cgroup.subtree_control
t "AppArmor enabled=$(cat /sys/module/apparmor/parameters/enabled)"
mkdir -p /var/lib/containerd /var/lib/kubelet /var/log/pods /etc/apparmor.d
containerd --config /etc/containerd/config.toml > /var/log/containerd.log 2>&1 &
while ! ctr version >/dev/null 2>&1; do sleep 0.2; done
t "containerd up"
for i in /var/lib/images/*.tar; do
  ctr -n k8s.io images import "$i" >/dev/null || t "importing $i failed"
  rm -f "$i"
done
t "images imported"
(
  kubelet --config=/etc/kube/kubelet.yaml --kubeconfig=/etc/kube/kubeconfig --root-dir=/var/lib/kubelet \
    --node-ip="$NODE_IP" --hostname-override="$NODE" --node-labels="$NODE_LABELS" > /var/log/kubelet.log 2>&1
  t "kubelet exited: $?"
  tail -n 30 /var/log/kubelet.log
) &
t "kubelet started"
while :; do sleep 3600; done
`

// waitNode waits until node is Ready.
func (c *Cluster) waitNode(ctx context.Context, node string, limit time.Duration) error {
	return waitFor(ctx, limit, "node "+node+" Ready", func() error {
		out, err := c.Kubectl(ctx, "get", "node", node, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		if err == nil && string(out) != "True" {
			err = fmt.Errorf("Ready=%q", out)
		}
		return err
	})
}

// tapUp creates the guest's tap on the lab's bridge.
func tapUp() error {
	for _, args := range [][]string{
		{"tuntap", "add", aaTap, "mode", "tap"},
		{"link", "set", aaTap, "master", Bridge},
		{"link", "set", aaTap, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// NodeExec runs argv on node as the node's own root: in the namespaces of
// the node's PID 1, entered from a privileged hostPID Pod of the lab's
// (kube-system/rampart-node-NODE, created on first use). stdin, when not
// nil, is the command's standard input. This is how the lab reaches a
// node it has no shell on: the same API server, kubelet and runtime as
// every Pod.
func (c *Cluster) NodeExec(ctx context.Context, node string, stdin []byte, argv ...string) ([]byte, error) {
	pod := "rampart-node-" + node
	if _, err := c.Kubectl(ctx, "get", "pod", "-n", "kube-system", pod); err != nil {
		manifest := fmt.Sprintf(`{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": %q, "namespace": "kube-system"},
 "spec": {"nodeName": %q, "hostPID": true, "hostNetwork": true, "terminationGracePeriodSeconds": 0,
  "tolerations": [{"operator": "Exists"}],
  "containers": [{"name": "shell", "image": %q, "imagePullPolicy": "Never",
   "command": ["sleep", "2147483647"], "securityContext": {"privileged": true}}]}}`, pod, node, BusyboxImage)
		cmd := c.KubectlCmd(ctx, "apply", "-f", "-")
		cmd.Stdin = strings.NewReader(manifest)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("creating %s: %w: %s", pod, err, out)
		}
		if _, err := c.Kubectl(ctx, "wait", "-n", "kube-system", "--for=condition=Ready", "pod/"+pod, "--timeout=300s"); err != nil {
			return nil, err
		}
	}
	args := append([]string{"exec", "-i", "-n", "kube-system", pod, "--", "nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--"}, argv...)
	cmd := c.KubectlCmd(ctx, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("on node %s: %s: %w: %s", node, strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// LoadAppArmor copies the profile file to the node's /etc/apparmor.d
// and loads it there with the node's rampart (`rampart apparmor load`,
// which runs the node's apparmor_parser and verifies the kernel lists
// every profile the file defines).
func (c *Cluster) LoadAppArmor(ctx context.Context, node, file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dst := "/etc/apparmor.d/" + filepath.Base(file)
	return c.NodeExec(ctx, node, data, "sh", "-c", `cat > "$1" && rampart apparmor load "$1"`, "sh", dst)
}
