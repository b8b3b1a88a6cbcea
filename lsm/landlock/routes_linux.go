package landlock

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/internal/storage"
	"github.com/rampart-sec/rampart/policy"
)

// WithRoutes adds to each deny rule the same rule on the other routes to
// its bytes (see package storage): the block devices of its filesystem
// and the disks' character devices, the files those are backed by, and
// the other paths the same file shows at. Landlock decides by path, so
// without them `--deny-read /etc/shadow` leaves `debugfs /dev/vda` open.
// Device nodes whose device is one of keep (--allow-device) are left
// alone. It returns the rules and a note per rule that gained routes.
func WithRoutes(rules []policy.FSRule, keep []string, fsys FS) ([]policy.FSRule, []string, error) {
	kept := map[[2]uint32]string{}
	for _, k := range keep {
		var st unix.Stat_t
		if err := unix.Stat(k, &st); err != nil {
			return nil, nil, fmt.Errorf("--allow-device %s: %w", k, err)
		}
		if f := st.Mode & unix.S_IFMT; f != unix.S_IFBLK && f != unix.S_IFCHR {
			return nil, nil, fmt.Errorf("--allow-device %s: not a device node", k)
		}
		kept[[2]uint32{unix.Major(st.Rdev), unix.Minor(st.Rdev)}] = k
	}
	out := append([]policy.FSRule(nil), rules...)
	have := map[string]bool{}
	for _, r := range rules {
		have[string(r.Mode)+"\x00"+r.Path] = true
	}
	var notes []string
	var finder *storage.Finder // one mount table and device walk for every rule
	for _, r := range rules {
		if r.Mode == policy.Allow {
			continue
		}
		if finder == nil {
			f, err := storage.NewFinder()
			if err != nil {
				return nil, nil, fmt.Errorf("%s: the other routes: %w", origin(r), err)
			}
			finder = f
		}
		res, err := fsys.Resolve(r.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", origin(r), err)
		}
		routes, err := finder.Of(res)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: the other routes to %s: %w", origin(r), res, err)
		}
		var added, skipped []string
		add := func(p string) {
			key := string(r.Mode) + "\x00" + p
			if have[key] {
				return
			}
			have[key] = true
			out = append(out, policy.FSRule{Mode: r.Mode, Path: p, Origin: origin(r) + " (" + p + " " + routes.Why[p] + ")"})
			added = append(added, p)
		}
		for _, n := range routes.Nodes {
			if k, ok := kept[[2]uint32{n.Dev.Major, n.Dev.Minor}]; ok {
				skipped = append(skipped, n.Path+" (--allow-device "+k+")")
				continue
			}
			add(n.Path)
		}
		for _, f := range routes.Files {
			add(f)
		}
		for _, a := range routes.Aliases {
			add(a)
		}
		var parts []string
		if len(added) > 0 {
			sort.Strings(added)
			parts = append(parts, "also denied, the same bytes: "+strings.Join(added, ", "))
		}
		if len(skipped) > 0 {
			parts = append(parts, "left open as asked: "+strings.Join(skipped, ", "))
		}
		if len(routes.Unfollowed) > 0 {
			parts = append(parts, "not followed (the bytes may be reachable through the network or another machine): "+strings.Join(routes.Unfollowed, ", "))
		}
		if len(parts) > 0 {
			notes = append(notes, r.String()+": "+strings.Join(parts, "; "))
		}
	}
	return out, notes, nil
}

// rawMemory are the files that read all of memory, page cache included,
// and so any file's bytes once read: /proc/kcore (the kernel's view of
// RAM) and /dev/mem (physical memory, where the kernel does not restrict
// it). Both need CAP_SYS_RAWIO; a deny-read cannot hold against a CMD
// that keeps it where they exist.
var rawMemory = []string{"/proc/kcore", "/dev/mem"}

// MemoryRoutes returns the files present here that read raw memory.
func MemoryRoutes() []string {
	var out []string
	for _, f := range rawMemory {
		if _, err := os.Stat(f); err == nil {
			out = append(out, f)
		}
	}
	return out
}
