package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/audit/accept"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/report"
)

func newAuditCmd(stdout io.Writer) *cobra.Command {
	var (
		node      audit.Node
		output    string
		failOn    string
		config    string
		base      string
		write     string
		sarifBase string
		// allowEmpty: files without a workload are no error (a pre-commit
		// hook is given every YAML file a commit touches).
		allowEmpty bool
		summary    bool
		maxDoc     = byteSize(kube.DefaultMaxDocument)
		live       clusterFlags
	)
	cmd := &cobra.Command{
		Use:   "audit FILES... | --cluster",
		Short: "Predict each container's layers, open attack paths and Pod Security level (manifests, Compose, OCI bundles)",
		Long:  fmt.Sprintf(auditLong, audit.SysctlsHelp(), audit.RuntimesHelp()),
		Example: `  rampart audit deploy.yaml
  rampart audit k8s/ --runtime cri-o --seccomp-default
  rampart audit k8s/ --runtime containerd --runtime-version 1.6.20
  rampart audit examples/seed --apparmor-node --profiles examples/seed
  helm template . | rampart audit - -o sarif > rampart.sarif
  rampart audit k8s/ --fail-on restricted -o junit > audit.xml
  rampart audit k8s/ --baseline .rampart-baseline.json --fail-on open-path
  rampart audit --cluster -A --summary`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := report.CheckFormat(report.KindAudit, output); err != nil {
				return err
			}
			if err := live.check(cmd.Flags(), args); err != nil {
				return usageError{err}
			}
			where := args // where a config is looked for from
			if live.on {
				where = []string{"."}
			}
			if err := audit.CheckFailOn(failOn); err != nil {
				return usageError{err}
			}
			acc, err := audit.LoadAcceptance(config, base, where)
			if err == nil && acc.Config != nil {
				err = acc.Config.ApplyNode(cmd.Flags())
			}
			if err != nil {
				return usageError{err}
			}
			if err := audit.CheckNode(&node, acc); err != nil {
				return usageError{err}
			}
			if os.Getenv("GOGC") == "" {
				// An audit is a short burst of allocation (YAML trees)
				// that all dies at exit: collecting it four times less
				// often is a quarter faster for ~1.5x the peak heap.
				debug.SetGCPercent(400)
			}
			aud, err := newAuditing(cmd.Context(), cmd.Flags(), &live, node, args, int(maxDoc))
			if err != nil {
				return err
			}
			aud.Accept(acc)
			opts := []report.Option{report.SARIFBase(sarifBase)}
			if summary {
				aud.CountNamespaces()
				opts = append(opts, report.SummaryOnly())
			}
			out, err := report.NewAuditWriter(output, stdout, isTerminal(stdout), opts...)
			if err != nil {
				return err
			}
			if err := out.Begin(aud.Report()); err != nil {
				return err
			}
			var fps []string
			r, err := aud.stream(func(w *audit.Workload) error {
				if write != "" {
					fps = append(fps, w.Fingerprints()...)
				}
				return out.Workload(w)
			})
			if err == nil {
				err = out.End(r)
			}
			if err == nil && write != "" {
				err = accept.WriteBaseline(write, fps)
			}
			if err != nil {
				return err
			}
			if output != "table" {
				for _, e := range r.Errors {
					fmt.Fprintln(cmd.ErrOrStderr(), "rampart: audit:", e.Message)
				}
			} else if v := r.AppArmorValidation; v != nil && v.Note != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "rampart: audit:", v.Note)
			}
			if allowEmpty && r.Summary.Containers == 0 && r.Summary.Objects == 0 && len(r.Errors) == 0 {
				return nil // a hook's batch of YAML that holds no workload
			}
			err = r.Gate(aud.where, failOn)
			if ge := (*audit.GateError)(nil); errors.As(err, &ge) {
				return statusError{code: 1, err: err}
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&node.Runtime, "runtime", "containerd", "the node's container runtime: containerd, cri-o, docker or podman (its default capability set and RuntimeDefault seccomp profile)")
	fl.StringVar(&node.RuntimeVersion, "runtime-version", "", "the runtime's release or line (1.6.20, 1.7), which picks its RuntimeDefault seccomp profile (default the newest modeled)")
	fl.StringVar(&node.Arch, "arch", "", "the node's architecture, amd64 or arm64 (default: this machine's on Linux, amd64 elsewhere): the runtime's RuntimeDefault is resolved for it, and the catalog's calls take its numbers")
	fl.BoolVar(&node.SeccompDefault, "seccomp-default", false, "the kubelet's seccompDefault: an unset seccomp profile is RuntimeDefault")
	fl.BoolVar(&node.AppArmor, "apparmor-node", false, "the node has AppArmor: an unset AppArmor profile is the runtime's default profile")
	fl.StringVar(&node.ProfilesDir, "profiles", "", "directory of Localhost profiles: seccomp JSON by relative path, AppArmor profiles by name")
	fl.StringToStringVar(&node.Sysctls, "sysctl", nil, "a node sysctl that decides a path, KEY=VALUE (kernel.perf_event_paranoid=3 on Debian and Ubuntu, where the upstream default is 2); repeatable; the keys are listed above")
	fl.StringSliceVar(&node.Kernel, "node-kernel", nil, "a `FACT` of the node's kernel, comma-separated or repeated: "+audit.KernelFactsHelp())
	fl.Var(audit.FileModeFlag{M: &node.ImageShadow}, "image-shadow", "/etc/shadow's mode and owner in the images, as 0640:root:shadow (assumed: Debian's and Ubuntu's) or 0000:0:0 (Fedora's); owner and group by number, or as root, shadow or disk")
	fl.Var(audit.DiskFlag{N: &node}, "node-disk", "the mode and owner of the node's disk device nodes (assumed 0660:root:disk, udev's), or refused: the node refuses to open them to any container, privileged root included")
	fl.Var(audit.SocketsFlag{S: &node.RuntimeSockets}, "node-runtime-socket", "where the node's runtime listens, a node path with its mode (default 0660:root:root), as /run/containerd/containerd.sock or /run/docker.sock=0660:0:999; repeatable (assumed: the --runtime's usual socket)")
	fl.StringVarP(&output, "output", "o", "table", "output format: table, json, sarif or junit")
	fl.Var(dirFlag{&sarifBase}, "sarif-base", sarifBaseHelp)
	fl.Var(&maxDoc, "max-document-size", "the most read of one YAML document (a larger one is an error, and skipped): bytes, or with KiB, MiB or GiB; 0 for no limit")
	fl.BoolVar(&summary, "summary", false, "write counts only, no workload: the summary, per namespace too, and the errors (table or json)")
	fl.BoolVar(&allowEmpty, "allow-empty", false, "exit 0, not 125, when the files hold no workload at all (a hook given a commit's YAML files)")
	fl.StringVar(&config, "config", "", "the config `FILE` of accepted findings and node facts (default: .rampart.yaml, looked for upward from the audited files to a repository's root; see docs/config.md); command-line flags win over its node facts")
	fl.StringVar(&base, "baseline", "", "a baseline `FILE` (of --write-baseline): its findings are marked and fail no --fail-on, so only new findings do")
	fl.StringVar(&write, "write-baseline", "", "write the findings' fingerprints to `FILE`, a baseline for --baseline")
	fl.StringVar(&failOn, "fail-on", "", "exit 1 when: open-path (a container has an open path), baseline (a pod fails baseline), restricted (a pod fails restricted); accepted findings (--config, --baseline, the rampart.dev/accept annotation) do not count")
	live.add(fl)
	return cmd
}
