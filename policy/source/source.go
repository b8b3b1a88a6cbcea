// Package source is rampart's one input step: it turns what a user names
// on the command line — layer flags, a Kubernetes manifest
// (FILE#CONTAINER), a Compose service, an OCI runtime config, a systemd
// service unit, a policy file (rampart.policy/v1), a recording
// (the directory `rampart record` wrote), or nothing at all (the
// embedded seed's workload) — into one policy.Policy. `rampart run`,
// `layers`, `oci spec`, `record --check` and `harden --from-recording`
// all read their input here, so that one name means one policy whichever
// command is given it.
package source

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/compose"
	"github.com/rampart-sec/rampart/examples"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/policy/overlay"
	"github.com/rampart-sec/rampart/systemd"
)

// Input is everything a command can be told its policy is.
type Input struct {
	// Flags are the layer flags, applied over whatever else is named:
	// capability adds and drops and filesystem rules accumulate,
	// profiles replace.
	Flags policy.Flags
	// ApparmorDir holds AppArmor profile files by profile name, for a
	// manifest's Localhost profiles and --apparmor NAME.
	ApparmorDir string
	// SeccompDir is the root of a manifest's Localhost seccomp profiles
	// (the kubelet's).
	SeccompDir string
	// Defaults is the runtime's default capability set: the base of a
	// manifest's container.
	Defaults caps.Set

	// Manifest is a Kubernetes manifest: FILE[#CONTAINER].
	Manifest string
	// Policy is a policy file, or a recording: the directory `rampart
	// record` wrote, its recording.json, or the policy.json generated
	// beside it. Files are told apart by their schema. A recording
	// stands for the policy generated from it (see Probe).
	Policy string
	// Probe, when set, is the rampart executable whose probe will run
	// under the policy (rampart layers): a recording's policy is then
	// generated again with the probe's own needs added (record's
	// ProbeFrame), since the probe is a program the workload's allow
	// list knows nothing of. Empty, a recording stands for the policy
	// `rampart record` wrote beside it.
	Probe string
	// Seed, with nothing named and no layer flag, takes the embedded
	// seed's workload (examples.SeedDefault and its AppArmor profile).
	Seed bool
	// RequireLayer refuses a policy that asks for no layer at all: a
	// launch with nothing to enforce is a mistake, not a run.
	RequireLayer bool
}

// Name sets Policy or Manifest from one argument that may be either
// (record --check POLICY): a directory or a .json file is a policy file
// or a recording, anything else a manifest FILE[#CONTAINER].
func (in *Input) Name(arg string) {
	if fi, err := os.Stat(arg); (err == nil && fi.IsDir()) || strings.HasSuffix(arg, ".json") {
		in.Policy = arg
		return
	}
	in.Manifest = arg
}

// Resolved is a policy and what came with it.
type Resolved struct {
	Policy *policy.Policy
	// Notes are facts the user must be told (what was added to a
	// recording's policy, a layer that will be refused).
	Notes []string
	// dir holds files the policy names (the seed, a regenerated
	// recording policy), removed by Close.
	dir string
}

// Close removes the files the policy named that Resolve wrote: call it
// when the policy has been enforced.
func (r *Resolved) Close() error {
	if r == nil || r.dir == "" {
		return nil
	}
	return os.RemoveAll(r.dir)
}

// tmp is the directory for files Resolve writes, made on first use.
func (r *Resolved) tmp() (string, error) {
	if r.dir == "" {
		d, err := os.MkdirTemp("", "rampart-policy-")
		if err != nil {
			return "", err
		}
		r.dir = d
	}
	return r.dir, nil
}

// InputError is policy.InputError: an input that cannot be read at all.
type InputError = policy.InputError

// Resolve builds the policy in. On error nothing is left behind.
func Resolve(in Input) (*Resolved, error) {
	r := &Resolved{}
	p, err := r.resolve(&in)
	if err != nil {
		r.Close()
		return nil, err
	}
	r.Policy = p
	return r, nil
}

func (r *Resolved) resolve(in *Input) (*policy.Policy, error) {
	f := &in.Flags
	var p *policy.Policy
	var err error
	switch {
	case in.Manifest != "" && in.Policy != "":
		// One would silently replace the other: the workload would run
		// under a policy the user did not see chosen.
		return nil, &InputError{Err: fmt.Errorf("a manifest (%s) and a policy file (%s): choose one", in.Manifest, in.Policy)}
	case in.Policy != "":
		p, err = r.policyFile(in)
	case in.Manifest != "":
		p, err = r.manifest(in.Manifest, in.ApparmorDir, in)
	case in.Seed && f.Empty():
		p, err = r.seed(in)
	}
	if err != nil {
		return nil, err
	}
	return overlay.Flags(p, f, in.ApparmorDir, in.RequireLayer)
}

