package audit

import (
	"errors"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/compose"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/systemd"
)

// readDocument reads one document of a stream: a Kubernetes manifest, or
// a file of another dialect as the Pod it stands for (a systemd service
// or Quadlet unit, a docker run command line, a Compose file, an OCI
// runtime config), whose containers carry the runtime and profile
// directory their layers are resolved with.
func readDocument(d kube.Document) ([]kube.Container, int, []error) {
	if systemd.IsUnit(d.File) {
		return readUnit(d)
	}
	if systemd.IsQuadlet(d.File) {
		return readQuadlet(d)
	}
	if strings.HasPrefix(d.File, dockerRunSource) {
		return readDockerRun(d)
	}
	if !d.TooLarge && d.Line <= 1 && compose.IsFile(d.Text) {
		return readCompose(d)
	}
	if d.TooLarge || !oci.IsConfig(d.Text) {
		return d.Read(0)
	}
	pod, dir, ambient, notes, err := oci.Pod(d.File, d.Text)
	if err != nil {
		return nil, 1, []error{err}
	}
	return standsFor(d.File, pod, dialect{kind: "OCIConfig", profileDir: dir, notes: notes, ambient: ambient})
}

// dialect is what a container read from another dialect carries beside
// the Pod it stands for.
type dialect struct {
	kind, runtime, profileDir string
	notes                     []string
	ambient                   caps.Set
}

// standsFor reads the Pod a file of another dialect stands for, its
// containers reported as what they are (kind), with the runtime,
// profile directory, notes and ambient set their layers are resolved
// with.
func standsFor(file string, pod *yaml.Node, d dialect) ([]kube.Container, int, []error) {
	cs, err := kube.FromNode(file, pod)
	for i := range cs {
		cs[i].Kind = d.kind
		cs[i].Runtime, cs[i].ProfileDir, cs[i].Notes, cs[i].Ambient = d.runtime, d.profileDir, d.notes, d.ambient
	}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	return cs, 1, errs
}

// services reads Compose services (a file's, or a docker run command's)
// as the Pods they stand for, on a Docker node.
func services(file, kind string, svcs []compose.Service) ([]kube.Container, int, []error) {
	var (
		out  []kube.Container
		errs []error
	)
	for _, sv := range svcs {
		if sv.Err != nil {
			errs = append(errs, sv.Err)
			continue
		}
		cs, _, es := standsFor(file, sv.Pod, dialect{kind: kind, runtime: runtimes.Docker.Name, profileDir: sv.ProfileDir, notes: sv.Notes})
		out, errs = append(out, cs...), append(errs, es...)
	}
	return out, 1, errs
}

// forContainer is the Auditor that audits c: this one, or, for a
// container whose runtime or profile directory is its own (another
// dialect's), one for the same node with those, made once.
func (a *Auditor) forContainer(c kube.Container) (*Auditor, error) {
	if (c.Runtime == "" || c.Runtime == a.node.Runtime) && (c.ProfileDir == "" || c.ProfileDir == a.node.ProfilesDir) {
		return a, nil
	}
	key := c.Runtime + "\x00" + c.ProfileDir
	if sub, ok := a.dialects[key]; ok {
		return sub, nil
	}
	n := a.node
	if c.Runtime != "" && c.Runtime != n.Runtime {
		n.Runtime, n.RuntimeVersion, n.DefaultCaps = c.Runtime, "", 0
	}
	if c.ProfileDir != "" {
		n.ProfilesDir = c.ProfileDir
	}
	sub, err := New(n)
	if err != nil {
		return nil, err
	}
	sub.accept, sub.byNS = a.accept, a.byNS
	if a.dialects == nil {
		a.dialects = map[string]*Auditor{}
	}
	a.dialects[key] = sub
	return sub, nil
}

// takeRefused hands a dialect's Auditor's refused profile files to the
// report, as add does with its own.
func (a *Auditor) takeRefused(parent *Auditor) []DocError {
	if a == parent {
		return nil
	}
	e := a.aaRefused
	a.aaRefused = nil
	return e
}

// readCompose reads each service of a Compose file as the Pod it stands
// for, on a Docker node.
func readCompose(d kube.Document) ([]kube.Container, int, []error) {
	svcs, err := compose.Pods(d.File, d.Text)
	if err != nil {
		return nil, 1, []error{err}
	}
	return services(d.File, "ComposeService", svcs)
}

// readUnit reads a systemd service unit (the whole file, as split hands
// it over) as the Pod it stands for.
func readUnit(d kube.Document) ([]kube.Container, int, []error) {
	if d.TooLarge {
		return nil, 1, []error{&kube.Error{File: d.File, Line: 1, Msg: "the unit is larger than a document may be"}}
	}
	pod, dir, ambient, notes, err := systemd.Pod(d.File, d.Text)
	if errors.Is(err, systemd.ErrNoService) {
		return nil, 1, nil // like a manifest's ConfigMap: nothing runs
	}
	if err != nil {
		return nil, 1, []error{err}
	}
	return standsFor(d.File, pod, dialect{kind: "SystemdService", profileDir: dir, notes: notes, ambient: ambient})
}

// dockerRunSource names a docker run command line audited (numbered
// among the arguments): it is read as the one-service Compose file it
// amounts to, on a Docker node.
const dockerRunSource = "docker run #"

// isDockerRun says whether an argument is a docker run command line
// rather than a file: it starts with "docker " and names no file.
func isDockerRun(arg string) bool {
	t := strings.TrimSpace(arg)
	if !strings.HasPrefix(t, "docker ") && !strings.HasPrefix(t, "sudo docker ") {
		return false
	}
	_, err := os.Stat(arg)
	return err != nil
}

// readDockerRun reads a docker run command line as the Pod its
// container stands for.
func readDockerRun(d kube.Document) ([]kube.Container, int, []error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, 1, []error{err}
	}
	dr, err := compose.ParseDockerRun(string(d.Text), wd)
	if err != nil {
		return nil, 1, []error{err}
	}
	return services(d.File, "DockerRun", dr.Pods())
}

// readQuadlet reads a Podman Quadlet .container unit as the Pod it
// stands for, on a Podman host.
func readQuadlet(d kube.Document) ([]kube.Container, int, []error) {
	if d.TooLarge {
		return nil, 1, []error{&kube.Error{File: d.File, Line: 1, Msg: "the unit is larger than a document may be"}}
	}
	pod, dir, ambient, notes, err := systemd.QuadletPod(d.File, d.Text)
	if err != nil {
		return nil, 1, []error{err}
	}
	return standsFor(d.File, pod, dialect{kind: "QuadletContainer", runtime: runtimes.Podman.Name, profileDir: dir, notes: notes, ambient: ambient})
}
