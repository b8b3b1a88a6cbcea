package landlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
)

// OSFS is the real filesystem.
type OSFS struct{}

// Resolve resolves symlinks in the longest existing prefix of p and keeps
// the missing tail as written.
func (OSFS) Resolve(p string) (string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	tail := ""
	for {
		r, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(r, tail), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return "", err
		}
		tail = filepath.Join(filepath.Base(p), tail)
		p = parent
	}
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
}

type inode struct{ dev, ino uint64 }

// Prepare opens every granted path and builds the kernel ruleset. Nothing
// is enforced yet, so a failure here leaves the caller unchanged.
func Prepare(p *Plan) (*Ruleset, error) {
	if p.Handled == 0 {
		return nil, errors.New("landlock: empty plan")
	}
	if err := features.HaveLandlock(p.ABI); err != nil {
		return nil, fmt.Errorf("landlock: the rules need %w", err)
	}
	denied := map[inode]string{}
	for _, d := range p.Denials {
		var st unix.Stat_t
		if err := unix.Lstat(d.Path, &st); err == nil {
			denied[inode{st.Dev, st.Ino}] = d.Path
		}
	}
	fd, err := llsys.LandlockCreateRuleset(&llsys.RulesetAttr{HandledAccessFS: uint64(p.Handled)}, 0)
	if err != nil {
		return nil, fmt.Errorf("landlock: create ruleset: %w", err)
	}
	rs := &Ruleset{fd: fd, plan: p}
	for _, g := range p.Grants {
		if err := rs.addGrant(g, denied); err != nil {
			rs.Close()
			return nil, err
		}
	}
	return rs, nil
}

func (rs *Ruleset) addGrant(g Grant, denied map[inode]string) error {
	pfd, err := openNoSymlinks(g.Path)
	if errors.Is(err, unix.ENOENT) {
		// Gone since planning (a process's /proc entry, a temp file):
		// without its grant it only gets fewer rights, like any entry
		// created later, so the deny still holds.
		return nil
	}
	if err != nil {
		return fmt.Errorf("landlock: open %s: %w", g.Path, err)
	}
	defer unix.Close(pfd) // the ruleset keeps its own reference
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
	if err := llsys.LandlockRestrictSelf(rs.fd, 0); err != nil {
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("landlock: restrict: %w (needs no_new_privs or CAP_SYS_ADMIN)", err)
		}
		return fmt.Errorf("landlock: restrict: %w", err)
	}
	return nil
}

// Verify checks, from inside the restricted thread, that each denied
// regular file is refused by the kernel. Opens use O_NONBLOCK and never
// O_CREAT or O_TRUNC, so a check changes nothing even if it is not denied.
func (rs *Ruleset) Verify() error {
	for _, d := range rs.plan.Denials {
		var st unix.Stat_t
		if err := unix.Stat(d.Path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
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

// Plan returns the plan the ruleset enforces.
func (rs *Ruleset) Plan() *Plan { return rs.plan }
