// Package clustertest is a kubectl for tests that answers as the kube
// tier's lab answered (cluster/testdata): its two nodes, namespace
// demo2's workloads, the kubelets' configz. It execs into nothing.
package clustertest

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Kubectl writes the kubectl into a temporary directory and returns its
// path; each call's arguments are appended to Calls(path). The kubelets
// of denyConfigz answer configz as an RBAC refusal does. Anything else
// (an exec into a container) fails as a container kubectl cannot reach.
func Kubectl(t testing.TB, denyConfigz ...string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the test kubectl is a shell script")
	}
	_, self, _, _ := runtime.Caller(0)
	td := filepath.Join(filepath.Dir(self), "..", "testdata")
	dir := t.TempDir()
	var deny []string
	for _, n := range denyConfigz {
		deny = append(deny, "*/nodes/"+n+"/proxy/configz) echo 'Error from server (Forbidden): nodes \""+n+"\" is forbidden: User \"dev\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope' >&2; exit 1;;")
	}
	script := "#!/bin/sh\necho \"$*\" >> " + filepath.Join(dir, "calls") + "\ncase \"$*\" in\n" +
		strings.Join(deny, "\n") + "\n" +
		"*'get nodes -o json') cat " + td + "/nodes.json;;\n" +
		"*'get pods,'*) cat " + td + "/objects.json;;\n" +
		"*/proxy/configz) cat " + td + "/configz.json;;\n" +
		"*) echo 'error: unable to upgrade connection: container not found' >&2; exit 1;;\nesac\n"
	p := filepath.Join(dir, "kubectl")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// Calls are the argument lists kubectl was called with, a line each.
func Calls(kubectl string) string {
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(kubectl), "calls"))
	return string(b)
}
