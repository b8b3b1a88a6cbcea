//go:build linux

package kubelab

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeConfigs writes containerd's, the CNI's and the kubelet's
// configuration and the admin kubeconfig. Each non-default setting says
// which failure it avoids on a host like this one.
func (c *Cluster) writeConfigs() error {
	// Without CAP_SYS_RESOURCE runc cannot lower oom_score_adj to the
	// sandbox's -998 and every Pod sandbox fails to start.
	containerd := containerd2Config(c.path("containerd/root"), c.path("containerd/state"), c.path("run/containerd.sock"), c.path("cni/net.d"), c.Runtime)
	cni := cniConfig(Bridge, podCIDR, bridgeIP, hostRangeEnd, c.path("cni/ipam"))
	kubelet := kubeletConfig(c.path("run/containerd.sock"), bridgeIP, fmt.Sprintf(`# cgroup v1 hosts are refused by default since v1.35.
failCgroupV1: false
# The kubelet raises RLIMIT_NOFILE to this; above the hard limit it fails.
maxOpenFiles: 20000
podLogsDir: %s
# seccompDefault stays false: an unset seccompProfile is Unconfined, as
# on a default node; tests that need the other case set it per Pod.
`, c.path("podlogs")))
	kubeconfig := kubeconfigFor(c.Server, c.path("pki/ca.crt"), c.Token)
	files := map[string]string{
		"containerd/config.toml":           containerd,
		"cni/net.d/10-rampartlab.conflist": cni,
		"kubelet/config.yaml":              kubelet,
		"admin.kubeconfig":                 kubeconfig,
	}
	for name, s := range files {
		if err := os.WriteFile(c.path(name), []byte(s), 0o600); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(c.SeccompDir), 0o755)
}

// containerdConfig is the AppArmor node's configuration for Debian's
// containerd 1.6: its CRI plugin with runc (cgroupfs) and the CNI plugins
// from Debian.
func containerdConfig(root, state, sock, cniConfDir string) string {
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[4]q
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %[5]q
`, root, state, sock, pauseImage, cniConfDir)
}

// containerd2Config is the host node's configuration for containerd 2
// (RuntimeBinaries; config version 3). Otherwise containerd 2's defaults
// stand, as on a node installed from its release.
func containerd2Config(root, state, sock, cniConfDir, bin string) string {
	return fmt.Sprintf(`version = 3
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = %[4]q
[plugins."io.containerd.cri.v1.runtime"]
  # Without CAP_SYS_RESOURCE runc cannot lower oom_score_adj to the
  # sandbox's -998 and every Pod sandbox fails to start.
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      # Absolute paths: else the shim is the first on $PATH (Debian's
      # 1.6 shim, which reports no features, so no user namespaces) and
      # runc is Debian's 1.1.
      runtime_path = %[6]q
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = %[7]q
        SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = %[5]q
`, root, state, sock, pauseImage, cniConfDir, filepath.Join(bin, "containerd-shim-runc-v2"), filepath.Join(bin, "runc"))
}

// cniConfig is a bridge without masquerading: Pods reach their node's
// bridge and each other, nothing beyond (no node routes anywhere for
// them). rangeEnd "" leaves the whole subnet to the Pods.
func cniConfig(bridge, subnet, gateway, rangeEnd, dataDir string) string {
	end := ""
	if rangeEnd != "" {
		end = fmt.Sprintf(", \"rangeEnd\": %q", rangeEnd)
	}
	return fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": "rampartlab",
  "plugins": [
    {"type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": false,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": %q, "gateway": %q%s}]], "dataDir": %q}}
  ]
}
`, bridge, subnet, gateway, end, dataDir)
}

// kubeletConfig is a lab node's kubelet configuration, serving on
// address; extra is appended.
func kubeletConfig(sock, address, extra string) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://%s
address: %s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
readOnlyPort: 0
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
failSwapOn: false
clusterDomain: cluster.local
# A test machine's disk is whatever it is: never evict the test Pods.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%%", imagefs.available: "1%%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
`, sock, address) + extra
}

// kubeconfigFor is the lab's admin kubeconfig for server.
func kubeconfigFor(server, ca, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: rampart-lab
  cluster: {server: %q, certificate-authority: %q}
users:
- name: admin
  user: {token: %q}
contexts:
- name: rampart-lab
  context: {cluster: rampart-lab, user: admin}
current-context: rampart-lab
`, server, ca, token)
}
