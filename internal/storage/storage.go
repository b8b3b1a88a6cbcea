// Package storage finds the other ways to the bytes of a file: the block
// devices that hold its filesystem (and the devices stacked under and on
// top of them), the files those are backed by (a loop device's image,
// swap), and the other paths the same file shows at (bind mounts,
// overlay layers). A rule that denies a path must deny these too, or an
// attacker reads the same bytes another way: debugfs on the disk, the
// loop image, the overlay's lower directory.
//
// Everything is read from this process's mount namespace, /sys and /dev;
// nothing is opened but directories and sysfs attributes.
package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/sys/mountinfo"

	"github.com/rampart-sec/rampart/internal/pathtree"
)

// Device is a device number.
type Device struct{ Major, Minor uint32 }

func (d Device) String() string { return fmt.Sprintf("%d:%d", d.Major, d.Minor) }

// Node is a device node in the filesystem.
type Node struct {
	Path  string
	Dev   Device
	Block bool // a block device; otherwise a character device of a disk (SCSI generic, NVMe)
}

// Routes are the other ways to a path's bytes.
type Routes struct {
	// Nodes are device nodes that read or write the blocks of the
	// filesystem the path is on.
	Nodes []Node
	// Files hold those blocks too: loop devices' backing files, swap
	// files.
	Files []string
	// Aliases are other paths of the same file: where another mount
	// shows the same directory (bind mounts) or an overlay shows a
	// layer's file, and the layers of an overlay the path is on.
	Aliases []string
	// Why says, for each route, how it was found.
	Why map[string]string
	// Unfollowed names filesystems whose storage is not local block
	// devices (network, FUSE, virtio-fs): their bytes may be reachable
	// elsewhere, beyond what this machine can see.
	Unfollowed []string
	// HiddenLayers: the path is on an overlay whose layers this mount
	// namespace cannot see (a container's root): the disk under them is
	// not known here.
	HiddenLayers bool
}

// Of finds the routes to the bytes at p, an absolute path with symlinks
// resolved (it may not exist yet: its nearest existing directory
// decides the filesystem).
func Of(p string) (*Routes, error) {
	f, err := NewFinder()
	if err != nil {
		return nil, err
	}
	return f.Of(p)
}

// Finder answers Of for several paths from one reading of the mount
// table and one walk of the device nodes: a launch with several deny
// rules pays for them once.
type Finder struct {
	mounts []*mountinfo.Info
	nodes  []devNode // every device node beneath /dev and devtmpfs mounts, read on first need
	walked bool
}

// devNode is a device node found by the walk.
type devNode struct {
	path  string
	dev   Device
	block bool
}

// NewFinder reads this namespace's mount table.
func NewFinder() (*Finder, error) {
	mounts, err := mountinfo.GetMounts(nil)
	if err != nil {
		return nil, fmt.Errorf("mount table: %w", err)
	}
	return &Finder{mounts: mounts}, nil
}

// Of is the package's Of, on the finder's mount table and device nodes.
func (f *Finder) Of(p string) (*Routes, error) {
	w := &walker{
		mounts:  f.mounts,
		finder:  f,
		r:       &Routes{Why: map[string]string{}},
		devs:    map[Device]string{},
		paths:   map[string]bool{p: true},
		sysRoot: "/sys",
	}
	if err := w.path(p, ""); err != nil {
		return nil, err
	}
	// A directory's files include those of every filesystem mounted
	// beneath it, which live on their own devices.
	for _, m := range f.mounts {
		if m.Mountpoint != p && pathtree.Within(m.Mountpoint, p) {
			if err := w.path(m.Mountpoint, "mounted beneath "+p); err != nil {
				return nil, err
			}
		}
	}
	if err := w.swap(); err != nil {
		return nil, err
	}
	if err := w.nodes([]string{"/dev"}); err != nil {
		return nil, err
	}
	if w.hidden {
		w.r.Unfollowed = append(w.r.Unfollowed, "an overlay whose layers are not visible in this mount namespace (a container's root)")
		w.r.HiddenLayers = true
	}
	sort.Strings(w.r.Files)
	sort.Strings(w.r.Aliases)
	sort.Slice(w.r.Nodes, func(i, j int) bool { return w.r.Nodes[i].Path < w.r.Nodes[j].Path })
	return w.r, nil
}

