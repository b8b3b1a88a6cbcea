package landlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/policy"
)

// OSFS is the real filesystem.
type OSFS struct{}

// Resolve names what the kernel will reach at p when the workload opens
// it: symlinks are followed component by component, also when their
// target does not exist yet (a dangling link protects nothing if the rule
// lands on the link: the file is created at the target), and a missing
// tail is kept as written. What cannot be known at launch is refused: a
// loop, a component that is not a directory, a directory rampart cannot
// read, a ".." beneath a missing component, and /proc's magic links
// (fd/, root, cwd, exe: they resolve to a process's object, not to the
// text readlink gives).
func (OSFS) Resolve(p string) (string, error) {
	// Not filepath.Abs: it cleans "link/.." lexically, where the kernel
	// goes to the parent of the link's target.
	abs := p
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		abs = wd + "/" + p
	}
	rest := splitPath(abs)
	cur := "/"
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		var st unix.Stat_t
		err := unix.Lstat(next, &st)
		switch {
		case errors.Is(err, unix.ENOENT):
			for _, r := range rest {
				if r == ".." {
					return "", fmt.Errorf("%s: \"..\" beneath %s, which does not exist: what it names depends on what is created there later", p, next)
				}
			}
			return filepath.Join(append([]string{next}, rest...)...), nil
		case errors.Is(err, unix.ENOTDIR):
			return "", fmt.Errorf("%s: %s is not a directory", p, cur)
		case err != nil:
			return "", fmt.Errorf("%s: %w", p, &os.PathError{Op: "lstat", Path: next, Err: err})
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			cur = next
			continue
		}
		if links++; links > maxSymlinks {
			return "", fmt.Errorf("%s: %w (more than %d symlinks)", p, unix.ELOOP, maxSymlinks)
		}
		if magicLink(cur) {
			return "", fmt.Errorf("%s: %s is a /proc link to a process's file, root or directory: the rule could not follow it", p, next)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		if filepath.IsAbs(target) {
			cur = "/"
		}
		rest = append(splitPath(target), rest...)
	}
	return cur, nil
}

// maxSymlinks is the kernel's limit on links followed in one lookup
// (MAXSYMLINKS).
const maxSymlinks = 40

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// magicLink reports whether the symlinks in dir are procfs's per-process
// links (/proc/PID/fd/N, /proc/PID/root, cwd, exe, map_files/...):
// everything in procfs except /proc/self and /proc/thread-self, whose
// text names the process directory and resolves like any link.
func magicLink(dir string) bool {
	var fs unix.Statfs_t
	if unix.Statfs(dir, &fs) != nil || fs.Type != unix.PROC_SUPER_MAGIC {
		return false
	}
	return filepath.Clean(dir) != "/proc"
}

func (OSFS) Stat(p string) (bool, bool, uint64, error) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			return false, false, 0, nil
		}
		return false, false, 0, &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	return true, st.Mode&unix.S_IFMT == unix.S_IFDIR, uint64(st.Nlink), nil
}

func (OSFS) Inode(p string) (uint64, uint64, error) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return 0, 0, &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	return st.Dev, st.Ino, nil
}

// otherLinksBudget bounds the search for a hard link's other names: it
// only improves a refusal's message, and a filesystem can be huge.
const (
	otherLinksBudget = 200000
	otherLinksTime   = 2 * time.Second
)

