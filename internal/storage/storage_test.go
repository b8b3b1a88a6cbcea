//go:build linux

package storage

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("loop devices and mounts need root")
	}
}

func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// loopFS makes an ext4 image in dir, attaches it (partitioned: an MBR
// with one partition) and mounts its filesystem; everything is undone
// at the end of the test.
func loopFS(t *testing.T, dir string, partitioned bool) (img, loop, fsdev, mnt string) {
	t.Helper()
	img = filepath.Join(dir, "disk.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(16 << 20)
	if partitioned {
		// One Linux partition from sector 2048 to the end.
		mbr := make([]byte, 512)
		e := mbr[446:]
		e[4] = 0x83
		binary.LittleEndian.PutUint32(e[8:], 2048)
		binary.LittleEndian.PutUint32(e[12:], (16<<20)/512-2048)
		mbr[510], mbr[511] = 0x55, 0xaa
		f.WriteAt(mbr, 0)
	}
	f.Close()
	args := []string{"-f", "--show", img}
	if partitioned {
		args = append([]string{"-P"}, args...)
	}
	loop = sh(t, "losetup", args...)
	t.Cleanup(func() { exec.Command("losetup", "-d", loop).Run() })
	fsdev = loop
	if partitioned {
		part := filepath.Join("/sys/block", filepath.Base(loop), filepath.Base(loop)+"p1")
		if _, err := os.Stat(part); err != nil {
			t.Skip("this kernel reads no partition tables (CONFIG_MSDOS_PARTITION is off); the fake sysfs test covers the logic")
		}
		fsdev = loop + "p1"
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(fsdev); err == nil {
				break
			}
			exec.Command("sleep", "0.05").Run()
		}
	}
	sh(t, "mkfs.ext4", "-q", "-F", fsdev)
	mnt = filepath.Join(dir, "mnt")
	os.Mkdir(mnt, 0o755)
	sh(t, "mount", fsdev, mnt)
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	return img, loop, fsdev, mnt
}

func nodePaths(r *Routes) []string {
	var out []string
	for _, n := range r.Nodes {
		out = append(out, n.Path)
	}
	return out
}

// rdevOf is the device a node stands for; devOf the device a file is on.
func rdevOf(t *testing.T, p string) Device { return statDev(t, p, true) }
func devOf(t *testing.T, p string) Device  { return statDev(t, p, false) }

func statDev(t *testing.T, p string, node bool) Device {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	d := st.Dev
	if node {
		d = st.Rdev
	}
	return Device{unix.Major(d), unix.Minor(d)}
}

// A file on a loop-mounted image: the loop device, the image file, and
// the device of the filesystem the image lives on all hold its bytes.
func TestLoopImage(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	img, loop, _, mnt := loopFS(t, dir, false)
	secret := filepath.Join(mnt, "secret")
	os.WriteFile(secret, []byte("TOP"), 0o600)
	r, err := Of(secret)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(nodePaths(r), loop) {
		t.Errorf("nodes %v lack the loop device %s", nodePaths(r), loop)
	}
	if !slices.Contains(r.Files, img) {
		t.Errorf("files %v lack the image %s", r.Files, img)
	}
	// The image's own filesystem's device (when it is a block device).
	if d := devOf(t, img); d.Major != 0 {
		found := false
		for _, n := range r.Nodes {
			found = found || n.Dev == d
		}
		if !found {
			t.Errorf("nodes %v lack the device %v that holds the image", r.Nodes, d)
		}
	}
}

