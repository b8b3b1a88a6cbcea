//go:build linux && cgo && seccomp

package seccomp

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/internal/cachedir"
)

// Compiling a multi-architecture profile with libseccomp takes tens of
// milliseconds (RuntimeDefault: about 35 ms here), more than the rest of a
// launch together. rampart therefore keeps the programs runc's engine
// produced: the first launch compiles the profile in a helper process
// with that engine, reads the loaded program back from the kernel
// (PTRACE_SECCOMP_GET_FILTER) and stores it; later launches load the
// stored program directly. What is loaded is byte for byte what the
// engine produced, not a re-implementation of it.
//
// The cache is trusted like a binary: its directory and files must belong
// to the caller's uid and be writable by nobody else, or they are ignored.
// Ownership alone does not make an entry the right one, though: root (or
// a mistake) can put any program under any name. So each entry carries
// the digest of the input it was compiled from (the resolved profile, the
// bounding set it was resolved for, the flags, libseccomp's version, the
// architectures and the engine's versions), which must equal the digest
// of what is asked, and the program read back is then held to the
// profile's rules by the interpreter (spotCheck) before it is used: an
// entry that fails either is compiled again.

// compilerEnv makes a rampart process the compile helper.
const compilerEnv = "RAMPART_SECCOMP_COMPILER"

// helperEntered says HelperMain ran in this process: only a program that
// calls it turns into the compile helper when re-executed, so only such
// a program is re-executed. Any other would start its own main a second
// time (a server, a test binary running its tests again).
var helperEntered atomic.Bool

// errNoHelper is why a program that does not call HelperMain compiles in
// place.
var errNoHelper = errors.New("this program does not call seccomp.HelperMain first thing in main, so no compile helper can be started")

// HelperMain turns this process into the compile helper it was
// re-executed as, if it is one, and exits when the helper is done;
// otherwise it returns at once. A program that launches workloads or
// predicts with compiled filters calls it first thing in main (a test
// binary in TestMain), before anything else runs: a cache miss compiles
// the profile in this program re-executed (os.Executable). Without the
// call no helper is started, and profiles are compiled in place at
// Install (Filter.Why says so): slower, and prediction falls back to
// the program libseccomp exports. Importing the package diverts nothing.
func HelperMain() {
	helperEntered.Store(true)
	if os.Getenv(compilerEnv) == "1" {
		os.Exit(compilerMain())
	}
}

// compilerMain loads the profile read from stdin into one of its
// threads, says "ok TID", and exits when stdin closes, after the parent
// has read the filter of that thread. The filtered thread makes no
// syscall after loading (it spins on a flag), so a profile that denies
// read, write or futex cannot stop the helper; the helper runs without
// garbage collection, so nothing needs to stop that thread.
func compilerMain() int {
	debug.SetGCPercent(-1)
	// The spinning thread holds a P for good: the main goroutine needs
	// another, even on one CPU or under GOMAXPROCS=1.
	runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0)))
	var spec specs.LinuxSeccomp
	r := bufio.NewReader(os.Stdin)
	if err := json.NewDecoder(r).Decode(&spec); err != nil {
		fmt.Fprintln(os.Stderr, "seccomp compiler:", err)
		return 1
	}
	// After loading, the filtered thread touches only atomics: a channel
	// send could need futex, which the profile may deny.
	var state atomic.Int64 // 0 loading, >0 the thread's tid, <0 failed
	var loadErr error
	var done atomic.Bool
	go func() {
		runtime.LockOSThread() // never unlocked: the thread carries the filter
		tid := unix.Gettid()
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			loadErr = err
			state.Store(-1)
			return
		}
		if err := installDirect(&Profile{Name: "helper", Spec: &spec}); err != nil {
			loadErr = err
			state.Store(-1)
			return
		}
		state.Store(int64(tid))
		for !done.Load() {
		}
	}()
	for state.Load() == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	if state.Load() < 0 {
		fmt.Fprintln(os.Stderr, "seccomp compiler:", loadErr)
		return 1
	}
	l := struct{ tid int64 }{state.Load()}
	fmt.Fprintf(os.Stdout, "ok %d\n", l.tid)
	io.Copy(io.Discard, r)
	done.Store(true)
	return 0
}

// program is a compiled filter with the seccomp(2) flags to load it with.
type program struct {
	flags uint32
	insns []unix.SockFilter
	// digest is the cache digest of the input the program was compiled
	// from (zero for a program that is not the cache's).
	digest [sha256.Size]byte
}

