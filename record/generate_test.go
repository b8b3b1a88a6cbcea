//go:build linux

package record

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	yamlv3 "go.yaml.in/yaml/v3"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/seccomp"
)

// genRecording is a workload that serves TCP, logs to a Unix datagram
// socket, starts threads, asks its terminal size and names itself.
func genRecording() *Recording {
	const threadFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
		unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_SETTLS | unix.CLONE_PARENT_SETTID | unix.CLONE_CHILD_CLEARTID
	return &Recording{
		Schema: Schema, Command: []string{"/usr/bin/app", "--serve"}, Recorder: RecorderEBPF, Runs: 1,
		Syscalls: map[string]map[string]uint64{ABIx86_64: {
			"read": 3, "write": 2, "socket": 2, "bind": 1, "clone": 1, "clone3": 1, "personality": 1,
			"ioctl": 4, "prctl": 1, "nr_999": 1, "not_a_syscall": 1, "mount": 0,
		}},
		Args: []ArgValue{
			{ABIx86_64, "clone", 0, threadFlags, 1},
			{ABIx86_64, "clone3", -1, threadFlags, 1},
			{ABIx86_64, "personality", 0, 0xffffffff, 1},
			{ABIx86_64, "ioctl", 1, unix.TCGETS, 3},
			{ABIx86_64, "ioctl", 1, unix.TIOCGWINSZ, 1},
			{ABIx86_64, "prctl", 0, unix.PR_SET_NAME, 1},
			{ABIx86_64, "bind", -1, unix.AF_INET, 1},
		},
		Sockets: []SocketUse{
			{Syscall: "socket", Family: "AF_INET", Type: "SOCK_STREAM|SOCK_CLOEXEC", Count: 1},
			{Syscall: "socket", Family: "AF_UNIX", Type: "SOCK_DGRAM", Count: 1},
		},
		Capabilities: []CapUse{{Cap: "NET_BIND_SERVICE", Granted: 1}, {Cap: "SYS_ADMIN", Denied: 2}},
		Files:        []FileAccess{{Path: "/etc/app.conf", Mode: "r", Raw: []string{"/etc/app.conf"}, Count: 1}},
		Exec:         []string{"/usr/bin/app"},
		Limits:       []string{},
	}
}

// decide runs a call through the compiled filter (the program the
// launcher loads, interpreted), not through the profile's rules.
func filterSays(t *testing.T, p *seccomp.Profile, abi, name string, args ...uint64) string {
	t.Helper()
	f, err := seccomp.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	prog := f.Program()
	if prog == nil {
		t.Fatalf("no compiled program: %s", f.Why)
	}
	arch, err := seccomp.ArchByName(abi)
	if err != nil {
		t.Fatal(err)
	}
	var a [6]uint64
	copy(a[:], args)
	d, err := seccomp.Explain(p, prog, arch, name, a)
	if err != nil {
		t.Fatal(err)
	}
	return d.Action
}

func hasNote(g *Generated, words ...string) bool {
	return slices.ContainsFunc(g.Notes, func(n string) bool {
		for _, w := range words {
			if !strings.Contains(n, w) {
				return false
			}
		}
		return true
	})
}

const (
	allow = "SCMP_ACT_ALLOW"
	eperm = "SCMP_ACT_ERRNO(EPERM)"
)

