package kube

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

const apparmorDir = "../examples/seed"

// findDir holds several profiles per file, and decoys.
const findDir = "../lsm/apparmor/testdata/find"

// want builds the policy of a container with an empty securityContext in
// file f, changed by mods.
func want(src string, mods ...func(*policy.Policy)) *policy.Policy {
	f := false
	p := &policy.Policy{
		Source:       src,
		Capabilities: &policy.Capabilities{Base: runtimes.Containerd.Caps},
		NoNewPrivs:   &f,
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func dropCaps(cs ...caps.Cap) func(*policy.Policy) {
	return func(p *policy.Policy) { p.Capabilities.Drop = caps.Of(cs...) }
}

func withSeccomp(s policy.Seccomp) func(*policy.Policy) {
	return func(p *policy.Policy) { p.Seccomp = s }
}

func withAppArmor(a *policy.AppArmor) func(*policy.Policy) {
	return func(p *policy.Policy) { p.AppArmor = a }
}

func withUser(uid, gid int) func(*policy.Policy) {
	return func(p *policy.Policy) { p.User = &policy.User{UID: uid, GID: gid} }
}

func withNNP(v bool) func(*policy.Policy) {
	return func(p *policy.Policy) { p.NoNewPrivs = &v }
}

// show prints a policy with its pointers followed, for failure messages.
func show(p *policy.Policy) string {
	if p == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Source=%q", p.Source)
	if p.Capabilities != nil {
		fmt.Fprintf(&b, " Caps=%+v", *p.Capabilities)
	}
	if p.User != nil {
		fmt.Fprintf(&b, " User=%+v", *p.User)
	}
	if p.NoNewPrivs != nil {
		fmt.Fprintf(&b, " NNP=%v", *p.NoNewPrivs)
	}
	fmt.Fprintf(&b, " Seccomp={Kind:%q Path:%q Origin:%q}", p.Seccomp.Kind, p.Seccomp.Path, p.Seccomp.Origin)
	if p.AppArmor != nil {
		fmt.Fprintf(&b, " AppArmor=%+v", *p.AppArmor)
	}
	return b.String()
}

func TestSeed(t *testing.T) {
	seccompAt := func(pos string) func(*policy.Policy) {
		return withSeccomp(policy.Seccomp{Kind: policy.SeccompRuntimeDefault, Origin: pos})
	}
	tests := []struct {
		file string
		opts Options
		want *policy.Policy
	}{
		{"0-baseline.yaml", Options{}, want("../examples/seed/0-baseline.yaml#flask")},
		{"1-drop-net-raw.yaml", Options{}, want("../examples/seed/1-drop-net-raw.yaml#flask", dropCaps(caps.NET_RAW))},
		{"2-seccomp.yaml", Options{}, want("../examples/seed/2-seccomp.yaml#flask",
			dropCaps(caps.NET_RAW), seccompAt("../examples/seed/2-seccomp.yaml:24:13"))},
		{"3-apparmor.yaml", Options{ApparmorDir: apparmorDir}, want("../examples/seed/3-apparmor.yaml#flask",
			dropCaps(caps.NET_RAW), seccompAt("../examples/seed/3-apparmor.yaml:24:13"),
			withAppArmor(&policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: "flask-deny-shadow",
				File: "../examples/seed/flask-deny-shadow", Origin: "../examples/seed/3-apparmor.yaml:26:13"}))},
		// Without a profile directory the profile is attached by name.
		{"3-apparmor.yaml", Options{}, want("../examples/seed/3-apparmor.yaml#flask",
			dropCaps(caps.NET_RAW), seccompAt("../examples/seed/3-apparmor.yaml:24:13"),
			withAppArmor(&policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: "flask-deny-shadow",
				Origin: "../examples/seed/3-apparmor.yaml:26:13"}))},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cs, err := ReadFile(filepath.Join("../examples/seed", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			c, err := Select(cs, "")
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != "Deployment" || c.Name != "flask-app" || c.Container != "flask" || c.Type != TypeContainer || c.Doc != 0 {
				t.Errorf("got %s %s/%s (%s, doc %d)", c.Kind, c.Name, c.Container, c.Type, c.Doc)
			}
			if c.Spec.Image != "sfmatt/flask-vuln-demo" || len(c.Spec.Ports) != 1 || c.Spec.Ports[0].ContainerPort != 5000 {
				t.Errorf("spec: image %q ports %v", c.Spec.Image, c.Spec.Ports)
			}
			if got := c.Meta.Labels["app"]; got != "flask-app" {
				t.Errorf("template label app = %q", got)
			}
			p, err := c.Policy(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, tt.want) {
				t.Errorf("policy\n got %s\nwant %s", show(p), show(tt.want))
			}
		})
	}
}

