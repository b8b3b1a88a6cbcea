package attack

import (
	"github.com/rampart-sec/rampart/caps"

	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// Opening a file by path has many doors: openat with whatever flags a
// libc adds, open, openat2 (its flags in a struct no filter reads), an
// io_uring OPENAT (no syscall rule reaches it), and a file handle
// (open_by_handle_at, with CAP_DAC_READ_SEARCH). A filter that refuses
// one has not closed the path; the permission bits, the capability and
// the LSM's file_open hook decide every one of them alike.

// readOnlyOpens are the read opens as a filter sees them: openat with
// and without O_CLOEXEC, and the siblings seccomp's table knows (open,
// openat2, io_uring OPENAT); then the file handle, which also needs
// CAP_DAC_READ_SEARCH and a filesystem that encodes handles.
func readOnlyOpens() []Call {
	out := siblingCalls(Call{Name: "openat", Args: [6]uint64{linuxabi.AT_FDCWD & 0xffffffff, 0, linuxabi.O_RDONLY}, Label: "openat(O_RDONLY)"})
	out = append(out,
		Call{Name: "openat", Args: [6]uint64{linuxabi.AT_FDCWD & 0xffffffff, 0, linuxabi.O_RDONLY | linuxabi.O_CLOEXEC}, Label: "openat(O_RDONLY|O_CLOEXEC)"},
		Call{Name: "open_by_handle_at", Args: [6]uint64{0, 0, linuxabi.O_RDONLY}, Label: "open_by_handle_at", Caps: caps.Of(caps.DAC_READ_SEARCH), Needs: handleNeeds},
	)
	return out
}

// handleNeeds is what the file-handle variant needs besides the layers.
const handleNeeds = "a filesystem that encodes file handles (an overlayfs root does not, unless mounted with nfs_export=on)"

// writeOpenCalls lists how attackers open a file for writing: a shell's
// redirection (O_WRONLY|O_CREAT|O_TRUNC), runtimes' O_CLOEXEC, and the
// siblings of each (open, openat2, io_uring OPENAT). procfs encodes no
// file handles, so open_by_handle_at is no door to these files.
func writeOpenCalls() []Call {
	var out []Call
	for _, c := range []Call{
		{Name: "openat", Args: [6]uint64{linuxabi.AT_FDCWD & 0xffffffff, 0, linuxabi.O_WRONLY | linuxabi.O_CREAT | linuxabi.O_TRUNC, 0o666}, Label: "openat(O_WRONLY|O_CREAT|O_TRUNC)"},
		{Name: "openat", Args: [6]uint64{linuxabi.AT_FDCWD & 0xffffffff, 0, linuxabi.O_WRONLY | linuxabi.O_CLOEXEC}, Label: "openat(O_WRONLY|O_CLOEXEC)"},
		{Name: "openat", Args: [6]uint64{linuxabi.AT_FDCWD & 0xffffffff, 0, linuxabi.O_WRONLY}, Label: "openat(O_WRONLY)"},
	} {
		for _, s := range siblingCalls(c) {
			if !containsCall(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func containsCall(cs []Call, c Call) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

const readOpensSafety = "Each way to open it is tried in turn until one opens it: openat, open, openat2, an io_uring OPENAT " +
	"(a one-entry ring of the probe's own, closed with its maps once the single entry completes), and open_by_handle_at with the file's own handle (name_to_handle_at); " +
	"each opens read-only, and the first fd is read once as above and closed. Canaries: __O_TMPFILE without O_DIRECTORY (EINVAL in build_open_flags, before the lookup), " +
	"openat2 with a struct size below OPEN_HOW_SIZE_VER0 (EINVAL before anything), io_uring_setup with NULL params (EFAULT) and io_uring_enter on fd -1 (EBADF), " +
	"and the open-by-handle path's (EBADF for mount fd -1)." + askSafety

const writeOpensSafety = "Each way to open it is tried in turn until one opens it, each write-only without O_TRUNC or O_CREAT and closed unwritten: " +
	"openat, open, openat2 and an io_uring OPENAT (a one-entry ring of the probe's own, closed with its maps once the single entry completes). " +
	"Canaries: __O_TMPFILE without O_DIRECTORY (EINVAL in build_open_flags, before the lookup), openat2 with a struct size below OPEN_HOW_SIZE_VER0, " +
	"io_uring_setup with NULL params (EFAULT) and io_uring_enter on fd -1 (EBADF)." + askSafety

// askSafety is the Safety sentence of a path whose refusals are put to
// the filter (variant.ask, askFilter).
const askSafety = " A refusal is also put to the seccomp filter without the call running: on a thread then thrown away, " +
	"a filter of the probe's own answers SECCOMP_RET_TRACE for that one call, which then fails with ENOSYS, or gets the workload filter's refusal; " +
	"a descriptor it returns, should a supervisor of the workload's filter let it run, is closed"
