//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/record"
)

// recordCmd runs `rampart record ARGS` in this process and returns the
// exit status run would give, and stderr.
func recordCmd(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := newRecordCmd(&stderr)
	cmd.SetArgs(args)
	cmd.SetOut(&stderr)
	cmd.SetErr(&stderr)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	if err := cmd.Execute(); err != nil {
		return exitCode(err), stderr.String() + "rampart: " + err.Error()
	}
	return 0, stderr.String()
}

func TestRecordWritesRecordingAndSummary(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the eBPF recorder loads BPF programs")
	}
	out := filepath.Join(t.TempDir(), "rec")
	code, stderr := recordCmd(t, "--out", out, "--recorder", "ebpf", "--", "sh", "-c", "cat /etc/hostname >/dev/null; exit 3")
	if code != 3 {
		t.Fatalf("exit %d, want CMD's 3; stderr:\n%s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "recording.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec record.Recording
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Schema != record.Schema || rec.Recorder != "ebpf" || rec.ExitCode != 3 || rec.Syscalls["x86_64"]["execve"] == 0 {
		t.Errorf("recording: schema %q recorder %q exit %d syscalls %v", rec.Schema, rec.Recorder, rec.ExitCode, rec.Syscalls)
	}
	for _, want := range []string{"recorded by ebpf", "syscalls", "x86_64", "capabilities", "files", "exec", "wrote", "recording.json", "exited with status 3"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
}

func TestRecordUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--recorder", "dtrace", "--", "true"}, exitUsage, "want auto, ebpf or ptrace"},
		{[]string{"--user", "nosuchuser-rampart", "--", "true"}, exitUsage, "unknown user"},
		{[]string{"--out", "", "--", "true"}, exitRefused, ""},
		{[]string{"--out", t.TempDir(), "--", "/nonexistent/cmd"}, exitNotFound, "/nonexistent/cmd"},
		// Not found on $PATH is not found too, as for rampart run.
		{[]string{"--out", t.TempDir(), "--", "nosuchcmd-rampart"}, exitNotFound, "nosuchcmd-rampart"},
	} {
		code, stderr := recordCmd(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("record %q: exit %d, want %d with %q; stderr:\n%s", c.args, code, c.code, c.want, stderr)
		}
	}
	var help bytes.Buffer
	cmd := newRecordCmd(&help)
	cmd.SetOut(&help)
	cmd.SetArgs([]string{"--help"})
	cmd.Execute()
	for _, want := range []string{"--recorder", "ebpf", "ptrace", "@{pid}", "limits", "recording.json", "Exit status"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

// --merge takes --out before or after the recordings, as a user writes
// it; any other flag among them is a usage error that names it.
func TestRecordMergeOutAnywhere(t *testing.T) {
	var dirs []string
	for _, name := range []string{"python-udp", "python-bind"} {
		dir := t.TempDir()
		if _, err := record.WriteRecording(dir, genRecording(t, name, t.TempDir())); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	for _, args := range [][]string{
		{"--merge", dirs[0], dirs[1], "--out", "OUT"},
		{"--merge", "--out", "OUT", dirs[0], dirs[1]},
		{"--merge", dirs[0], "--out=OUT", dirs[1]},
		{"--merge", dirs[0], "-o", "OUT", "--", dirs[1]},
	} {
		out := filepath.Join(t.TempDir(), "merged")
		for i := range args {
			args[i] = strings.Replace(args[i], "OUT", out, 1)
		}
		if code, stderr := recordCmd(t, args...); code != 0 {
			t.Errorf("%q: exit %d\n%s", args, code, stderr)
			continue
		}
		m, err := record.ReadRecording(out)
		if err != nil || m.Runs != 2 {
			t.Errorf("%q: merged %v, %v", args, m, err)
		}
	}
	code, stderr := recordCmd(t, "--merge", dirs[0], "--recorder", "ebpf", dirs[1], "--out", t.TempDir())
	if code != exitUsage || !strings.Contains(stderr, "--recorder: only --out goes with the recordings") {
		t.Errorf("a stray flag: exit %d\n%s", code, stderr)
	}
}

// --name is checked before anything runs: a name the profiles cannot
// carry is a usage error, not a recording thrown away afterwards.
func TestRecordNameCheckedFirst(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rec")
	code, stderr := recordCmd(t, "--name", "Shop Web", "--out", out, "--", "/bin/true")
	if code != exitUsage || !strings.Contains(stderr, "--name: profile name \"Shop Web\"") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the output directory was made for a refused run")
	}
}

// Recorded as another user, run as that user: the policy carries the
// identity, so `rampart run --policy` does not run the workload with
// more than it was recorded with.
func TestRecordUserCarriesToThePolicy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("recording as another user needs root")
	}
	out := filepath.Join(t.TempDir(), "rec")
	if code, stderr := recordCmd(t, "--user", "65534:65534", "--out", out, "--", "/usr/bin/id", "-u"); code != 0 {
		t.Fatalf("record: exit %d\n%s", code, stderr)
	}
	rec, err := record.ReadRecording(out)
	if err != nil || rec.User == nil || rec.User.UID != 65534 {
		t.Fatalf("recording user %+v, %v", rec.User, err)
	}
	r := rampart(t, "", "run", "--policy", filepath.Join(out, record.PolicyFile), "--", "/usr/bin/id", "-u")
	if r.code != 0 || r.stdout != "65534\n" {
		t.Errorf("under the policy: exit %d, stdout %q, stderr %q; want uid 65534", r.code, r.stdout, r.stderr)
	}
}
