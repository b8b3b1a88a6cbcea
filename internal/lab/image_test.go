//go:build linux

package lab

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests need no VM: the image, the markers, the sections, the
// differential plan, and the errors Kernel gives when a tool is missing.

// busybox lists the archive: an independent reader of the newc format.
func TestInitramfsListsWithBusyboxCpio(t *testing.T) {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal("busybox not found (Debian package busybox-static, scripts/deps.sh test)")
	}
	aa := t.TempDir()
	for _, d := range []string{"tunables", "abstractions"} {
		os.MkdirAll(filepath.Join(aa, d), 0o755)
		os.WriteFile(filepath.Join(aa, d, "x"), []byte("# x\n"), 0o644)
	}
	out := filepath.Join(t.TempDir(), "i.cpio.gz")
	marker, err := Initramfs(out, Options{
		Script:      Text("echo hi\n"),
		Parser:      "-",
		AppArmorDir: aa,
		Files: map[string]File{
			"/profiles/p":   Text("profile p {}\n"),
			"/bin/extra.sh": Executable("true\n"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if marker == "" {
		t.Fatal("no marker")
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bb, "cpio", "-t", "-v")
	cmd.Stdin = bytes.NewReader(raw)
	list, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("busybox cpio -t: %v: %s", err, list)
	}
	ls := string(list)
	for _, want := range []string{
		" init\n", " usr/bin/busybox\n", " usr/bin/sh -> /usr/bin/busybox\n", " usr/sbin/poweroff -> /usr/bin/busybox\n",
		" bin -> usr/bin\n", " lab/check.sh\n", " etc/shadow\n", " profiles/p\n",
		" usr/bin/extra.sh\n", // /bin/x lands below the real directory
		"crw-------", " dev/console\n", "drwxrwxrwt", " tmp\n",
	} {
		if !strings.Contains(ls, want) {
			t.Errorf("archive has no %q", want)
		}
	}
	if strings.Contains(ls, "apparmor_parser") || strings.Contains(ls, "rampart") {
		t.Errorf("Parser \"-\" and no Rampart, yet the archive has them")
	}
	for _, line := range strings.Split(ls, "\n") {
		if strings.Contains(line, " usr/bin/busybox") && !strings.Contains(line, " 0/0 ") {
			t.Errorf("busybox not owned by root: %s", line)
		}
	}
	// deterministic: the same options give the same bytes
	out2 := filepath.Join(t.TempDir(), "j.cpio.gz")
	if _, err := Initramfs(out2, Options{Script: Text("echo hi\n"), Parser: "-", AppArmorDir: aa, Marker: marker,
		Files: map[string]File{"/profiles/p": Text("profile p {}\n"), "/bin/extra.sh": Executable("true\n")}}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(out2)
	if !bytes.Equal(a, b) {
		t.Errorf("two builds with the same options differ")
	}
}

func TestInitramfsRefusesDynamicRampart(t *testing.T) {
	_, err := Initramfs(filepath.Join(t.TempDir(), "i"), Options{Rampart: "/bin/ls", Parser: "-"})
	if err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Fatalf("a dynamic binary as rampart: got %v", err)
	}
}

func TestBetweenMarkers(t *testing.T) {
	console := "[ 1.0] booting\nnoise\n" + beginMarker("abc") + "\nline 1\nline 2\n" + endMarker("abc") + "3@@\n[ 2.0] reboot: Power down\n"
	out, st, err := between(console, "abc")
	if err != nil || out != "line 1\nline 2\n" || st != 3 {
		t.Fatalf("between = %q, %d, %v", out, st, err)
	}
	_, _, err = between("[ 1.0] Kernel panic - not syncing: no init\n", "abc")
	if err == nil || !strings.Contains(err.Error(), "Kernel panic") || !strings.Contains(err.Error(), "no begin marker") {
		t.Fatalf("no markers: want an error with the console's last lines, got %v", err)
	}
	_, _, err = between(beginMarker("abc")+"\nhalf\n", "abc")
	if err == nil || !strings.Contains(err.Error(), "no end marker") || !strings.Contains(err.Error(), "half") {
		t.Fatalf("no end marker: got %v", err)
	}
	// another marker (an earlier boot's) is not this one
	if _, _, err := between(beginMarker("old")+"\nx\n"+endMarker("old")+"0@@\n", "abc"); err == nil {
		t.Fatal("a foreign marker was accepted")
	}
}

func TestScriptSections(t *testing.T) {
	var s Script
	s.Add("one", "echo 'quoted'", 0)
	s.Add("two", "exit 4", 5*time.Second)
	script, files := s.Build()
	if len(files) != 2 || !strings.Contains(script, "timeout 5 sh /lab/sections/01-two.sh") {
		t.Fatalf("script:\n%s\nfiles %v", script, files)
	}
	res := Result{Output: "@@lab-section one\nquoted\n@@lab-status one 0 2.50 2.75\n@@lab-section two\n@@lab-status two 4 2.75 2.76\n"}
	one, ok := res.Section("one")
	if !ok || one.Output != "quoted\n" || one.Status != 0 || one.Duration != 250*time.Millisecond {
		t.Errorf("one = %+v, %v", one, ok)
	}
	two, ok := res.Section("two")
	if !ok || two.Output != "" || two.Status != 4 {
		t.Errorf("two = %+v, %v", two, ok)
	}
	if _, ok := (Result{Output: "@@lab-section three\nhalf\n"}).Section("three"); ok {
		t.Error("an unfinished section was reported finished")
	}
	if _, ok := res.Section("four"); ok {
		t.Error("a missing section was found")
	}
}

func TestPlanDiff(t *testing.T) {
	pairs := []Pair{
		{"profile a { /x r, }", "file /x r", ""},
		{"profile b { }", "network inet raw icmp", ""},
		{"profile a { /x r, }", "file /x w", "a//c"},
	}
	p, err := PlanDiff(pairs, "/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	// grouped by profile, so a loads once: cases 0 and 2, then 1
	m := string(p.Files()["/lab/diff/manifest"].Data)
	want := "0\t/lab/diff/profiles/000\t-\tfile /x r\n2\t/lab/diff/profiles/000\ta//c\tfile /x w\n1\t/lab/diff/profiles/001\t-\tnetwork inet raw icmp\n"
	if m != want {
		t.Errorf("manifest:\n%s\nwant:\n%s", m, want)
	}
	out := "@@diff\t1\tdeny\tEACCES\tsocket: permission denied\t-\n@@diff\t0\tallow\t-\t-\ta (enforce)\nnoise\n@@diff\t2\tdeny\tEACCES\topen /x: permission denied\t-\n@@diff-done\n"
	ds, err := p.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if !ds[0].Allowed() || ds[0].Label != "a (enforce)" || ds[1].Verdict != Deny || ds[2].Access != "file /x w" || ds[2].Allowed() {
		t.Errorf("decisions: %+v", ds)
	}
	if _, err := p.Parse("@@diff\t0\tallow\t-\t-\t-\n"); err == nil || !strings.Contains(err.Error(), "1,2") {
		t.Errorf("missing cases: got %v", err)
	}
	for _, bad := range []string{"file x r", "file /x rw", "capability NET_RAW", "exec /bin/sh", "network inet", "link /a", "link a /b"} {
		if _, err := PlanDiff([]Pair{{Profile: "profile a {}", Access: bad}}, "/bin/true"); err == nil {
			t.Errorf("access %q accepted", bad)
		}
	}
	if _, err := PlanDiff([]Pair{{Profile: "profile a {}", Access: "file /x r", Name: "a b"}}, "/bin/true"); err == nil {
		t.Error("a profile name with a space accepted")
	}
}

// fakeTools puts executables named after the map's keys first in PATH.
func fakeTools(t *testing.T, tools map[string]string) {
	dir := t.TempDir()
	for name, body := range tools {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	t.Setenv("RAMPART_LAB_KERNEL", "")
}

func TestKernelErrors(t *testing.T) {
	t.Run("no qemu", func(t *testing.T) {
		fakeTools(t, nil)
		_, err := Kernel(t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "qemu-system-x86") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no kernel package", func(t *testing.T) {
		fakeTools(t, map[string]string{
			Qemu:        "exit 0",
			"apt-cache": "echo 'linux-image-amd64 - Linux for 64-bit PCs (meta-package)'",
			"apt-get":   "echo 'E: Could not get lock' >&2; exit 100",
			"dpkg-deb":  "exit 1",
		})
		t0 := time.Now()
		_, err := Kernel(t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "linux-image-6.1.0-N-amd64") {
			t.Fatalf("got %v", err)
		}
		if time.Since(t0) > 10*time.Second {
			t.Errorf("took %v", time.Since(t0))
		}
	})
	t.Run("download fails", func(t *testing.T) {
		fakeTools(t, map[string]string{
			Qemu:        "exit 0",
			"apt-cache": "echo 'linux-image-6.1.0-7-amd64 - Linux 6.1'; echo 'linux-image-6.1.0-12-amd64 - Linux 6.1'",
			"apt-get":   "echo \"E: Failed to fetch $*\" >&2; exit 100",
			"dpkg-deb":  "exit 1",
		})
		_, err := Kernel(t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "apt-get download linux-image-6.1.0-12-amd64") || !strings.Contains(err.Error(), "Failed to fetch") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("cached", func(t *testing.T) {
		fakeTools(t, map[string]string{Qemu: "exit 0"}) // no apt at all: the cache must do
		dir := t.TempDir()
		for _, n := range []string{"vmlinuz-6.1.0-9-amd64", "vmlinuz-6.1.0-10-amd64", "vmlinuz-6.1.0-10-amd64.tmp"} {
			os.WriteFile(filepath.Join(dir, n), []byte("k"), 0o644)
		}
		k, err := Kernel(dir)
		if err != nil || filepath.Base(k) != "vmlinuz-6.1.0-10-amd64" {
			t.Fatalf("Kernel = %q, %v", k, err)
		}
	})
}

func TestBootWithoutQemu(t *testing.T) {
	fakeTools(t, nil)
	_, err := Boot(context.Background(), "k", "i", time.Second)
	if err == nil || !strings.Contains(err.Error(), "qemu-system-x86") {
		t.Fatalf("got %v", err)
	}
}