// deviceNodes walks roots and every devtmpfs mount once for the device
// nodes there.
func (f *Finder) deviceNodes(roots []string) []devNode {
	if f.walked {
		return f.nodes
	}
	f.walked = true
	for _, m := range f.mounts {
		if m.FSType == "devtmpfs" {
			roots = append(roots, m.Mountpoint)
		}
	}
	seen := map[string]bool{}
	var walk func(dir string)
	walk = func(dir string) {
		if seen[dir] {
			return
		}
		seen[dir] = true
		des, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range des {
			p := filepath.Join(dir, e.Name())
			t := e.Type()
			if t.IsRegular() {
				// A node bind-mounted over a placeholder file lists as
				// the placeholder: runc, which cannot mknod in a user
				// namespace, gives a privileged container the host's
				// nodes so. What is mounted there is what opens.
				if fi, err := os.Lstat(p); err == nil {
					t = fi.Mode().Type()
				}
			}
			switch {
			case t.IsDir():
				walk(p)
			case t&os.ModeDevice != 0:
				d, _, ok := deviceOf(p, false)
				if !ok {
					continue
				}
				f.nodes = append(f.nodes, devNode{p, d, t&os.ModeCharDevice == 0})
			}
		}
	}
	for _, r := range roots {
		walk(r)
	}
	return f.nodes
}

type walker struct {
	mounts  []*mountinfo.Info
	finder  *Finder // nil: the device nodes are walked for this walker alone
	r       *Routes
	devs    map[Device]string // block devices holding the bytes, and why
	paths   map[string]bool   // paths already followed
	sysRoot string
	hidden  bool // an overlay's layers are not visible here
	capped  bool // stopped at maxRoutes
}

// maxRoutes bounds the walk.
const maxRoutes = 256

// path follows one path of the bytes: its filesystem's storage, and the
// other places the same file shows.
func (w *walker) path(p, why string) error {
	m := w.mountOf(p)
	if m == nil {
		return fmt.Errorf("%s: on no mount of this namespace", p)
	}
	inFS := filepath.Join(m.Root, rel(m.Mountpoint, p))
	// The same directory mounted elsewhere (a bind mount, or the whole
	// filesystem mounted twice) shows the file there too; a mount of a
	// directory beneath a denied one (a subPath volume) shows part of it,
	// and all of its tree is then denied. Left out, its mount point would
	// even be granted as a sibling on the way to the denied path, and
	// Landlock's grant, which follows the inode, would open the denied
	// subdirectory under its own name.
	for _, o := range w.mounts {
		if o == m || o.Major != m.Major || o.Minor != m.Minor || o.FSType != m.FSType {
			continue
		}
		switch {
		case pathtree.Within(inFS, o.Root):
			w.alias(filepath.Join(o.Mountpoint, rel(o.Root, inFS)), fmt.Sprintf("mount %s shows %s of the same filesystem", o.Mountpoint, o.Root))
		case pathtree.Within(o.Root, inFS):
			w.alias(o.Mountpoint, fmt.Sprintf("mount %s shows %s, beneath %s", o.Mountpoint, o.Root, inFS))
		}
	}
	// An overlay whose layer holds the file shows it in the merged tree;
	// one whose layer is beneath a denied directory shows part of it
	// anywhere in the merged tree, which is then denied whole. A layer
	// is a directory of one filesystem: what another mount shows beneath
	// it is not in the layer (an overlay mounted inside its own lower
	// layer, over "/" say, does not show itself again, nested without
	// end).
	for _, o := range w.mounts {
		if o.FSType != "overlay" {
			continue
		}
		for _, layer := range overlayLayers(o) {
			switch {
			case o.Mountpoint == layer:
			case pathtree.Within(p, layer) && w.mountOf(layer) != m:
			case pathtree.Within(p, layer):
				w.alias(filepath.Join(o.Mountpoint, rel(layer, p)), "overlay "+o.Mountpoint+" has the layer "+layer)
			case pathtree.Within(layer, p):
				w.alias(o.Mountpoint, "overlay "+o.Mountpoint+" has the layer "+layer+", beneath "+p)
			}
		}
	}
	return w.storage(m, p, why)
}

