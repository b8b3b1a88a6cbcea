//go:build linux && cgo && seccomp

package lint

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/runtimes"
)

// runtime-default:all is Docker's profile, then every modeled release of
// each runtime, each resolved against that runtime's own capabilities.
func TestTargetsAll(t *testing.T) {
	ts, err := Targets("runtime-default:all", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := 1 + len(runtimes.SeccompReleases("containerd")) + len(runtimes.SeccompReleases("cri-o")) + len(runtimes.SeccompReleases("podman"))
	if len(ts) != want || ts[0].Name != "runtime-default:docker" {
		t.Fatalf("%d targets, want %d, Docker's first: %v", len(ts), want, ts[0].Name)
	}
	for _, tg := range ts {
		if tg.Err != nil || tg.Profile == nil {
			t.Fatalf("%s: %v", tg.Name, tg.Err)
		}
		rt, _ := runtimes.Named(strings.Fields(tg.Runtime)[0])
		if tg.Profile.Bounding != rt.Caps {
			t.Errorf("%s resolved for %s, want %s's %s", tg.Name, tg.Profile.Bounding, rt.Name, rt.Caps)
		}
	}
	full := caps.Full
	one, err := Targets("runtime-default:crio@1.31.2", &full)
	if err != nil || len(one) != 1 || one[0].Name != "runtime-default:cri-o@1.31" || one[0].Profile.Bounding != caps.Full {
		t.Fatalf("%+v, %v", one, err)
	}
	var ue *runtimes.UnknownError
	if _, err := Targets("runtime-default:rkt", nil); !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "runtime-default:rkt: ") {
		t.Errorf("got %v", err)
	}
	// A name that only starts like one is a file.
	if f, err := Targets("runtime-defaults.json", nil); err != nil || len(f) != 1 || f[0].Err == nil {
		t.Errorf("%+v, %v", f, err)
	}
}
