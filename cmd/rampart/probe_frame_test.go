//go:build linux

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/layers"
	"github.com/rampart-sec/rampart/record"
)

// frameAttackCalls are system calls of the catalog's attacks: the probe's
// frame, added to a workload's allow list so that the probe can report,
// must hold none of them, or it would open what it measures.
func frameAttackCalls() map[string]bool {
	set := map[string]bool{}
	for _, p := range attack.Catalog() {
		for _, s := range p.Syscalls {
			set[s] = true
		}
	}
	// The probe's own reads of files are not the file attacks': those
	// are decided by paths, not by the call. Nor is the Go runtime's
	// tgkill to its own threads signal-outside's: a filter cannot tell
	// the two apart, a signal scope does (the recorded policy's).
	for _, s := range []string{"openat", "open", "read", "write", "close", "newfstatat", "execve", "clone", "clone3", "tgkill"} {
		delete(set, s)
	}
	return set
}

// The frame embedded in record/probeframe.json holds what the probe
// needs today, measured: every path's recording (ptrace, this binary
// as the probe), kept where all of them agree. It must hold no attack's
// call. RAMPART_UPDATE_FRAME=1 rewrites the file from the measurement.
func TestProbeFrameEmbedded(t *testing.T) {
	needRoot(t)
	got := probeFrame(t)
	exe, err := filepath.EvalSymlinks(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	exe, _ = filepath.Abs(exe)
	// The probe's executable is whichever rampart runs it.
	got.Command = []string{record.ProbeExe, "probe"}
	for i, f := range got.Files {
		if f.Path == exe || slices.Contains(f.Raw, exe) {
			got.Files[i].Path, got.Files[i].Raw = record.ProbeExe, []string{record.ProbeExe}
		}
		got.Files[i].Count = 1
	}
	for i, e := range got.Exec {
		if e == exe {
			got.Exec[i] = record.ProbeExe
		}
	}
	// Go's asynchronous preemption signals a thread (tgkill) and returns
	// from the handler (rt_sigreturn) whenever a goroutine runs long, and
	// a thread spinning on a contended runtime lock yields (sched_yield),
	// as on a loaded machine: no recording can promise to see them, yet
	// the probe may need them on any path.
	for _, n := range []string{"tgkill", "rt_sigreturn", "sched_yield"} {
		got.Syscalls[record.ABIx86_64][n] = 1
	}
	// Counts vary run to run; the frame says what, not how often.
	for _, calls := range got.Syscalls {
		for n := range calls {
			calls[n] = 1
		}
	}
	for i := range got.Args {
		got.Args[i].Count = 1
	}
	got.Kernel, got.Limits = "", nil

	if os.Getenv("RAMPART_UPDATE_FRAME") == "1" {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "record", "probeframe.json"), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote record/probeframe.json")
	}

	frame, err := record.ProbeFrame(exe)
	if err != nil {
		t.Fatal(err)
	}
	attacks := frameAttackCalls()
	for abi, calls := range frame.Syscalls {
		for n := range calls {
			if attacks[n] {
				t.Errorf("the embedded frame allows %s (%s), an attack's call", n, abi)
			}
		}
	}
	var missing []string
	for abi, calls := range got.Syscalls {
		for n := range calls {
			if frame.Syscalls[abi][n] == 0 {
				missing = append(missing, "syscall "+abi+" "+n)
			}
		}
	}
	for _, a := range got.Args {
		if !slices.ContainsFunc(frame.Args, func(b record.ArgValue) bool {
			return a.ABI == b.ABI && a.Syscall == b.Syscall && a.Arg == b.Arg && a.Value == b.Value
		}) {
			missing = append(missing, "argument "+a.Syscall)
		}
	}
	for _, f := range got.Files {
		i := slices.IndexFunc(frame.Files, func(g record.FileAccess) bool {
			return g.Path == strings.ReplaceAll(f.Path, record.ProbeExe, exe)
		})
		if i < 0 || strings.Trim(f.Mode, frame.Files[i].Mode) != "" {
			missing = append(missing, "file "+f.Path+" "+f.Mode)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the probe needs more than record/probeframe.json holds (RAMPART_UPDATE_FRAME=1 go test -tags seccomp ./cmd/rampart -run TestProbeFrameEmbedded):\n%s", strings.Join(missing, "\n"))
	}
}

// `rampart layers --policy` on what `rampart record` wrote — its
// directory, or the policy.json in it — runs the probe under the
// recorded allow list with the embedded frame added: every catalog
// path closed, the seed's three at their own layers, and the output
// says what was added.
func TestLayersOnARecording(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	needTools(t, "/bin/busybox")
	dir := t.TempDir()
	rec := genRecording(t, "busybox-sh", t.TempDir())
	if _, err := record.WriteRecording(dir, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := record.WritePolicy(dir, rec); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{dir, filepath.Join(dir, record.PolicyFile)} {
		m := layersJSON(t, rampart(t, "", "layers", "--policy", arg, "-o", "json"))
		for _, id := range m.Gaps {
			t.Errorf("%s: %s open under the recorded policy: %+v", arg, id, m.Row(id).Cells)
		}
		closedAt(t, m, "raw-socket", layers.PlusCaps, attack.ByCapabilities)
		closedAt(t, m, "userns-netns", layers.PlusSeccomp, attack.BySeccomp)
		closedAt(t, m, "read-shadow", layers.PlusLSM, attack.ByLSM)
		// The probe's helpers (a re-executed child, its pipes) are not
		// in the workload's allow list, but the attack's call is refused
		// by the filter itself, which the canaries show (inferred).
		for _, id := range []string{"process-vm-readv", "ptrace-child", "tiocsti"} {
			closedAt(t, m, id, layers.PlusSeccomp, attack.BySeccomp)
		}
		if !slices.ContainsFunc(m.Notes, func(n string) bool { return strings.Contains(n, "with the probe's own needs added") }) {
			t.Errorf("%s: no note on the probe's frame: %q", arg, m.Notes)
		}
	}
	// The same allow list, not known as a recording's (it does not name
	// the recording beside it): the probe cannot run under it, and the
	// error says why and what to do.
	b, err := os.ReadFile(filepath.Join(dir, record.PolicyFile))
	if err != nil {
		t.Fatal(err)
	}
	named := `"recording": "` + record.RecordingFile + `",`
	if !strings.Contains(string(b), named) {
		t.Fatalf("%s does not name its recording:\n%s", record.PolicyFile, b)
	}
	hand := filepath.Join(dir, "hand.json")
	os.WriteFile(hand, []byte(strings.Replace(string(b), named, "", 1)), 0o644)
	r := rampart(t, "", "layers", "--policy", hand, "-o", "json")
	if r.code == 0 || !strings.Contains(r.stderr, "the probe could not run under the seccomp profile") || !strings.Contains(r.stderr, "give --policy the directory `rampart record` wrote") {
		t.Errorf("a recorded allow list given as a plain policy: exit %d\n%s", r.code, r.stderr)
	}
}
