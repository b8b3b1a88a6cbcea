package harden

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/rampart-sec/rampart/internal/pathtree"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// idmapVolumes are the volume types whose files the runtime can show a
// Pod's user namespace as its own: the kubelet's own (made for the Pod,
// on the node's tmpfs or its root disk). Any other (a hostPath, a
// persistent volume, NFS) lies on a filesystem that may take no
// idmapped mount, and the Pod would not start there, or would see its
// files owned by nobody.
var idmapVolumes = map[string]bool{"emptyDir": true, "configMap": true, "secret": true, "projected": true, "downwardAPI": true}

// noIdmap says whether a hostPath's node path is in procfs or sysfs,
// which take no idmapped mount.
func noIdmap(src string) bool {
	return pathtree.Within(src, "/proc") || pathtree.Within(src, "/sys")
}

// hostUsers sets spec.hostUsers: false where the Pod can have a user
// namespace of its own: none of the host's namespaces (the API server
// refuses them beside it), no raw block device (no idmapped mount), and
// volumes of the kubelet's own only. Elsewhere it says which field
// stands in the way.
func (w *workload) hostUsers() error {
	h := w.h
	if b := read[bool](h, w.spec, "hostUsers"); b != nil && !*b {
		return h.err
	}
	var why []string
	for _, f := range []string{"hostNetwork", "hostPID", "hostIPC"} {
		if b := read[bool](h, w.spec, f); b != nil && *b {
			why = append(why, f+" is true (the API server refuses it beside hostUsers: false)")
		}
	}
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		l := h.lookup(w.spec, list)
		if l == nil || l.YNode().Kind != yaml.SequenceNode {
			continue
		}
		for _, c := range h.elements(l, list) {
			if d := h.lookup(c, "volumeDevices"); d != nil && len(d.Content()) > 0 {
				why = append(why, "container "+h.str(c, "name")+" has volumeDevices (a raw block device takes no idmapped mount)")
			}
		}
	}
	vols := h.lookup(w.spec, "volumes")
	if vols == nil || vols.YNode().Kind != yaml.SequenceNode {
		vols = nil
	}
	for _, v := range h.elements(vols, "volumes") {
		fields, err := v.Fields()
		if err != nil {
			return fmt.Errorf("%s: volumes: %w", w.obj, err)
		}
		var kinds []string
		for _, k := range fields {
			if k != "name" {
				kinds = append(kinds, k)
			}
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			switch {
			case idmapVolumes[k]:
			case k == "hostPath" && noIdmap(path.Clean("/"+h.str(v, "hostPath", "path"))):
				// Measured (kube tier, containerd 2.4.2, runc 1.5.3):
				// the kubelet idmaps every volume, runc fails on
				// these, and the container never starts.
				why = append(why, fmt.Sprintf("volume %s is a hostPath of the node's %s, a filesystem runc cannot idmap: with hostUsers: false the container would not start", h.str(v, "name"), h.str(v, "hostPath", "path")))
			default:
				why = append(why, fmt.Sprintf("volume %s is a %s, which may lie on a filesystem without idmapped mounts: set hostUsers: false yourself where the node's runtime can map it", h.str(v, "name"), k))
			}
		}
	}
	if h.err != nil {
		return h.err
	}
	if len(why) > 0 {
		w.note("", "spec.hostUsers", "left as it is: "+strings.Join(why, "; "), true)
		return nil
	}
	if err := w.spec.PipeE(yaml.SetField("hostUsers", boolNode(false))); err != nil {
		return fmt.Errorf("%s: hostUsers: %w", w.obj, err)
	}
	w.note("", "spec.hostUsers", "-> false: a user namespace of the Pod's own, whose root is an unprivileged id on the node (needs containerd 2.0+ or CRI-O 1.25+, runc 1.2+ or crun 1.9+, Linux 6.3+)", false)
	return nil
}
