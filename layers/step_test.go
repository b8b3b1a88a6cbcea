package layers

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// A step's command line says what the entry point parses, and what the
// process becomes after applying its policy is the probe without the
// policy (applied once) or the command itself.
func TestStepRequestArgv(t *testing.T) {
	for _, c := range []struct {
		r          StepRequest
		argv, next []string
	}{
		{StepRequest{Policy: "/d/seccomp.json", Only: []string{"raw-socket", "read-shadow"}},
			[]string{"/r", StepCommand, "--policy", "/d/seccomp.json", "--only", "raw-socket,read-shadow", "probe"},
			[]string{"/r", StepCommand, "--only", "raw-socket,read-shadow", "probe"}},
		{StepRequest{Policy: "/p.json"}, []string{"/r", StepCommand, "--policy", "/p.json", "probe"}, []string{"/r", StepCommand, "probe"}},
		{StepRequest{Policy: "/p.json", Only: []string{"x"}, Command: []string{"/bin/sh", "-c", "--only x"}},
			[]string{"/r", StepCommand, "--policy", "/p.json", "--", "/bin/sh", "-c", "--only x"}, []string{"/bin/sh", "-c", "--only x"}},
	} {
		if got := c.r.Argv("/r"); !slices.Equal(got, c.argv) {
			t.Errorf("%+v: argv %q, want %q", c.r, got, c.argv)
		}
		if got := c.r.Next("/r"); !slices.Equal(got, c.next) {
			t.Errorf("%+v: next %q, want %q", c.r, got, c.next)
		}
	}
}

// The entry point is documented where the package and the policy
// format are, in the words StepRequest writes.
func TestStepCommandDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/policy-json.md")
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := os.ReadFile("layers.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, usage := range []string{
		"rampart " + StepCommand + " [--policy FILE] [--only IDS] probe",
		"rampart " + StepCommand + " --policy FILE -- CMD [ARG...]",
	} {
		for name, text := range map[string]string{"docs/policy-json.md": string(b), "the package documentation": string(pkg)} {
			if !strings.Contains(text, usage) {
				t.Errorf("%s lacks %q", name, usage)
			}
		}
	}
}
