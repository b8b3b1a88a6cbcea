package harden

import (
	"strings"
	"testing"
)

// --userns: hostUsers: false where the Pod can take it, and where it
// cannot, the field that stands in the way; the result audits as a Pod
// in a user namespace of its own.
func TestHardenUserNS(t *testing.T) {
	pod := func(spec, vols string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + spec + "  containers:\n  - name: app\n    image: debian\n" + vols
	}
	for _, c := range []struct {
		name, in string
		set      bool
		why      string
	}{
		{"plain", pod("", ""), true, ""},
		{"kubelet's volumes", pod("  volumes: [{name: a, emptyDir: {}}, {name: b, configMap: {name: c}}]\n", ""), true, ""},
		{"hostPID", pod("  hostPID: true\n", ""), false, "hostPID is true"},
		{"hostNetwork", pod("  hostNetwork: true\n", ""), false, "hostNetwork is true"},
		{"hostPath", pod("  volumes: [{name: h, hostPath: {path: /srv}}]\n", ""), false, "volume h is a hostPath, which may lie"},
		{"hostPath procfs", pod("  volumes: [{name: h, hostPath: {path: /proc/sys}}]\n", ""), false, "volume h is a hostPath of the node's /proc/sys, a filesystem runc cannot idmap"},
		{"volumeDevices", pod("", "    volumeDevices: [{name: d, devicePath: /dev/xvda}]\n"), false, "container app has volumeDevices"},
		{"already false", pod("  hostUsers: false\n", ""), true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, r := hardenAudit(t, "p.yaml", []byte(c.in), Options{UserNS: true, NoAppArmor: true})
			out := string(res.Data)
			if got := strings.Contains(out, "hostUsers: false"); got != c.set {
				t.Errorf("hostUsers: false set %v, want %v:\n%s", got, c.set, out)
			}
			var said string
			for _, ch := range res.Findings() {
				if ch.Field == "spec.hostUsers" {
					said = ch.What
				}
			}
			if c.why != "" && !strings.Contains(said, c.why) {
				t.Errorf("finding %q, want %q", said, c.why)
			}
			// The API server would take it: audit reads it as one would.
			if c.set && (len(r.Workloads) != 1 || r.Workloads[0].Containers[0].Error != "") {
				t.Errorf("the hardened Pod does not audit: %+v %v", r.Workloads, r.Errors)
			}
		})
	}
	// Without --userns nothing changes.
	res, err := Manifest("p.yaml", []byte(pod("", "")), Options{NoAppArmor: true})
	if err != nil || strings.Contains(string(res.Data), "hostUsers") {
		t.Errorf("without --userns: %v\n%s", err, res.Data)
	}
}
