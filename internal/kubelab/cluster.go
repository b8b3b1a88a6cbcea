//go:build linux

package kubelab

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rampart-sec/rampart/internal/runc"
)

// The lab's addresses. The bridge is the lab's own: the API server, the
// kubelet and the Pods talk over it or over loopback, never over the
// machine's external interface.
const (
	Bridge    = "rampartlab0"
	bridgeIP  = "10.250.0.1"
	podCIDR   = "10.250.0.0/24"
	serviceIP = "10.251.0.1"
	// Image is the image every test Pod runs: busybox and the static
	// rampart at /usr/local/bin/rampart.
	Image = "localhost/rampart:latest"
	// BusyboxImage is the same filesystem without rampart: a stand-in for
	// a user's image that rampart must reach from outside.
	BusyboxImage = "localhost/busybox:lab"
	// DistrolessImage is BusyboxImage's /etc and the pause program, no
	// shell and no other program: an image like distroless's, whose
	// files a probe reads (/etc/shadow) are BusyboxImage's.
	DistrolessImage = "localhost/distroless:lab"
	pauseImage      = "localhost/pause:lab"
)

// images are the lab's image archives, imported on both nodes.
var images = []string{"pause.tar", "rampart.tar", "busybox.tar", "distroless.tar"}

// StateDir holds everything a running lab has: configs, PKI, logs, etcd,
// containerd and kubelet state. Down removes it.
var StateDir = "/var/lib/rampart-kubelab"

// sysctls the kubelet and the CNI bridge overwrite; Up saves them, Down
// restores them. panic_on_oops=1 must not outlive the lab.
var sysctls = []string{"vm/overcommit_memory", "kernel/panic", "kernel/panic_on_oops", "net/ipv4/ip_forward"}

// Cluster is a running lab.
type Cluster struct {
	Dir string
	Bin string
	// Runtime holds the host node's containerd, shim, ctr and runc
	// (RuntimeBinaries).
	Runtime    string
	Kubeconfig string
	Server     string
	Token      string
	// SeccompDir is where the kubelet looks up Localhost seccomp profiles.
	SeccompDir string
	client     *http.Client
	log        func(string)
}

