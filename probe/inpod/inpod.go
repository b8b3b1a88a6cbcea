// Package inpod runs rampart's probe inside a running Pod's container:
// the static binary streamed in over kubectl exec, its report read back.
// It is apart from probe so that the probe (and every child it
// re-executes) links no Kubernetes types.
package inpod

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/internal/podexec"
)

// Target names a container of a running Pod and the kubectl that
// reaches it.
type Target = podexec.Target

// Run runs this binary's probe in the target container (streamed in
// over kubectl exec, removed afterwards) and returns its report, marked
// with where it ran. only limits the paths, as probe.Run's argument does. The
// probe's own warnings go to stderr.
func Run(ctx context.Context, t Target, only []string, stderr io.Writer) (*attack.Report, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if err := podexec.Static(self); err != nil {
		return nil, fmt.Errorf("--pod: %w (make build writes a static bin/rampart)", err)
	}
	// Ctrl-C ends the run through ctx, so the binary is still removed.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := []string{"probe", "-o", "json"}
	if len(only) > 0 {
		args = append(args, "--only", strings.Join(only, ","))
	}
	res, err := podexec.Run(ctx, t, self, args)
	if err != nil {
		return nil, err
	}
	stderr.Write(res.Stderr)
	var rep attack.Report
	if err := json.Unmarshal(res.Stdout, &rep); err != nil {
		return nil, fmt.Errorf("container %s of pod %s/%s: the probe printed no report: %w", res.Container, res.Namespace, res.Pod, err)
	}
	rep.Pod = &attack.PodRef{Namespace: res.Namespace, Pod: res.Pod, Container: res.Container, Node: res.Node}
	return &rep, nil
}
