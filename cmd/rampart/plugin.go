package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// PluginName is the name kubectl finds rampart by as a plugin: a copy or
// link of the binary called kubectl-rampart on PATH makes `kubectl
// rampart …` run it, with kubectl's KUBECONFIG and context.
const PluginName = "kubectl-rampart"

// asPlugin makes the help and usage say "kubectl rampart" when the
// binary runs under the plugin's name.
func asPlugin(root *cobra.Command, argv0 string) {
	if strings.TrimSuffix(filepath.Base(argv0), ".exe") != PluginName {
		return
	}
	if root.Annotations == nil {
		root.Annotations = map[string]string{}
	}
	root.Annotations[cobra.CommandDisplayNameAnnotation] = "kubectl rampart"
}

// argv0 is how the binary was called.
func argv0() string {
	if len(os.Args) == 0 {
		return ""
	}
	return os.Args[0]
}