// OtherLinks looks for other names of (dev, ino) nearest first: the
// directory around except, then each parent up to the top of the
// filesystem, never crossing into another filesystem or back into what
// was searched.
func (OSFS) OtherLinks(file string, dev, ino uint64, except string, want int) []string {
	top := mountTop(file, dev)
	var found []string
	visited := 0
	deadline := time.Now().Add(otherLinksTime)
	var walk func(dir, skip string) bool
	walk = func(dir, skip string) bool {
		des, err := os.ReadDir(dir)
		if err != nil {
			return true
		}
		for _, d := range des {
			if visited++; visited > otherLinksBudget || len(found) >= want || (visited%1024 == 0 && time.Now().After(deadline)) {
				return false
			}
			p := filepath.Join(dir, d.Name())
			if p == skip || p == except || strings.HasPrefix(p, except+"/") {
				continue
			}
			var st unix.Stat_t
			if unix.Lstat(p, &st) != nil || st.Dev != dev {
				continue
			}
			switch st.Mode & unix.S_IFMT {
			case unix.S_IFDIR:
				if !walk(p, "") {
					return false
				}
			case unix.S_IFLNK:
			default:
				if st.Ino == ino {
					found = append(found, p)
				}
			}
		}
		return true
	}
	skip := except
	for dir := filepath.Dir(except); ; dir = filepath.Dir(dir) {
		if !walk(dir, skip) || dir == top || dir == "/" {
			break
		}
		skip = dir
	}
	return found
}

// mountTop is the highest directory above p on the same device: where a
// walk of p's filesystem starts.
func mountTop(p string, dev uint64) string {
	top := filepath.Dir(p)
	for top != "/" {
		var st unix.Stat_t
		if unix.Lstat(filepath.Dir(top), &st) != nil || st.Dev != dev {
			break
		}
		top = filepath.Dir(top)
	}
	return top
}

func (OSFS) ReadDir(dir string) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(des))
	for _, d := range des {
		t := d.Type()
		out = append(out, Entry{Name: d.Name(), IsDir: t.IsDir(), Symlink: t&os.ModeSymlink != 0})
	}
	return out, nil
}

// Ruleset is a compiled plan held by the kernel, not yet enforced.
type Ruleset struct {
	fd   int
	plan *Plan
	// outside is the socket Restrict binds before entering the domain
	// for Verify to find unreachable (-1: none), at outsideName.
	outside     int
	outsideName string
}

type inode struct{ dev, ino uint64 }

// Prepare opens every granted path and builds the kernel ruleset. Nothing
// is enforced yet, so a failure here leaves the caller unchanged.
func Prepare(p *Plan) (*Ruleset, error) {
	if p.Handled == 0 && p.Scoped == 0 {
		return nil, errors.New("landlock: empty plan")
	}
	if err := features.HaveLandlock(p.ABI); err != nil {
		return nil, fmt.Errorf("landlock: the rules need %w", err)
	}
	// The denied files as planned, and what their paths hold now: a
	// swap between planning and here (an entry renamed over the denied
	// one, the denied one renamed to a granted name) leaves one of the
	// two under a granted name, and addGrant refuses either.
	denied := map[inode]string{}
	for _, d := range p.Denials {
		if d.Ino != 0 {
			denied[inode{d.Dev, d.Ino}] = d.Path
		}
		var st unix.Stat_t
		if err := unix.Lstat(d.Path, &st); err == nil {
			denied[inode{st.Dev, st.Ino}] = d.Path
		}
	}
	fd, err := llsys.LandlockCreateRuleset(&llsys.RulesetAttr{HandledAccessFS: uint64(p.Handled), Scoped: uint64(p.Scoped)}, 0)
	if err != nil {
		return nil, fmt.Errorf("landlock: create ruleset: %w", err)
	}
	rs := &Ruleset{fd: fd, plan: p, outside: -1}
	// The rules' O_PATH descriptors are closed together once the rules
	// are in (the ruleset keeps its own references): a complement has a
	// rule per sibling of every directory on the way to a denied file,
	// hundreds, and close_range closes a run of them in one call.
	var held []int
	defer func() { closeAll(held) }()
	for _, g := range p.Grants {
		pfd, err := rs.addGrant(g, denied)
		if errors.Is(err, unix.EMFILE) && len(held) > 0 {
			closeAll(held)
			held = held[:0]
			pfd, err = rs.addGrant(g, denied)
		}
		if err != nil {
			rs.Close()
			return nil, err
		}
		if pfd >= 0 {
			held = append(held, pfd)
		}
	}
	return rs, nil
}