func (w *walker) alias(p, why string) {
	if w.paths[p] {
		return
	}
	if len(w.paths) > maxRoutes {
		// Mounts stacked on themselves could go on; what was found is
		// kept, and the rest said.
		if !w.capped {
			w.capped = true
			w.r.Unfollowed = append(w.r.Unfollowed, fmt.Sprintf("more than %d routes (mounts stacked on each other)", maxRoutes))
		}
		return
	}
	w.paths[p] = true
	w.r.Aliases = append(w.r.Aliases, p)
	w.r.Why[p] = why
	// An alias is another path of the same bytes: its own mounts count.
	w.path(p, why)
}

// storage follows the filesystem of mount m to what stores it.
func (w *walker) storage(m *mountinfo.Info, p, why string) error {
	switch {
	case m.FSType == "overlay":
		// The merged file is one of the layers' files. A layer that is
		// not visible in this namespace (a container's root, whose
		// layers are the host's paths) resolves back onto the overlay
		// itself: it is not followed, and said.
		for _, layer := range overlayLayers(m) {
			if w.mountOf(layer) == m {
				w.hidden = true
				continue
			}
			w.alias(filepath.Join(layer, rel(m.Mountpoint, p)), "layer of overlay "+m.Mountpoint)
		}
		return nil
	case m.Major != 0:
		return w.device(Device{uint32(m.Major), uint32(m.Minor)}, "holds "+m.Mountpoint)
	}
	// Filesystems on anonymous device numbers: btrfs and others name
	// their device as the source.
	if d, blk, ok := deviceOf(m.Source, true); strings.HasPrefix(m.Source, "/dev/") && ok && blk {
		return w.device(d, "holds "+m.Mountpoint+" ("+m.FSType+")")
	}
	switch m.FSType {
	case "tmpfs", "ramfs", "devtmpfs", "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "securityfs",
		"debugfs", "tracefs", "bpf", "pstore", "configfs", "hugetlbfs", "fusectl", "efivarfs", "binfmt_misc", "autofs", "nsfs":
		// In memory (swap is added for everyone) or kernel-generated.
		return nil
	}
	w.r.Unfollowed = append(w.r.Unfollowed, fmt.Sprintf("%s (%s from %s)", m.Mountpoint, m.FSType, m.Source))
	return nil
}

// device adds a block device and every device sharing its blocks: the
// disk of a partition and the partitions of a disk, the devices it is
// built from (slaves: device-mapper, md) and built into (holders), and a
// loop device's backing file.
func (w *walker) device(d Device, why string) error {
	if _, ok := w.devs[d]; ok {
		return nil
	}
	w.devs[d] = why
	dir, err := filepath.EvalSymlinks(filepath.Join(w.sysRoot, "dev/block", d.String()))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // a device number without a block device
		}
		return err
	}
	name := filepath.Base(dir)
	var next []string
	if isFile(filepath.Join(dir, "partition")) {
		next = append(next, filepath.Dir(dir))
	} else if des, err := os.ReadDir(dir); err == nil {
		for _, e := range des {
			if isFile(filepath.Join(dir, e.Name(), "partition")) {
				next = append(next, filepath.Join(dir, e.Name()))
			}
		}
	}
	for _, rel := range []string{"slaves", "holders"} {
		des, _ := os.ReadDir(filepath.Join(dir, rel))
		for _, e := range des {
			if t, err := filepath.EvalSymlinks(filepath.Join(dir, rel, e.Name())); err == nil {
				next = append(next, t)
			}
		}
	}
	for _, n := range next {
		nd, err := readDev(filepath.Join(n, "dev"))
		if err != nil {
			continue
		}
		if err := w.device(nd, "shares blocks with "+name); err != nil {
			return err
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "loop", "backing_file")); err == nil {
		f := strings.TrimSpace(string(b))
		f = strings.TrimSuffix(f, " (deleted)")
		w.file(f, "backs "+name)
	}
	return nil
}

