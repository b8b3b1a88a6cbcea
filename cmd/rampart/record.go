package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/internal/atomicfile"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/record"
)

const recordLong = `Run CMD and record what it and every process it starts ask of the kernel,
from CMD's own execve on (rampart's setup is never in the recording), so
that a least-privilege policy can be built from a real run:

  syscalls      every call, per ABI (x86_64, x86 for i386 binaries and
                int 0x80, x32), with counts
  arguments     the values profiles condition on: socket family and type
                (with SOCK_NONBLOCK/SOCK_CLOEXEC), clone and clone3 flags,
                personality, ioctl requests, prctl options, the address
                family of connect and bind
  capabilities  every check the kernel made, granted or denied (two
                checks that are no use of the privilege are left out:
                the memory-accounting probe of SYS_ADMIN, and the
                NET_ADMIN check that only widens a /proc/sys/net
                file's mode)
  files         successful opens, creates, truncates, renames, links,
                removals and attribute changes, with AppArmor's modes
                (r w a c x l); relative paths anchored at the caller's
                cwd or directory fd; paths generalised as AppArmor users
                write them (/proc/<pid>/ -> /proc/@{pid}/, run-specific
                numbers, hashes and random names -> *), symbolic links
                resolved, and up to five raw paths kept for each. Not
                recorded: stat, access and readlink (no rule needs them)
                and mmap of opened files (AppArmor's m)
  exec          the binaries executed, and scripts' interpreters

Recorders (--recorder):

  ebpf    raw tracepoints (sys_enter, sys_exit, sched_process_fork/exec/
          exit, capability:cap_capable), filtered to the recorded process
          tree and counted in the kernel: low overhead. Needs root (or
          CAP_BPF and CAP_PERFMON) and a kernel with BTF.
  ptrace  stops the processes at every syscall: works anywhere ptrace
          does (containers, no BPF), several times slower, and cannot
          see capability checks.
  auto    ebpf where the kernel allows it, else ptrace (the default);
          the recording names the recorder that ran.

What a recorder could not see is written down, never dropped: lost
events, paths it could not resolve, a kernel without the capability
tracepoint, descendants still running when CMD exited. Recording stops
when CMD exits; --wait keeps it going until every process CMD started
has exited too (a daemon that forks away, a server's workers), or until
rampart gets SIGINT, SIGTERM or SIGHUP. Those lines are "limits" in the
summary and the JSON.

Output, in --out DIR (default ./rampart-recording):

  recording.json   the recording (schema rampart.recording/v1)
                   documented in docs/recording-json.md
  policy.json      the policy generated from it (schema
                   rampart.policy/v1, documented in docs/policy-json.md),
                   for rampart run --policy, layers --policy and record
                   --check
  and the other files generated from it (profiles, securityContext, SPO
  objects, notes), listed in the summary (--policy=false
  writes the recording only).

--check POLICY makes the run a CI gate: after it, every syscall, argument
value, capability and file access it needed that POLICY (a policy
file, a recording's directory, or a Kubernetes manifest FILE[#CONTAINER])
does not allow is listed, and rampart exits with status 1 if there is any.

--merge DIR... --out DIR merges recordings of one workload (replicas, test
runs) instead of running anything: the merged recording allows what any
run used, counts per syscall how many runs made it, and its policy is
written beside it.

The summary goes to stderr; CMD keeps stdin, stdout and stderr. Signals
sent to rampart are passed on to CMD, except SIGINT and SIGQUIT, which a
terminal already delivers to CMD itself. Exit status: CMD's own (128+N
when a signal killed it); 125 the recording could not be made; 126 CMD
could not be executed; 127 CMD not found; 2 bad usage; with --check, 1
when CMD succeeded but needed what POLICY does not allow.`

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
				opts.Credential = &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.GID)}
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
			case errors.As(err, &ee) && errors.Is(err, fs.ErrNotExist):
				return statusError{code: exitNotFound, err: err}
			case errors.As(err, &ee):
				return statusError{code: exitCannot, err: err}
			case err != nil:
				return err
			}
			written, err := writeRecording(out, rec, policyToo)
			if err != nil {
				return err
			}
			summarise(stderr, rec, written)
			if check != "" {
				// The gate: what the run needed and POLICY does not allow.
				if err := recordCheck(rec, check, "", "", stderr); err != nil && rec.ExitCode == 0 {
					return err
				}
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

// mergeArgs takes --out (or -o) from among the recordings to merge:
// flags stop at the first argument so that CMD's own flags stay CMD's,
// but --merge runs no command, and `--merge a/ b/ --out m/` must not
// read --out as a third recording.
func mergeArgs(args []string, out string) ([]string, string, error) {
	var recs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(recs, args[i+1:]...), out, nil
		case a == "--out" || a == "-o":
			if i+1 == len(args) {
				return nil, "", usageError{fmt.Errorf("%s needs a directory", a)}
			}
			out = args[i+1]
			i++
		case strings.HasPrefix(a, "--out="):
			out = strings.TrimPrefix(a, "--out=")
		case strings.HasPrefix(a, "-") && a != "-":
			return nil, "", usageError{fmt.Errorf("--merge: %s: only --out goes with the recordings to merge", a)}
		default:
			recs = append(recs, a)
		}
	}
	return recs, out, nil
}

