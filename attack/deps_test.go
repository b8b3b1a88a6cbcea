package attack

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/rampart-sec/rampart"

// goTool finds the go command that built this test, or skips.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); runtime.GOROOT() != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("no go command to list dependencies with")
	return ""
}

// The model and the packages that predict and render with it link no
// runner: no probe, so nothing that re-executes the program or makes an
// attack's call, and no package of the module declares an init function
// (what one does, it does in every program that links it: before main,
// whatever the program is).
func TestModelLinksNoRunner(t *testing.T) {
	gotool := goTool(t)
	for _, pkg := range []string{"attack", "audit", "harden", "report", "layers", "record"} {
		cmd := exec.Command(gotool, "list", "-tags", "seccomp", "-deps",
			"-f", `{{.ImportPath}}{{range .GoFiles}} {{$.Dir}}/{{.}}{{end}}`, module+"/"+pkg)
		cmd.Dir = ".."
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v: %s", pkg, err, stderr.Bytes())
		}
		n := 0
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			n++
			f := strings.Fields(line)
			dep := f[0]
			if dep == module+"/probe" {
				t.Errorf("%s links the runner, %s", pkg, dep)
			}
			if dep != module && !strings.HasPrefix(dep, module+"/") {
				continue
			}
			for _, file := range f[1:] {
				if at := initFunc(t, file); at != "" {
					t.Errorf("%s links %s, whose %s declares an init function", pkg, dep, at)
				}
			}
		}
		t.Logf("%s: %d packages", pkg, n)
	}
}

// initFunc names file:line of a top-level func init() in file, or "".
func initFunc(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.HasPrefix(sc.Text(), "func init()") {
			return filepath.Base(file) + ":" + strconv.Itoa(n)
		}
	}
	return ""
}
