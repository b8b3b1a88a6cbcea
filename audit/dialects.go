package audit

import (
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/oci"
)

// readDocument reads one document of a stream: a Kubernetes manifest, or
// a file of another dialect as the Pod it stands for (an OCI runtime
// config), whose containers carry the runtime and profile directory
// their layers are resolved with.
func readDocument(d kube.Document) ([]kube.Container, int, []error) {
	if d.TooLarge || !oci.IsConfig(d.Text) {
		return d.Read(0)
	}
	pod, dir, notes, err := oci.Pod(d.File, d.Text)
	if err != nil {
		return nil, 1, []error{err}
	}
	cs, err := kube.FromNode(d.File, pod)
	for i := range cs {
		// reported as what it is, not as the Pod it stands for
		cs[i].Kind = "OCIConfig"
		cs[i].ProfileDir, cs[i].Notes = dir, notes
	}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	return cs, 1, errs
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