// writeRecording writes DIR/recording.json and the policy generated
// from it, and returns the files written.
func writeRecording(dir string, rec *record.Recording, policyToo bool) ([]string, error) {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, "recording.json")
	if err := atomicfile.WriteFile(p, append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	written := []string{p}
	if !policyToo {
		return written, nil
	}
	// The policy generators (record.WritePolicy) turn the recording into
	// profiles for the three layers.
	more, err := record.WritePolicy(dir, rec)
	if err != nil {
		return written, fmt.Errorf("recording written to %s, but the policy could not be generated: %w", p, err)
	}
	return append(written, more...), nil
}

// summarise prints what was recorded, briefly, and every limit in full.
func summarise(w io.Writer, rec *record.Recording, written []string) {
	fmt.Fprintf(w, "rampart record: %s, recorded by %s in %s, exit status %d\n",
		shellWords(rec.Command), rec.Recorder, rec.Duration.Round(1e6), rec.ExitCode)
	var abis []string
	for abi := range rec.Syscalls {
		abis = append(abis, abi)
	}
	sort.Strings(abis)
	var sys []string
	for _, abi := range abis {
		var calls uint64
		for _, n := range rec.Syscalls[abi] {
			calls += n
		}
		sys = append(sys, fmt.Sprintf("%s %d distinct (%d calls)", abi, len(rec.Syscalls[abi]), calls))
	}
	line := func(label, s string) { fmt.Fprintf(w, "  %-13s %s\n", label, s) }
	line("syscalls", orNone(strings.Join(sys, "; ")))
	var cs []string
	for _, c := range rec.Capabilities {
		s := c.Cap
		if c.Granted > 0 {
			s += fmt.Sprintf(" granted %d", c.Granted)
		}
		if c.Denied > 0 {
			s += fmt.Sprintf(" denied %d", c.Denied)
		}
		cs = append(cs, s)
	}
	line("capabilities", orNone(strings.Join(cs, "; ")))
	var ss []string
	for _, s := range rec.Sockets {
		ss = append(ss, s.Family+" "+s.Type)
	}
	line("sockets", orNone(strings.Join(ss, "; ")))
	line("files", fmt.Sprintf("%d path(s)", len(rec.Files)))
	line("exec", orNone(firstFew(rec.Exec, 4)))
	if len(rec.Limits) == 0 {
		line("limits", "none")
	}
	for _, l := range rec.Limits {
		line("limit", l)
	}
	for i, f := range written {
		label := ""
		if i == 0 {
			label = "wrote"
		}
		line(label, f)
	}
}

// shellWords writes a command line the way a shell would read it back.
func shellWords(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>()*?[]{}~#!") {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func firstFew(l []string, n int) string {
	if len(l) <= n {
		return strings.Join(l, ", ")
	}
	return strings.Join(l[:n], ", ") + fmt.Sprintf(" (+%d more)", len(l)-n)
}
