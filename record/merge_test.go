//go:build linux

package record

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMerge(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	a := &Recording{Schema: Schema, Command: []string{"app", "a"}, Recorder: RecorderEBPF, Kernel: "6.1", Runs: 1,
		Started: t0.Add(time.Minute), Duration: time.Second, ExitCode: 0,
		Syscalls:     map[string]map[string]uint64{ABIx86_64: {"read": 3, "write": 1, "mount": 0}},
		Args:         []ArgValue{{ABIx86_64, "ioctl", 1, 0x5401, 2}},
		Sockets:      []SocketUse{{Syscall: "socket", Family: "AF_INET", Type: "SOCK_STREAM", Count: 1}},
		Capabilities: []CapUse{{Cap: "NET_BIND_SERVICE", Granted: 1}},
		Files:        []FileAccess{{Path: "/tmp/*", Mode: "r", Raw: []string{"/tmp/a1", "/tmp/a2", "/tmp/a3"}, Count: 3}},
		Exec:         []string{"/usr/bin/app"}, Limits: []string{"1 lost event"},
	}
	b := &Recording{Schema: Schema, Command: []string{"app", "b"}, Recorder: RecorderPtrace, Runs: 1,
		Started: t0, Duration: 2 * time.Second, ExitCode: 3,
		Syscalls:     map[string]map[string]uint64{ABIx86_64: {"read": 1, "socket": 1}, ABIx86: {"read": 2}},
		Args:         []ArgValue{{ABIx86_64, "ioctl", 1, 0x5401, 1}, {ABIx86_64, "ioctl", 1, 0x5413, 1}},
		Sockets:      []SocketUse{{Syscall: "socket", Family: "AF_INET", Type: "SOCK_STREAM", Count: 2}},
		Capabilities: []CapUse{{Cap: "NET_BIND_SERVICE", Denied: 1}, {Cap: "CHOWN", Granted: 2}},
		Files: []FileAccess{{Path: "/tmp/*", Mode: "wc", Raw: []string{"/tmp/a3", "/tmp/b1", "/tmp/b2", "/tmp/b3"}, Count: 4},
			{Path: "/etc/hosts", Mode: "r", Raw: []string{"/etc/hosts"}, Count: 1}},
		Exec: []string{"/bin/sh", "/usr/bin/app"}, Limits: []string{"1 lost event"},
	}
	m := Merge(a, nil, b)
	if m.Runs != 2 || m.ExitCode != 3 || !m.Started.Equal(t0) || m.Duration != 3*time.Second ||
		!slices.Equal(m.Command, a.Command) || m.Recorder != "ebpf+ptrace" || m.Schema != Schema {
		t.Errorf("header: runs %d exit %d started %v duration %v command %q recorder %q", m.Runs, m.ExitCode, m.Started, m.Duration, m.Command, m.Recorder)
	}
	wantSys := map[string]map[string]uint64{ABIx86_64: {"read": 4, "write": 1, "socket": 1}, ABIx86: {"read": 2}}
	if !reflect.DeepEqual(m.Syscalls, wantSys) {
		t.Errorf("syscalls %v, want %v", m.Syscalls, wantSys)
	}
	wantRuns := map[string]map[string]int{ABIx86_64: {"read": 2, "write": 1, "socket": 1}, ABIx86: {"read": 1}}
	if !reflect.DeepEqual(m.RunsUsing, wantRuns) {
		t.Errorf("runsUsing %v, want %v", m.RunsUsing, wantRuns)
	}
	wantArgs := []ArgValue{{ABIx86_64, "ioctl", 1, 0x5401, 3}, {ABIx86_64, "ioctl", 1, 0x5413, 1}}
	if !reflect.DeepEqual(m.Args, wantArgs) {
		t.Errorf("args %v, want %v", m.Args, wantArgs)
	}
	if want := []SocketUse{{Syscall: "socket", Family: "AF_INET", Type: "SOCK_STREAM", Count: 3}}; !reflect.DeepEqual(m.Sockets, want) {
		t.Errorf("sockets %v", m.Sockets)
	}
	if want := []CapUse{{Cap: "CHOWN", Granted: 2}, {Cap: "NET_BIND_SERVICE", Granted: 1, Denied: 1}}; !reflect.DeepEqual(m.Capabilities, want) {
		t.Errorf("capabilities %v", m.Capabilities)
	}
	wantFiles := []FileAccess{
		{Path: "/etc/hosts", Mode: "r", Raw: []string{"/etc/hosts"}, Count: 1},
		{Path: "/tmp/*", Mode: "rwc", Raw: []string{"/tmp/a1", "/tmp/a2", "/tmp/a3", "/tmp/b1", "/tmp/b2"}, Count: 7},
	}
	if !reflect.DeepEqual(m.Files, wantFiles) {
		t.Errorf("files %+v, want %+v", m.Files, wantFiles)
	}
	if !slices.Equal(m.Exec, []string{"/usr/bin/app", "/bin/sh"}) || !slices.Equal(m.Limits, []string{"1 lost event"}) {
		t.Errorf("exec %q limits %q", m.Exec, m.Limits)
	}

	// A merge of merges keeps the coverage: read was in 2 of 2 runs, and
	// in 1 of 1 of the third.
	c := &Recording{Schema: Schema, Runs: 1, Syscalls: map[string]map[string]uint64{ABIx86_64: {"read": 1}}}
	mm := Merge(m, c)
	if mm.Runs != 3 || mm.RunsUsing[ABIx86_64]["read"] != 3 || mm.RunsUsing[ABIx86_64]["write"] != 1 || mm.RunsUsing[ABIx86]["read"] != 1 {
		t.Errorf("merge of merges: runs %d, runsUsing %v", mm.Runs, mm.RunsUsing)
	}
	g, err := Generate(mm, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasNote(g, "x86_64: made in only some of the 3 runs", "socket (1), write (1)") || hasNote(g, "x86_64: made", "read") ||
		!hasNote(g, "x86: made in only some of the 3 runs", "read (1)") {
		t.Errorf("coverage notes:\n%q", g.Notes)
	}

	if e := Merge(); e.Runs != 0 || len(e.Syscalls) != 0 || e.Args == nil || e.Files == nil {
		t.Errorf("empty merge: %+v", e)
	}
}

func TestRecordingFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rec := genRecording()
	p, err := WriteRecording(dir, rec)
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(dir, RecordingFile) {
		t.Errorf("wrote %s", p)
	}
	for _, from := range []string{dir, p} {
		got, err := ReadRecording(from)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, rec) {
			t.Errorf("read back from %s:\n%+v\nwant\n%+v", from, got, rec)
		}
	}
	if _, err := ReadRecording(filepath.Join(dir, "missing")); err == nil {
		t.Error("no error for a missing recording")
	}
}

// A recording read back means what it shows: a key written twice (the
// decoder would keep the last: a syscall's count, or a second list of
// files replacing the first) or in another case than its field is
// refused, with its position.
func TestRecordingKeysChecked(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, body, want string }{
		{"duplicate syscall", `{"schema":"` + Schema + `","syscalls":{"x86_64":{"read":1,"read":2}}}`, `:1:65: syscalls.x86_64.read: key "read" written twice (first at 1:56)`},
		{"duplicate field", "{\"schema\":\"" + Schema + "\",\n\"exec\":[\"/bin/sh\"],\n\"exec\":[]}", `:3:1: exec: key "exec" written twice (first at 2:1)`},
		{"case variant", `{"schema":"` + Schema + `","Exec":["/bin/sh"]}`, `: Exec: key "Exec" differs from "exec" only in case`},
	} {
		p := filepath.Join(dir, c.name+".json")
		os.WriteFile(p, []byte(c.body), 0o644)
		if _, err := ReadRecording(p); err == nil || !strings.HasPrefix(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %s%s", c.name, err, p, c.want)
		}
	}
}
