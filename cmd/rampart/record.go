package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/record"
)

//go:embed help/record.txt
var recordLong string

const recordExample = `  # record a command; inspect the recording
  rampart record -- python3 -m http.server 8080
  rampart record --out /tmp/rec -- sh -c 'cat /etc/hostname; ls /'

  # where eBPF is not available (or to compare): the ptrace recorder
  rampart record --recorder ptrace -- curl -s https://example.com

  # as an unprivileged user, to see the capability checks it fails
  rampart record --user 65534 -- python3 -c 'import socket; socket.socket().bind(("", 80))'`

func newRecordCmd(stderr io.Writer) *cobra.Command {
	var out, recorder, user, check string
	var merge bool
	policyToo := true
	var name string
	var wait bool
	cmd := &cobra.Command{
		Use:     "record [--out DIR] [--recorder auto|ebpf|ptrace] -- CMD [ARGS...]",
		Short:   "Run a command and record what it asks of the kernel, for a least-privilege policy",
		Long:    recordLong,
		Example: recordExample,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name != "" {
				if err := record.CheckName(name); err != nil {
					return usageError{fmt.Errorf("--name: %w", err)}
				}
			}
			if merge {
				if check != "" {
					return usageError{errors.New("--merge and --check: choose one")}
				}
				recs, o, err := mergeArgs(args, out)
				if err != nil {
					return err
				}
				return recordMerge(recs, o, name, cmd.OutOrStdout(), stderr)
			}
			switch recorder {
			case record.RecorderAuto, record.RecorderEBPF, record.RecorderPtrace:
			default:
				return usageError{fmt.Errorf("--recorder %q: want auto, ebpf or ptrace", recorder)}
			}
			opts := record.Options{Recorder: recorder, Wait: wait}
			if user != "" {
				u, err := policy.ParseUser(user)
				if err != nil {
					return usageError{fmt.Errorf("--user %w", err)}
				}
				opts.Credential = credential(uint32(u.UID), uint32(u.GID))
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			rec, err := record.Run(ctx, args, opts)
			if rec != nil {
				rec.Name = name
			}
			var ee *record.ExecError
			switch {
			case errors.As(err, &ee) && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound)):
				return statusError{code: exitNotFound, err: err}
			case errors.As(err, &ee):
				return statusError{code: exitCannot, err: err}
			case err != nil:
				return err
			}
			// One second judge for the profile generated and the one
			// --check names: each distinct file compiled once.
			judge := &apparmor.Checker{}
			written, err := record.SaveChecked(out, rec, policyToo, judge)
			if err != nil {
				return err
			}
			summarise(stderr, rec, written)
			var gate error
			if check != "" {
				// The gate: what the run needed and POLICY does not allow.
				gate = recordCheck(rec, check, "", "", judge, stderr)
			}
			if err := sayAlone(cmd, judge, false); err != nil {
				return err
			}
			if gate != nil && rec.ExitCode == 0 {
				return gate
			}
			if rec.ExitCode != 0 {
				return statusError{code: rec.ExitCode, err: fmt.Errorf("%s exited with status %d", args[0], rec.ExitCode)}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.StringVarP(&out, "out", "o", "rampart-recording", "directory for recording.json and the generated policy")
	fl.StringVar(&recorder, "recorder", record.RecorderAuto, "auto, ebpf or ptrace")
	fl.StringVar(&name, "name", "", "name the generated profiles (AppArmor profile, seccomp file on the node, SPO objects); default rampart-<command's base name>; kept in recording.json")
	fl.BoolVar(&wait, "wait", false, "after CMD exits, keep recording until every process it started has exited too (daemons); a signal to rampart ends the wait")
	fl.StringVar(&user, "user", "", "run CMD as UID[:GID] (numbers or names), set after the recording started")
	fl.BoolVar(&policyToo, "policy", true, "also write the policy generated from the recording (--policy=false: recording.json only)")
	fl.BoolVar(&merge, "merge", false, "merge the recordings named as arguments (directories or recording files) into --out, with per-syscall coverage")
	fl.StringVar(&check, "check", "", "POLICY (a policy file, a recording's directory, or a manifest FILE[#CONTAINER]): exit 1, naming what is missing, if the run needs more than it allows")
	return cmd
}
