package record

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestGeneralise(t *testing.T) {
	for in, want := range map[string]string{
		"/etc/hostname":                       "/etc/hostname",
		"/proc/self/status":                   "/proc/@{pid}/status",
		"/proc/12345/status":                  "/proc/@{pid}/status",
		"/proc/12345":                         "/proc/@{pid}",
		"/proc/self/task/678/comm":            "/proc/@{pid}/task/@{tid}/comm",
		"/proc/thread-self/attr/current":      "/proc/@{pid}/task/@{tid}/attr/current",
		"/proc/self/fd/7":                     "/proc/@{pid}/fd/*",
		"/proc/sys/kernel/ngroups_max":        "/proc/sys/kernel/ngroups_max",
		"/proc/1/ns/net":                      "/proc/@{pid}/ns/net",
		"/dev/pts/3":                          "/dev/pts/*",
		"/dev/null":                           "/dev/null",
		"/usr/lib/x86_64-linux-gnu/libc.so.6": "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/usr/lib/ld-linux-x86-64.so.2":       "/usr/lib/ld-linux-x86-64.so.2",
		"/usr/bin/python3.11":                 "/usr/bin/python3.11",
		"/usr/lib/python3.11/__pycache__/enum.cpython-311.pyc": "/usr/lib/python3.11/__pycache__/enum.cpython-311.pyc",
		"/usr/lib/i386-linux-gnu/libncursesw.so.6":             "/usr/lib/i386-linux-gnu/libncursesw.so.6",
		"/usr/bin/sha256sum":                                   "/usr/bin/sha256sum",
		// Run-specific: a pid in a name, a timestamp, hashes, UUIDs,
		// mkstemp and mktemp suffixes.
		"/run/app/app.4123456.lock":                               "/run/app/app.*.lock",
		"/var/log/app-1700000000.log":                             "/var/log/app-*.log",
		"/var/cache/x/3f786850e387550fdab836ed7e6dc881de23001b":   "/var/cache/x/*",
		"/tmp/tmp.Xk2P9aQwe1":                                     "/tmp/tmp.*",
		"/tmp/tmpk3j9x2a":                                         "/tmp/*",
		"/run/user/0/a1b2c3d4-0f1e-4d2c-9b8a-1234567890ab/socket": "/run/user/0/*/socket",
		"/home/u/.cache/deadbeef12/x":                             "/home/u/.cache/*/x",
		// Characters AppArmor reads as globs stay literal.
		"/srv/data[1]/a*b": `/srv/data\[1\]/a\*b`,
		"/srv/@{HOME}/x":   `/srv/\@\{HOME\}/x`,
		"/srv/{a,b}/x?":    `/srv/\{a,b\}/x\?`,
		"/":                "/",
	} {
		if got := Generalise(in); got != want {
			t.Errorf("Generalise(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestModes(t *testing.T) {
	for _, c := range []struct {
		op     fileOp
		flags  uint64
		m1, m2 string
		dir    bool
	}{
		{opOpen, 0, "r", "", false},
		{opOpen, oWronly | oCreat | oTrunc, "wc", "", false},
		{opOpen, oWronly | oAppend | oCreat, "ac", "", false},
		{opOpen, oRdwr, "rw", "", false},
		{opOpen, oRdwr | oAppend, "ra", "", false},
		{opOpen, oPath, "", "", false},
		{opOpen, oDirectory, "r", "", true},
		{opOpen, oTmpfile | oRdwr, "wc", "", false},
		{opCreat, 0o644, "wc", "", false},
		{opRename, 0, "rw", "wc", false},
		{opUnlink, 0, "w", "", false},
		{opUnlink, atRemoveDir, "w", "", true},
		{opMkdir, 0o755, "wc", "", true},
		{opLink, 0, "l", "", false},
		{opSetattr, 0, "w", "", false},
	} {
		m1, m2 := modes(c.op, c.flags)
		if m1 != c.m1 || m2 != c.m2 || isDirOp(c.op, c.flags) != c.dir {
			t.Errorf("op %d flags %#o: modes %q %q dir %v, want %q %q %v", c.op, c.flags, m1, m2, isDirOp(c.op, c.flags), c.m1, c.m2, c.dir)
		}
	}
}

func TestSocketNames(t *testing.T) {
	for _, c := range []struct {
		fam, typ uint32
		f, ty    string
	}{
		{2, 1 | sockNonblock | sockCloexec, "AF_INET", "SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC"},
		{10, 2, "AF_INET6", "SOCK_DGRAM"},
		{17, 3, "AF_PACKET", "SOCK_RAW"},
		{1, 5 | sockCloexec, "AF_UNIX", "SOCK_SEQPACKET|SOCK_CLOEXEC"},
		{99, 9, "AF_99", "SOCK_9"},
	} {
		if f, ty := familyName(c.fam), sockTypeName(c.typ); f != c.f || ty != c.ty {
			t.Errorf("%d/%#x: %s %s, want %s %s", c.fam, c.typ, f, ty, c.f, c.ty)
		}
	}
}

// The collector merges accesses under one glob and keeps a few raw paths.
func TestCollectorFiles(t *testing.T) {
	c := newCollector(&sysTable{})
	for _, p := range []string{"/proc/10/status", "/proc/11/status", "/proc/self/status"} {
		c.file(opOpen, 0, p, "", 2)
	}
	c.file(opOpen, oWronly|oAppend, "/proc/self/status", "", 1)
	c.exec("/proc/12/exe")
	r := c.finish()
	var got *FileAccess
	for i := range r.Files {
		if r.Files[i].Path == "/proc/@{pid}/status" {
			got = &r.Files[i]
		}
	}
	if got == nil || got.Mode != "ra" || got.Count != 7 || len(got.Raw) != 3 {
		t.Fatalf("files = %+v, want /proc/@{pid}/status ra count 7 with 3 raw", r.Files)
	}
	if len(r.Exec) != 1 || r.Exec[0] != "/proc/12/exe" {
		t.Errorf("Exec = %v", r.Exec)
	}
}

// Symbolic links resolve to what the file system says (EvalSymlinks),
// whether the directory's entries were learnt one by one (a few asked)
// or from one read of the whole directory (many asked); a file that is
// gone keeps its name under its resolved directory.
func TestLinkResolver(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(root, "real")
	small := filepath.Join(root, "small")
	for _, d := range []string{filepath.Join(real, "sub"), small} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var files []string
	for i := range 2 * lstatBeforeRead {
		f := filepath.Join(real, fmt.Sprintf("f%d", i))
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.Join(root, "l", filepath.Base(f)))
	}
	os.WriteFile(filepath.Join(small, "x"), nil, 0o644)
	for link, target := range map[string]string{
		filepath.Join(root, "l"):     "real",                       // a directory, relative
		filepath.Join(real, "rel"):   "f3",                         // a file, relative
		filepath.Join(real, "abs"):   filepath.Join(real, "f4"),    // a file, absolute
		filepath.Join(real, "hop"):   "rel",                        // a link to a link
		filepath.Join(small, "up"):   "../l/sub",                   // a directory through a link
		filepath.Join(small, "loop"): filepath.Join(small, "loop"), // never resolves
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	lr := &linkResolver{dirs: map[string]*resolvedDir{}}
	check := func(p string) {
		t.Helper()
		got, dir := lr.resolve(p)
		want, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(want)
		if got != want || dir != st.IsDir() {
			t.Errorf("%s: %s (dir %v), want %s (dir %v)", p, got, dir, want, st.IsDir())
		}
	}
	// small's entries by lstat; real's, past the first few, from the
	// directory read, its links among them.
	check(filepath.Join(small, "x"))
	check(filepath.Join(small, "up"))
	for _, f := range files {
		check(f)
	}
	for _, name := range []string{"rel", "abs", "hop", "sub"} {
		check(filepath.Join(root, "l", name))
	}
	if got, dir := lr.resolve(filepath.Join(root, "l", "gone")); got != filepath.Join(real, "gone") || dir {
		t.Errorf("a file gone: %s (dir %v), want %s", got, dir, filepath.Join(real, "gone"))
	}
	if got, _ := lr.resolve(filepath.Join(small, "loop")); got != filepath.Join(small, "loop") {
		t.Errorf("a link loop: %s, want it left as it is", got)
	}
	// real, as reached through l, was asked about all its files.
	if many := filepath.Join(root, "l"); !lr.dirs[many].whole || lr.dirs[small].whole {
		t.Errorf("read whole: %s %v, %s %v; want only the directory asked about over %d times", many, lr.dirs[many].whole, small, lr.dirs[small].whole, lstatBeforeRead)
	}
}
