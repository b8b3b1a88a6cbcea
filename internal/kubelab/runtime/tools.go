//go:build tools

// Package runtime pins the container runtime the kube tier's host node
// runs: containerd 2 and runc, built from the Go module proxy. Debian's
// containerd 1.6 cannot start a Pod with hostUsers: false; these can.
// A separate module, so the project's own build never sees it.
package runtime

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
	_ "github.com/opencontainers/runc"
)
