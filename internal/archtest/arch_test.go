package archtest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/rampart-sec/rampart/"

// tiers is docs/ARCHITECTURE.md's order, bottom up: a package may import
// packages of its own tier or below, never above. A new package must be
// placed here (and in the architecture file) before its tests pass, so the
// order is decided, not discovered.
var tiers = [][]string{
	// leaves
	{"caps", "features", "examples", "report/sarif", "internal/atomicfile", "internal/bytesize",
		"internal/pathtree", "internal/strictjson", "internal/tmpfstest", "internal/linuxabi",
		"internal/procstatus", "internal/storage", "internal/kubectl", "internal/lab", "internal/cachedir",
		"internal/archtest", "internal/k8syaml", "internal/k8syaml/k8syamltest", "internal/doctest", "internal/runtest",
		"internal/unitfile"},
	// models
	{"policy", "runtimes", "seccomp/bpf"},
	// the layers' own packages
	{"seccomp", "lsm/apparmor", "lsm/landlock"},
	// what is built on a layer: the attack model, inputs, configs
	{"attack", "seccomp/lint", "policy/overlay", "kube", "cluster", "cluster/clustertest", "audit/accept", "oci", "compose", "systemd", "version", "internal/runc", "internal/podexec", "internal/sdlab"},
	// engines: enforce, measure, predict, learn, edit, resolve, compare
	{"sandbox", "probe", "probe/fromnode", "probe/inpod", "audit", "admission", "drift", "agent", "harden", "record", "policy/source", "layers", "layers/step"},
	// outputs
	{"report"},
	// programs and the harnesses that drive them
	{"cmd/rampart", "cmd/rampart-run", "internal/launcher", "internal/launcher/initentry", "internal/kubelab", "internal/kubelab/cmd/kubelab", "internal/kubelab/internal/pause",
		"internal/lab/internal/aaccess", "internal/lab/internal/labrun", "internal/lab/internal/crosscc", "bench/benchprep", "bench/floor"},
}

type pkg struct {
	path    string
	imports []string
}

func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", "seccomp", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		p := pkg{path: strings.TrimPrefix(f[0], module)}
		for _, imp := range f[1:] {
			if rel, ok := strings.CutPrefix(imp, module); ok {
				p.imports = append(p.imports, rel)
			}
		}
		ps = append(ps, p)
	}
	return ps
}

func TestNoPackageImportsAbove(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool on PATH")
	}
	tier := map[string]int{}
	for i, ps := range tiers {
		for _, p := range ps {
			tier[p] = i
		}
	}
	seen := map[string]bool{}
	for _, p := range list(t) {
		seen[p.path] = true
		ti, ok := tier[p.path]
		if !ok {
			t.Errorf("%s: not placed in the architecture's order (add it to tiers here and to docs/ARCHITECTURE.md)", p.path)
			continue
		}
		for _, imp := range p.imports {
			if tj, ok := tier[imp]; ok && tj > ti {
				t.Errorf("%s (tier %d) imports %s (tier %d): data flows one way", p.path, ti, imp, tj)
			}
		}
	}
	for p := range tier {
		if !seen[p] {
			t.Errorf("%s is placed in the order but no longer exists", p)
		}
	}
}

// The command line is wiring: flags, one library call, one renderer. A
// long file there is a decision that belongs in a package a Go user can
// call.
func TestCommandFilesAreShort(t *testing.T) {
	const limit = 150
	files, err := filepath.Glob("../../cmd/rampart/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no command files: %v", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte("\n")); n > limit {
			t.Errorf("%s: %d lines, want at most %d: move the logic into its package", filepath.Base(f), n, limit)
		}
	}
}

// notLaunch are what rampart-run must not link: each is initialised at
// every start of a program that links it, and a launch needs none of
// them (the Kubernetes types and machinery, protobuf, the eBPF recorder,
// the command line, HTTP, the renderers and engines above the launcher).
var notLaunch = regexp.MustCompile(`^(k8s\.io/|sigs\.k8s\.io/|google\.golang\.org/protobuf|github\.com/cilium/ebpf|github\.com/spf13/cobra|` +
	`github\.com/fxamacker/cbor|github\.com/json-iterator|github\.com/go-openapi/|github\.com/google/gnostic|net/http$|crypto/tls$|` +
	`github\.com/rampart-sec/rampart/((kube|audit|report|harden|record|policy/source|oci|cmd/rampart)(/|$)|layers$))`)

// rampart-run starts faster than rampart only while it links the launch
// path alone: a package imported into that path for convenience would
// bring back what it was made to leave out.
func TestLauncherLinksOnlyTheLaunchPath(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool on PATH")
	}
	cmd := exec.Command("go", "list", "-tags", "seccomp", "-deps", "./cmd/rampart-run")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list gave %d packages: %q", len(deps), deps)
	}
	for _, p := range deps {
		if notLaunch.MatchString(p) {
			t.Errorf("rampart-run links %s", p)
		}
	}
}