// errCheck marks a program that does not do what the profile says.
type errCheck struct{ err error }

func (e *errCheck) Error() string { return e.err.Error() }

// compile returns the program for p, from the cache or compiled and
// stored, with the profile's rules on syscalls newer than libseccomp in
// front (numberedPrefix), checked against the profile (spotCheck). It
// returns an *errCheck when a freshly compiled program fails the check,
// and another error when caching is not possible (no CAP_SYS_ADMIN to
// read a filter back, no cache directory); the caller then compiles in
// place. details say what happened to a cache entry that was not used.
func compile(p *Profile, flags uint32) (prog *program, details []string, err error) {
	if os.Getenv("RAMPART_SECCOMP_CACHE") == "off" {
		return nil, nil, errors.New("cache disabled")
	}
	prefix, err := numberedPrefix(p)
	if err != nil {
		return nil, nil, err
	}
	dir, err := cacheDir()
	if err != nil {
		return nil, nil, err
	}
	digest, err := cacheDigest(p, flags)
	if err != nil {
		return nil, nil, err
	}
	file := filepath.Join(dir, hex.EncodeToString(digest[:16])+".bpf")
	engine, err := readProgram(file, digest)
	switch {
	case err == nil && engine.flags != flags:
		details = append(details, fmt.Sprintf("seccomp cache: %s has flags %#x, not %#x; compiled again", file, engine.flags, flags))
	case err == nil:
		prog := &program{flags: flags, insns: append(slices.Clip(prefix), engine.insns...), digest: digest}
		cerr := spotCheck(p, prog.insns, true)
		if cerr == nil {
			return prog, nil, nil
		}
		details = append(details, fmt.Sprintf("seccomp cache: %s: %v; compiled again", file, cerr))
	case !errors.Is(err, fs.ErrNotExist):
		details = append(details, fmt.Sprintf("seccomp cache: %v; compiled again", err))
	}
	insns, err := compileInHelper(p)
	if err != nil {
		return nil, details, err
	}
	prog = &program{flags: flags, insns: append(slices.Clip(prefix), insns...), digest: digest}
	if err := spotCheck(p, prog.insns, true); err != nil {
		return nil, details, &errCheck{fmt.Errorf("the compiled filter does not do what the profile says: %w", err)}
	}
	writeProgram(dir, file, digest, &program{flags: flags, insns: insns}) // a failed store only costs the next launch time
	return prog, details, nil
}

// cacheDigest is the digest of everything the engine's program depends
// on.
func cacheDigest(p *Profile, flags uint32) ([sha256.Size]byte, error) {
	h := sha256.New()
	spec, err := json.Marshal(p.Spec)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	h.Write(spec)
	fmt.Fprintf(h, "\x00bounding=%#x\x00flags=%d\x00libseccomp=%s\x00%s\x00%s", uint64(p.Bounding), flags, libseccompVersion(), p.Platform().GOARCH, engineVersions())
	return [sha256.Size]byte(h.Sum(nil)), nil
}

// engineVersions names the Go modules that shape the program.
func engineVersions() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	s := ""
	for _, d := range bi.Deps {
		switch d.Path {
		case "github.com/opencontainers/runc", "github.com/seccomp/libseccomp-golang":
			s += d.Path + "@" + d.Version + " "
		}
	}
	return s
}

func cacheDir() (string, error) {
	dir, err := cachedir.Dir("seccomp")
	if err != nil {
		return "", fmt.Errorf("seccomp cache: %w", err)
	}
	return dir, nil
}

// An entry is the magic, the digest of its input, the flags, the number of
// instructions and the instructions (little-endian).
var magic = [8]byte{'R', 'M', 'P', 'T', 'B', 'P', 'F', '2'}

const headerLen = 8 + sha256.Size + 4 + 4

// readProgram reads an entry and checks it was compiled from the input
// whose digest is given.
func readProgram(file string, digest [sha256.Size]byte) (*program, error) {
	// A planted program would become the workload's filter.
	f, err := cachedir.Open(file)
	if err != nil {
		return nil, fmt.Errorf("seccomp cache: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, err
	}
	if len(b) < headerLen || [8]byte(b[:8]) != magic {
		return nil, fmt.Errorf("seccomp cache: %s: bad header", file)
	}
	if [sha256.Size]byte(b[8:]) != digest {
		// A program compiled for another profile, or planted.
		return nil, fmt.Errorf("seccomp cache: %s was compiled from another input than this profile's", file)
	}
	flags := binary.LittleEndian.Uint32(b[8+sha256.Size:])
	n := int(binary.LittleEndian.Uint32(b[8+sha256.Size+4:]))
	if n == 0 || n > unix.BPF_MAXINSNS || len(b) != headerLen+n*8 {
		return nil, fmt.Errorf("seccomp cache: %s: bad length", file)
	}
	insns := make([]unix.SockFilter, n)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&insns[0])), n*8), b[headerLen:])
	return &program{flags: flags, insns: insns}, nil
}