// Up builds (or reuses) the binaries, writes the lab's configuration,
// imports the images and starts etcd, containerd, the control plane and
// the kubelet, returning when the node is Ready and the default
// ServiceAccount exists. rampart is the static binary baked into Image.
// On error everything started is torn down again.
func Up(ctx context.Context, rampart string, log func(string)) (c *Cluster, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the kube lab needs root")
	}
	bin, err := Binaries(ctx, log)
	if err != nil {
		return nil, err
	}
	rt, err := RuntimeBinaries(ctx, log)
	if err != nil {
		return nil, err
	}
	for _, tool := range []string{"etcd", "containerd", "ctr", "runc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s not found (Debian packages: etcd-server containerd runc containernetworking-plugins; scripts/deps.sh kube)", tool)
		}
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		return nil, fmt.Errorf("CNI plugins not found in /usr/lib/cni (Debian package containernetworking-plugins)")
	}
	Down(log) // whatever a killed run left behind
	c = &Cluster{Dir: StateDir, Bin: bin, Runtime: rt, log: log}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, c.tails())
			Down(log)
			c = nil
		}
	}()
	t0 := time.Now()
	step := func(s string) { log(fmt.Sprintf("%5.1fs %s", time.Since(t0).Seconds(), s)) }
	for _, d := range []string{"pki", "logs", "pids", "run", "etcd", "containerd", "cni/net.d", "cni/ipam", "kubelet/root", "images"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, d), 0o700); err != nil {
			return c, err
		}
	}
	// A Pod with hostUsers: false has its rootfs set up by runc as the
	// Pod's mapped root, an unprivileged host uid: it must be able to
	// pass through the directories above the snapshots (search, not
	// read).
	for _, d := range []string{"", "containerd"} {
		if err := os.Chmod(filepath.Join(c.Dir, d), 0o711); err != nil {
			return c, err
		}
	}
	if err := saveSysctls(c.Dir); err != nil {
		return c, err
	}
	if err := bridgeUp(); err != nil {
		return c, err
	}
	c.Token, err = writePKI(filepath.Join(c.Dir, "pki"), []net.IP{net.ParseIP(bridgeIP)})
	if err != nil {
		return c, err
	}
	c.Server = "https://" + bridgeIP + ":6443"
	c.Kubeconfig = filepath.Join(c.Dir, "admin.kubeconfig")
	c.SeccompDir = filepath.Join(c.Dir, "kubelet/root/seccomp")
	if err := c.writeConfigs(); err != nil {
		return c, err
	}
	if err := c.buildImages(ctx, rampart); err != nil {
		return c, err
	}
	step("configs and images written")
	if err := c.bootAppArmorNode(ctx, rampart, log); err != nil {
		return c, fmt.Errorf("the AppArmor node: %w", err)
	}
	step("AppArmor node booting")
	if err := c.start("etcd", "etcd", "--name", "lab", "--data-dir", c.path("etcd/data"),
		"--listen-client-urls", "http://127.0.0.1:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
		"--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
		"--initial-cluster", "lab=http://127.0.0.1:2380"); err != nil {
		return c, err
	}
	if err := c.start("containerd", filepath.Join(rt, "containerd"), "--config", c.path("containerd/config.toml")); err != nil {
		return c, err
	}
	sock := c.path("run/containerd.sock")
	if err := waitFor(ctx, 30*time.Second, "containerd", func() error {
		return exec.Command(c.ctr(), "-a", sock, "version").Run()
	}); err != nil {
		return c, err
	}
	for _, img := range images {
		if out, err := exec.CommandContext(ctx, c.ctr(), "-a", sock, "-n", "k8s.io", "images", "import", c.path("images/"+img)).CombinedOutput(); err != nil {
			return c, fmt.Errorf("importing %s: %w: %s", img, err, out)
		}
	}
	step("containerd up, images imported")
	pki := c.path("pki")
	if err := c.start("apiserver", filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers=http://127.0.0.1:2379",
		"--advertise-address="+bridgeIP, "--bind-address="+bridgeIP, "--secure-port=6443",
		"--tls-cert-file="+pki+"/apiserver.crt", "--tls-private-key-file="+pki+"/apiserver.key",
		"--client-ca-file="+pki+"/ca.crt", "--token-auth-file="+pki+"/tokens.csv",
		"--authorization-mode=Node,RBAC", "--allow-privileged=true",
		"--service-cluster-ip-range=10.251.0.0/16",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+pki+"/sa.pub", "--service-account-signing-key-file="+pki+"/sa.key",
		"--kubelet-preferred-address-types=InternalIP,Hostname"); err != nil {
		return c, err
	}
	if err := c.httpClient(); err != nil {
		return c, err
	}
	if err := waitFor(ctx, 120*time.Second, "API server /readyz", func() error {
		b, code, err := c.Get(ctx, "/readyz")
		if err == nil && (code != 200 || !bytes.HasPrefix(b, []byte("ok"))) {
			err = fmt.Errorf("HTTP %d", code)
		}
		return err
	}); err != nil {
		return c, err
	}
	step("API server ready")
	kc := c.Kubeconfig
	if err := c.start("controller-manager", filepath.Join(bin, "kube-controller-manager"), "--kubeconfig="+kc,
		"--authentication-kubeconfig="+kc, "--authorization-kubeconfig="+kc,
		"--service-account-private-key-file="+pki+"/sa.key", "--root-ca-file="+pki+"/ca.crt",
		"--leader-elect=false", "--bind-address=127.0.0.1"); err != nil {
		return c, err
	}
	if err := c.start("scheduler", filepath.Join(bin, "kube-scheduler"), "--kubeconfig="+kc,
		"--authentication-kubeconfig="+kc, "--authorization-kubeconfig="+kc,
		"--leader-elect=false", "--bind-address=127.0.0.1"); err != nil {
		return c, err
	}
	if err := c.start("kubelet", filepath.Join(bin, "kubelet"), "--config="+c.path("kubelet/config.yaml"),
		"--kubeconfig="+kc, "--root-dir="+c.path("kubelet/root"), "--cert-dir="+c.path("kubelet/pki"),
		"--node-ip="+bridgeIP, "--hostname-override="+HostNode); err != nil {
		return c, err
	}
	if err := c.waitNode(ctx, HostNode, 180*time.Second); err != nil {
		return c, err
	}
	step("node " + HostNode + " Ready")
	if err := waitFor(ctx, 120*time.Second, "default ServiceAccount", func() error {
		_, err := c.Kubectl(ctx, "get", "serviceaccount", "default")
		return err
	}); err != nil {
		return c, err
	}
	// The guest booted while the host's components started; under TCG
	// on two cores it is Ready about a minute after it starts (40 s
	// idle, 115 s seen on a loaded host).
	if err := c.waitNode(ctx, AppArmorNode, 300*time.Second); err != nil {
		return c, err
	}
	step("node " + AppArmorNode + " Ready")
	return c, nil
}