// file adds a file that holds blocks (a loop image, swap) and follows
// its own bytes.
func (w *walker) file(f, why string) {
	if w.paths[f] {
		return
	}
	w.paths[f] = true
	w.r.Files = append(w.r.Files, f)
	w.r.Why[f] = why
	w.path(f, why)
}

// swap adds the active swap areas: they hold the pages of tmpfs files
// and of every process that read the file.
func (w *walker) swap() error {
	b, err := os.ReadFile("/proc/swaps")
	if err != nil {
		return nil
	}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		name := UnescapeMountPath(f[0])
		switch f[1] {
		case "partition":
			if d, _, ok := deviceOf(name, true); ok {
				w.device(d, "swap")
			}
		case "file":
			w.file(name, "swap")
		}
	}
	return nil
}

// nodes finds the device nodes, beneath roots and on every devtmpfs
// mount, of the block devices found, and the character devices that
// reach the same disks (SCSI generic, NVMe controllers and generic
// namespaces).
func (w *walker) nodes(roots []string) error {
	if len(w.devs) == 0 {
		return nil
	}
	blockSys := map[string]bool{}
	for d := range w.devs {
		if p, err := filepath.EvalSymlinks(filepath.Join(w.sysRoot, "dev/block", d.String())); err == nil {
			blockSys[p] = true
		}
	}
	f := w.finder
	if f == nil {
		f = &Finder{mounts: w.mounts}
	}
	diskChars := diskCharMajors()
	for _, n := range f.deviceNodes(roots) {
		switch {
		case n.block:
			if why, ok := w.devs[n.dev]; ok {
				w.addNode(Node{Path: n.path, Dev: n.dev, Block: true}, why)
			}
		case diskChars != nil && !diskChars[n.dev.Major]:
			// not a driver that speaks to disks: no sysfs lookup
		default:
			if disk := w.charDisk(n.dev, blockSys); disk != "" {
				w.addNode(Node{Path: n.path, Dev: n.dev}, "reaches the disk "+disk)
			}
		}
	}
	return nil
}

func (w *walker) addNode(n Node, why string) {
	w.r.Nodes = append(w.r.Nodes, n)
	w.r.Why[n.Path] = why
}

// diskCharDrivers are the character-device drivers that pass commands
// to a disk: SCSI generic and its block layer twin, NVMe controllers and
// their generic namespace nodes, raw flash (MTD, UBI). Each is then
// checked against sysfs (charDisk); /proc/devices names their majors,
// which are dynamic.
var diskCharDrivers = map[string]bool{"sg": true, "bsg": true, "nvme": true, "nvme-generic": true, "mtd": true, "ubi": true, "ubi_ctrl": true}

// diskCharMajors reads the majors of diskCharDrivers from /proc/devices;
// on failure every character device is checked.
func diskCharMajors() map[uint32]bool {
	b, err := os.ReadFile("/proc/devices")
	if err != nil {
		return nil
	}
	out := map[uint32]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Block devices") {
			break
		}
		var major uint32
		var name string
		if n, _ := fmt.Sscanf(strings.TrimSpace(l), "%d %s", &major, &name); n == 2 && diskCharDrivers[name] {
			out[major] = true
		}
	}
	return out
}

