package agent

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/seccomp"
)

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

const denyUnshare = `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_ERRNO"}]}`

// A ConfigMap volume as the kubelet lays it out: the files in a
// timestamped directory, ..data linking to it, each name linking
// through ..data.
func configMap(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "..2026_12_07_07_00_00.1")
	for name, body := range files {
		write(t, filepath.Join(data, name), body)
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(data), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReconcileSeccomp: what rampart reads as a seccomp profile is
// installed in the agent's directory, what it refuses is not, and a file
// there the ConfigMap no longer holds is removed; AppArmor files are
// left alone on a node without AppArmor, and the labels say so.
func TestReconcileSeccomp(t *testing.T) {
	host := t.TempDir()
	write(t, filepath.Join(host, "sys/module/apparmor/parameters/enabled"), "N\n")
	seccompDir := t.TempDir()
	write(t, filepath.Join(seccompDir, Subdir, "stale.json"), denyUnshare)
	write(t, filepath.Join(seccompDir, "other", "keep.json"), denyUnshare) // not the agent's
	o := Options{
		Profiles:   configMap(t, map[string]string{"deny-unshare.json": denyUnshare, "broken.json": `{"defaultAction": "SCMP_ACT_NOPE"}`, "web-profile": "profile web {}\n"}),
		SeccompDir: seccompDir, HostRoot: host,
	}
	st, err := Reconcile(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(seccompDir, Subdir, "deny-unshare.json")); err != nil || string(got) != denyUnshare {
		t.Errorf("deny-unshare.json installed as %q, %v", got, err)
	}
	for _, gone := range []string{"broken.json", "stale.json"} {
		if _, err := os.Stat(filepath.Join(seccompDir, Subdir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s is in the kubelet's directory (%v): refused or no longer held, it must not be", gone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(seccompDir, "other", "keep.json")); err != nil {
		t.Errorf("a profile outside the agent's directory was touched: %v", err)
	}
	if len(st.Refused) != 1 || !strings.Contains(st.Refused[0], "broken.json") || !reflect.DeepEqual(st.Removed, []string{"stale.json"}) {
		t.Errorf("refused %q, removed %q", st.Refused, st.Removed)
	}
	want := map[string]string{AppArmorLabel: "disabled", SeccompPrefix + "deny-unshare.json": st.Profiles[0].Digest[:12]}
	if got := st.Labels(); !reflect.DeepEqual(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
}

// Where the kernel has AppArmor but nothing can load through the host
// (no securityfs under its root), the file is refused, never counted as
// loaded.
func TestReconcileAppArmorFailsClosed(t *testing.T) {
	host := t.TempDir()
	write(t, filepath.Join(host, "sys/module/apparmor/parameters/enabled"), "Y\n")
	st, err := Reconcile(context.Background(), Options{Profiles: configMap(t, map[string]string{"web-profile": "profile web {}\n"}), SeccompDir: t.TempDir(), HostRoot: host})
	if err != nil {
		t.Fatal(err)
	}
	if !st.AppArmor || len(st.Profiles) != 0 || len(st.Refused) != 1 {
		t.Errorf("AppArmor %t, profiles %+v, refused %q: want the file refused", st.AppArmor, st.Profiles, st.Refused)
	}
	if st.Labels()[AppArmorLabel] != "enabled" {
		t.Errorf("labels %v", st.Labels())
	}
}

func TestLabelPatch(t *testing.T) {
	have := map[string]string{"kubernetes.io/os": "linux", AppArmorLabel: "enabled", SeccompPrefix + "old.json": "aaaaaaaaaaaa", SeccompPrefix + "a.json": "bbbbbbbbbbbb"}
	want := map[string]string{AppArmorLabel: "enabled", SeccompPrefix + "a.json": "cccccccccccc"}
	got := LabelPatch(have, want)["metadata"].(map[string]any)["labels"].(map[string]any)
	if !reflect.DeepEqual(got, map[string]any{SeccompPrefix + "a.json": "cccccccccccc", SeccompPrefix + "old.json": nil}) {
		t.Errorf("patch %v: want the changed label set, the dropped one removed, the others untouched", got)
	}
	if n := labelName(strings.Repeat("A_b ", 30) + ".json"); len(n) > 63 || strings.ContainsAny(n, "A ") {
		t.Errorf("label name %q", n)
	}
}

// A file that would replace a profile the kernel holds and the agent
// did not load (the runtime's default) is refused; one the agent loaded
// before may be replaced.
func TestMayReplace(t *testing.T) {
	host := t.TempDir()
	t.Setenv("TMPDIR", t.TempDir())
	write(t, filepath.Join(host, "sys/kernel/security/apparmor/profiles"), "cri-containerd.apparmor.d (enforce)\nmine (enforce)\n")
	if err := mayReplace("evil", []byte("profile cri-containerd.apparmor.d flags=(attach_disconnected) {\n  file,\n}\n"), host); err == nil || !strings.Contains(err.Error(), "not by rampart's agent") {
		t.Errorf("replacing the runtime's default: err = %v", err)
	}
	if err := mayReplace("mine", []byte("profile mine {\n}\n"), host); err == nil {
		t.Error("a profile loaded by someone else: no refusal")
	}
	if err := remember(nil); err != nil {
		t.Fatal(err)
	}
	write(t, ownedFile(), "mine\n")
	if err := mayReplace("mine", []byte("profile mine {\n}\n"), host); err != nil {
		t.Errorf("the agent's own profile: %v", err)
	}
	if err := mayReplace("new", []byte("profile brand-new {\n}\n"), host); err != nil {
		t.Errorf("a profile nobody loaded: %v", err)
	}
}

// The agent's own filter is a profile rampart reads whole, for both
// platforms the agent runs on (the launcher refuses what it cannot read;
// the kube tier loads it for real).
func TestSeccompProfileReads(t *testing.T) {
	for _, plat := range []seccomp.Platform{seccomp.AMD64, seccomp.ARM64} {
		if _, err := seccomp.ParseOn(plat, "agent/seccomp.json", SeccompProfile, caps.Set(0).Add(caps.MAC_ADMIN).Add(caps.SYS_CHROOT)); err != nil {
			t.Errorf("%v: %v", plat, err)
		}
	}
}
