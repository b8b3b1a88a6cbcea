package attack

import (
	"testing"

	"github.com/rampart-sec/rampart/caps"
)

// The model groups a route's steps into one variant, names it, and
// keeps what a variant needs besides the layers.
func TestModelVariants(t *testing.T) {
	byName := func(id string) map[string]Variant {
		out := map[string]Variant{}
		for _, v := range registry()[id].Model.Variants() {
			if _, dup := out[v.Name]; dup {
				t.Errorf("%s: variant %q twice", id, v.Name)
			}
			out[v.Name] = v
		}
		return out
	}
	mount := byName("mount-tmpfs")
	if v := mount["fsopen+fsconfig+fsmount"]; len(v.Calls) != 3 || v.Calls[0].Name != "fsopen" || v.Calls[2].Name != "fsmount" {
		t.Errorf("mount-tmpfs: the new mount API route is %+v", v)
	}
	if _, ok := mount["mount(2)"]; !ok {
		t.Errorf("mount-tmpfs: no mount(2) variant in %v", mount)
	}
	userns := byName("userns-netns")
	for _, n := range []string{"unshare(CLONE_NEWUSER|CLONE_NEWNET)", "clone(CLONE_NEWUSER|CLONE_NEWNET)", "clone3", "unshare(CLONE_NEWUSER)", "clone(CLONE_NEWUSER)"} {
		if v, ok := userns[n]; !ok || v.Needs != "" {
			t.Errorf("userns-netns: variant %q: %+v (present %v)", n, v, ok)
		}
	}
	if v := userns["setns(CLONE_NEWUSER)"]; v.Needs == "" {
		t.Errorf("userns-netns: setns needs nothing: %+v", v)
	}
	shadow := byName("read-shadow")
	if v := shadow["io_uring OPENAT"]; len(v.Calls) != 2 || v.Calls[0].Name != "io_uring_setup" || v.Calls[1].Name != "io_uring_enter" {
		t.Errorf("read-shadow: io_uring route %+v", v)
	}
	if v := shadow["open_by_handle_at"]; v.Caps != caps.Of(caps.DAC_READ_SEARCH) || v.Needs == "" {
		t.Errorf("read-shadow: handle variant %+v", v)
	}
	if _, ok := shadow["openat2"]; !ok {
		t.Errorf("read-shadow: no openat2 in %v", shadow)
	}
	if _, ok := byName("packet-socket")["socket(AF_INET, SOCK_PACKET)"]; !ok {
		t.Errorf("packet-socket: no (AF_INET, SOCK_PACKET) variant")
	}
	if _, ok := byName("bpf-load")["bpf(BPF_PROG_LOAD) with bit 32 set in arg0"]; !ok {
		t.Errorf("bpf-load: no high-bit variant in %v", byName("bpf-load"))
	}
}
