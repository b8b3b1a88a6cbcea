//go:build linux

package lab

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// arm64Static builds a static linux/arm64 program (pure Go: no cross C
// compiler needed) for the image tests.
func arm64Static(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644)
	out := filepath.Join(dir, "prog")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GO111MODULE=off")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOARCH=arm64 go build: %v\n%s", err, msg)
	}
	return out
}

// An arm64 busybox cannot be asked for its applets on the host: the image
// links only the shell, /init links the rest in the guest, and the
// userland's libraries and loader link are in place.
func TestInitramfsForeignUserland(t *testing.T) {
	prog := arm64Static(t)
	lib := filepath.Join(t.TempDir(), "libc.so.6")
	os.WriteFile(lib, []byte("not really a library"), 0o644)
	u := &Userland{Busybox: prog, Libs: map[string]string{"/usr/lib/aarch64-linux-gnu/libc.so.6": lib}}
	im, _, err := buildImage(context.Background(), Options{Userland: u, Arch: &ARM64, Parser: "-", Rampart: prog})
	if err != nil {
		t.Fatal(err)
	}
	if e := im.entries["usr/bin/sh"]; e == nil || e.target != "/usr/bin/busybox" {
		t.Errorf("/usr/bin/sh: %+v, want a link to /usr/bin/busybox", e)
	}
	if e := im.entries["usr/bin/mount"]; e != nil {
		t.Errorf("/usr/bin/mount is in the image (%+v): the host cannot have listed an arm64 busybox's applets", e)
	}
	if e := im.entries["init"]; e == nil || !strings.Contains(string(e.data), "[ -e /usr/bin/mount ] || /usr/bin/busybox --install -s") {
		t.Error("/init does not link the applets itself")
	}
	if e := im.entries["usr/lib/aarch64-linux-gnu/libc.so.6"]; e == nil || string(e.data) != "not really a library" {
		t.Error("the userland's libc is not in the image")
	}
	if e := im.entries["usr/lib/ld-linux-aarch64.so.1"]; e == nil || e.target != "aarch64-linux-gnu/ld-linux-aarch64.so.1" {
		t.Errorf("the loader link: %+v", e)
	}
}

// The userland check fails closed: a program of the wrong architecture,
// a dynamic "busybox", a library nobody provides.
func TestUserlandCheck(t *testing.T) {
	prog := arm64Static(t)
	host, err := os.Executable() // this test binary: amd64 (or the host's)
	if err != nil {
		t.Fatal(err)
	}
	if err := (Userland{Busybox: prog, Parser: prog}).check(&ARM64); err != nil {
		t.Errorf("two static arm64 programs: %v", err)
	}
	if hostELF() != ARM64.ELF {
		err := (Userland{Busybox: host, Parser: prog}).check(&ARM64)
		if err == nil || !strings.Contains(err.Error(), "not EM_AARCH64") {
			t.Errorf("a host busybox for the arm64 guest: %v, want refused", err)
		}
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	sh, _ = filepath.EvalSymlinks(sh)
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal("busybox not found (Debian package busybox-static, scripts/deps.sh test)")
	}
	err = (Userland{Busybox: bb, Parser: sh}).check(archFor(t, sh))
	if err == nil || !strings.Contains(err.Error(), "needs") {
		t.Errorf("a dynamically linked parser without its libraries: %v, want refused", err)
	}
}

// archFor is the Arch whose ELF machine p has (the host's).
func archFor(t *testing.T, p string) *Arch {
	t.Helper()
	for _, a := range []*Arch{&AMD64, &ARM64} {
		if elfMachine(p) == a.ELF {
			return a
		}
	}
	t.Skipf("%s is of an architecture the lab does not boot", p)
	return nil
}
