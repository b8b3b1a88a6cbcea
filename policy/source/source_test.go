package source

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/record"
	"github.com/rampart-sec/rampart/runtimes"
)

// recording writes a small recording and the policy generated from it
// into a new directory, as `rampart record` does.
func recording(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rec := &record.Recording{Schema: record.Schema, Command: []string{"/bin/true"}, Recorder: "test", Runs: 1, Started: time.Unix(0, 0).UTC(),
		Syscalls: map[string]map[string]uint64{record.ABIx86_64: {"execve": 1, "exit_group": 1, "brk": 2}},
		Files:    []record.FileAccess{{Path: "/etc/hostname", Mode: "r", Raw: []string{"/etc/hostname"}, Count: 1}}}
	if _, err := record.Save(dir, rec, true); err != nil {
		t.Fatal(err)
	}
	return dir
}

func isInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

func TestResolveManifestFlagsAndSeed(t *testing.T) {
	in := Input{Manifest: "../../examples/seed/1-drop-net-raw.yaml", Defaults: runtimes.Containerd.Caps,
		Flags: policy.Flags{DenyRead: []string{"/etc/shadow"}}}
	r, err := Resolve(in)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Policy.Capabilities
	if c == nil || c.Base != runtimes.Containerd.Caps || !c.Drop.Has(caps.NET_RAW) || len(r.Policy.Landlock) != 1 {
		t.Errorf("manifest with a flag over it: %+v, %+v", c, r.Policy.Landlock)
	}
	// The seed: nothing named, no layer flag; its files live until Close.
	r, err = Resolve(Input{Seed: true, Defaults: runtimes.Containerd.Caps})
	if err != nil {
		t.Fatal(err)
	}
	a := r.Policy.AppArmor
	if a == nil || a.Name != "flask-deny-shadow" || !strings.Contains(r.Policy.Source, "embedded") {
		t.Fatalf("seed: %+v", r.Policy)
	}
	if _, err := os.Stat(a.File); err != nil {
		t.Errorf("the seed's profile is not there before Close: %v", err)
	}
	r.Close()
	if _, err := os.Stat(a.File); err == nil {
		t.Error("the seed's profile is still there after Close")
	}
	// A layer flag replaces the seed.
	r, err = Resolve(Input{Seed: true, Flags: policy.Flags{CapDrop: []string{"NET_RAW"}}})
	if err != nil || r.Policy.Source != "flags" || r.Policy.AppArmor != nil {
		t.Errorf("seed with a flag: %v %+v", err, r.Policy)
	}
}

func TestResolveRefusals(t *testing.T) {
	dir := recording(t)
	for _, c := range []struct {
		in    Input
		input bool // a usage error, not a refused layer
		want  string
	}{
		{Input{Manifest: "../../examples/seed/0-baseline.yaml", Policy: filepath.Join(dir, record.PolicyFile)}, true, "choose one"},
		{Input{Policy: filepath.Join(dir, "none.json")}, true, "no such file"},
		{Input{RequireLayer: true}, true, "no layer requested"},
		{Input{Manifest: filepath.Join(dir, "none.yaml")}, false, "manifest"},
		{Input{Policy: filepath.Join(dir, record.RecordingFile), Probe: "/x"}, false, ""}, // a recording: fine
	} {
		_, err := Resolve(c.in)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.in, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || isInput(err) != c.input):
			t.Errorf("%+v: %v, want %q (usage error: %v)", c.in, err, c.want, c.input)
		}
	}
}

// A recording is known by its schema and by the policy file that names
// it, never by a file's name: under Probe, every way to name it gives the
// recording's policy with the probe's needs added; a policy file that
// names no recording, or one that is gone, is read as it is written.
func TestResolveRecording(t *testing.T) {
	dir := recording(t)
	pol := filepath.Join(dir, record.PolicyFile)
	renamed := filepath.Join(t.TempDir(), "any-name.json")
	b, _ := os.ReadFile(filepath.Join(dir, record.RecordingFile))
	os.WriteFile(renamed, b, 0o644)
	for _, arg := range []string{dir, pol, filepath.Join(dir, record.RecordingFile), renamed} {
		r, err := Resolve(Input{Policy: arg, Probe: "/usr/bin/rampart"})
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if !strings.HasPrefix(r.Policy.Source, "recording ") || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "probe's own needs added") {
			t.Errorf("%s: source %q, notes %q: want the recording's policy with the probe's frame", arg, r.Policy.Source, r.Notes)
		}
		r.Close()
	}
	// Without Probe: the policy rampart record wrote, as written.
	for _, arg := range []string{dir, pol, filepath.Join(dir, record.RecordingFile)} {
		r, err := Resolve(Input{Policy: arg})
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if r.Policy.Source != "recording of /bin/true" || r.Policy.Seccomp.Path != filepath.Join(dir, record.SeccompFile) || len(r.Notes) != 0 {
			t.Errorf("%s: %+v, want the policy beside the recording", arg, r.Policy)
		}
	}
	// A policy named recording.json is a policy; a policy that names no
	// recording is read as written.
	p, err := policy.ReadFile(pol)
	if err != nil {
		t.Fatal(err)
	}
	p.Recording = ""
	other := filepath.Join(t.TempDir(), record.RecordingFile)
	if err := policy.WriteFile(other, p); err != nil {
		t.Fatal(err)
	}
	r, err := Resolve(Input{Policy: other, Probe: "/usr/bin/rampart"})
	if err != nil || len(r.Notes) != 0 || r.Policy.Source != "recording of /bin/true" {
		t.Errorf("a policy named %s: %v %+v %q", record.RecordingFile, err, r.Policy, r.Notes)
	}
	// harden --from-recording: the same ways, with a container.
	for _, arg := range []string{dir, pol, renamed} {
		rec, ctr, err := Recording(arg + "#web")
		if err != nil || ctr != "web" || rec.Command[0] != "/bin/true" {
			t.Errorf("Recording(%s#web): %v %q %+v", arg, err, ctr, rec)
		}
	}
	if _, _, err := Recording(other); err == nil || !strings.Contains(err.Error(), "no recording") {
		t.Errorf("Recording of a policy that names none: %v", err)
	}
}