func writeProgram(dir, file string, digest [sha256.Size]byte, p *program) error {
	b := make([]byte, headerLen, headerLen+len(p.insns)*8)
	copy(b, magic[:])
	copy(b[8:], digest[:])
	binary.LittleEndian.PutUint32(b[8+sha256.Size:], p.flags)
	binary.LittleEndian.PutUint32(b[8+sha256.Size+4:], uint32(len(p.insns)))
	b = append(b, Bytes(p.insns)...)
	return cachedir.Write(dir, file, b)
}

// errHelperSilent marks a helper that died before answering and said
// nothing.
var errHelperSilent = errors.New("the helper died without a word")

// compileInHelper runs the engine in a child and reads the filter back.
// A profile that denies futex and write can kill the helper after it
// loads: a runtime lock its filtered thread finds contended ends in a
// futex wake the filter refuses, and the crash report cannot be written.
// That death is the Go runtime's timing, not the profile's, so a silent
// one is tried again, twice.
func compileInHelper(p *Profile) ([]unix.SockFilter, error) {
	if !helperEntered.Load() {
		return nil, errNoHelper
	}
	for try := 1; ; try++ {
		insns, err := compileInHelperOnce(p)
		if err == nil || !errors.Is(err, errHelperSilent) || try == 3 {
			return insns, err
		}
	}
}

func compileInHelperOnce(p *Profile) ([]unix.SockFilter, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// A helper that never answers must not hang the launch: past the
	// deadline it is killed and the caller compiles in place.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, self)
	// No asynchronous preemption: its signal's return path (rt_sigreturn)
	// may be denied by the profile the helper loads.
	cmd.Env = append(os.Environ(), compilerEnv+"=1", "GODEBUG=asyncpreemptoff=1")
	// A helper whose filtered thread spins and whose parent was killed
	// (a launch past its deadline) would spin on forever: it dies with
	// its parent.
	cmd.SysProcAttr = &unix.SysProcAttr{Pdeathsig: unix.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer cmd.Wait()
	defer stdin.Close()
	if err := json.NewEncoder(stdin).Encode(p.Spec); err != nil {
		cmd.Process.Kill()
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	var tid int
	if err == nil {
		_, err = fmt.Sscanf(line, "ok %d\n", &tid)
	}
	if errors.Is(err, io.EOF) && line == "" && stderr.String() == "" {
		err = errHelperSilent
	}
	if err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("seccomp compile helper: %q %w: %s", line, err, stderr.String())
	}
	insns, err := DumpFilter(tid, 0)
	if err != nil {
		cmd.Process.Kill()
		return nil, err
	}
	return insns, nil
}

type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if len(l.b) < 4096 {
		l.b = append(l.b, p...)
	}
	return len(p), nil
}
func (l *limitedBuffer) String() string { return string(l.b) }

// kernelFlags maps the profile's OCI flags to seccomp(2) flags, as the
// engine does when it loads: runc turns on SPEC_ALLOW by default where
// supported.
func kernelFlags(p *Profile) (uint32, error) {
	cfg, err := specconv.SetupSeccomp(p.Spec)
	if err != nil {
		return 0, err
	}
	var f uint32
	for _, fl := range cfg.Flags {
		switch fl {
		case specs.LinuxSeccompFlagLog:
			f |= unix.SECCOMP_FILTER_FLAG_LOG
		case specs.LinuxSeccompFlagSpecAllow:
			f |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		case specs.LinuxSeccompFlagWaitKillableRecv:
			f |= unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
		case "SECCOMP_FILTER_FLAG_TSYNC":
			// runc accepts and ignores it: the filter binds the one
			// thread that execs, and the others end at execve.
		default:
			return 0, fmt.Errorf("seccomp flag %s", fl)
		}
	}
	return f, nil
}

func loadProgram(p *program) error {
	fprog := unix.SockFprog{Len: uint16(len(p.insns)), Filter: &p.insns[0]}
	_, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(p.flags), uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(p)
	if e != 0 {
		return e
	}
	return nil
}