func (c *Cluster) path(p string) string { return filepath.Join(c.Dir, p) }

// ctr is the host node's containerd client, of the same release.
func (c *Cluster) ctr() string { return filepath.Join(c.Runtime, "ctr") }

// start runs a component in its own process group, logging to logs/NAME.log.
func (c *Cluster) start(name, prog string, args ...string) error {
	logf, err := os.Create(c.path("logs/" + name + ".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(prog, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = c.Dir
	// Its own session: a Ctrl-C aimed at the test must reach the
	// harness's handler, which tears down in order, not kill the
	// kubelet mid-flight.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	go cmd.Wait()
	return os.WriteFile(c.path("pids/"+name), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
}

// tails is the end of each component's log, for errors.
func (c *Cluster) tails() string {
	var b strings.Builder
	for _, n := range []string{"etcd", "containerd", "apiserver", "controller-manager", "scheduler", "kubelet", "aanode"} {
		data, err := os.ReadFile(c.path("logs/" + n + ".log"))
		if err != nil || len(data) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 8 {
			lines = lines[len(lines)-8:]
		}
		fmt.Fprintf(&b, "--- %s (logs/%s.log)\n%s\n", n, n, strings.Join(lines, "\n"))
	}
	return b.String()
}

func waitFor(ctx context.Context, limit time.Duration, what string, f func() error) error {
	deadline := time.Now().Add(limit)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	return fmt.Errorf("waiting %s for %s: %v", limit, what, err)
}

func (c *Cluster) httpClient() error {
	ca, err := os.ReadFile(c.path("pki/ca.crt"))
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	c.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 8,
		// Never through a proxy: the lab's traffic stays on its bridge.
		Proxy: nil,
	}}
	return nil
}

// Do sends one request to the API server as the lab's admin.
func (c *Cluster) Do(ctx context.Context, method, path, contentType string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Server+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return resp, b.Bytes(), err
}

// Get is Do for a GET.
func (c *Cluster) Get(ctx context.Context, path string) ([]byte, int, error) {
	resp, b, err := c.Do(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return nil, 0, err
	}
	return b, resp.StatusCode, nil
}

// Kubectl runs the lab's kubectl against the lab.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) ([]byte, error) {
	cmd := c.KubectlCmd(ctx, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// KubectlCmd is the command Kubectl runs, for callers that need stdin.
func (c *Cluster) KubectlCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.Bin, "kubectl"), args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig, "NO_PROXY=*", "no_proxy=*")
	return cmd
}

// Env is the environment that points kubectl (and rampart's kubernetes
// engine) at the lab.
func (c *Cluster) Env() []string {
	return append(os.Environ(), "KUBECONFIG="+c.Kubeconfig, "NO_PROXY=*", "no_proxy=*",
		"PATH="+c.Bin+":"+os.Getenv("PATH"))
}

