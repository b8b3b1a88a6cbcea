//go:build linux

package main

import (
	"bytes"
	"strings"
	"testing"
)

// --pod's flags are checked before the cluster is contacted.
func TestProbePodArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-c", "app"}, exitUsage, "--container says where --pod is; it needs --pod"},
		{[]string{"-n", "shop"}, exitUsage, "--namespace says where --pod is"},
		{[]string{"--kubectl", "k"}, exitUsage, "--kubectl says where --pod is"},
		{[]string{"--pod", "web", "--list"}, exitUsage, "drop --pod"},
		{[]string{"--pod", "web", "-o", "yaml"}, exitUsage, `-o "yaml": want table or json`},
		{[]string{"--pod", "web", "--only", "no-such-path"}, exitUsage, "no-such-path"},
		// The test binary links libseccomp dynamically: it could not run
		// in an arbitrary image, so it is refused before kubectl runs.
		{[]string{"--pod", "web", "--kubectl", "/nonexistent"}, exitRefused, "is dynamically linked (it needs /lib"},
	} {
		var out, errb bytes.Buffer
		code := run(append([]string{"probe"}, tc.args...), &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("probe %v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}
