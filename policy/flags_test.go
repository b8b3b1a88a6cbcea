package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/runtimes"
)

func TestFlagsCapabilities(t *testing.T) {
	f := Flags{CapDrop: []string{"NET_RAW,cap_sys_admin", "Mknod"}, CapAdd: []string{"CAP_SYS_PTRACE"}}
	p, err := f.Apply(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Capabilities
	if !c.InheritBase || c.Drop != caps.Of(caps.NET_RAW, caps.SYS_ADMIN, caps.MKNOD) || c.Add != caps.Of(caps.SYS_PTRACE) {
		t.Fatalf("%+v", c)
	}
	// containerd's order: drops win over adds of the same capability
	got := (&Capabilities{Base: runtimes.Containerd.Caps, Add: caps.Of(caps.NET_RAW), Drop: caps.Of(caps.NET_RAW)}).Resolve(0, caps.Full)
	if got.Has(caps.NET_RAW) {
		t.Fatal("drop must win")
	}
	// drop ALL then add one
	got = (&Capabilities{Base: runtimes.Containerd.Caps, DropAll: true, Add: caps.Of(caps.NET_BIND_SERVICE)}).Resolve(0, caps.Full)
	if got != caps.Of(caps.NET_BIND_SERVICE) {
		t.Fatalf("drop ALL + add: %s", got)
	}
	got = (&Capabilities{InheritBase: true, AddAll: true, Drop: caps.Of(caps.SYS_ADMIN)}).Resolve(caps.Of(caps.CHOWN), caps.Full)
	if got != caps.Full.Remove(caps.SYS_ADMIN) {
		t.Fatalf("add ALL: %s", got)
	}
}

func TestFlagsErrorsNameTheLayer(t *testing.T) {
	for _, c := range []struct {
		f     Flags
		layer string
		msg   string
	}{
		{Flags{CapDrop: []string{"NET_RAWW"}}, LayerCapabilities, `--cap-drop: unknown capability "NET_RAWW"`},
		{Flags{User: "no-such-user-here"}, LayerUser, "unknown user"},
		{Flags{Allow: []string{"/usr"}}, LayerLandlock, "want PATH:ACCESS"},
		{Flags{Allow: []string{"/usr:rwz"}}, LayerLandlock, `access "rwz"`},
		{Flags{DenyRead: []string{""}}, LayerLandlock, "empty path"},
		{Flags{LSMFallback: "selinux"}, LayerAppArmor, "only fallback is landlock"},
		{Flags{Scope: []string{"signal,signals"}}, LayerLandlock, `--scope "signals": want abstract-unix or signal`},
	} {
		_, err := c.f.Apply(nil)
		var le *LayerError
		if !errors.As(err, &le) || le.Layer != c.layer || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: got %v, want layer %s and %q", c.f, err, c.layer, c.msg)
		}
	}
}

// Values that cannot be read at all are FlagErrors (usage), not a
// layer's refusal, and never a policy with the typo dropped.
func TestFlagsMalformed(t *testing.T) {
	for _, c := range []struct {
		f   Flags
		msg string
	}{
		{Flags{User: "1:"}, `--user "1:": want UID[:GID]`},
		{Flags{User: "+1000"}, "unsigned decimal digits"},
		{Flags{User: "1000:-1"}, "unsigned decimal digits"},
		{Flags{User: "4294967295"}, "out of range"},
		{Flags{CapDrop: []string{""}}, `--cap-drop "": empty item`},
		{Flags{CapDrop: []string{","}}, `--cap-drop ",": empty item`},
		{Flags{CapAdd: []string{"NET_RAW,"}}, `--cap-add "NET_RAW,": empty item`},
		{Flags{Scope: []string{"signal,"}}, `--scope "signal,": empty item`},
		{Flags{UserNS: "0"}, `--userns "0": host id 0 maps the workload's root`},
		{Flags{UserNS: "100000:"}, `--userns "100000:": size`},
		{Flags{UserNS: "-1"}, `--userns "-1": host id`},
		{Flags{UserNS: "4294967295"}, `out of range`},
		{Flags{UserNS: "4294967000:1000"}, `the last id a map may reach is 4294967294`},
	} {
		_, err := c.f.Apply(nil)
		var fe *FlagError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: got %v, want a FlagError with %q", c.f, err, c.msg)
		}
	}
}