// manifest reads FILE[#CONTAINER] and builds its container's policy,
// AppArmor profiles looked up in apparmorDir. FILE may also be an OCI
// runtime config (a bundle's config.json) or a Docker Compose file
// (FILE[#SERVICE]): its process's layers, with what rampart run does not
// apply of it in r.Notes.
func (r *Resolved) manifest(ref, apparmorDir string, in *Input) (*policy.Policy, error) {
	if IsDockerRun(ref) {
		return r.dockerRun(ref)
	}
	file, name := ref, ""
	if i := strings.LastIndexByte(ref, '#'); i >= 0 {
		file, name = ref[:i], ref[i+1:]
	}
	if p, ok, err := r.dialect(file, name); ok || err != nil {
		return p, err
	}
	cs, err := kube.ReadFile(file)
	if err != nil && len(cs) == 0 {
		return nil, &policy.LayerError{Layer: policy.LayerManifest, Err: err}
	}
	c, err := kube.Select(cs, name)
	if err != nil {
		return nil, &policy.LayerError{Layer: policy.LayerManifest, Err: err}
	}
	p, err := c.Policy(kube.Options{ApparmorDir: apparmorDir, SeccompDir: in.SeccompDir, DefaultCaps: in.Defaults})
	if err != nil {
		return nil, &policy.LayerError{Layer: policy.LayerManifest, Err: err}
	}
	return p, nil
}

// dialect reads file as the other dialects --from takes, when it is one
// of them: a systemd service unit (NAME.service), an OCI runtime config,
// or a Compose file's service name.
func (r *Resolved) dialect(file, name string) (*policy.Policy, bool, error) {
	if file == "-" {
		return nil, false, nil
	}
	body, err := os.ReadFile(file)
	if err != nil {
		return nil, false, nil // kube.ReadFile says why
	}
	var (
		p     *policy.Policy
		notes []string
	)
	switch {
	case systemd.IsQuadlet(file):
		if name != "" {
			return nil, true, &policy.LayerError{Layer: policy.LayerManifest, Err: fmt.Errorf("%s is a Quadlet container unit, which starts one container: drop #%s", file, name)}
		}
		p, notes, err = systemd.QuadletPolicy(file, body)
	case systemd.IsUnit(file):
		if name != "" {
			return nil, true, &policy.LayerError{Layer: policy.LayerManifest, Err: fmt.Errorf("%s is a systemd service, which starts one process: drop #%s", file, name)}
		}
		p, notes, err = systemd.Policy(file, body)
	case oci.IsConfig(body):
		if name != "" {
			return nil, true, &policy.LayerError{Layer: policy.LayerManifest, Err: fmt.Errorf("%s is an OCI runtime config, which starts one process: drop #%s", file, name)}
		}
		p, notes, err = oci.Policy(file, body)
	case compose.IsFile(body):
		p, notes, err = compose.Policy(file, name, body)
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, &policy.LayerError{Layer: policy.LayerManifest, Err: err}
	}
	r.Notes = append(r.Notes, notes...)
	return p, true, nil
}

// IsDockerRun says whether --from names a docker run command line
// rather than a file: it starts with "docker " (or "sudo docker ").
func IsDockerRun(ref string) bool {
	ref = strings.TrimSpace(ref)
	return strings.HasPrefix(ref, "docker ") || strings.HasPrefix(ref, "sudo docker ")
}

// dockerRun reads a docker run command line as the policy Docker gives
// its container's process; relative paths are the working directory's,
// as the docker CLI reads them.
func (r *Resolved) dockerRun(text string) (*policy.Policy, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	d, err := compose.ParseDockerRun(text, wd)
	if err != nil {
		return nil, &policy.LayerError{Layer: policy.LayerManifest, Err: err}
	}
	p, notes, err := d.Policy()
	if err != nil {
		return nil, &policy.LayerError{Layer: policy.LayerManifest, Err: err}
	}
	r.Notes = append(r.Notes, notes...)
	return p, nil
}

// seed writes the embedded seed out and reads its last manifest, with
// its AppArmor profile.
func (r *Resolved) seed(in *Input) (*policy.Policy, error) {
	dir, err := r.tmp()
	if err != nil {
		return nil, err
	}
	if err := writeSeed(dir); err != nil {
		return nil, err
	}
	p, err := r.manifest(filepath.Join(dir, examples.SeedDefault), filepath.Join(dir, "seed"), in)
	if err != nil {
		return nil, err
	}
	p.Source = "the seed's workload (" + examples.SeedDefault + ", embedded)"
	return p, nil
}

func writeSeed(dir string) error {
	return fs.WalkDir(examples.Seed, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, path)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := examples.Seed.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}