// ReloadImage rebuilds Image around a new rampart binary and imports it,
// replacing the old one: Pods created afterwards run the new binary.
func (c *Cluster) ReloadImage(ctx context.Context, rampart string) error {
	root := c.path("images/rampart-root")
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	if err := runc.Rootfs(root, rampart); err != nil {
		return err
	}
	if err := writeImage(root, Image, c.path("images/rampart.tar"), nil, []string{"sh"}); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, c.ctr(), "-a", c.path("run/containerd.sock"), "-n", "k8s.io", "images", "import", c.path("images/rampart.tar")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("importing the rampart image: %w: %s", err, out)
	}
	return nil
}

// WriteImage writes Image (busybox and the static rampart) to out as a
// docker-archive, for clusters other than the lab.
func WriteImage(rampart, out string) error {
	root, err := os.MkdirTemp("", "rampart-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	if err := runc.Rootfs(root, rampart); err != nil {
		return err
	}
	return writeImage(root, Image, out, nil, []string{"sh"})
}

func (c *Cluster) buildImages(ctx context.Context, rampart string) error {
	pauseDir := c.path("images/pause-root")
	if err := os.MkdirAll(pauseDir, 0o755); err != nil {
		return err
	}
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(pauseDir, "pause"), "./internal/pause")
	build.Dir = srcDir()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the pause program: %w: %s", err, out)
	}
	if err := writeImage(pauseDir, pauseImage, c.path("images/pause.tar"), []string{"/pause"}, nil); err != nil {
		return err
	}
	root := c.path("images/rampart-root")
	if err := runc.Rootfs(root, rampart); err != nil {
		return err
	}
	if err := writeImage(root, Image, c.path("images/rampart.tar"), nil, []string{"sh"}); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(root, runc.RampartInRootfs), c.path("images/rampart.bin")); err != nil {
		return err
	}
	err := writeImage(root, BusyboxImage, c.path("images/busybox.tar"), nil, []string{"sh"})
	os.Remove(c.path("images/rampart.bin"))
	if err != nil {
		return err
	}
	dl := c.path("images/distroless-root")
	if err := os.MkdirAll(filepath.Join(dl, "etc"), 0o755); err != nil {
		return err
	}
	for _, f := range []string{"etc/passwd", "etc/group", "etc/shadow", "pause"} {
		from := filepath.Join(root, f)
		if f == "pause" {
			from = filepath.Join(pauseDir, f)
		}
		b, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		fi, err := os.Stat(from)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dl, f), b, fi.Mode().Perm()); err != nil {
			return err
		}
		if err := os.Chmod(filepath.Join(dl, f), fi.Mode().Perm()); err != nil {
			return err
		}
		// /etc/shadow is root:shadow in both images.
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			if err := os.Chown(filepath.Join(dl, f), int(st.Uid), int(st.Gid)); err != nil {
				return err
			}
		}
	}
	return writeImage(dl, DistrolessImage, c.path("images/distroless.tar"), []string{"/pause"}, nil)
}

// Attach returns the lab a `kubelab up` left running, for working on the
// tests without bringing a node up for every run.
func Attach(ctx context.Context) (*Cluster, error) {
	c := &Cluster{Dir: StateDir, Bin: filepath.Join(CacheDir, Version), Runtime: runtimeDir(), Server: "https://" + bridgeIP + ":6443",
		Kubeconfig: filepath.Join(StateDir, "admin.kubeconfig"), SeccompDir: filepath.Join(StateDir, "kubelet/root/seccomp")}
	tok, err := os.ReadFile(c.path("pki/tokens.csv"))
	if err != nil {
		return nil, fmt.Errorf("no running lab: %w", err)
	}
	c.Token, _, _ = strings.Cut(string(tok), ",")
	if err := c.httpClient(); err != nil {
		return nil, err
	}
	if _, code, err := c.Get(ctx, "/readyz"); err != nil || code != 200 {
		return nil, fmt.Errorf("the lab's API server is not ready (%d): %v", code, err)
	}
	return c, nil
}