// addGrant adds g's rule and returns the descriptor it opened for it
// (-1: none), the caller's to close.
func (rs *Ruleset) addGrant(g Grant, denied map[inode]string) (int, error) {
	pfd, err := openNoSymlinks(g.Path)
	if errors.Is(err, unix.ENOENT) {
		// Gone since planning (a process's /proc entry, a temp file):
		// without its grant it only gets fewer rights, like any entry
		// created later, so the deny still holds.
		return -1, nil
	}
	if errors.Is(err, unix.EMFILE) {
		return -1, err
	}
	if err != nil {
		return -1, fmt.Errorf("landlock: open %s: %w", g.Path, err)
	}
	if err := rs.addRule(g, pfd, denied); err != nil {
		unix.Close(pfd)
		return -1, err
	}
	return pfd, nil
}

func (rs *Ruleset) addRule(g Grant, pfd int, denied map[inode]string) error {
	var st unix.Stat_t
	if err := unix.Fstat(pfd, &st); err != nil {
		return fmt.Errorf("landlock: stat %s: %w", g.Path, err)
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	if isDir != g.IsDir {
		// The entry changed type between planning and opening: a race
		// (or an attacker swapping entries). Refuse instead of guessing.
		return fmt.Errorf("landlock: %s changed while the ruleset was built; refusing", g.Path)
	}
	if d, ok := denied[inode{st.Dev, st.Ino}]; ok && g.Access&rs.deniedAt(d) != 0 {
		// Stops a swap race and same-directory hard links: a granted
		// entry must never be the denied file itself.
		return fmt.Errorf("landlock: %s is the same file as denied %s (hard link or a rename race); refusing", g.Path, d)
	}
	attr := llsys.PathBeneathAttr{AllowedAccess: uint64(g.Access), ParentFd: pfd}
	if err := llsys.LandlockAddPathBeneathRule(rs.fd, &attr, 0); err != nil {
		return fmt.Errorf("landlock: rule for %s (%s): %w", g.Path, g.Access, err)
	}
	return nil
}

// closeAll closes fds, each run of consecutive numbers with one
// close_range (one close each where the kernel has none).
func closeAll(fds []int) {
	fds = slices.Clone(fds)
	slices.Sort(fds)
	for i := 0; i < len(fds); {
		j := i
		for j+1 < len(fds) && fds[j+1] == fds[j]+1 {
			j++
		}
		if unix.CloseRange(uint(fds[i]), uint(fds[j]), 0) != nil {
			for _, fd := range fds[i : j+1] {
				unix.Close(fd)
			}
		}
		i = j + 1
	}
}

func (rs *Ruleset) deniedAt(p string) Access {
	var a Access
	for _, d := range rs.plan.Denials {
		if d.Path == p {
			a |= d.Access
		}
	}
	return a
}

// openNoSymlinks opens p as O_PATH refusing symlinks in any component: the
// plan's paths are already resolved, so a symlink here was planted after
// planning.
func openNoSymlinks(p string) (int, error) {
	fd, err := unix.Openat2(unix.AT_FDCWD, p, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_NO_SYMLINKS,
	})
	if errors.Is(err, unix.ENOSYS) {
		return unix.Open(p, unix.O_PATH|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	}
	return fd, err
}

// Restrict enforces the ruleset on the calling thread; with no_new_privs
// unset it needs CAP_SYS_ADMIN. The caller must be on a locked OS thread
// that will execve next (a Landlock domain belongs to the thread's
// credentials and is inherited across execve).
func (rs *Ruleset) Restrict() error {
	if rs.plan.Scoped&ScopeAbstractUnix != 0 {
		// Made before the domain exists, so the kernel counts it as
		// outside: Verify must find it unreachable.
		if err := rs.bindOutside(); err != nil {
			return err
		}
	}
	if err := llsys.LandlockRestrictSelf(rs.fd, 0); err != nil {
		rs.closeOutside()
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("landlock: restrict: %w (needs no_new_privs or CAP_SYS_ADMIN)", err)
		}
		return fmt.Errorf("landlock: restrict: %w", err)
	}
	return nil
}

