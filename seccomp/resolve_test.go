//go:build linux

package seccomp

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	mobyseccomp "github.com/moby/profiles/seccomp"

	"github.com/rampart-sec/rampart/caps"
)

// docker_default.json is the module's DefaultProfile, byte for byte as
// it marshals: the constructor is Linux-only, the file is not.
func TestDockerDefaultIsMobys(t *testing.T) {
	want, err := json.MarshalIndent(mobyseccomp.DefaultProfile(), "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if os.Getenv("RAMPART_UPDATE") == "1" {
		if err := os.WriteFile("docker_default.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(dockerDefault, want) {
		t.Fatal("docker_default.json is not the moby/profiles module's DefaultProfile: RAMPART_UPDATE=1 go test -run TestDockerDefaultIsMobys ./seccomp")
	}
}

// resolve is the runtimes' reader (moby/profiles setupSeccomp) for the
// platform this test runs on: every runtime's RuntimeDefault file and
// Docker's, for bounding sets that switch each capability condition. Run
// on Debian's arm64 kernel (make lab-arm64: TestARM64Resolve), it holds
// the arm64 resolution audit --arch arm64 predicts with to the reader's
// own answer there.
func TestResolveIsMobys(t *testing.T) {
	plat := DefaultPlatform()
	if runtime.GOARCH != plat.GOARCH {
		t.Skipf("rampart models no %s platform", runtime.GOARCH)
	}
	files, _ := filepath.Glob("../runtimes/seccomp/*.json")
	bodies := map[string][]byte{"docker_default.json": dockerDefault}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies[filepath.Base(f)] = b
	}
	if len(bodies) < 20 {
		t.Fatalf("only %d profiles found", len(bodies))
	}
	sets := []caps.Set{0, caps.Of(caps.SYS_ADMIN), caps.Of(caps.SYS_PTRACE, caps.SYS_BOOT, caps.SYS_MODULE), caps.Full}
	for name, body := range bodies {
		for _, b := range sets {
			want, werr := mobyseccomp.LoadProfile(string(body), specFor(b))
			got, gerr := resolveJSON(body, b, plat)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("%s: moby says %v, rampart %v", name, werr, gerr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, bounding %s: resolved differently on %s", name, b, plat)
			}
		}
	}
}
