package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/report"
	"github.com/rampart-sec/rampart/seccomp/lint"
)

const lintLong = `Report what a seccomp profile claims and does not do, each finding at the
rule's file:line:col with a fix:

  error    what rampart run refuses (exit 125): a malformed profile, an
           unknown name the runtimes would drop, two rules that answer
           differently for one call, a filter that refuses execve or
           exit_group, a compiled filter that does not do what the rules say
  warning  a deny that does not hold: an argument variant (a flag OR-ed into
           an argument a rule compares with ==, a high bit the kernel drops
           from an int compared on 64 bits), the same call on another ABI
           the filter lets in (i386 socketcall(2) for socket rules), a
           sibling that does the same (unshare and clone/clone3, mount and
           fsopen, open and openat/openat2/io_uring, ptrace and
           process_vm_readv, init_module and finit_module), a refusal with
           ENOSYS whose fallback is allowed; an allowing default;
           SCMP_ACT_LOG where it refuses nothing; a deny on a syscall newer
           than this machine's libseccomp, which runc drops
  info     an ABI let in for no rule (x32, i386), rules for an ABI left
           out, ENOSYS where the profile means a refusal, an allow on a
           syscall newer than libseccomp

Variants are decided by the compiled filter (the program rampart run
loads, read back from the kernel; without root, libseccomp's program less
runc's ENOSYS stub) run by rampart's BPF interpreter, for every ABI; a
variant on an ABI this kernel does not run is reported too, and says so.
rampart run warns of the same variants at launch.

PROFILE is a file (OCI, Docker or containerd JSON, or a Security Profiles
Operator SeccompProfile object), runtime-default (Docker's, what rampart
run --seccomp runtime-default loads), runtime-default:RUNTIME[@VERSION] for
a runtime's own release (containerd, cri-o, docker, podman; VERSION a release or
line as for audit --runtime-version), or runtime-default:all for every
release rampart models. A runtime's profile is resolved against that
runtime's default capabilities, a file against containerd's 14, unless
--caps says otherwise.

Output: -o table (default), json (docs/seccomp-lint-json.md), or sarif
(SARIF 2.1.0; files by URIs relative to --sarif-base, the working
directory by default, a runtime's own profile by a logical location;
docs/rules.md describes each rule).

Exit status:
  0    linted; no --fail-on condition met
  1    a finding at --fail-on's severity or above
  2    bad flags or arguments`

func newSeccompLintCmd(stdout io.Writer, capList *[]string, platform *string) *cobra.Command {
	var (
		output    string
		failOn    string
		sarifBase string
		verbose   bool
	)
	cmd := &cobra.Command{
		Use:   "lint PROFILE...",
		Short: "What a profile claims and does not do: denies a variant gets past, defaults that refuse nothing, ...",
		Long:  lintLong,
		Example: `  rampart seccomp lint profile.json
  rampart seccomp lint -v profile.json                    # every variant that gets past each deny
  rampart seccomp lint runtime-default:containerd@1.7.11 runtime-default:cri-o
  rampart seccomp lint runtime-default:all -o json
  rampart seccomp lint profiles/*.json -o sarif > seccomp.sarif
  rampart seccomp lint --fail-on warning spo-profile.yaml   # exit 1 on a deny that does not hold`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch output {
			case "table", "json", "sarif":
			default:
				return usageError{fmt.Errorf("-o %q: want table, json or sarif", output)}
			}
			var fail lint.Severity
			if failOn != "" {
				s, err := lint.ParseSeverity(failOn)
				if err != nil || s == lint.Info {
					return usageError{fmt.Errorf("--fail-on %q: want warning or error", failOn)}
				}
				fail = s
			}
			var bounding *caps.Set
			if s, set, err := capsFlag(*capList); err != nil {
				return err
			} else if set {
				bounding = &s
			}
			plat, err := platformFlag(*platform)
			if err != nil {
				return err
			}
			var targets []lint.Target
			for _, a := range args {
				ts, err := lint.TargetsOn(plat, a, bounding)
				if err != nil {
					return usageError{err}
				}
				targets = append(targets, ts...)
			}
			r := lint.NewReport(targets)
			if err := report.Lint(stdout, r, output, verbose, report.SARIFBase(sarifBase)); err != nil {
				return err
			}
			if fail != "" && r.Failed(fail) {
				return statusError{code: 1, err: fmt.Errorf("seccomp lint: --fail-on %s: a finding at %s or above", fail, fail)}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&output, "output", "o", "table", "output format: table, json or sarif")
	fl.Var(dirFlag{&sarifBase}, "sarif-base", sarifBaseHelp)
	fl.StringVar(&failOn, "fail-on", "", "exit 1 on a finding of this severity or above: warning or error")
	fl.BoolVarP(&verbose, "verbose", "v", false, "table: list every variant that gets past each deny")
	return cmd
}
