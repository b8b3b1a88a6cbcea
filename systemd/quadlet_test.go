package systemd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

func quadlet(t *testing.T, body string) (string, []byte) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "app.container")
	b := []byte("[Container]\nImage=app\n" + body)
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return f, b
}

// Capabilities merge as containers/common merges them over Podman's 11.
func TestQuadletCapabilities(t *testing.T) {
	for _, c := range []struct {
		lines string
		want  caps.Set
		err   string
	}{
		{"", runtimes.Podman.Caps, ""},
		{"DropCapability=ALL\nAddCapability=CAP_NET_BIND_SERVICE chown\n", caps.Of(caps.NET_BIND_SERVICE, caps.CHOWN), ""},
		{"AddCapability=all\nDropCapability=CAP_SYS_ADMIN\n", caps.Full.Remove(caps.SYS_ADMIN), ""},
		{"DropCapability=CAP_KILL\nAddCapability=CAP_NET_RAW\n", runtimes.Podman.Caps.Remove(caps.KILL).Add(caps.NET_RAW), ""},
		{"DropCapability=CAP_KILL\nDropCapability=\nAddCapability=CAP_NET_RAW\n", runtimes.Podman.Caps.Add(caps.NET_RAW), ""}, // empty clears
		{"DropCapability=CAP_KILL\nAddCapability=CAP_KILL\n", 0, "both added and dropped"},
		{"DropCapability=all\nAddCapability=all\n", 0, "all capabilities added and dropped"},
		{"AddCapability=CAP_FROB\n", 0, "unknown capability"},
	} {
		f, b := quadlet(t, c.lines)
		p, _, err := QuadletPolicy(f, b)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: got %v, want %q", c.lines, err, c.err)
			}
		case err != nil:
			t.Errorf("%q: %v", c.lines, err)
		case p.Capabilities.Resolve(0, caps.Full) != c.want:
			t.Errorf("%q: %s, want %s", c.lines, p.Capabilities.Resolve(0, caps.Full), c.want)
		}
	}
}

// Podman's defaults, and what a non-root user keeps: the added
// capabilities, raised into its ambient set.
func TestQuadletPolicy(t *testing.T) {
	f, b := quadlet(t, "DropCapability=all\nAddCapability=CAP_NET_BIND_SERVICE\nUser=101\nGroup=102\nNoNewPrivileges=true\n")
	p, notes, err := QuadletPolicy(f, b)
	if err != nil {
		t.Fatal(err)
	}
	if p.User == nil || p.User.UID != 101 || p.User.GID != 102 || !p.Capabilities.Ambient || !*p.NoNewPrivs ||
		p.Seccomp.Kind != policy.SeccompRuntimeDefault || p.Seccomp.Runtime != "podman" || len(notes) == 0 {
		t.Errorf("%+v %+v %v", p, p.User, notes)
	}
	// the added capability beside others a non-root user does not keep
	f, b = quadlet(t, "AddCapability=CAP_NET_RAW\nUser=101\n")
	if _, _, err := QuadletPolicy(f, b); err == nil || !strings.Contains(err.Error(), "keeps the added") {
		t.Errorf("got %v", err)
	}
	f, b = quadlet(t, "SeccompProfile=unconfined\n")
	if p, _, err := QuadletPolicy(f, b); err != nil || p.Seccomp.Kind != policy.SeccompUnconfined {
		t.Errorf("%+v %v", p, err)
	}
	// a relative source is the unit directory's, a bind mount too
	f, b = quadlet(t, "Volume=./run/podman.sock:/run/podman/podman.sock\n")
	if pod, _, _, _, err := QuadletPod(f, b); err != nil || !strings.Contains(fmt.Sprint(yamlText(t, pod)), filepath.Join(filepath.Dir(f), "run/podman.sock")) {
		t.Errorf("relative volume: %v", err)
	}
	_, _, ambient, _, err := QuadletPod(quadlet(t, "AddCapability=CAP_NET_RAW\nUser=101\n"))
	if err != nil || ambient != caps.Of(caps.NET_RAW) {
		t.Errorf("ambient %s %v", ambient, err)
	}
}

// What Quadlet refuses, or what rampart cannot read exactly, is refused
// at its line.
func TestQuadletRefused(t *testing.T) {
	for body, want := range map[string]string{
		"PodmanArgs=--privileged\n":        "3: PodmanArgs: passes podman run flags",
		"Frobnicate=yes\n":                 "not a key of Quadlet's [Container]",
		"UserNS=keep-id\n":                 "a user namespace",
		"User=nginx\n":                     "resolves a user name in the image",
		"Group=5\n":                        "Group= without User=",
		"SeccompProfile=prof.json\n":       "write it absolute",
		"[Service]\nUser=app\n":            "in [Service] applies to podman",
		"[Service]\nNoNewPrivileges=yes\n": "in [Service] applies to podman",
		"[Socket]\nListenStream=1\n":       "not a section of a Quadlet container unit",
		"AddCapability=%i\n":               "a specifier",
		"ContainersConfModule=/x.conf\n":   "another containers.conf",
	} {
		f, b := quadlet(t, body)
		if _, _, err := QuadletPolicy(f, b); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
	}
	// SELinux keys are named, not refused
	f, b := quadlet(t, "SecurityLabelDisable=true\n")
	if _, notes, err := QuadletPolicy(f, b); err != nil || !strings.Contains(strings.Join(notes, "\n"), "SELinux") {
		t.Errorf("%v %v", notes, err)
	}
}

func FuzzQuadlet(f *testing.F) {
	f.Add("DropCapability=all\nAddCapability=CAP_NET_BIND_SERVICE\nUser=101\nVolume=/run/podman/podman.sock:/x:ro\nNetwork=host\n")
	f.Fuzz(func(t *testing.T, body string) {
		b := []byte("[Container]\nImage=x\n" + body)
		QuadletPolicy("/nonexistent/f.container", b)
		pod, _, ambient, _, err := QuadletPod("/nonexistent/f.container", b)
		if err == nil && (pod == nil || ambient&^caps.Full != 0) {
			t.Fatalf("%q: pod %v ambient %s", body, pod, ambient)
		}
	})
}

func yamlText(t *testing.T, n *yaml.Node) string {
	t.Helper()
	b, err := yaml.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