func TestPos(t *testing.T) {
	cs, err := ReadFile("../examples/seed/1-drop-net-raw.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := cs[0]
	const f = "../examples/seed/1-drop-net-raw.yaml"
	tests := []struct {
		got, want string
	}{
		{c.Pos("securityContext", "capabilities", "drop", 0), f + ":23:19"}, // the list item
		{c.Pos("securityContext", "capabilities", "drop"), f + ":22:15"},    // a block list: its key
		{c.Pos("image"), f + ":17:18"},                                      // a scalar: its value
		{c.Pos(), f + ":16:11"},                                             // the container: its first key
		{c.Pos("securityContext", "seccompProfile", "type"), f + ":20:11"},  // not written: the nearest ancestor
		{c.Pos("securityContext", "capabilities", "drop", 5), f + ":22:15"}, // no such index
		{c.Pos("ports", 0, "containerPort"), f + ":19:30"},
		{c.PodPos("containers"), f + ":15:7"},
		{c.PodPos("securityContext", "runAsUser"), f + ":15:7"}, // the pod spec
		{c.MetaPos("labels", "app"), f + ":13:14"},
		{c.MetaPos("annotations", "x"), f + ":12:7"}, // the template metadata
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %s, want %s", i, tt.got, tt.want)
		}
	}
}

func TestReadKinds(t *testing.T) {
	cs, err := ReadFile("testdata/kinds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, fmt.Sprintf("%d %s %s/%s %s", c.Doc, c.Kind, c.Namespace, c.Name, c.Container))
	}
	want := []string{
		"1 Pod team/pod pod-c",
		"2 Deployment /deploy deploy-c",
		"3 StatefulSet /sts sts-c",
		"4 DaemonSet /ds ds-c",
		"5 ReplicaSet /rs rs-c",
		"6 ReplicationController /rc rc-c",
		"7 Job /job job-c",
		"8 CronJob /cron cron-c",
		"9 PodTemplate /tmpl tmpl-c",
		"10 Rollout /rollout rollout-c",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range cs {
		if c.Kind == "CronJob" {
			if pos := c.Pos("image"); pos != "testdata/kinds.yaml:100:22" {
				t.Errorf("CronJob container image at %s", pos)
			}
			if c.Pod.RestartPolicy != "OnFailure" {
				t.Errorf("CronJob restartPolicy %q", c.Pod.RestartPolicy)
			}
		}
	}
}

func TestReadMulti(t *testing.T) {
	cs, err := ReadFile("testdata/multi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, fmt.Sprintf("%d %s/%s %s %s", c.Doc, c.Kind, c.Name, c.Container, c.Type))
	}
	wantNames := []string{
		// Document 1 is the empty one between "---" and "---".
		"0 Deployment/web migrate initContainer",
		"0 Deployment/web app container",
		"0 Deployment/web proxy container",
		"2 Pod/debug app container",
		"2 Pod/debug debugger ephemeralContainer",
	}
	if !reflect.DeepEqual(got, wantNames) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantNames, "\n"))
	}
	if cs[0].Pod != cs[1].Pod || cs[0].Namespace != "shop" || cs[1].Meta.Annotations["example.com/owner"] != "web-team" {
		t.Errorf("pod spec or metadata not shared: %p %p %q %v", cs[0].Pod, cs[1].Pod, cs[0].Namespace, cs[1].Meta.Annotations)
	}
	wantPolicies := []*policy.Policy{
		want("testdata/multi.yaml#migrate", withUser(1000, 3000)), // pod-level user applies to init containers
		want("testdata/multi.yaml#app", withUser(1000, 3000)),
		want("testdata/multi.yaml#proxy", withUser(101, 3000)), // the container's runAsUser wins, the pod's group stays
		want("testdata/multi.yaml#app"),
		want("testdata/multi.yaml#debugger", func(p *policy.Policy) { p.Capabilities.Add = caps.Of(caps.SYS_PTRACE) }),
	}
	for i, c := range cs {
		p, err := c.Policy(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p, wantPolicies[i]) {
			t.Errorf("%s\n got %s\nwant %s", c.Container, show(p), show(wantPolicies[i]))
		}
	}
	if pos := cs[4].Pos("securityContext", "capabilities", "add", 0); pos != "testdata/multi.yaml:43:17" {
		t.Errorf("ephemeral container position %s", pos)
	}
}

func TestReadList(t *testing.T) {
	cs, err := ReadFile("testdata/list.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Name != "one" || cs[1].Name != "two" || cs[1].Kind != "Deployment" || cs[1].Doc != 0 {
		t.Fatalf("got %+v", cs)
	}
	_, err = cs[1].Policy(Options{})
	const wantErr = `testdata/list.yaml:24:26: securityContext.capabilities.drop[0]: unknown capability "FOO"`
	if err == nil || err.Error() != wantErr {
		t.Errorf("got error %v\nwant %s", err, wantErr)
	}
	var ke *Error
	if !errors.As(err, &ke) || ke.Line != 24 || ke.Column != 26 || ke.Field != "securityContext.capabilities.drop[0]" {
		t.Errorf("not an *Error with the position: %#v", ke)
	}
}