// A partition's bytes are also the disk's: both nodes are routes.
func TestPartition(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	_, loop, part, mnt := loopFS(t, dir, true)
	r, err := Of(filepath.Join(mnt, "f"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{loop, part} {
		if !slices.Contains(nodePaths(r), want) {
			t.Errorf("nodes %v lack %s", nodePaths(r), want)
		}
	}
}

// A device-mapper device built on the loop device (a holder) maps the
// same blocks: it is a route, under /dev/dm-N and its /dev/mapper name.
func TestDeviceMapperHolder(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("dmsetup"); err != nil {
		t.Skip("dmsetup not installed (Debian dmsetup)")
	}
	dir := t.TempDir()
	_, loop, _, mnt := loopFS(t, dir, false)
	name := "rampart-storage-test"
	table := "0 " + strings.TrimSpace(sh(t, "blockdev", "--getsz", loop)) + " linear " + loop + " 0"
	if out, err := exec.Command("dmsetup", "create", name, "--table", table).CombinedOutput(); err != nil {
		t.Skipf("dmsetup create: %v %s (no device-mapper in this kernel?)", err, out)
	}
	t.Cleanup(func() { exec.Command("dmsetup", "remove", name).Run() })
	dm := rdevOf(t, "/dev/mapper/"+name)
	r, err := Of(filepath.Join(mnt, "f"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range r.Nodes {
		found = found || n.Dev == dm
	}
	if !found {
		t.Errorf("nodes %v lack the device-mapper device %v on %s", r.Nodes, dm, loop)
	}
}

// A bind mount of a directory shows its files at a second path, and an
// overlay shows its layers' files in the merged tree (and the merged
// file is its layers' files).
func TestAliases(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	for _, d := range []string{"data", "bound", "lower", "upper", "work", "merged"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "data", "secret"), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "lower", "secret"), nil, 0o600)
	sh(t, "mount", "--bind", filepath.Join(dir, "data"), filepath.Join(dir, "bound"))
	t.Cleanup(func() { unix.Unmount(filepath.Join(dir, "bound"), unix.MNT_DETACH) })
	opts := "lowerdir=" + filepath.Join(dir, "lower") + ",upperdir=" + filepath.Join(dir, "upper") + ",workdir=" + filepath.Join(dir, "work")
	if err := unix.Mount("overlay", filepath.Join(dir, "merged"), "overlay", 0, opts); err != nil {
		t.Fatalf("overlay: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(filepath.Join(dir, "merged"), unix.MNT_DETACH) })

	r, err := Of(filepath.Join(dir, "data", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "bound", "secret"); !slices.Contains(r.Aliases, want) {
		t.Errorf("aliases %v lack the bind mount's %s", r.Aliases, want)
	}
	r, err = Of(filepath.Join(dir, "lower", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "merged", "secret"); !slices.Contains(r.Aliases, want) {
		t.Errorf("aliases %v lack the overlay's %s", r.Aliases, want)
	}
	r, err = Of(filepath.Join(dir, "merged", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{filepath.Join(dir, "lower", "secret"), filepath.Join(dir, "upper", "secret")} {
		if !slices.Contains(r.Aliases, want) {
			t.Errorf("aliases %v lack the layer's %s", r.Aliases, want)
		}
	}
}

func TestMountOptions(t *testing.T) {
	got := splitOptions(`rw,lowerdir=/a\,b:/c\:d,upperdir=/u,workdir=/w`)
	if want := []string{"rw", `lowerdir=/a,b:/c\:d`, "upperdir=/u", "workdir=/w"}; !slices.Equal(got, want) {
		t.Errorf("splitOptions: %q, want %q", got, want)
	}
	if got := splitUnescaped(`/a,b:/c\:d`, ':'); !slices.Equal(got, []string{"/a,b", "/c:d"}) {
		t.Errorf("layers: %q", got)
	}
	if got := UnescapeMountPath(`/a\040b\134`); got != `/a b\` {
		t.Errorf("UnescapeMountPath: %q", got)
	}
}

// The stacking logic on a sysfs tree as the kernel lays it out for a
// SCSI disk with two partitions, a device-mapper device on the first,
// its SCSI generic node and an NVMe controller with one namespace:
// partitions, disks, holders and slaves are followed both ways, and a
// character device is a route when its sysfs directory (or its
// device's) holds the disk.
func TestStackingFakeSysfs(t *testing.T) {
	sys := t.TempDir()
	mk := func(p, dev string) {
		os.MkdirAll(filepath.Join(sys, p), 0o755)
		if dev != "" {
			os.WriteFile(filepath.Join(sys, p, "dev"), []byte(dev+"\n"), 0o444)
		}
	}
	link := func(target, p string) {
		os.MkdirAll(filepath.Dir(filepath.Join(sys, p)), 0o755)
		if err := os.Symlink(filepath.Join(sys, target), filepath.Join(sys, p)); err != nil {
			t.Fatal(err)
		}
	}
	scsi := "devices/pci0/host0/target0/0:0:0:0"
	mk(scsi+"/block/sda", "8:0")
	mk(scsi+"/block/sda/sda1", "8:1")
	os.WriteFile(filepath.Join(sys, scsi, "block/sda/sda1/partition"), []byte("1\n"), 0o444)
	mk(scsi+"/block/sda/sda2", "8:2")
	os.WriteFile(filepath.Join(sys, scsi, "block/sda/sda2/partition"), []byte("2\n"), 0o444)
	mk("devices/virtual/block/dm-0", "253:0")
	link("devices/virtual/block/dm-0", scsi+"/block/sda/sda1/holders/dm-0")
	link(scsi+"/block/sda/sda1", "devices/virtual/block/dm-0/slaves/sda1")
	mk(scsi+"/scsi_generic/sg0", "21:0")
	link(scsi, scsi+"/scsi_generic/sg0/device")
	mk("devices/pci1/nvme/nvme0/nvme0n1", "259:0")
	mk("devices/pci1/nvme/nvme0", "")
	mk("devices/virtual/mem/null", "1:3")
	for dev, p := range map[string]string{"8:0": scsi + "/block/sda", "8:1": scsi + "/block/sda/sda1", "8:2": scsi + "/block/sda/sda2",
		"253:0": "devices/virtual/block/dm-0", "259:0": "devices/pci1/nvme/nvme0/nvme0n1"} {
		link(p, "dev/block/"+dev)
	}
	for dev, p := range map[string]string{"21:0": scsi + "/scsi_generic/sg0", "242:0": "devices/pci1/nvme/nvme0", "1:3": "devices/virtual/mem/null"} {
		link(p, "dev/char/"+dev)
	}

	// The filesystem is on dm-0: its slave sda1, that partition's disk
	// sda, and the disk's other partition sda2 all share blocks.
	w := &walker{r: &Routes{Why: map[string]string{}}, devs: map[Device]string{}, paths: map[string]bool{}, sysRoot: sys}
	if err := w.device(Device{253, 0}, "test"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for d := range w.devs {
		got = append(got, d.String())
	}
	slices.Sort(got)
	if want := []string{"253:0", "8:0", "8:1", "8:2"}; !slices.Equal(got, want) {
		t.Errorf("devices from dm-0: %v, want %v", got, want)
	}
	blockSys := map[string]bool{}
	for d := range w.devs {
		p, _ := filepath.EvalSymlinks(filepath.Join(sys, "dev/block", d.String()))
		blockSys[p] = true
	}
	if disk := w.charDisk(Device{21, 0}, blockSys); disk == "" {
		t.Error("sg0 does not reach sda")
	}
	if disk := w.charDisk(Device{1, 3}, blockSys); disk != "" {
		t.Errorf("/dev/null reaches %s", disk)
	}
	w = &walker{r: &Routes{Why: map[string]string{}}, devs: map[Device]string{}, paths: map[string]bool{}, sysRoot: sys}
	w.device(Device{259, 0}, "test")
	blockSys = map[string]bool{}
	p, _ := filepath.EvalSymlinks(filepath.Join(sys, "dev/block/259:0"))
	blockSys[p] = true
	if disk := w.charDisk(Device{242, 0}, blockSys); disk != "nvme0n1" {
		t.Errorf("the NVMe controller reaches %q, want nvme0n1", disk)
	}
}

// A directory's bytes include those of the filesystems mounted beneath
// it: a disk mounted inside a denied directory is a route too.
func TestMountedBeneath(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	_, loop, _, mnt := loopFS(t, dir, false)
	r, err := Of(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(nodePaths(r), loop) {
		t.Errorf("routes of %s (with %s mounted at %s): nodes %v lack %s", dir, loop, mnt, nodePaths(r), loop)
	}
}

// An overlay's layer is a directory of one filesystem: a mount beneath
// it, the overlay's own mount point among them, is not in the layer. An
// overlay mounted inside its own lower layer (a test harness over "/"
// does this) shows the layer's files once, not nested without end.
func TestOverlayInsideItsLayer(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	// a filesystem of its own, so that the layer's mount is this tmpfs
	sh(t, "mount", "-t", "tmpfs", "tmpfs", dir)
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	for _, d := range []string{"root/etc", "root/mnt", "upper", "work"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "root", "etc", "secret"), nil, 0o600)
	merged := filepath.Join(dir, "root", "mnt")
	opts := "lowerdir=" + filepath.Join(dir, "root") + ",upperdir=" + filepath.Join(dir, "upper") + ",workdir=" + filepath.Join(dir, "work")
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Fatalf("overlay: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(merged, unix.MNT_DETACH) })
	r, err := Of(filepath.Join(dir, "root", "etc", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(merged, "etc", "secret"); !slices.Contains(r.Aliases, want) {
		t.Errorf("aliases %v lack the overlay's %s", r.Aliases, want)
	}
	for _, a := range r.Aliases {
		if strings.Contains(a, filepath.Join("mnt", "mnt")) {
			t.Errorf("alias %s: the overlay's own mount point is no part of its layer", a)
		}
	}
}

// A device node bind-mounted over a placeholder file, as runc gives a
// privileged container in a user namespace the host's nodes: the
// directory lists a regular file, and the walk must still find the node
// (a privileged Pod with hostUsers: false has the node's disk so).
func TestDeviceNodeBindMounted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounts need root")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "null")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("/dev/null", target, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
	nodes := (&Finder{}).deviceNodes([]string{dir})
	if len(nodes) != 1 || nodes[0].path != target || nodes[0].dev != (Device{1, 3}) || nodes[0].block {
		t.Fatalf("nodes under %s: %+v, want the bind-mounted /dev/null (1:3, a character device)", dir, nodes)
	}
}
