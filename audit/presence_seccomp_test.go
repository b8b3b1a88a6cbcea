//go:build linux && cgo && seccomp

package audit

import "testing"

// The node's decisions in their place among the layers, against a
// compiled RuntimeDefault filter.
func TestNodeGatesAroundTheFilter(t *testing.T) {
	pod := []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostPID: true
  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers:
  - {name: root, image: x}
  - {name: ptrace, image: x, securityContext: {capabilities: {add: [SYS_PTRACE]}}}
`)
	// The filter refuses setns without CAP_SYS_ADMIN, but the attack
	// opens /proc/1/ns/net first: without CAP_SYS_PTRACE the path closes
	// there, by capabilities; with it, at setns, by the filter.
	r := newAuditor(t, Node{}).Read("pod.yaml", pod)
	checkPresence(t, r, "setns-host", []presenceCase{
		{"root", "blocked by capabilities", []string{"SYS_PTRACE", "before setns"}, 0},
		{"ptrace", "blocked by seccomp", nil, 0},
	})
	// A kernel without modules answers ENOSYS after the filter: the
	// filter's refusal of init_module comes first.
	r = newAuditor(t, Node{Kernel: []string{KernelNoModules}}).Read("pod.yaml", pod)
	checkPresence(t, r, "kernel-module", []presenceCase{
		{"root", "blocked by seccomp", nil, 0},
	})
	// The runtime socket is looked for before socket() is made: none
	// reached is "other", whatever the filter would say; one reached is
	// then the filter's to refuse, and RuntimeDefault allows it.
	checkPresence(t, r, "runtime-socket", []presenceCase{
		{"root", "blocked by other", []string{"lacks CAP_SYS_PTRACE"}, 0},
		{"ptrace", Open, []string{"seccomp allows it"}, 0},
	})
}
