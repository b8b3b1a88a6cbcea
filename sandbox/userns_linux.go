package sandbox

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/policy"
)

// LayerUserNS is policy.LayerUserNS.
const LayerUserNS = policy.LayerUserNS

// The block the launcher picks from when a policy leaves the host ids to
// it: systemd's range for container ids (524288 to 1879048191, its
// UIDS-GIDS convention), which no login user and no system user is given,
// in 65536-id blocks.
const (
	pickFirst = 524288
	pickEnd   = 1879048192
)

// PickUserNS returns u with its host block chosen where u leaves it to
// the launcher: a block of systemd's container range that no running
// process holds an id of and that no /etc/subuid or /etc/subgid entry
// gives to a user (whose own containers would then share ids with the
// workload: same uid, same signals and files). A block of u's own is
// kept as written.
func PickUserNS(u *policy.UserNS) (*policy.UserNS, error) {
	if u.HostID != 0 {
		return u, nil
	}
	size := uint64(u.Ids())
	blocks := (pickEnd - pickFirst) / size
	if blocks == 0 {
		return nil, refuse(LayerUserNS, "%d ids do not fit in the range the launcher picks from (%d to %d): give a host id (--userns=HOSTID:SIZE)", size, pickFirst, pickEnd-1)
	}
	taken, err := takenIDs()
	if err != nil {
		return nil, &LayerError{Layer: LayerUserNS, Err: err}
	}
	for range 64 {
		first := pickFirst + rand.Uint64N(blocks)*size
		if !taken.overlaps(first, first+size) {
			out := *u
			out.HostID = uint32(first)
			return &out, nil
		}
	}
	return nil, refuse(LayerUserNS, "found no free block of %d ids in %d to %d: give a host id (--userns=HOSTID:SIZE)", size, pickFirst, pickEnd-1)
}

// UserNSShared says, for a block the caller named, whether a running
// process or a subordinate range already holds one of its ids: the
// workload then shares that uid or gid with them (their files, their
// signals), which the caller should be told.
func UserNSShared(u *policy.UserNS) (bool, error) {
	taken, err := takenIDs()
	if err != nil {
		return false, err
	}
	return taken.overlaps(uint64(u.HostID), uint64(u.HostID)+uint64(u.Ids())), nil
}

// idRanges are half-open ranges of host ids in use.
type idRanges [][2]uint64

func (r idRanges) overlaps(from, to uint64) bool {
	for _, x := range r {
		if x[0] < to && from < x[1] {
			return true
		}
	}
	return false
}

// takenIDs are the ids the launcher must not pick: every id of a running
// process (real, effective, saved, filesystem) and every subordinate
// range given to a user.
func takenIDs() (idRanges, error) {
	var out idRanges
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(string(b), "\n") {
			// NAME:FIRST:COUNT
			parts := strings.Split(strings.TrimSpace(l), ":")
			if len(parts) != 3 {
				continue
			}
			first, err1 := strconv.ParseUint(parts[1], 10, 32)
			n, err2 := strconv.ParseUint(parts[2], 10, 32)
			if err1 == nil && err2 == nil {
				out = append(out, [2]uint64{first, first + n})
			}
		}
	}
	status, _ := filepath.Glob("/proc/[0-9]*/status")
	for _, s := range status {
		st, err := procstatus.ReadFile(s)
		if err != nil {
			continue // gone
		}
		for _, id := range append(st.Uid[:], st.Gid[:]...) {
			out = append(out, [2]uint64{uint64(id), uint64(id) + 1})
		}
	}
	return out, nil
}

// InUserNS says whether this process already runs in the namespace u
// maps, by what the kernel shows of it: /proc/self/uid_map and gid_map
// hold u's one line each, and nothing else. Only the kernel's word
// counts: an environment variable saying "inside" would let anyone who
// sets it skip the namespace.
func InUserNS(u *policy.UserNS) (bool, error) {
	if u.HostID == 0 {
		return false, nil // a block still to be picked is nobody's yet
	}
	want := []string{"0", strconv.FormatUint(uint64(u.HostID), 10), strconv.FormatUint(uint64(u.Ids()), 10)}
	for _, f := range []string{"/proc/self/uid_map", "/proc/self/gid_map"} {
		b, err := os.ReadFile(f)
		if err != nil {
			return false, &LayerError{Layer: LayerUserNS, Err: err}
		}
		if !slices.Equal(strings.Fields(string(b)), want) {
			return false, nil
		}
	}
	return true, nil
}

// UserNSCmd is prog started in a new user namespace that maps u: its 0
// is u.HostID, for u's ids, uids and gids alike, and it starts as that
// root, holding every capability over what the namespace owns and none
// over what the host's owns. prog is an open descriptor of the program
// (the parent's own file, opened as the host's root), executed through
// /proc/self/fd: the namespace's root may be refused a path the program
// lies under (a 0700 build directory) that the program itself is not.
// files become descriptors 3 onwards, prog last.
func UserNSCmd(u *policy.UserNS, prog *os.File, args []string, files []*os.File) *exec.Cmd {
	n := uint32(u.Ids())
	files = append(files, prog)
	cmd := &exec.Cmd{
		Path:       fmt.Sprintf("/proc/self/fd/%d", 2+len(files)),
		Args:       args,
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		ExtraFiles: files,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags:  unix.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(u.HostID), Size: int(n)}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(u.HostID), Size: int(n)}},
			// setgroups stays allowed: the launcher clears the
			// supplementary groups, and a namespace that denies
			// setgroups would refuse it. Only mapped gids can be set.
			GidMappingsEnableSetgroups: true,
			Credential:                 &syscall.Credential{Uid: 0, Gid: 0},
			// The workload dies with its launcher rather than outlive it
			// unwatched (the launcher's thread is locked: see Wait).
			Pdeathsig: unix.SIGKILL,
		},
	}
	return cmd
}