func TestReadJSON(t *testing.T) {
	cs, err := ReadFile("testdata/pod.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Select(cs, "app")
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Policy(Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := want("testdata/pod.json#app",
		func(p *policy.Policy) {
			p.Capabilities.DropAll = true
			p.Capabilities.Add = caps.Of(caps.NET_BIND_SERVICE)
		},
		withUser(1000, 0), withNNP(true),
		withSeccomp(policy.Seccomp{Kind: policy.SeccompFile, Path: "/var/lib/kubelet/seccomp/profiles/app.json", Origin: "testdata/pod.json:19:24"}),
		withAppArmor(&policy.AppArmor{Kind: policy.AppArmorRuntimeDefault, Origin: "testdata/pod.json:7:58"}))
	if !reflect.DeepEqual(p, w) {
		t.Errorf("\n got %s\nwant %s", show(p), show(w))
	}
}

func TestReadCronJob(t *testing.T) {
	cs, err := ReadFile("testdata/cronjob.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Kind != "CronJob" || cs[0].Namespace != "ops" || cs[0].Container != "backup" {
		t.Fatalf("got %+v", cs)
	}
	p, err := cs[0].Policy(Options{})
	if err != nil {
		t.Fatal(err)
	}
	// "no" and "all" read as kubectl reads them; the pod's seccomp
	// annotation applies nothing (since v1.27).
	w := want("testdata/cronjob.yaml#backup", withUser(65534, 0), withNNP(true),
		func(p *policy.Policy) { p.Capabilities.DropAll = true })
	if !reflect.DeepEqual(p, w) {
		t.Errorf("\n got %s\nwant %s", show(p), show(w))
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		file       string
		containers []string
		err        string
	}{
		{"testdata/broken.yaml", []string{"0 first", "4 last"}, strings.Join([]string{
			`testdata/broken.yaml:16: document 2: invalid YAML: did not find expected ',' or ']'`,
			`testdata/broken.yaml:28:20: document 3 (Pod bad-type): spec.containers[0].securityContext.runAsUser: expected an integer (int64), got string`,
			`testdata/broken.yaml:35:3: document 4 (Deployment no-template): spec: Deployment has no pod template at spec.template`,
		}, "\n")},
		// The seed article's last manifest, as printed: tab-indented.
		{"testdata/tabs.yaml", nil, `testdata/tabs.yaml:13: document 1: invalid YAML: found character that cannot start any token (this line is indented with a tab; YAML indents with spaces only)`},
		{"testdata/missing.yaml", nil, `open testdata/missing.yaml: no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cs, err := ReadFile(tt.file)
			var got []string
			for _, c := range cs {
				got = append(got, fmt.Sprintf("%d %s", c.Doc, c.Container))
			}
			if !reflect.DeepEqual(got, tt.containers) {
				t.Errorf("containers %q, want %q", got, tt.containers)
			}
			if err == nil || err.Error() != tt.err {
				t.Errorf("error\n%v\nwant\n%s", err, tt.err)
			}
		})
	}
}

func TestReadStdin(t *testing.T) {
	f, err := os.Open("../examples/seed/0-baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	cs, err := ReadFile("-")
	if err != nil || len(cs) != 1 || cs[0].File != "<stdin>" || cs[0].Pos("image") != "<stdin>:17:18" {
		t.Fatalf("got %v, %v", cs, err)
	}
}

// pod is a Pod manifest whose container "app" has the given extra lines
// (indented for the container), with optional pod-level securityContext
// lines and annotation lines.
func pod(annotations, podSC, ctr string) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n")
	if annotations != "" {
		b.WriteString("  annotations:\n" + annotations)
	}
	b.WriteString("spec:\n")
	if podSC != "" {
		b.WriteString("  securityContext:\n" + podSC)
	}
	b.WriteString("  containers:\n    - name: app\n      image: busybox\n")
	if ctr != "" {
		b.WriteString("      securityContext:\n" + ctr)
	}
	return b.String()
}

func TestPolicy(t *testing.T) {
	const src = "pod.yaml#app"
	unconfinedBy := func(pos string) func(*policy.Policy) {
		return func(p *policy.Policy) {
			p.Capabilities.AddAll = true
			p.Seccomp = policy.Seccomp{Kind: policy.SeccompUnconfined, Origin: pos}
			p.AppArmor = &policy.AppArmor{Kind: policy.AppArmorUnconfined, Origin: pos}
		}
	}
	tests := []struct {
		name     string
		manifest string
		opts     Options
		want     *policy.Policy
		err      string // the whole error text when set
	}{
		// Capabilities.
		{name: "caps spellings", manifest: pod("", "", `        capabilities:
          add: [net_admin, Sys_Time]
          drop: [ALL]
`), want: want(src, func(p *policy.Policy) {
			p.Capabilities.Add = caps.Of(caps.NET_ADMIN, caps.SYS_TIME)
			p.Capabilities.DropAll = true
		})},
		{name: "add all, drop one", manifest: pod("", "", `        capabilities:
          add: [all]
          drop: [NET_RAW, net_raw]
`), want: want(src, func(p *policy.Policy) {
			p.Capabilities.AddAll = true
			p.Capabilities.Drop = caps.Of(caps.NET_RAW)
		})},
		{name: "CAP_ prefix does nothing on a node", manifest: pod("", "", `        capabilities:
          drop:
            - CAP_NET_RAW
`), err: `pod.yaml:12:15: securityContext.capabilities.drop[0]: write NET_RAW, not "CAP_NET_RAW": containerd adds the CAP_ prefix itself and runc ignores the unknown "CAP_CAP_NET_RAW", so this entry has no effect on a node`},
		{name: "unknown capabilities, all reported", manifest: pod("", "", `        capabilities:
          add: [FOO, " NET_RAW"]
          drop: [CAP_BAR]
`), err: strings.Join([]string{
			`pod.yaml:11:17: securityContext.capabilities.add[0]: unknown capability "FOO"`,
			`pod.yaml:11:22: securityContext.capabilities.add[1]: unknown capability " NET_RAW"`,
			`pod.yaml:12:18: securityContext.capabilities.drop[0]: unknown capability "CAP_BAR"`,
		}, "\n")},
		{name: "custom default set", manifest: pod("", "", ""), opts: Options{DefaultCaps: runtimes.CRIO.Caps},
			want: want(src, func(p *policy.Policy) { p.Capabilities.Base = runtimes.CRIO.Caps })},

		// privileged.
		{name: "privileged wins", manifest: pod("", `    seccompProfile:
      type: RuntimeDefault
`, `        privileged: true
        capabilities:
          drop: [ALL]
        appArmorProfile:
          type: RuntimeDefault
`), want: want(src, unconfinedBy("pod.yaml:13:21"))},
		{name: "privileged keeps a Localhost AppArmor profile", manifest: pod("", "", `        privileged: true
        appArmorProfile:
          type: Localhost
          localhostProfile: web-readonly
`), opts: Options{ApparmorDir: findDir}, want: want(src, unconfinedBy("pod.yaml:10:21"),
			withAppArmor(&policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: "web-readonly", File: findDir + "/extra", Origin: "pod.yaml:11:9"}))},
		{name: "privileged false", manifest: pod("", "", "        privileged: false\n"), want: want(src)},

		// allowPrivilegeEscalation.
		{name: "ape false", manifest: pod("", "", "        allowPrivilegeEscalation: false\n"), want: want(src, withNNP(true))},
		{name: "ape true", manifest: pod("", "", "        allowPrivilegeEscalation: true\n"), want: want(src)},
		{name: "ape no (YAML 1.1, as kubectl reads it)", manifest: pod("", "", "        allowPrivilegeEscalation: no\n"), want: want(src, withNNP(true))},
		{name: "ape false with privileged", manifest: pod("", "", `        privileged: true
        allowPrivilegeEscalation: false
`), err: `pod.yaml:11:35: securityContext.allowPrivilegeEscalation: cannot be false when privileged is true (the API server rejects this)`},
		{name: "ape false with CAP_SYS_ADMIN", manifest: pod("", "", `        allowPrivilegeEscalation: false
        capabilities:
          add: [CAP_SYS_ADMIN]
`), err: `pod.yaml:12:17: securityContext.capabilities.add[0]: cannot add CAP_SYS_ADMIN when allowPrivilegeEscalation is false (the API server rejects this)`},
		{name: "ape false with SYS_ADMIN passes validation", manifest: pod("", "", `        allowPrivilegeEscalation: false
        capabilities:
          add: [SYS_ADMIN]
`), want: want(src, withNNP(true), func(p *policy.Policy) { p.Capabilities.Add = caps.Of(caps.SYS_ADMIN) })},

		// Users.
		{name: "container user over pod user", manifest: pod("", `    runAsUser: 1000
    runAsGroup: 2000
`, "        runAsUser: 1001\n"), want: want(src, withUser(1001, 2000))},
		{name: "runAsUser alone: group 0", manifest: pod("", "", "        runAsUser: 1001\n"), want: want(src, withUser(1001, 0))},
		{name: "runAsGroup alone: user 0", manifest: pod("", "    runAsGroup: 5\n", ""), want: want(src, withUser(0, 5))},
		{name: "runAsNonRoot with a user", manifest: pod("", "    runAsNonRoot: true\n", "        runAsUser: 1001\n"), want: want(src, withUser(1001, 0))},
		{name: "runAsNonRoot without a user", manifest: pod("", "    runAsNonRoot: true\n", ""),
			err: `pod.yaml:7:19: spec.securityContext.runAsNonRoot: runAsNonRoot is true but runAsUser is not set: the kubelet would check the image's user, which the manifest does not say; set runAsUser to a non-zero UID`},
		{name: "runAsNonRoot with user 0", manifest: pod("", "    runAsUser: 0\n", "        runAsNonRoot: true\n"),
			err: `pod.yaml:7:16: spec.securityContext.runAsUser: runAsUser 0 breaks runAsNonRoot: true (the kubelet refuses to start the container)`},
		{name: "runAsNonRoot false", manifest: pod("", "", "        runAsNonRoot: false\n"), want: want(src)},
		{name: "runAsUser out of range", manifest: pod("", "    runAsUser: -1\n", "        runAsUser: 4294967296\n"), err: strings.Join([]string{
			`pod.yaml:12:20: securityContext.runAsUser: must be between 0 and 2147483647, inclusive`,
			`pod.yaml:7:16: spec.securityContext.runAsUser: must be between 0 and 2147483647, inclusive`,
		}, "\n")},

		// Seccomp: fields.
		{name: "seccomp container over pod", manifest: pod("", `    seccompProfile:
      type: RuntimeDefault
`, `        seccompProfile:
          type: Unconfined
`), want: want(src, withSeccomp(policy.Seccomp{Kind: policy.SeccompUnconfined, Origin: "pod.yaml:13:9"}))},
		{name: "seccomp pod field", manifest: pod("", `    seccompProfile:
      type: Localhost
      localhostProfile: my/profile.json
`, ""), opts: Options{SeccompDir: "/etc/seccomp"},
			want: want(src, withSeccomp(policy.Seccomp{Kind: policy.SeccompFile, Path: "/etc/seccomp/my/profile.json", Origin: "pod.yaml:7:5"}))},
		{name: "seccomp default", manifest: pod("", "", ""), opts: Options{SeccompDefault: true},
			want: want(src, withSeccomp(policy.Seccomp{Kind: policy.SeccompRuntimeDefault, Origin: "kubelet --seccomp-default"}))},
		{name: "seccomp bad fields", manifest: pod("", `    seccompProfile:
      type: Localhost
      localhostProfile: ../../etc/profile.json
`, `        seccompProfile:
          type: runtimedefault
`), err: strings.Join([]string{
			`pod.yaml:15:17: securityContext.seccompProfile.type: unsupported value "runtimedefault": expected RuntimeDefault, Unconfined or Localhost`,
			`pod.yaml:9:25: spec.securityContext.seccompProfile.localhostProfile: "../../etc/profile.json" must not contain '..'`,
		}, "\n")},
		{name: "seccomp absolute path", manifest: pod("", "", `        seccompProfile:
          type: Localhost
          localhostProfile: /etc/profile.json
`), err: `pod.yaml:12:29: securityContext.seccompProfile.localhostProfile: "/etc/profile.json" must be a relative path`},
		{name: "seccomp Localhost without a profile", manifest: pod("", "", `        seccompProfile:
          type: Localhost
`), err: `pod.yaml:10:9: securityContext.seccompProfile.localhostProfile: must be set when type is Localhost`},
		{name: "seccomp profile with the wrong type", manifest: pod("", "", `        seccompProfile: {type: RuntimeDefault, localhostProfile: x.json}
`), err: `pod.yaml:10:66: securityContext.seccompProfile.localhostProfile: can only be set when type is Localhost`},

		// Seccomp: annotations.
		// The annotations apply nothing since v1.27 (measured on the kube
		// lab's v1.37 node: the Pod ran with Seccomp: 0); these two cases
		// used to expect them applied.
		{name: "seccomp pod annotation", manifest: pod("    seccomp.security.alpha.kubernetes.io/pod: docker/default\n", "", ""),
			want: want(src)},
		{name: "seccomp container annotation under pod field", manifest: pod(
			"    container.seccomp.security.alpha.kubernetes.io/app: localhost/app.json\n", `    seccompProfile:
      type: RuntimeDefault
`, ""), want: want(src, withSeccomp(policy.Seccomp{Kind: policy.SeccompRuntimeDefault, Origin: "pod.yaml:9:5"}))},
		{name: "seccomp container field over pod annotation", manifest: pod(
			"    seccomp.security.alpha.kubernetes.io/pod: runtime/default\n", "", `        seccompProfile:
          type: Unconfined
`), want: want(src, withSeccomp(policy.Seccomp{Kind: policy.SeccompUnconfined, Origin: "pod.yaml:12:9"}))},
		{name: "seccomp annotation of another container", manifest: pod(
			"    container.seccomp.security.alpha.kubernetes.io/other: runtime/default\n", "", ""), want: want(src)},
		{name: "seccomp field and annotation agree", manifest: pod(
			"    container.seccomp.security.alpha.kubernetes.io/app: localhost/a.json\n", "", `        seccompProfile:
          type: Localhost
          localhostProfile: a.json
`), want: want(src, withSeccomp(policy.Seccomp{Kind: policy.SeccompFile, Path: "/var/lib/kubelet/seccomp/a.json", Origin: "pod.yaml:12:9"}))},
		{name: "seccomp field and annotation differ", manifest: pod(
			"    seccomp.security.alpha.kubernetes.io/pod: unconfined\n", `    seccompProfile:
      type: RuntimeDefault
`, ""), err: `pod.yaml:9:5: spec.securityContext.seccompProfile: does not match the seccomp annotation at pod.yaml:6:47 (the API server rejects a pod where they differ)`},
		{name: "seccomp bad annotations", manifest: pod(`    seccomp.security.alpha.kubernetes.io/pod: default
    container.seccomp.security.alpha.kubernetes.io/app: localhost/../x.json
`, "", ""), err: strings.Join([]string{
			`pod.yaml:7:57: metadata.annotations[container.seccomp.security.alpha.kubernetes.io/app]: "../x.json" must not contain '..'`,
			`pod.yaml:6:47: metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: "default" is not a seccomp profile: expected runtime/default, docker/default, unconfined or localhost/PATH`,
		}, "\n")},

		// AppArmor.
		{name: "apparmor container over pod", manifest: pod("", `    appArmorProfile:
      type: Localhost
      localhostProfile: flask-deny-shadow
`, `        appArmorProfile:
          type: Unconfined
`), want: want(src, withAppArmor(&policy.AppArmor{Kind: policy.AppArmorUnconfined, Origin: "pod.yaml:14:9"}))},
		{name: "apparmor pod field", manifest: pod("", `    appArmorProfile:
      type: RuntimeDefault
`, ""), want: want(src, withAppArmor(&policy.AppArmor{Kind: policy.AppArmorRuntimeDefault, Origin: "pod.yaml:7:5"}))},
		{name: "apparmor annotation", manifest: pod("    container.apparmor.security.beta.kubernetes.io/app: localhost/name with spaces\n", "", ""),
			opts: Options{ApparmorDir: findDir},
			want: want(src, withAppArmor(&policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: "name with spaces", File: findDir + "/extra", Origin: "pod.yaml:6:57"}))},
		{name: "apparmor path-named profile", manifest: pod("", "", `        appArmorProfile:
          type: Localhost
          localhostProfile: /usr/bin/pathnamed
`), opts: Options{ApparmorDir: findDir},
			want: want(src, withAppArmor(&policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: "/usr/bin/pathnamed", File: findDir + "/extra", Origin: "pod.yaml:10:9"}))},
		{name: "apparmor field and annotation agree", manifest: pod("    container.apparmor.security.beta.kubernetes.io/app: runtime/default\n", `    appArmorProfile:
      type: RuntimeDefault
`, ""), want: want(src, withAppArmor(&policy.AppArmor{Kind: policy.AppArmorRuntimeDefault, Origin: "pod.yaml:6:57"}))},
		{name: "apparmor pod field and container annotation differ", manifest: pod("    container.apparmor.security.beta.kubernetes.io/app: unconfined\n", `    appArmorProfile:
      type: RuntimeDefault
`, ""), err: `pod.yaml:9:5: spec.securityContext.appArmorProfile: does not match the AppArmor annotation at pod.yaml:6:57 (the API server rejects a pod where they differ)`},
		{name: "apparmor profile not in the directory", manifest: pod("", "", `        appArmorProfile:
          type: Localhost
          localhostProfile: web-readonly-v1
`), opts: Options{ApparmorDir: apparmorDir},
			err: `pod.yaml:12:29: securityContext.appArmorProfile.localhostProfile: AppArmor profile "web-readonly-v1": no file in ../examples/seed defines it`},
		{name: "apparmor bad fields", manifest: pod("    container.apparmor.security.beta.kubernetes.io/app: localhost/\n", "", `        appArmorProfile:
          type: Localhost
          localhostProfile: " padded"
`), err: strings.Join([]string{
			`pod.yaml:14:29: securityContext.appArmorProfile.localhostProfile: must not be padded with whitespace`,
			`pod.yaml:6:57: metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]: "localhost/" names no profile (the kubelet refuses it)`,
		}, "\n")},

		// Reading as the API server does.
		{name: "field names are case-sensitive", manifest: pod("", "", "        Privileged: true\n"), want: want(src)},
		{name: "Windows pod", manifest: "apiVersion: v1\nkind: Pod\nmetadata: {name: w}\nspec:\n  os: {name: windows}\n  containers: [{name: app, image: x}]\n",
			err: `pod.yaml:5:14: spec.os.name: the pod is for Windows; Linux security layers do not apply`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := Read("pod.yaml", []byte(tt.manifest))
			if err != nil {
				t.Fatalf("%v\n%s", err, tt.manifest)
			}
			c, err := Select(cs, "app")
			if err != nil {
				t.Fatal(err)
			}
			p, err := c.Policy(tt.opts)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("error\n%v\nwant\n%s\nmanifest:\n%s", err, tt.err, numbered(tt.manifest))
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\nmanifest:\n%s", err, numbered(tt.manifest))
			}
			if !reflect.DeepEqual(p, tt.want) {
				t.Errorf("\n got %s\nwant %s\nmanifest:\n%s", show(p), show(tt.want), numbered(tt.manifest))
			}
		})
	}
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(s, "\n") {
		fmt.Fprintf(&b, "%3d %s\n", i+1, l)
	}
	return b.String()
}

