package report

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/rampart-sec/rampart/seccomp"
)

// The output tests run rampart itself, built once from ../cmd/rampart
// with this test's build tags, in a directory every user can read: a
// probe run as another user executes it too.
var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

func rampartBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rampart-report-test-")
		if err != nil {
			buildErr = err
			return
		}
		os.Chmod(dir, 0o755)
		buildBin = filepath.Join(dir, "rampart")
		args := []string{"build", "-o", buildBin}
		if buildTags != "" {
			args = append(args, "-tags", buildTags)
		}
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), append(args, "../cmd/rampart")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New("go build ../cmd/rampart: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

func TestMain(m *testing.M) {
	// As rampart's main: audit's predictions compile profiles, a cache
	// miss in this test binary re-executed as the seccomp compile helper.
	seccomp.HelperMain()
	code := m.Run()
	if buildBin != "" {
		os.RemoveAll(filepath.Dir(buildBin))
	}
	if recordRoot != "" {
		os.RemoveAll(recordRoot)
	}
	os.Exit(code)
}

// rampartOut runs rampart, which must succeed, and returns what it
// printed.
func rampartOut(t *testing.T, stdin string, args ...string) output {
	t.Helper()
	cmd := exec.Command(rampartBin(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("rampart %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return output{what: "rampart " + strings.Join(args, " "), data: out.Bytes()}
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("applying the layers and recording need root")
	}
}
