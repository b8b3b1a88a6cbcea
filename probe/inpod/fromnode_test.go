package inpod

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/kubectl"
)

// fakeKubectl answers FromNode's calls: the agent's DaemonSet (or none),
// the probe Pod's creation, its phase (and waiting reason), its log and
// its deletion, each call appended to calls.
func fakeKubectl(t *testing.T, daemonset, phase, logs string) (kubectl.Kubectl, string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the test kubectl is a shell script")
	}
	dir := t.TempDir()
	for name, body := range map[string]string{"ds": daemonset, "phase": phase, "logs": logs} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	calls := filepath.Join(dir, "calls")
	script := "#!/bin/sh\necho \"$*\" >> " + calls + "\ncase \"$*\" in\n" +
		"'get daemonset '*) if [ -s " + dir + "/ds ]; then cat " + dir + "/ds; else echo 'Error from server (NotFound): daemonsets.apps \"rampart-node-agent\" not found' >&2; exit 1; fi;;\n" +
		"'create -f - '*) cat > " + dir + "/created; printf rampart-probe-x1;;\n" +
		"'get pod '*) cat " + dir + "/phase;;\n" +
		"'logs '*) cat " + dir + "/logs;;\n" +
		"'delete pod '*) ;;\n" +
		"*) echo unexpected >&2; exit 1;;\nesac\n"
	p := filepath.Join(dir, "kubectl")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return kubectl.Kubectl{Path: p}, calls
}

const agentDS = `{"spec":{"template":{"spec":{"containers":[{"name":"agent","image":"registry.example/rampart:1"}]}}}}`

func TestFromNode(t *testing.T) {
	const a, b, c = "containerd://aaa", "containerd://bbb", "containerd://ccc"
	logs := "rampart: a warning of the probe's own\n" +
		`{"container":"` + a + `","report":{"schema":"rampart.probe/v1","results":[]}}` + "\n" +
		`{"container":"` + b + `","error":"it runs in a user namespace of its own"}` + "\n"
	k, calls := fakeKubectl(t, agentDS, "Succeeded ", logs)
	reps, errs, err := Node{Kubectl: k, AgentNamespace: "agents", Poll: time.Millisecond}.FromNode(context.Background(), "n1", []string{a, b, c}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reps[a] == nil || errs[a] != nil {
		t.Errorf("%s: report %v, error %v", a, reps[a], errs[a])
	}
	if errs[b] == nil || !strings.Contains(errs[b].Error(), "from node n1: it runs in a user namespace of its own") {
		t.Errorf("%s: %v", b, errs[b])
	}
	if errs[c] == nil || !strings.Contains(errs[c].Error(), "wrote no line for container "+c) {
		t.Errorf("%s (no line): %v", c, errs[c])
	}
	b2, _ := os.ReadFile(calls)
	created, _ := os.ReadFile(filepath.Join(filepath.Dir(calls), "created"))
	for _, want := range []string{`"nodeName":"n1"`, `"image":"registry.example/rampart:1"`, `"namespace":"agents"`, `"` + a + `"`, `"privileged":true`} {
		if !strings.Contains(string(created), want) {
			t.Errorf("the probe Pod lacks %s: %s", want, created)
		}
	}
	if !strings.Contains(string(b2), "delete pod rampart-probe-x1 -n agents") {
		t.Errorf("the probe Pod was not deleted: %s", b2)
	}
}

// No agent: nothing is created, and the error says where it looked.
func TestFromNodeNoAgent(t *testing.T) {
	k, calls := fakeKubectl(t, "", "", "")
	_, _, err := Node{Kubectl: k}.FromNode(context.Background(), "n1", []string{"containerd://aaa"}, nil)
	if !errors.Is(err, ErrNoAgent) || !strings.Contains(err.Error(), "namespace rampart-system") {
		t.Errorf("err = %v", err)
	}
	if b, _ := os.ReadFile(calls); strings.Contains(string(b), "create") {
		t.Errorf("created something without an agent: %s", b)
	}
}

// A probe Pod whose image cannot be pulled ends the wait with the
// kubelet's reason, and is deleted.
func TestFromNodeStuck(t *testing.T) {
	k, calls := fakeKubectl(t, agentDS, "Pending ImagePullBackOff Back-off pulling image", "")
	_, _, err := Node{Kubectl: k, Poll: time.Millisecond}.FromNode(context.Background(), "n1", []string{"containerd://aaa"}, nil)
	if err == nil || !strings.Contains(err.Error(), "ImagePullBackOff: Back-off pulling image") {
		t.Errorf("err = %v", err)
	}
	if b, _ := os.ReadFile(calls); !strings.Contains(string(b), "delete pod rampart-probe-x1") {
		t.Errorf("the probe Pod was not deleted: %s", b)
	}
}

// A log with a line for a container not asked for, or a second line for
// one, was not written by node-agent probe alone: nothing of it is taken.
func TestFromNodeForgedLine(t *testing.T) {
	const a = "containerd://aaa"
	report := `{"container":"` + a + `","report":{"schema":"rampart.probe/v1","results":[]}}` + "\n"
	for name, logs := range map[string]string{
		"twice":     report + report,
		"not asked": report + `{"container":"containerd://zzz","report":{"schema":"rampart.probe/v1","results":[]}}` + "\n",
	} {
		k, _ := fakeKubectl(t, agentDS, "Succeeded ", logs)
		reps, _, err := Node{Kubectl: k, Poll: time.Millisecond}.FromNode(context.Background(), "n1", []string{a}, nil)
		if err == nil || reps != nil {
			t.Errorf("%s: reports %v, err %v; want the log refused", name, reps, err)
		}
	}
}