func TestGenerateSeccomp(t *testing.T) {
	g, err := Generate(genRecording(), GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := g.Seccomp
	if p.Spec.DefaultAction != specs.ActErrno || p.Spec.DefaultErrnoRet == nil || *p.Spec.DefaultErrnoRet != 1 {
		t.Errorf("default %s %v, want ERRNO(EPERM)", p.Spec.DefaultAction, p.Spec.DefaultErrnoRet)
	}
	if !slices.Equal(p.Spec.Architectures, []specs.Arch{specs.ArchX86_64}) {
		t.Errorf("architectures %v, want x86_64 only", p.Spec.Architectures)
	}
	const x = ABIx86_64
	for _, c := range []struct {
		why, name string
		args      []uint64
		want      string
	}{
		{"recorded", "read", nil, allow},
		{"runtime: the exec itself", "execve", nil, allow},
		{"runtime: rampart's status re-read", "pread64", nil, allow},
		{"never made", "mount", nil, eperm},
		{"never made", "unshare", []uint64{unix.CLONE_NEWUSER}, eperm},
		{"recorded kind", "socket", []uint64{unix.AF_INET, unix.SOCK_STREAM | unix.SOCK_NONBLOCK}, allow},
		{"kernel reads the family as an int", "socket", []uint64{1<<32 | unix.AF_INET, unix.SOCK_STREAM}, allow},
		{"recorded kind", "socket", []uint64{unix.AF_UNIX, unix.SOCK_DGRAM}, allow},
		{"type not recorded with the family", "socket", []uint64{unix.AF_UNIX, unix.SOCK_STREAM}, eperm},
		{"raw socket", "socket", []uint64{unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP}, eperm},
		{"packet socket", "socket", []uint64{unix.AF_PACKET, unix.SOCK_RAW}, eperm},
		{"threads", "clone", []uint64{unix.CLONE_VM | unix.CLONE_THREAD | unix.CLONE_SIGHAND}, allow},
		{"fork", "clone", []uint64{uint64(unix.SIGCHLD)}, allow},
		{"user namespace", "clone", []uint64{unix.CLONE_NEWUSER | uint64(unix.SIGCHLD)}, eperm},
		{"network namespace", "clone", []uint64{unix.CLONE_NEWNET}, eperm},
		{"flags out of reach", "clone3", nil, "SCMP_ACT_ERRNO(ENOSYS)"},
		{"recorded query", "personality", []uint64{0xffffffff}, allow},
		{"READ_IMPLIES_EXEC", "personality", []uint64{0x0400000}, eperm},
		{"recorded request", "ioctl", []uint64{1, unix.TCGETS}, allow},
		{"the kernel reads the low 32 bits: TCGETS", "ioctl", []uint64{1, 1<<32 | unix.TCGETS}, allow},
		{"TIOCSTI", "ioctl", []uint64{0, unix.TIOCSTI}, eperm},
		{"TIOCSTI with upper bits set", "ioctl", []uint64{0, 1<<32 | unix.TIOCSTI}, eperm},
		{"recorded option", "prctl", []uint64{unix.PR_SET_NAME}, allow},
		{"not recorded", "prctl", []uint64{unix.PR_SET_DUMPABLE, 1}, eperm},
	} {
		if got := filterSays(t, p, x, c.name, c.args...); got != c.want {
			t.Errorf("%s(%#x) (%s): %s, want %s", c.name, c.args, c.why, got, c.want)
		}
	}
	// No compat ABI was recorded: the whole of it is refused.
	for _, abi := range []string{ABIx86, ABIx32} {
		if got := filterSays(t, p, abi, "read"); got == allow || !strings.Contains(got, "KILL") {
			t.Errorf("%s read: %s, want the ABI killed", abi, got)
		}
	}
	if g.Caps != caps.Of(caps.NET_BIND_SERVICE) {
		t.Errorf("caps %s, want NET_BIND_SERVICE", g.Caps)
	}
	for _, words := range [][]string{
		{"denied and not added", "SYS_ADMIN (2)"},
		{"cannot name", "nr_999", "not_a_syscall"},
		{"x86_64 only", "refuses those ABIs wholesale"},
		{"clone3", "ENOSYS"},
		{"ioctl only", "0x5401", "0x5413"},
	} {
		if !hasNote(g, words...) {
			t.Errorf("no note with %q in\n%s", words, strings.Join(g.Notes, "\n"))
		}
	}
}

// A recording that used the i386 ABI gets it listed, with its rules;
// socketcall's argument (which call) is conditioned, the socket's are
// out of reach there, and the notes say so.
func TestGenerateCompatABI(t *testing.T) {
	rec := &Recording{Schema: Schema, Command: []string{"./legacy"}, Runs: 1,
		Syscalls: map[string]map[string]uint64{
			ABIx86:    {"socketcall": 1, "read": 1, "exit_group": 1},
			ABIx86_64: {"execve": 1},
		},
		Args: []ArgValue{{ABIx86, "socketcall", 0, 1 /* SYS_SOCKET */, 1}},
	}
	g, err := Generate(rec, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Seccomp.Spec.Architectures, []specs.Arch{specs.ArchX86_64, specs.ArchX86}) {
		t.Errorf("architectures %v, want x86_64 and x86", g.Seccomp.Spec.Architectures)
	}
	if got := filterSays(t, g.Seccomp, ABIx86, "read"); got != allow {
		t.Errorf("x86 read: %s", got)
	}
	if got := filterSays(t, g.Seccomp, ABIx86, "socketcall", 1); got != allow {
		t.Errorf("x86 socketcall(SYS_SOCKET): %s", got)
	}
	if got := filterSays(t, g.Seccomp, ABIx86, "socketcall", 2 /* SYS_BIND */); got != eperm {
		t.Errorf("x86 socketcall(SYS_BIND): %s", got)
	}
	if got := filterSays(t, g.Seccomp, ABIx32, "read"); !strings.Contains(got, "KILL") {
		t.Errorf("x32 read: %s, want the ABI killed", got)
	}
	if !hasNote(g, "x86_64 and x86", "because the recording used them") {
		t.Errorf("no note on the listed ABI:\n%s", strings.Join(g.Notes, "\n"))
	}

	rec.Syscalls[ABIx86]["socket"] = 1
	rec.Sockets = []SocketUse{{Syscall: "socket", Family: "AF_INET", Type: "SOCK_DGRAM"}}
	if g, err = Generate(rec, GenerateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !hasNote(g, "socketcall(2) hide their arguments") {
		t.Errorf("no socketcall caveat:\n%s", strings.Join(g.Notes, "\n"))
	}
	// libseccomp builds it (socket rules land on socketcall on x86).
	if _, err := seccomp.Compile(g.Seccomp); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateIoctlThreshold(t *testing.T) {
	rec := &Recording{Schema: Schema, Command: []string{"tty-app"}, Runs: 1,
		Syscalls: map[string]map[string]uint64{ABIx86_64: {"ioctl": 20}}}
	for i := range 20 {
		rec.Args = append(rec.Args, ArgValue{ABIx86_64, "ioctl", 1, uint64(0x5401 + i), 1})
	}
	for _, c := range []struct {
		max  int
		want string // for TIOCSTI (0x5412), which is among the 20
	}{
		{0, allow},  // 20 > 16: any request
		{32, allow}, // conditioned; TIOCSTI was recorded
		{-1, allow}, // never conditioned
	} {
		g, err := Generate(rec, GenerateOptions{IoctlMax: c.max})
		if err != nil {
			t.Fatal(err)
		}
		if got := filterSays(t, g.Seccomp, ABIx86_64, "ioctl", 0, unix.TIOCSTI); got != c.want {
			t.Errorf("max %d: TIOCSTI %s, want %s", c.max, got, c.want)
		}
		conditioned := !slices.Contains(g.Seccomp.Spec.Syscalls[0].Names, "ioctl")
		if conditioned != (c.max == 32) {
			t.Errorf("max %d: ioctl conditioned %v", c.max, conditioned)
		}
		if got := filterSays(t, g.Seccomp, ABIx86_64, "ioctl", 0, 0x8000); (got == allow) == conditioned {
			t.Errorf("max %d: unrecorded request 0x8000: %s", c.max, got)
		}
	}
}

func TestGenerateFilesAppArmorLandlock(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "data.txt"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "out"), 0o755)
	rec := genRecording()
	rec.Files = []FileAccess{
		{Path: dir + "/data.txt", Mode: "r", Raw: []string{dir + "/data.txt"}},
		{Path: dir + "/out/new.log", Mode: "wc", Raw: []string{dir + "/out/new.log"}},
		{Path: dir + "/out/", Mode: "r", Raw: []string{dir + "/out"}},
		{Path: dir + "/gone/deeper/file", Mode: "r"},
		{Path: "/proc/@{pid}/status", Mode: "r", Raw: []string{"/proc/self/status"}},
		{Path: "/proc/@{pid}/exe", Mode: "x", Raw: []string{"/proc/self/exe"}},
		{Path: "/bin/true", Mode: "x", Raw: []string{"/bin/true"}},
		{Path: "relative/path", Mode: "r"},
		{Path: "/sys/kernel/security/x", Mode: "r", Raw: []string{"/sys/kernel/security/x"}},
	}
	rec.Exec = []string{"/bin/true"}
	g, err := Generate(rec, GenerateOptions{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}

	// AppArmor: the allow list, decided by the evaluator.
	c, err := apparmor.Compile(g.AppArmor.Profiles[0], apparmor.BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	for acc, want := range map[string]bool{
		dir + "/data.txt r": true, dir + "/data.txt w": false, dir + "/out/new.log w": true,
		dir + "/out/other.log w": false, dir + "/out/ r": true, "/proc/1/status r": true,
		"/proc/1/environ r": false, "/bin/true x": true, "/bin/sh x": false, "/etc/shadow r": false,
		"/etc/app.conf r": false, "network inet stream": true, "network unix dgram": true,
		"network inet raw": false, "network packet": false,
		// abstractions/base's `unix (create, ...)` reaches a kernel
		// without AppArmor's unix mediation as `network unix`: every unix
		// socket type is allowed there (the lab's kernel shows it)
		"network unix stream":         true,
		"capability net_bind_service": true, "capability sys_admin": false, "capability net_raw": false,
	} {
		a, err := apparmor.ParseAccess(acc)
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Eval(a)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != want {
			t.Errorf("%s: %s (%s), want allowed %v", acc, d.Verdict(), d.Reason, want)
		}
	}
	// The container defaults win over the recording.
	if !hasNote(g, "/sys/kernel/security/x r stays denied") {
		t.Errorf("no note on the container default's denial:\n%s", strings.Join(g.Notes, "\n"))
	}
	if !hasNote(g, `"relative/path" r`) {
		t.Errorf("no note on the path left out:\n%s", strings.Join(g.Notes, "\n"))
	}
	if err := apparmor.CheckCompile(g.Name, []byte(g.AppArmor.Render())); err != nil {
		if strings.Contains(err.Error(), apparmor.ErrNoParser.Error()) {
			t.Skip(err)
		}
		t.Errorf("apparmor_parser refuses the profile: %v\n%s", err, g.AppArmor.Render())
	}

	// Landlock: literal paths, directories for what is created or globbed.
	got := map[string]string{}
	for _, r := range g.Landlock {
		if r.Mode != policy.Allow {
			t.Errorf("%s: not an allow rule", r)
		}
		got[r.Path] = r.Access
	}
	interp := elfInterpreter("/bin/true")
	want := map[string]string{
		dir + "/data.txt": "r", dir + "/out": "rw", dir: "r", "/proc": "r", "/bin/true": "rx",
	}
	if interp != "" {
		want[interp] = "rx"
	}
	for p, a := range want {
		if got[p] != a {
			t.Errorf("landlock %s: %q, want %q (all: %v)", p, got[p], a, got)
		}
	}
	if !hasNote(g, "nearest existing ancestor", dir+"/gone/deeper/file -> "+dir) {
		t.Errorf("no note on the missing path:\n%s", strings.Join(g.Notes, "\n"))
	}
}

// A glob's raw paths that went through a symbolic link are decided at
// their target, as the kernel decides them: an alias of a man page is
// allowed by the rule the recorder wrote for the page, with no note
// claiming it stays denied.
func TestGenerateCheckFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "unit@.service.8.gz")
	os.WriteFile(page, []byte("x"), 0o644)
	os.Symlink(filepath.Base(page), filepath.Join(dir, "unit.8.gz"))
	rec := genRecording()
	rec.Files = []FileAccess{{Path: Generalise(page), Mode: "r", Raw: []string{filepath.Join(dir, "unit.8.gz"), page}, Count: 2}}
	g, err := Generate(rec, GenerateOptions{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if hasNote(g, "stays denied") {
		t.Errorf("a symbolic link's target reported denied:\n%s", strings.Join(g.Notes, "\n"))
	}
	// A raw path the rule does not cover is still reported.
	rec.Files[0].Raw = append(rec.Files[0].Raw, filepath.Join(dir, "other.8.gz"))
	if g, err = Generate(rec, GenerateOptions{Name: "app"}); err != nil {
		t.Fatal(err)
	}
	if !hasNote(g, "other.8.gz r stays denied") {
		t.Errorf("no note on the path the rule misses:\n%s", strings.Join(g.Notes, "\n"))
	}
}

// A recording made as another user (record --user) runs as that user
// under its policy and its securityContext.
func TestGenerateRunsAsRecordedUser(t *testing.T) {
	rec := genRecording()
	rec.User = &RunAs{UID: 65534, GID: 65533}
	g, err := Generate(rec, GenerateOptions{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if u := g.Policy.User; u == nil || u.UID != 65534 || u.GID != 65533 {
		t.Errorf("policy user %+v, want 65534:65533", g.Policy.User)
	}
	for _, s := range []string{"runAsUser: 65534", "runAsGroup: 65533", "runAsNonRoot: true"} {
		if !strings.Contains(string(g.SecurityContext), s) {
			t.Errorf("securityContext lacks %q:\n%s", s, g.SecurityContext)
		}
	}
	if m := Merge(genRecording(), rec); m.User == nil || *m.User != *rec.User {
		t.Errorf("merged user %+v", m.User)
	}
	g, _ = Generate(genRecording(), GenerateOptions{Name: "app"})
	if g.Policy.User != nil || strings.Contains(string(g.SecurityContext), "runAs") {
		t.Errorf("no user recorded, yet the policy sets one: %+v\n%s", g.Policy.User, g.SecurityContext)
	}
}

func TestGenerateKubernetesForms(t *testing.T) {
	g, err := Generate(genRecording(), GenerateOptions{Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "rampart-app" {
		t.Errorf("name %q", g.Name)
	}
	var doc struct {
		SC struct {
			APE  *bool `yaml:"allowPrivilegeEscalation"`
			Caps struct {
				Add, Drop []string
			} `yaml:"capabilities"`
			Seccomp  map[string]string `yaml:"seccompProfile"`
			AppArmor map[string]string `yaml:"appArmorProfile"`
		} `yaml:"securityContext"`
	}
	if err := yamlv3.Unmarshal(g.SecurityContext, &doc); err != nil {
		t.Fatal(err)
	}
	sc := doc.SC
	if sc.APE == nil || *sc.APE || !slices.Equal(sc.Caps.Drop, []string{"ALL"}) || !slices.Equal(sc.Caps.Add, []string{"NET_BIND_SERVICE"}) ||
		sc.Seccomp["type"] != "Localhost" || sc.Seccomp["localhostProfile"] != "rampart/rampart-app.json" ||
		sc.AppArmor["type"] != "Localhost" || sc.AppArmor["localhostProfile"] != "rampart-app" {
		t.Errorf("securityContext:\n%s", g.SecurityContext)
	}

	docs := strings.Split(string(g.SPO), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d SPO documents:\n%s", len(docs), g.SPO)
	}
	// The SeccompProfile object decides as the profile does.
	sp, err := seccomp.Parse("spo.yaml", []byte(docs[0]), g.Caps)
	if err != nil {
		t.Fatal(err)
	}
	if got := filterSays(t, sp, ABIx86_64, "socket", unix.AF_PACKET, unix.SOCK_RAW); got != eperm {
		t.Errorf("SPO profile: packet socket %s", got)
	}
	var ap struct {
		Kind     string
		Metadata struct{ Name, Namespace string }
		Spec     struct {
			Abstract struct {
				Filesystem struct {
					ReadOnly []string `yaml:"readOnlyPaths"`
				}
				Network struct {
					AllowRaw  bool `yaml:"allowRaw"`
					Protocols struct {
						TCP bool `yaml:"allowTcp"`
						UDP bool `yaml:"allowUdp"`
					} `yaml:"allowedProtocols"`
				}
				Capability struct {
					Allowed []string `yaml:"allowedCapabilities"`
				}
			}
		}
	}
	if err := yamlv3.Unmarshal([]byte(docs[1]), &ap); err != nil {
		t.Fatal(err)
	}
	a := ap.Spec.Abstract
	if ap.Kind != "AppArmorProfile" || ap.Metadata.Name != "rampart-app" || ap.Metadata.Namespace != "shop" ||
		!slices.Equal(a.Filesystem.ReadOnly, []string{"/etc/app.conf"}) || a.Network.AllowRaw || !a.Network.Protocols.TCP ||
		a.Network.Protocols.UDP || !slices.Equal(a.Capability.Allowed, []string{"net_bind_service"}) {
		t.Errorf("AppArmorProfile:\n%s", docs[1])
	}
	if !hasNote(g, "cannot allow unix dgram sockets") {
		t.Errorf("no note on the family the operator cannot express:\n%s", strings.Join(g.Notes, "\n"))
	}
}

func TestWritePolicy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	paths, err := WritePolicy(dir, genRecording())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	want := []string{PolicyFile, SeccompFile, "rampart-app", SecurityContextFile, SPOFile, NotesFile}
	if !slices.Equal(names, want) {
		t.Errorf("wrote %v, want %v", names, want)
	}
	p, err := policy.ReadFile(filepath.Join(dir, PolicyFile))
	if err != nil {
		t.Fatal(err)
	}
	if p.Seccomp.Kind != policy.SeccompFile || p.Seccomp.Path != filepath.Join(dir, SeccompFile) {
		t.Errorf("policy seccomp %+v, want the absolute path of the profile", p.Seccomp)
	}
	if c := p.Capabilities; c == nil || !c.DropAll || c.Add != caps.Of(caps.NET_BIND_SERVICE) || c.InheritBase {
		t.Errorf("policy capabilities %+v", p.Capabilities)
	}
	if _, err := seccomp.Load(p.Seccomp, p.Capabilities.Add); err != nil {
		t.Errorf("the policy's profile does not load: %v", err)
	}
	if _, err := apparmor.ProfileIn(filepath.Join(dir, "rampart-app"), "rampart-app"); err != nil {
		t.Error(err)
	}
}

func TestProfileName(t *testing.T) {
	for _, c := range []struct {
		name string
		cmd  []string
		want string
	}{
		{"", []string{"/usr/bin/Python3.11"}, "rampart-python3.11"},
		{"", []string{"./my app"}, "rampart-my-app"},
		{"", nil, "rampart-recorded"},
		{"web", nil, "web"},
		{"Web", nil, ""},
		{"policy.json", nil, ""},
		{"-x", nil, ""},
	} {
		got, err := profileName(c.name, c.cmd)
		if (err != nil) != (c.want == "") || got != c.want {
			t.Errorf("profileName(%q, %q) = %q, %v; want %q", c.name, c.cmd, got, err, c.want)
		}
	}
	// A recording's own name (record --name) names its profiles, and
	// survives a merge; GenerateOptions.Name still wins.
	rec := genRecording()
	rec.Name = "shop-web"
	for _, c := range []struct {
		rec  *Recording
		opt  string
		want string
	}{{rec, "", "shop-web"}, {Merge(genRecording(), rec), "", "shop-web"}, {rec, "other", "other"}} {
		g, err := Generate(c.rec, GenerateOptions{Name: c.opt})
		if err != nil || g.Name != c.want || g.AppArmor.Profiles[0].Name != c.want {
			t.Errorf("Generate(name %q, option %q): %v, %v; want %q", c.rec.Name, c.opt, g, err, c.want)
		}
	}
	if CheckName("Shop") == nil || CheckName("shop") != nil {
		t.Error("CheckName does not hold names to the profile rules")
	}
}

// FuzzGenerate: whatever a recording holds, Generate makes a profile
// seccomp.Parse accepts, an AppArmor profile that parses back, and
// Landlock allow rules on absolute paths, or says which input it cannot
// use; it never fails.
func FuzzGenerate(f *testing.F) {
	f.Add("read,write,socket,clone3,personality", []byte{0, 1, 2, 3}, "/etc/x\x00r\x00/tmp/*/y\x00wc", "NET_RAW,SYS_ADMIN", "AF_INET SOCK_RAW")
	f.Add("socketcall,ioctl", []byte{255, 0, 9, 200, 17}, "@{HOME}/a\x00x\x00relative\x00rwaclkx", "bogus", "AF_99 SOCK_17|SOCK_CLOEXEC")
	f.Add("nr_1000,,ioctl", []byte{}, "/a b/{c\x00r", "", "x y")
	names := []string{"read", "socket", "socketpair", "clone", "clone3", "personality", "ioctl", "prctl", "socketcall", "execve", "open"}
	f.Fuzz(func(t *testing.T, calls string, vals []byte, files string, capList string, sock string) {
		rec := &Recording{Schema: Schema, Command: []string{calls}, Runs: len(vals) % 3,
			Syscalls: map[string]map[string]uint64{}, RunsUsing: map[string]map[string]int{}}
		abis := []string{ABIx86_64, ABIx86, ABIx32, "arm64"}
		for i, n := range strings.Split(calls, ",") {
			abi := abis[i%len(abis)]
			if rec.Syscalls[abi] == nil {
				rec.Syscalls[abi] = map[string]uint64{}
			}
			rec.Syscalls[abi][n]++
		}
		for i := 0; i+1 < len(vals); i += 2 {
			n := names[int(vals[i])%len(names)]
			abi := abis[int(vals[i])%len(abis)]
			if rec.Syscalls[abi] == nil {
				rec.Syscalls[abi] = map[string]uint64{}
			}
			rec.Syscalls[abi][n]++
			v := uint64(vals[i+1]) << (vals[i] % 40)
			rec.Args = append(rec.Args, ArgValue{abi, n, int(vals[i]%4) - 1, v, 1})
		}
		parts := strings.Split(files, "\x00")
		for i := 0; i+1 < len(parts); i += 2 {
			rec.Files = append(rec.Files, FileAccess{Path: parts[i], Mode: parts[i+1], Raw: []string{parts[i]}})
			rec.Exec = append(rec.Exec, parts[i])
		}
		for _, c := range strings.Split(capList, ",") {
			rec.Capabilities = append(rec.Capabilities, CapUse{Cap: c, Granted: uint64(len(c) % 2), Denied: 1})
		}
		if fam, typ, ok := strings.Cut(sock, " "); ok {
			rec.Sockets = append(rec.Sockets, SocketUse{Syscall: "socket", Family: fam, Type: typ})
		}
		g, err := Generate(rec, GenerateOptions{IoctlMax: len(vals) - 3})
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		js, err := g.Seccomp.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := seccomp.Parse("generated.json", js, g.Caps); err != nil {
			t.Fatalf("seccomp.Parse refuses the generated profile: %v\n%s", err, js)
		}
		text := g.AppArmor.Render()
		if _, err := apparmor.ParseDocument(g.Name, []byte(text)); err != nil {
			t.Fatalf("the generated AppArmor profile does not parse: %v\n%s", err, text)
		}
		for _, r := range g.Landlock {
			if r.Mode != policy.Allow || !filepath.IsAbs(r.Path) || r.Access == "" || strings.Trim(r.Access, "rwx") != "" {
				t.Fatalf("bad Landlock rule %+v", r)
			}
		}
	})
}

// A recording made on an arm64 machine generates an arm64 profile
// wherever it is read: AArch64 numbers, AArch32 refused wholesale unless
// the recording used it. Compiled with this machine's libseccomp for
// arm64 (seccomp's foreign compile).
func TestGenerateARM64(t *testing.T) {
	rec := &Recording{Schema: Schema, Command: []string{"/bin/busybox", "head"}, Runs: 1,
		Syscalls: map[string]map[string]uint64{
			ABIAArch64: {"execve": 1, "openat": 1, "read": 2, "write": 1, "exit_group": 1, "prctl": 1},
		},
		Args: []ArgValue{{ABIAArch64, "prctl", 0, unix.PR_SET_NAME, 1}},
	}
	g, err := Generate(rec, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := g.Seccomp.Platform(); p.GOARCH != "arm64" {
		t.Fatalf("profile for %s, want arm64", p)
	}
	if !slices.Equal(g.Seccomp.Spec.Architectures, []specs.Arch{specs.ArchAARCH64}) {
		t.Errorf("architectures %v, want aarch64 only", g.Seccomp.Spec.Architectures)
	}
	if !hasNote(g, "architectures aarch64 only", "32-bit (arm, AArch32)") {
		t.Errorf("no note on the ABIs:\n%s", strings.Join(g.Notes, "\n"))
	}
	for _, c := range []struct {
		abi, name string
		args      []uint64
		want      string
	}{
		{ABIAArch64, "read", nil, allow},
		{ABIAArch64, "prctl", []uint64{unix.PR_SET_NAME}, allow},
		{ABIAArch64, "prctl", []uint64{unix.PR_SET_DUMPABLE}, eperm},
		{ABIAArch64, "mkdirat", nil, eperm},
		{ABIARM, "read", nil, "KILL"},
	} {
		if got := filterSays(t, g.Seccomp, c.abi, c.name, c.args...); !strings.Contains(got, c.want) {
			t.Errorf("%s %s%v: %s, want %s", c.abi, c.name, c.args, got, c.want)
		}
	}
	// The x86 ABI names no arm64 profile knows are left out, with a note.
	rec.Syscalls[ABIx86] = map[string]uint64{"read": 1}
	if g, err = Generate(rec, GenerateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !hasNote(g, `ABI "x86" left out: not an ABI of arm64 (aarch64, arm)`) {
		t.Errorf("no note on the foreign ABI:\n%s", strings.Join(g.Notes, "\n"))
	}
	delete(rec.Syscalls, ABIx86)

	// AArch32 calls add the arm ABI, with the same allow list.
	rec.Syscalls[ABIARM] = map[string]uint64{"read": 1, "write": 1, "exit_group": 1}
	if g, err = Generate(rec, GenerateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Seccomp.Spec.Architectures, []specs.Arch{specs.ArchAARCH64, specs.ArchARM}) {
		t.Errorf("architectures %v, want aarch64 and arm", g.Seccomp.Spec.Architectures)
	}
	if got := filterSays(t, g.Seccomp, ABIARM, "read"); got != allow {
		t.Errorf("arm read: %s", got)
	}
	if got := filterSays(t, g.Seccomp, ABIARM, "mkdir"); got != eperm {
		t.Errorf("arm mkdir: %s", got)
	}

	// Check judges the arm64 recording against its arm64 profile.
	p := genPolicy(t, rec)
	if ms, err := Check(rec, p); err != nil || len(ms) != 0 {
		t.Fatalf("the recorded run itself: %q %v", ms, err)
	}
	rec.Syscalls[ABIAArch64]["unshare"] = 1
	ms, err := Check(rec, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := whats(ms); !slices.Equal(got, []string{"seccomp: syscall unshare (aarch64)"}) {
		t.Errorf("missing: %q", got)
	}
}
