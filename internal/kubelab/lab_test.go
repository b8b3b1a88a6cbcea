//go:build linux

package kubelab

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// The lab is a real node: a Pod from the lab's image runs on it, and the
// securityContext reaches the kernel (CapEff without NET_RAW, Seccomp 2).
func TestPodRunsWithItsSecurityContext(t *testing.T) {
	c := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pod := `apiVersion: v1
kind: Pod
metadata: {name: smoke, namespace: default}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: ` + Image + `
    imagePullPolicy: Never
    command: [sh, -c, "grep -E '^(CapEff|Seccomp):' /proc/self/status"]
    securityContext:
      capabilities: {drop: [NET_RAW]}
      seccompProfile: {type: RuntimeDefault}
`
	cmd := c.KubectlCmd(ctx, "apply", "-f", "-")
	cmd.Stdin = strings.NewReader(pod)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	defer c.Kubectl(context.Background(), "delete", "pod", "smoke", "--grace-period=0", "--force", "--wait=false")
	if _, err := c.Kubectl(ctx, "wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/smoke", "--timeout=90s"); err != nil {
		desc, _ := c.Kubectl(ctx, "describe", "pod", "smoke")
		t.Fatalf("%v\n%s", err, desc)
	}
	out, err := c.Kubectl(ctx, "logs", "smoke")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.Contains(s, "Seccomp:\t2") {
		t.Errorf("seccomp not in filter mode:\n%s", s)
	}
	// containerd's 14 defaults minus NET_RAW (bit 13) = 0xa80425fb & ^0x2000.
	if !strings.Contains(s, "CapEff:\t00000000a80405fb") {
		t.Errorf("CapEff is not containerd's defaults without NET_RAW:\n%s", s)
	}
}

// Up saved the sysctls the kubelet overwrites (Down restores them, and
// TestMain fails the run when Down leaves anything behind).
func TestSysctlsSaved(t *testing.T) {
	c := needLab(t)
	b, err := os.ReadFile(c.path("sysctl.orig"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "kernel/panic_on_oops=") {
		t.Fatalf("sysctl.orig lacks panic_on_oops:\n%s", b)
	}
	if _, err := os.Stat("/sys/class/net/" + Bridge); err != nil {
		t.Fatalf("the lab's bridge is missing: %v", err)
	}
}