func TestFlagsSeccompAndFS(t *testing.T) {
	f := Flags{Seccomp: "RuntimeDefault", DenyRead: []string{"/etc/shadow"}, ReadOnly: []string{"/usr"}, Allow: []string{"/srv/a:b:rw"}}
	p, err := f.Apply(nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Seccomp.Kind != SeccompRuntimeDefault || !p.WantsNoNewPrivs() {
		t.Fatalf("%+v", p.Seccomp)
	}
	if len(p.Landlock) != 3 || p.Landlock[2].Path != "/srv/a:b" || p.Landlock[2].Access != "rw" {
		t.Fatalf("%+v", p.Landlock)
	}
	off := false
	p2, _ := (&Flags{Seccomp: "x.json", NoNewPrivs: &off}).Apply(nil)
	if p2.Seccomp.Kind != SeccompFile || p2.WantsNoNewPrivs() {
		t.Fatalf("explicit --no-new-privs=false must win: %+v", p2)
	}
}

func TestParseUser(t *testing.T) {
	for in, want := range map[string]User{"0": {0, 0}, "1000:1000": {1000, 1000}, "12345": {12345, 0}, "root": {0, 0}, "65534:0": {65534, 0}} {
		u, err := ParseUser(in)
		if err != nil || *u != want {
			t.Errorf("ParseUser(%q) = %v, %v; want %v", in, u, err, want)
		}
	}
	for _, in := range []string{"", ":1", "-1", "1:-1", "99999999999"} {
		if _, err := ParseUser(in); err == nil {
			t.Errorf("ParseUser(%q) accepted", in)
		}
	}
}

func FuzzFlags(f *testing.F) {
	f.Add("NET_RAW,ALL", "cap_chown", "65534:65534", "runtime-default", "/etc/shadow", "/usr:rx")
	f.Add("", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, drop, add, user, sc, deny, allow string) {
		fl := Flags{User: user, Seccomp: sc}
		if drop != "" {
			fl.CapDrop = []string{drop}
		}
		if add != "" {
			fl.CapAdd = []string{add}
		}
		if deny != "" {
			fl.DenyRead = []string{deny}
		}
		if allow != "" {
			fl.Allow = []string{allow}
		}
		p, err := fl.Apply(nil)
		if err != nil {
			var le *LayerError
			if !errors.As(err, &le) {
				t.Fatalf("error without a layer: %v", err)
			}
			return
		}
		if p.Capabilities != nil {
			s := p.Capabilities.Resolve(caps.Full, caps.Full)
			if s.Minus(caps.Full) != 0 {
				t.Fatalf("resolved set has unknown bits: %x", uint64(s))
			}
		}
		for _, r := range p.Landlock {
			if r.Path == "" || strings.ContainsRune(r.Path, 0) {
				t.Fatalf("bad path survived: %q", r.Path)
			}
		}
	})
}

// Scopes accumulate once each in one order, and turn no_new_privs on as
// any Landlock rule does.
func TestFlagsScope(t *testing.T) {
	p, err := (&Flags{Scope: []string{"signal", "abstract-unix,signal"}}).Apply(nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Scope, ",") != "abstract-unix,signal" || !p.WantsNoNewPrivs() {
		t.Fatalf("scope %q, no_new_privs %v", p.Scope, p.WantsNoNewPrivs())
	}
	if (&Flags{Scope: []string{"signal"}}).Empty() {
		t.Fatal("--scope alone must count as a layer flag")
	}
}