// Verify checks, from inside the restricted thread, that each denied
// regular file and device node is refused by the kernel. Opens use O_NONBLOCK and never
// O_CREAT or O_TRUNC, so a check changes nothing even if it is not denied.
func (rs *Ruleset) Verify() error {
	if err := rs.verifyScope(); err != nil {
		return err
	}
	for _, d := range rs.plan.Denials {
		var st unix.Stat_t
		if err := unix.Stat(d.Path, &st); err != nil {
			continue
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG, unix.S_IFBLK, unix.S_IFCHR:
			// Device nodes are the block-device routes: opening one
			// (O_NONBLOCK, no I/O) is as harmless as a regular file.
		default:
			continue
		}
		mode := unix.O_RDONLY
		if d.Access&ReadFile == 0 {
			mode = unix.O_WRONLY
		}
		fd, err := unix.Open(d.Path, mode|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
		if err == nil {
			unix.Close(fd)
			return fmt.Errorf("landlock: verification failed: %s can still be opened (%s)", d.Path, d.Rule)
		}
		if !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("landlock: verification of %s: unexpected %w", d.Path, err)
		}
	}
	return nil
}

// Close releases the ruleset fd (after Restrict it is no longer needed).
func (rs *Ruleset) Close() error { return unix.Close(rs.fd) }

func (rs *Ruleset) closeOutside() {
	if rs.outside >= 0 {
		unix.Close(rs.outside)
		rs.outside = -1
	}
}

// bindOutside binds a datagram socket to an abstract name the kernel
// picks (autobind), owned by the launcher before it enters the domain.
func (rs *Ruleset) bindOutside() error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("landlock: scope check: socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{}); err != nil {
		unix.Close(fd)
		return fmt.Errorf("landlock: scope check: autobind: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	su, ok := sa.(*unix.SockaddrUnix)
	if err != nil || !ok || !strings.HasPrefix(su.Name, "@") {
		unix.Close(fd)
		return fmt.Errorf("landlock: scope check: no abstract name bound (%v)", err)
	}
	rs.outside, rs.outsideName = fd, su.Name
	return nil
}

// verifyScope checks, from inside the domain, that the scopes hold: the
// socket bound before the domain cannot be reached, and the parent (a
// process that is never in a domain this one encloses) cannot be sent
// signal 0, which delivers nothing. Without a parent in sight (the first
// process of a PID namespace) the signal scope is left to the kernel.
func (rs *Ruleset) verifyScope() error {
	defer rs.closeOutside()
	if rs.plan.Scoped&ScopeAbstractUnix != 0 {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("landlock: scope check: socket: %w", err)
		}
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: rs.outsideName})
		unix.Close(fd)
		if err == nil {
			return fmt.Errorf("landlock: verification failed: an abstract UNIX socket bound outside the domain (%s) can still be reached (scope %s)", rs.outsideName, policy.ScopeAbstractUnix)
		}
		if !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("landlock: verification of scope %s: unexpected %w", policy.ScopeAbstractUnix, err)
		}
	}
	if rs.plan.Scoped&ScopeSignal != 0 {
		if ppid := unix.Getppid(); ppid > 0 {
			err := unix.Kill(ppid, 0)
			if err == nil {
				return fmt.Errorf("landlock: verification failed: the parent process (pid %d), outside the domain, can still be signalled (scope %s)", ppid, policy.ScopeSignal)
			}
			if !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("landlock: verification of scope %s: unexpected %w", policy.ScopeSignal, err)
			}
		}
	}
	return nil
}
