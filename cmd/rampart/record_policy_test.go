//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/runc"
	"github.com/rampart-sec/rampart/layers"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/record"
)

// The policies generated from recordings, enforced for real: the
// recordings in record/testdata/gen-*.json were made with rampart record
// (ptrace, and eBPF for the capability) on Debian 12 and read by hand;
// {{DIR}} stands for a directory of the test's.

func genRecording(t *testing.T, name, dir string) *record.Recording {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "record", "testdata", "gen-"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("{{DIR}}"), []byte(dir))
	var rec record.Recording
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return &rec
}

// genPolicy writes rec's policy into a new directory and returns it.
func genPolicy(t *testing.T, rec *record.Recording) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := record.WritePolicy(dir, rec); err != nil {
		t.Fatal(err)
	}
	return dir
}

func needTools(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%v (`make test` installs busybox-static and python3)", err)
		}
	}
}

// Record, then run under the recorded policy: the same output and exit
// status, with all three layers enforced.
func TestRecordedPolicyRoundTrip(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	needTools(t, "/bin/busybox", "/usr/bin/python3")
	for _, c := range []struct {
		name, stdout string
		caps         caps.Set
	}{
		{"busybox-sh", "hi\n", 0},
		{"true", "", 0},
		{"python-udp", "udp 2\n", 0},
		{"python-bind", "bound 80\n", caps.Of(caps.NET_BIND_SERVICE)},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := genRecording(t, c.name, t.TempDir())
			dir := genPolicy(t, rec)
			r := rampart(t, "", append([]string{"run", "--policy", filepath.Join(dir, record.PolicyFile), "--"}, rec.Command...)...)
			if r.code != rec.ExitCode || r.stdout != c.stdout {
				t.Fatalf("exit %d, stdout %q, want %d, %q\n%s", r.code, r.stdout, rec.ExitCode, c.stdout, r.stderr)
			}
			// The same through the flags: seccomp and the capabilities alone.
			flags := []string{"run", "--seccomp", filepath.Join(dir, record.SeccompFile), "--cap-drop", "ALL"}
			if c.caps != 0 {
				flags = append(flags, "--cap-add", strings.Join(c.caps.Names(caps.Cap.String), ","))
			}
			r = rampart(t, "", append(append(flags, "--"), rec.Command...)...)
			if r.code != rec.ExitCode || r.stdout != c.stdout {
				t.Fatalf("flags: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// What the recording did not do, the policy refuses, each at its layer.
func TestRecordedPolicyRefuses(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	needTools(t, "/bin/busybox", "/usr/bin/python3")
	sh := genPolicy(t, genRecording(t, "busybox-sh", t.TempDir()))
	pol := filepath.Join(sh, record.PolicyFile)
	for _, c := range []struct {
		why  string
		argv []string
		want string // in stderr
	}{
		{"seccomp: no unshare", []string{"/bin/busybox", "unshare", "-r", "-n", "true"}, "Operation not permitted"},
		{"seccomp: no sockets", []string{"/bin/busybox", "ping", "-c", "1", "127.0.0.1"}, "permission denied"},
		{"landlock: /etc/shadow was not read", []string{"/bin/busybox", "cat", "/etc/shadow"}, "Permission denied"},
		{"landlock: nor /etc/hostname", []string{"/bin/busybox", "cat", "/etc/hostname"}, "Permission denied"},
	} {
		r := rampart(t, "", append([]string{"run", "--policy", pol, "--"}, c.argv...)...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: %q: exit %d, stderr %q, want a refusal (%q)", c.why, c.argv, r.code, r.stderr, c.want)
		}
	}

	udp := genRecording(t, "python-udp", t.TempDir())
	pol = filepath.Join(genPolicy(t, udp), record.PolicyFile)
	for _, c := range []struct{ why, code string }{
		{"raw ICMP socket", "socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)"},
		{"TCP: the family was recorded with UDP only", "socket.socket(socket.AF_INET, socket.SOCK_STREAM)"},
		{"packet socket", "socket.socket(socket.AF_PACKET, socket.SOCK_RAW)"},
	} {
		r := rampart(t, "", "run", "--policy", pol, "--", "/usr/bin/python3", "-c", "import socket; "+c.code+"; print('created')")
		if r.code == 0 || !strings.Contains(r.stderr, "PermissionError: [Errno 1] Operation not permitted") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q: want EPERM from the filter", c.why, r.code, r.stdout, r.stderr)
		}
	}

	// The capability the recording saw granted is the one the workload
	// needs: without it, bind(80) fails with EACCES.
	bind := genRecording(t, "python-bind", t.TempDir())
	dir := genPolicy(t, bind)
	p, err := policy.ReadFile(filepath.Join(dir, record.PolicyFile))
	if err != nil {
		t.Fatal(err)
	}
	if p.Capabilities == nil || p.Capabilities.Add != caps.Of(caps.NET_BIND_SERVICE) {
		t.Fatalf("policy capabilities %+v, want drop ALL, add NET_BIND_SERVICE", p.Capabilities)
	}
	p.Capabilities.Add = 0
	without := filepath.Join(dir, "without-cap.json")
	if err := policy.WriteFile(without, p); err != nil {
		t.Fatal(err)
	}
	r := rampart(t, "", append([]string{"run", "--policy", without, "--"}, bind.Command...)...)
	if r.code == 0 || !strings.Contains(r.stderr, "PermissionError: [Errno 13]") {
		t.Errorf("bind(80) without NET_BIND_SERVICE: exit %d, stderr %q, want EACCES", r.code, r.stderr)
	}
}

// A compat ABI the recording did not use is refused wholesale: the
// filter kills a 32-bit program at its first call. Recorded, it is
// listed and the program runs.
func TestRecordedPolicyCompatABI(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	needIA32(t)
	needTools(t, "/bin/busybox")
	prog := filepath.Join(t.TempDir(), "gen-i386")
	out, err := exec.Command("gcc", "-m32", "-static", "-nostdlib", "-ffreestanding", "-O2", "-fno-stack-protector",
		"-o", prog, filepath.Join("..", "..", "record", "testdata", "gen-i386.c")).CombinedOutput()
	if err != nil {
		t.Fatalf("gcc -m32 (`make test` installs gcc-multilib): %v\n%s", err, out)
	}
	sh := genPolicy(t, genRecording(t, "busybox-sh", t.TempDir()))
	r := rampart(t, "", "run", "--seccomp", filepath.Join(sh, record.SeccompFile), "--", prog)
	if r.signal != syscall.SIGSYS || r.stdout != "" {
		t.Errorf("x86 program under an x86_64-only profile: exit %d signal %v stdout %q, want killed by SIGSYS", r.code, r.signal, r.stdout)
	}

	rec := &record.Recording{Schema: record.Schema, Command: []string{prog}, Runs: 1,
		Syscalls: map[string]map[string]uint64{record.ABIx86: {"write": 1, "exit": 1}, record.ABIx86_64: {"execve": 1}},
		Files:    []record.FileAccess{{Path: prog, Mode: "x", Raw: []string{prog}, Count: 1}}, Exec: []string{prog}}
	dir := genPolicy(t, rec)
	r = rampart(t, "", "run", "--policy", filepath.Join(dir, record.PolicyFile), "--", prog)
	if r.code != 0 || r.stdout != "i386\n" {
		t.Errorf("x86 program under its recorded policy: exit %d signal %v stdout %q stderr %q", r.code, r.signal, r.stdout, r.stderr)
	}
}

// The recorded profile holds what runc does between loading the filter
// and execve (runc 1.1 here; 1.5's extra calls were found the same way):
// the busybox workload runs in a real runc container under it, with the
// capabilities dropped as recorded, and unshare is refused there too.
func TestRecordedPolicyInRunc(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	rootfs := runcRootfs(t)
	rec := genRecording(t, "busybox-sh", "/tmp")
	g, err := record.Generate(rec, record.GenerateOptions{Dir: genPolicy(t, rec)})
	if err != nil {
		t.Fatal(err)
	}
	p := *g.Policy
	p.Landlock = nil // no place in an OCI config
	for _, c := range []struct {
		argv   []string
		code   int
		stdout string
	}{
		{rec.Command, 0, "hi\n"},
		{[]string{"/bin/busybox", "unshare", "-r", "-n", "true"}, 1, ""},
	} {
		spec, err := oci.Spec(&p, c.argv, oci.Options{Rootfs: rootfs})
		if err != nil {
			t.Fatal(err)
		}
		if !spec.Process.NoNewPrivileges {
			t.Fatal("no_new_privs off: runc would load the filter before its own setup")
		}
		res, err := runc.Run(context.Background(), t.TempDir(), spec)
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != c.code || string(res.Stdout) != c.stdout {
			t.Errorf("runc %q: exit %d stdout %q stderr %q, want %d %q", c.argv, res.ExitCode, res.Stdout, res.Stderr, c.code, c.stdout)
		}
	}
}

// probeFrame is what `rampart probe` does whatever path it runs: the
// syscalls, files and argument values common to the recordings of every
// catalog path run alone (its Go runtime, reading its own state, writing
// the report). Under a workload's allow list the probe needs them to
// report at all; no path's attack is among them, since no attack is in
// every path.
func probeFrame(t *testing.T) *record.Recording {
	t.Helper()
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	var recs []*record.Recording
	for _, p := range attack.Catalog() {
		rec, err := record.Run(context.Background(), []string{os.Args[0], "probe", "-o", "json", "--only", p.ID},
			record.Options{Recorder: record.RecorderPtrace, Env: append(os.Environ(), asRampart+"=1"), Stdout: devnull, Stderr: devnull})
		if err != nil {
			t.Fatalf("recording the probe of %s: %v", p.ID, err)
		}
		recs = append(recs, rec)
	}
	frame := common(recs)
	// The file paths' evidence: whether permission bits alone would
	// allow the access (faccessat2 with AT_EACCESS, which no LSM
	// mediates and which opens nothing). Not every path makes it, but
	// without it the probe cannot tell an LSM's refusal from DAC's.
	frame.Syscalls[record.ABIx86_64]["faccessat2"] = 1
	return frame
}

// common keeps what every recording has.
func common(recs []*record.Recording) *record.Recording {
	out := &record.Recording{Schema: record.Schema, Command: recs[0].Command, Recorder: recs[0].Recorder, Runs: 1,
		Syscalls: map[string]map[string]uint64{}}
	in := func(r *record.Recording, abi, name string) bool { return r.Syscalls[abi][name] > 0 }
	for abi, calls := range recs[0].Syscalls {
		for name, n := range calls {
			if n > 0 && !slices.ContainsFunc(recs, func(r *record.Recording) bool { return !in(r, abi, name) }) {
				if out.Syscalls[abi] == nil {
					out.Syscalls[abi] = map[string]uint64{}
				}
				out.Syscalls[abi][name] = n
			}
		}
	}
	for _, a := range recs[0].Args {
		if !slices.ContainsFunc(recs, func(r *record.Recording) bool {
			return !slices.ContainsFunc(r.Args, func(b record.ArgValue) bool {
				return a.ABI == b.ABI && a.Syscall == b.Syscall && a.Arg == b.Arg && a.Value == b.Value
			})
		}) {
			out.Args = append(out.Args, a)
		}
	}
	for _, f := range recs[0].Files {
		mode := f.Mode
		for _, r := range recs[1:] {
			i := slices.IndexFunc(r.Files, func(g record.FileAccess) bool { return g.Path == f.Path })
			if i < 0 {
				mode = ""
				break
			}
			mode = strings.Map(func(c rune) rune {
				if strings.ContainsRune(r.Files[i].Mode, c) {
					return c
				}
				return -1
			}, mode)
		}
		if mode != "" {
			f.Mode = mode
			out.Files = append(out.Files, f)
		}
	}
	for _, e := range recs[0].Exec {
		if !slices.ContainsFunc(recs, func(r *record.Recording) bool { return !slices.Contains(r.Exec, e) }) {
			out.Exec = append(out.Exec, e)
		}
	}
	return out
}

// `rampart layers` under the policy recorded for the busybox workload
// (with the probe's own frame, so that the probe can report) closes
// every catalog path, the seed's three each at its own layer: the
// workload uses none of them.
func TestRecordedPolicyLayers(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	needTools(t, "/bin/busybox")
	frame := probeFrame(t)
	for _, n := range []string{"unshare", "socket", "mount", "ptrace", "reboot", "init_module"} {
		if frame.Syscalls[record.ABIx86_64][n] > 0 {
			t.Errorf("the probe's frame holds %s, an attack's call", n)
		}
	}
	rec := record.Merge(genRecording(t, "busybox-sh", t.TempDir()), frame)
	dir := genPolicy(t, rec)
	m := layersJSON(t, rampart(t, "", "layers", "--policy", filepath.Join(dir, record.PolicyFile), "-o", "json"))
	for _, id := range m.Gaps {
		t.Errorf("%s open under the recorded policy: %+v", id, m.Row(id).Cells)
	}
	closedAt(t, m, "raw-socket", layers.PlusCaps, attack.ByCapabilities)
	closedAt(t, m, "userns-netns", layers.PlusSeccomp, attack.BySeccomp)
	closedAt(t, m, "read-shadow", layers.PlusLSM, attack.ByLSM)
	if len(m.Rows) < 24 {
		t.Errorf("%d rows, want the whole catalog", len(m.Rows))
	}
	if r := rampart(t, "", "layers", "--policy", filepath.Join(dir, record.PolicyFile), "examples/seed/0-baseline.yaml"); r.code != exitUsage {
		t.Errorf("POLICY and --policy: exit %d", r.code)
	}
}

// --merge: replicas of one workload, each recorded; the merged policy
// runs both and says which syscalls rest on fewer runs.
func TestRecordMerge(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	needTools(t, "/usr/bin/python3")
	var dirs []string
	var recs []*record.Recording
	for _, name := range []string{"python-udp", "python-bind"} {
		rec := genRecording(t, name, t.TempDir())
		dir := t.TempDir()
		if _, err := record.WriteRecording(dir, rec); err != nil {
			t.Fatal(err)
		}
		dirs, recs = append(dirs, dir), append(recs, rec)
	}
	out := filepath.Join(t.TempDir(), "merged")
	var stdout, stderr bytes.Buffer
	if err := recordMerge(dirs, out, "", &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"merged 2 runs of /usr/bin/python3", "x86_64  2/2  ", "x86_64  1/2  bind", "wrote " + filepath.Join(out, record.RecordingFile), "wrote " + filepath.Join(out, record.PolicyFile)} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, stdout.String())
		}
	}
	m, err := record.ReadRecording(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Runs != 2 || m.RunsUsing[record.ABIx86_64]["bind"] != 1 || m.RunsUsing[record.ABIx86_64]["socket"] != 2 {
		t.Errorf("merged: runs %d, runsUsing %v", m.Runs, m.RunsUsing[record.ABIx86_64])
	}
	for i, want := range []string{"udp 2\n", "bound 80\n"} {
		r := rampart(t, "", append([]string{"run", "--policy", filepath.Join(out, record.PolicyFile), "--"}, recs[i].Command...)...)
		if r.code != 0 || r.stdout != want {
			t.Errorf("%q under the merged policy: exit %d stdout %q stderr %q", recs[i].Command, r.code, r.stdout, r.stderr)
		}
	}
	for _, c := range []struct {
		args []string
		out  string
	}{{nil, out}, {dirs, ""}, {[]string{t.TempDir()}, out}} {
		if err := recordMerge(c.args, c.out, "", &stdout, &stderr); exitCode(err) != exitUsage {
			t.Errorf("recordMerge(%q, %q): %v, want a usage error", c.args, c.out, err)
		}
	}
}

// --check: the gate passes the run the policy was recorded from and
// fails, naming what is missing, a run that needs more.
func TestRecordCheck(t *testing.T) {
	needSeccomp(t)
	sh := genRecording(t, "busybox-sh", t.TempDir())
	dir := genPolicy(t, sh)
	var out bytes.Buffer
	if err := recordCheck(sh, dir, "", "", &apparmor.Checker{}, &out); err != nil {
		t.Fatalf("the recorded run: %v\n%s", err, out.String())
	}
	udp := genRecording(t, "python-udp", t.TempDir())
	out.Reset()
	err := recordCheck(udp, filepath.Join(dir, record.PolicyFile), "", "", &apparmor.Checker{}, &out)
	if exitCode(err) != 1 {
		t.Fatalf("a run that needs more: %v, want exit status 1", err)
	}
	for _, s := range []string{"seccomp: syscall socket (x86_64)", "seccomp: syscall ioctl (x86_64)", "landlock: file /usr/lib/python3.11/", "landlock: interpreter /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("--check output lacks %q:\n%s", s, out.String())
		}
	}
	if err := recordCheck(sh, filepath.Join(t.TempDir(), "none.json"), "", "", &apparmor.Checker{}, &out); exitCode(err) != exitUsage {
		t.Errorf("a missing policy: %v", err)
	}
}

