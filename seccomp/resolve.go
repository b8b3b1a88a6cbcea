package seccomp

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
)

// dockerDefault is Docker's RuntimeDefault as the moby/profiles module
// rampart is built with defines it (DefaultProfile), in its JSON form:
// the same on every platform rampart is built for, where that module's
// own constructor is Linux-only. TestDockerDefaultIsMobys holds it to the
// module; RAMPART_UPDATE=1 rewrites it.
//
//go:embed docker_default.json
var dockerDefault []byte

// resolveJSON decodes a Docker-format profile and resolves it (resolve).
func resolveJSON(body []byte, bounding caps.Set, plat Platform) (*specs.LinuxSeccomp, error) {
	var cfg mobyseccomp.Seccomp
	if err := json.Unmarshal(body, &cfg); err != nil {
		return nil, fmt.Errorf("decoding seccomp profile failed: %w", err)
	}
	return resolve(&cfg, bounding, plat)
}

// resolve decides a Docker-format profile's conditional parts as the
// runtimes' profile reader (moby/profiles, which containerd's and
// Podman's readers follow) does on a host of plat's architecture: the
// archMap entry of its native ABI becomes the architectures;
// includes/excludes.arches compare with its GOARCH's libseccomp name;
// caps with the bounding set; minKernel with this kernel. Written here,
// not called from the module, because the module decides for the
// architecture rampart runs on, and only on Linux, while an audit
// predicts for the node's (TestResolveIsMobys holds the two equal).
func resolve(cfg *mobyseccomp.Seccomp, bounding caps.Set, plat Platform) (*specs.LinuxSeccomp, error) {
	if cfg.DefaultAction == "" && len(cfg.Syscalls) == 0 {
		return nil, nil // no filter, as the runtimes read it
	}
	if len(cfg.Architectures) > 0 && len(cfg.ArchMap) > 0 {
		return nil, errors.New("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'")
	}
	if len(cfg.LinuxSeccomp.Syscalls) > 0 {
		return nil, errors.New("the LinuxSeccomp.Syscalls field should be empty")
	}
	out := cfg.LinuxSeccomp // the common fields, copied
	out.Architectures = slices.Clone(cfg.Architectures)
	native := plat.Native().spec
	for _, m := range cfg.ArchMap {
		if m.Arch == native {
			out.Architectures = append(out.Architectures, m.Arch)
			out.Architectures = append(out.Architectures, m.SubArches...)
			break
		}
	}
	arch := mobyArch[plat.GOARCH]
	names := bounding.Names(caps.Cap.OCI)
	for _, c := range cfg.Syscalls {
		sc := c.LinuxSyscall
		if c.Name != "" {
			if len(c.Names) > 0 {
				return nil, errors.New("both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'")
			}
			sc.Names = []string{c.Name}
		}
		if ex := c.Excludes; ex != nil {
			if slices.Contains(ex.Arches, arch) || slices.ContainsFunc(ex.Caps, func(n string) bool { return slices.Contains(names, n) }) {
				continue
			}
			if ex.MinKernel != nil && kernelReachesVersion(*ex.MinKernel) {
				continue
			}
		}
		if in := c.Includes; in != nil {
			if len(in.Arches) > 0 && !slices.Contains(in.Arches, arch) {
				continue
			}
			if slices.ContainsFunc(in.Caps, func(n string) bool { return !slices.Contains(names, n) }) {
				continue
			}
			if in.MinKernel != nil && !kernelReachesVersion(*in.MinKernel) {
				continue
			}
		}
		out.Syscalls = append(out.Syscalls, sc)
	}
	return &out, nil
}