// TestReadYAML covers YAML features and the errors of documents that the
// API server would reject.
func TestReadYAML(t *testing.T) {
	tests := []struct {
		name, manifest string
		containers     []string // "name image"
		err            string
	}{
		{name: "anchors and merge keys", manifest: `x-defaults: &sc
  runAsUser: 1000
  capabilities: {drop: [ALL]}
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - &base
      name: a
      image: img
      securityContext:
        <<: *sc
        runAsUser: 2000
    - <<: *base
      name: b
`, containers: []string{"a img", "b img"}},
		{name: "YAML 1.1 scalars", manifest: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: no
      image: x
`, err: `pod.yaml:6:13: document 1 (Pod p): spec.containers[0].name: expected a string, got bool`},
		{name: "a string for a boolean", manifest: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: x
      securityContext:
        privileged: "true"
`, err: `pod.yaml:9:21: document 1 (Pod p): spec.containers[0].securityContext.privileged: expected a boolean (true or false), got string`},
		{name: "duplicate keys", manifest: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: x
      securityContext: {}
      securityContext: {privileged: true}
`, containers: []string{"app x"}}, // TestLastKeyWins checks which one
		{name: "a list where a mapping goes", manifest: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
        name: app
`, err: `pod.yaml:7:7: document 1 (Deployment d): spec.template.spec.containers: expected a list, got object`},
		{name: "a bad quantity", manifest: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: x
      resources:
        limits: {cpu: lots}
`, err: `pod.yaml:9:23: document 1 (Pod p): spec.containers[0].resources.limits[cpu]: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`},
		{name: "an explicit tag that does not fit", manifest: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: x
      securityContext: {runAsUser: !!int abc}
`, err: `pod.yaml:8:36: document 1 (Pod p): spec.containers[0].securityContext.runAsUser: cannot read "abc" as !!int`},
		{name: "not objects", manifest: "just text\n---\n- a\n- b\n---\n42\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := Read("pod.yaml", []byte(tt.manifest))
			var got []string
			for _, c := range cs {
				got = append(got, c.Container+" "+c.Spec.Image)
			}
			if !reflect.DeepEqual(got, tt.containers) {
				t.Errorf("containers %q, want %q", got, tt.containers)
			}
			if (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
				t.Errorf("error\n%v\nwant\n%s", err, tt.err)
			}
		})
	}
}