// harden --from-recording gives the named container the recorded
// profiles and capabilities, and the other containers what harden
// generates.
func TestHardenFromRecording(t *testing.T) {
	needSeccomp(t)
	recDir := t.TempDir()
	if _, err := record.WriteRecording(recDir, genRecording(t, "python-bind", t.TempDir())); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "web.yaml")
	os.WriteFile(src, []byte(`apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
    - name: web
      image: python:3.11
      securityContext:
        capabilities:
          add: [NET_ADMIN]
        seccompProfile:
          type: RuntimeDefault
    - name: sidecar
      image: busybox
`), 0o644)
	r := rampart(t, "", "harden", "--spo", "--from-recording", recDir+"#web", src)
	if r.code != 0 {
		t.Fatalf("harden: exit %d\n%s", r.code, r.stderr)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "web.hardened.yaml"))
	for _, s := range []string{
		"add: [NET_BIND_SERVICE]",
		"localhostProfile: operator/shop/rampart-python3.json",
		"localhostProfile: rampart-python3\n",
		"localhostProfile: rampart-web-sidecar",
	} {
		if !strings.Contains(string(got), s) {
			t.Errorf("hardened manifest lacks %q:\n%s", s, got)
		}
	}
	if strings.Contains(string(got), "NET_ADMIN") {
		t.Errorf("the manifest's own add stayed:\n%s", got)
	}
	prof, err := os.ReadFile(filepath.Join(dir, "rampart-python3"))
	if err != nil || !strings.Contains(string(prof), "network inet stream,") || !strings.Contains(string(prof), "capability net_bind_service,") {
		t.Errorf("recorded AppArmor profile: %v\n%s", err, prof)
	}
	if _, err := os.Stat(filepath.Join(dir, "operator", "shop", "rampart-python3.json")); err != nil {
		t.Error(err)
	}
	spo, _ := os.ReadFile(filepath.Join(dir, "web.spo.yaml"))
	for _, s := range []string{"kind: AppArmorProfile", "name: rampart-python3", "allowTcp: true", "kind: SeccompProfile"} {
		if !strings.Contains(string(spo), s) {
			t.Errorf("SPO objects lack %q:\n%s", s, spo)
		}
	}
	if r := rampart(t, "", "harden", "--from-recording", recDir, "--keep", "CHOWN", src); r.code != exitUsage {
		t.Errorf("--keep with --from-recording: exit %d", r.code)
	}
	if r := rampart(t, "", "harden", "--from-recording", t.TempDir(), src); r.code != exitUsage {
		t.Errorf("--from-recording without a recording: exit %d", r.code)
	}
}
