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
	containerd := containerdConfig(c.path("containerd/root"), c.path("containerd/state"), c.path("run/containerd.sock"), c.path("cni/net.d"),
		"  restrict_oom_score_adj = true\n")
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

// containerdConfig is a lab node's containerd configuration: its CRI
// plugin with runc (cgroupfs) and the CNI plugins from Debian; cri adds
// lines to the CRI plugin's table.
func containerdConfig(root, state, sock, cniConfDir, cri string) string {
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[4]q
%[6]s  [plugins."io.containerd.grpc.v1.cri".containerd]
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
`, root, state, sock, pauseImage, cniConfDir, cri)
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
