package seccomp

import (
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/runtimes"
)

// Every modeled profile resolves and compiles, for no capabilities,
// containerd's and CRI-O's defaults, and full root.
func TestRuntimeDefaultsLoad(t *testing.T) {
	for _, rt := range Runtimes {
		releases := runtimes.SeccompReleases(rt)
		if rt == "docker" {
			releases = []string{""}
		} else if len(releases) == 0 {
			t.Errorf("%s: no profile modeled", rt)
		}
		for _, v := range releases {
			d, err := RuntimeDefaultFor(rt, v)
			if err != nil {
				t.Fatal(err)
			}
			for _, bounding := range []caps.Set{0, runtimes.Containerd.Caps, runtimes.CRIO.Caps, caps.Full} {
				p, err := d.Load(bounding)
				if err != nil {
					t.Fatalf("%s %v: %v", d, bounding, err)
				}
				if p.Name != "runtime-default" || p.Spec.DefaultAction != "SCMP_ACT_ERRNO" {
					t.Errorf("%s: name %q, default action %s", d, p.Name, p.Spec.DefaultAction)
				}
				if _, err := Compile(p); err != nil {
					t.Errorf("%s %v: %v", d, bounding, err)
				}
			}
		}
	}
}

// What the Kubernetes lab's node (containerd 1.6.20) was measured to do,
// against Docker's current profile: io_uring open to every container,
// process_vm_readv only with CAP_SYS_PTRACE.
func TestContainerd16IsNotDockers(t *testing.T) {
	c16, err := RuntimeDefaultFor("containerd", "1.6.20")
	if err != nil {
		t.Fatal(err)
	}
	newest, err := RuntimeDefaultFor("containerd", "")
	if err != nil {
		t.Fatal(err)
	}
	ptrace := runtimes.Containerd.Caps.Add(caps.SYS_PTRACE)
	for _, c := range []struct {
		d        *RuntimeDefault
		bounding caps.Set
		call     string
		allowed  bool
	}{
		{c16, runtimes.Containerd.Caps, "io_uring_setup", true},
		{c16, 0, "io_uring_enter", true},
		{c16, runtimes.Containerd.Caps, "process_vm_readv", false},
		{c16, ptrace, "process_vm_readv", true},
		{c16, ptrace, "process_vm_writev", true},
		{c16, runtimes.Containerd.Caps, "name_to_handle_at", false},
		{c16, runtimes.Containerd.Caps.Add(caps.SYS_ADMIN), "name_to_handle_at", true},
		{c16, runtimes.Containerd.Caps, "unshare", false},
		{c16, runtimes.Containerd.Caps, "ptrace", true}, // from kernel 4.8, as Docker
		// containerd 1.7.x and 2.x dropped io_uring and, like Docker,
		// allow process_vm_readv from kernel 4.8.
		{newest, runtimes.Containerd.Caps, "io_uring_setup", false},
		{newest, runtimes.Containerd.Caps, "process_vm_readv", true},
		{Docker, runtimes.Containerd.Caps, "io_uring_setup", false},
		{Docker, runtimes.Containerd.Caps, "process_vm_readv", true},
	} {
		p, err := c.d.Load(c.bounding)
		if err != nil {
			t.Fatal(err)
		}
		if got := allowed(p, c.call); got != c.allowed {
			t.Errorf("%s with %v: %s allowed %v, want %v", c.d, c.bounding, c.call, got, c.allowed)
		}
	}
}

// The generated files keep containerd's conditions in moby's form rather
// than one resolution of them.
func TestRuntimeDefaultKeepsConditions(t *testing.T) {
	d, err := RuntimeDefaultFor("containerd", "1.6.20")
	if err != nil {
		t.Fatal(err)
	}
	_, body, err := d.Profile()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"minKernel": "4.8"`, `"arches": [`, `"CAP_SYS_PTRACE"`, `"excludes": {`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("containerd-1.6.20.json has no %s", want)
		}
	}
}