// charDisk returns the block device a character device reaches, if any:
// one whose sysfs directory is beneath the character device's own, or
// beneath the device it belongs to (sg0 belongs to the SCSI device that
// also has block/sda; nvme0's namespaces are beneath it).
func (w *walker) charDisk(d Device, blockSys map[string]bool) string {
	dir, err := filepath.EvalSymlinks(filepath.Join(w.sysRoot, "dev/char", d.String()))
	if err != nil {
		return ""
	}
	cands := []string{dir}
	if dev, err := filepath.EvalSymlinks(filepath.Join(dir, "device")); err == nil {
		cands = append(cands, dev)
	}
	for b := range blockSys {
		for _, c := range cands {
			if strings.HasPrefix(b, c+"/") {
				return filepath.Base(b)
			}
		}
	}
	return ""
}

// mountOf returns the mount p is on: the last mounted of the longest
// mount points containing it (a mount hides what is beneath it).
func (w *walker) mountOf(p string) *mountinfo.Info {
	var best *mountinfo.Info
	for _, m := range w.mounts {
		if pathtree.Within(p, m.Mountpoint) && (best == nil || len(m.Mountpoint) >= len(best.Mountpoint)) {
			best = m
		}
	}
	return best
}

// overlayLayers lists an overlay's upper and lower directories.
func overlayLayers(m *mountinfo.Info) []string {
	var out []string
	for _, opt := range splitOptions(m.VFSOptions) {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "upperdir", "lowerdir+", "datadir+":
			out = append(out, UnescapeMountPath(v))
		case "lowerdir":
			for _, l := range splitUnescaped(v, ':') {
				if l != "" {
					out = append(out, UnescapeMountPath(l))
				}
			}
		}
	}
	return out
}

// splitOptions splits mount options on commas not escaped by a
// backslash (overlayfs escapes commas in layer paths).
func splitOptions(s string) []string { return splitUnescaped(s, ',') }

func splitUnescaped(s string, sep byte) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == sep || s[i+1] == '\\'):
			cur.WriteByte(s[i+1])
			i++
		case s[i] == sep:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}

// unescapeOctal undoes the kernel's \ooo escapes of mount paths.
func UnescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1:i+4]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '7' {
			return false
		}
	}
	return true
}

func readDev(file string) (Device, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return Device{}, err
	}
	var d Device
	if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%d:%d", &d.Major, &d.Minor); err != nil {
		return Device{}, fmt.Errorf("%s: %w", file, err)
	}
	return d, nil
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// rel is p relative to dir, which contains it ("" for dir itself).
func rel(dir, p string) string {
	r, _ := pathtree.Rel(dir, p)
	return r
}

// MountedDisks returns the block device nodes under /dev of the devices
// that hold any filesystem mounted in this namespace: in a container
// whose root is an overlay of invisible layers, the disks its other
// mounts (the runtime's /etc/hosts, volumes) come from, which on a node
// are where the image layers live too.
func MountedDisks() ([]Node, error) {
	f, err := NewFinder()
	if err != nil {
		return nil, err
	}
	return f.MountedDisks()
}

// MountedDisks is the package's MountedDisks, on the finder's mount table
// and device nodes.
func (f *Finder) MountedDisks() ([]Node, error) {
	mounts := f.mounts
	w := &walker{mounts: mounts, finder: f, r: &Routes{Why: map[string]string{}}, devs: map[Device]string{}, paths: map[string]bool{}, sysRoot: "/sys"}
	for _, m := range mounts {
		if m.Major != 0 {
			w.device(Device{uint32(m.Major), uint32(m.Minor)}, "holds "+m.Mountpoint)
		}
	}
	if err := w.nodes([]string{"/dev"}); err != nil {
		return nil, err
	}
	var out []Node
	for _, n := range w.r.Nodes {
		if n.Block {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
