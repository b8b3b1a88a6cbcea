package seccomp

import (
	"fmt"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/runtimes"
)

// Runtimes are the runtime names RuntimeDefaultFor accepts.
var Runtimes = []string{runtimes.Containerd.Name, runtimes.CRIO.Name, runtimes.Docker.Name, runtimes.Podman.Name}

// RuntimeDefault is one runtime release's RuntimeDefault profile (which
// runtimes.Lookup picks), before it is resolved against a bounding set.
type RuntimeDefault struct{ runtimes.Seccomp }

// Load resolves the profile against the bounding set the workload will
// have, as the runtime does, on the default platform.
func (d *RuntimeDefault) Load(bounding caps.Set) (*Profile, error) {
	return d.LoadOn(DefaultPlatform(), bounding)
}

// LoadOn is Load as the runtime resolves it on a host of plat.
func (d *RuntimeDefault) LoadOn(plat Platform, bounding caps.Set) (*Profile, error) {
	file, body, err := d.Profile()
	if err != nil {
		return nil, err
	}
	if body == nil {
		s, err := resolveJSON(dockerDefault, bounding, plat)
		if err != nil {
			return nil, fmt.Errorf("runtime-default profile: %w", err)
		}
		p, err := finish("runtime-default", s, nil)
		if err != nil {
			return nil, err
		}
		p.Bounding, p.platform = bounding, plat
		p.noteConflict(d)
		return p, nil
	}
	p, err := parseOn(plat, file, body, bounding)
	if err != nil {
		return nil, fmt.Errorf("runtime-default profile of %s: %w", d, err)
	}
	// lines in an embedded file mean nothing to the user: rules are
	// named by their syscalls[] index, as `seccomp show` prints them
	p.Name, p.loc = "runtime-default", nil
	p.noteConflict(d)
	return p, nil
}

// Docker is Docker's RuntimeDefault, what rampart run, layers and oci use.
var Docker = mustRuntimeDefault(runtimes.Docker.Name, "")

func mustRuntimeDefault(runtime, version string) *RuntimeDefault {
	d, err := RuntimeDefaultFor(runtime, version)
	if err != nil {
		panic(err)
	}
	return d
}

// RuntimeDefaultFor is the RuntimeDefault of a runtime release, as
// runtimes.Lookup picks it.
func RuntimeDefaultFor(runtime, version string) (*RuntimeDefault, error) {
	r, err := runtimes.Lookup(runtime, version)
	if err != nil {
		return nil, err
	}
	return &RuntimeDefault{r.Seccomp}, nil
}