func TestMergeKeysPolicy(t *testing.T) {
	cs, err := Read("pod.yaml", []byte(`x-defaults: &sc
  runAsUser: 1000
  capabilities: {drop: [ALL]}
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: a
      image: img
      securityContext:
        <<: *sc
        runAsUser: 2000
`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := cs[0].Policy(Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := want("pod.yaml#a", withUser(2000, 0), func(p *policy.Policy) { p.Capabilities.DropAll = true })
	if !reflect.DeepEqual(p, w) {
		t.Errorf("\n got %s\nwant %s", show(p), show(w))
	}
	// A merged field is placed where the anchor wrote it.
	if pos := cs[0].Pos("securityContext", "capabilities", "drop", 0); pos != "pod.yaml:3:25" {
		t.Errorf("merged field at %s", pos)
	}
}

// TestLastKeyWins: kubectl's YAML reader keeps the last of duplicate keys
// and applies merge keys in document order, so a later entry wins over an
// earlier one whether written or merged. The API server admits what it
// sends; rampart must read the same securityContext.
func TestLastKeyWins(t *testing.T) {
	for _, sc := range []string{
		"securityContext: {}\n      securityContext: {privileged: true}",
		"securityContext:\n        privileged: false\n        <<: {privileged: true}",
		"securityContext:\n        <<: [{privileged: true}, {privileged: false}]",
	} {
		cs, err := Read("pod.yaml", []byte("kind: Pod\nspec:\n  containers:\n    - name: app\n      "+sc+"\n"))
		if err != nil || len(cs) != 1 {
			t.Fatalf("%q: %d containers, %v", sc, len(cs), err)
		}
		if p := cs[0].Spec.SecurityContext.Privileged; p == nil || !*p {
			t.Errorf("%q: privileged %v, want true", sc, p)
		}
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("kind: Pod\nspec:\n  containers: [{name: app, image: x}]\n  volumes: *a8\n")
	start := time.Now()
	cs, err := Read("bomb.yaml", []byte(b.String()))
	if len(cs) != 0 || err == nil || !strings.Contains(err.Error(), "document too large after expanding aliases") {
		t.Errorf("got %d containers, error %v", len(cs), err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestSelect(t *testing.T) {
	multi, err := ReadFile("testdata/multi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seed, err := ReadFile("../examples/seed/0-baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	initAndOne, err := Read("x.yaml", []byte("kind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: init}]\n  containers: [{name: main}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		cs   []Container
		name string
		want string // "KIND/NAME/CONTAINER" or the error
	}{
		{seed, "", "Deployment/flask-app/flask"},
		{seed, "flask", "Deployment/flask-app/flask"},
		{initAndOne, "", "Pod/p/main"}, // the only regular container
		{initAndOne, "init", "Pod/p/init"},
		{multi, "proxy", "Deployment/web/proxy"},
		{multi, "web/app", "Deployment/web/app"},
		{multi, "pod/debug/app", "Pod/debug/app"},
		{multi, "debugger", "Pod/debug/debugger"},
		{multi, "", "error: testdata/multi.yaml has 5 containers; choose one with #NAME: Deployment/web/migrate (initContainer), Deployment/web/app, Deployment/web/proxy, Pod/debug/app, Pod/debug/debugger (ephemeralContainer)"},
		{multi, "app", "error: container \"app\" is ambiguous in testdata/multi.yaml; qualify it as one of: Deployment/web/app, Pod/debug/app"},
		{seed, "nginx", "error: no container \"nginx\" in ../examples/seed/0-baseline.yaml; have: flask"},
		{multi[3:], "", "Pod/debug/app"}, // the debugger is ephemeral
		{multi[:3], "", "error: testdata/multi.yaml has 3 containers; choose one with #NAME: migrate (initContainer), app, proxy"},
		{multi, "a/b/c/d", "error: container \"a/b/c/d\": expected NAME, OBJECT/NAME or KIND/OBJECT/NAME"},
		{nil, "", "error: no containers found"},
	}
	for _, tt := range tests {
		c, err := Select(tt.cs, tt.name)
		got := c.Kind + "/" + c.Name + "/" + c.Container
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != tt.want {
			t.Errorf("Select(%q):\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestPolicyZeroContainer(t *testing.T) {
	if _, err := (Container{}).Policy(Options{}); err == nil {
		t.Error("no error for a zero Container")
	}
}

// FuzzRead checks that Read never panics and that every container it
// returns can be used.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.*")
	seed, _ := filepath.Glob("../examples/seed/*.yaml")
	for _, p := range append(files, seed...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, _ := Read("fuzz.yaml", data)
		for _, c := range cs {
			if c.Spec == nil || c.Pod == nil {
				t.Fatalf("container %q without spec", c.Container)
			}
			c.Pos("securityContext", "capabilities", "add", 0)
			c.PodPos("securityContext")
			c.MetaPos("annotations")
			c.Policy(Options{})
		}
	})
}

// A Pod has no field for Landlock: a policy with rules or scopes is
// refused, never rendered without them.
func TestPodForRefusesLandlock(t *testing.T) {
	for _, p := range []*policy.Policy{
		{Landlock: []policy.FSRule{{Mode: policy.DenyRead, Path: "/etc/shadow"}}},
		{Scope: []string{policy.ScopeAbstractUnix}},
		{UserNS: &policy.UserNS{HostID: 1000000}},
	} {
		if _, err := PodFor(p, runtimes.Containerd.Caps, PodOptions{Name: "x", Image: "busybox"}); !errors.Is(err, ErrNoPodField) {
			t.Errorf("%+v: %v, want ErrNoPodField", p, err)
		}
	}
	// A namespace whose ids the kubelet picks is hostUsers: false.
	pod, err := PodFor(&policy.Policy{UserNS: &policy.UserNS{}}, runtimes.Containerd.Caps, PodOptions{Name: "x", Image: "busybox"})
	if err != nil || pod.Spec.HostUsers == nil || *pod.Spec.HostUsers {
		t.Errorf("userns: %v, hostUsers %v; want false", err, pod.Spec.HostUsers)
	}
	if pod, _ := PodFor(&policy.Policy{}, runtimes.Containerd.Caps, PodOptions{Name: "x", Image: "busybox"}); pod.Spec.HostUsers != nil {
		t.Errorf("no userns: hostUsers %v; want it left out", *pod.Spec.HostUsers)
	}
}
