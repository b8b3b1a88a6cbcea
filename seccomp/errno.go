package seccomp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// containersErrnos are the errno names the containers/common profile
// reader (CRI-O, Podman, Buildah) accepts in defaultErrno and a rule's
// errno, with their Linux values. The values are Linux's generic ones,
// which x86 and arm64 share; they are written here rather than taken
// from golang.org/x/sys/unix, whose values are the build host's
// (TestContainersErrnosAreLinux checks them against it on Linux).
var containersErrnos = map[string]uint{
	"EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EIO": 5, "ENXIO": 6, "E2BIG": 7,
	"ENOEXEC": 8, "EBADF": 9, "ECHILD": 10, "EAGAIN": 11, "ENOMEM": 12,
	"EACCES": 13, "EFAULT": 14, "ENOTBLK": 15, "EBUSY": 16, "EEXIST": 17,
	"EXDEV": 18, "ENODEV": 19, "ENOTDIR": 20, "EISDIR": 21, "EINVAL": 22,
	"ENFILE": 23, "EMFILE": 24, "ENOTTY": 25, "ETXTBSY": 26, "EFBIG": 27,
	"ENOSPC": 28, "ESPIPE": 29, "EROFS": 30, "EMLINK": 31, "EPIPE": 32,
	"EDOM": 33, "ERANGE": 34, "EDEADLK": 35, "ENAMETOOLONG": 36,
	"ENOLCK": 37, "ENOSYS": 38, "ENOTEMPTY": 39, "ELOOP": 40, "ENOMSG": 42,
	"EIDRM": 43, "EREMOTE": 66, "EBADMSG": 74, "EOVERFLOW": 75, "EILSEQ": 84,
	"EUSERS": 87, "ENOTSOCK": 88, "EDESTADDRREQ": 89, "EMSGSIZE": 90,
	"EPROTOTYPE": 91, "ENOPROTOOPT": 92, "EPROTONOSUPPORT": 93,
	"ESOCKTNOSUPPORT": 94, "EOPNOTSUPP": 95, "ENOTSUP": 95,
	"EPFNOSUPPORT": 96, "EAFNOSUPPORT": 97, "EADDRINUSE": 98,
	"EADDRNOTAVAIL": 99, "ENETDOWN": 100, "ENETUNREACH": 101,
	"ENETRESET": 102, "ECONNABORTED": 103, "ECONNRESET": 104, "ENOBUFS": 105,
	"EISCONN": 106, "ENOTCONN": 107, "ESHUTDOWN": 108, "ETOOMANYREFS": 109,
	"ETIMEDOUT": 110, "ECONNREFUSED": 111, "EHOSTDOWN": 112,
	"EHOSTUNREACH": 113, "EALREADY": 114, "EINPROGRESS": 115, "ESTALE": 116,
	"EDQUOT": 122, "ENOMEDIUM": 123, "EMEDIUMTYPE": 124, "ECANCELED": 125,
	"EOWNERDEAD": 130, "ENOTRECOVERABLE": 131,
}

// maxErrno is the largest errno a filter can return: the kernel caps
// errno values at MAX_ERRNO, and libseccomp refuses larger ones with a
// misleading error.
const maxErrno = 4095

// containersErrno reads an errno as containers/common does: a decimal
// number, or a name of its table. Anything else is refused there when
// the container starts; here, when the profile is read.
func containersErrno(s string) (uint, error) {
	if v, err := strconv.ParseUint(s, 10, 32); err == nil {
		if v > maxErrno {
			return 0, fmt.Errorf("%d: errno values stop at %d", v, maxErrno)
		}
		return uint(v), nil
	}
	if v, ok := containersErrnos[s]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("unknown errno %q: containers/common (CRI-O, Podman) accepts a decimal number or one of its names (EPERM, ENOSYS, EINVAL, EACCES…), written in capitals, and refuses the container otherwise", s)
}

// checkErrnoName checks a containers/common errno field against the
// numeric field beside it. When both are given, CRI-O and Podman use the
// name and Docker and containerd the number (their readers do not know
// the name): a file where they differ denies with one errno on one
// runtime and another on the next, so it is refused.
func checkErrnoName(name string, ret *uint) error {
	if name == "" {
		return nil
	}
	v, err := containersErrno(name)
	if err != nil {
		return err
	}
	if ret != nil && *ret != v {
		return fmt.Errorf("%q is %d but the errnoRet beside it is %d: CRI-O and Podman return %d, Docker and containerd %d; make them agree", name, v, *ret, v, *ret)
	}
	return nil
}

// errnoNumbers returns body with containers/common's errno fields
// (defaultErrno, a rule's errno) written as the numeric fields the OCI
// and Docker readers know, as containers/common itself converts them:
// the profile is then read, compiled and predicted as CRI-O and Podman
// enforce it. The fields were checked by validate. notes say where a
// name stands alone, without the numeric field: Docker's and
// containerd's readers ignore it, and the same file denies differently
// there.
func errnoNumbers(body []byte, loc *locator) ([]byte, []string, error) {
	named := loc.defaultErrno != ""
	for _, e := range loc.entries {
		named = named || e.Errno != ""
	}
	if !named {
		return body, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // argument values are 64-bit: keep every digit
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, err
	}
	var alone []string
	if loc.defaultErrno != "" {
		v, err := containersErrno(loc.defaultErrno)
		if err != nil {
			return nil, nil, err
		}
		if loc.defaultErrnoRet == nil {
			alone = append(alone, "defaultErrno")
		}
		doc["defaultErrnoRet"] = v
		delete(doc, "defaultErrno")
	}
	rules, _ := doc["syscalls"].([]any)
	for i, e := range loc.entries {
		if e.Errno == "" {
			continue
		}
		v, err := containersErrno(e.Errno)
		if err != nil {
			return nil, nil, err
		}
		if e.ErrnoRet == nil {
			alone = append(alone, fmt.Sprintf("syscalls[%d].errno", i))
		}
		rule, ok := rules[i].(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("syscalls[%d] is not an object", i)
		}
		rule["errnoRet"] = v
		delete(rule, "errno")
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	if len(alone) > 0 {
		notes = append(notes, fmt.Sprintf("errno names without errnoRet (%s): CRI-O and Podman return the named errno; Docker's and containerd's readers ignore the name and return EPERM for such a rule (the default action: its errno or EPERM); give errnoRet too for one meaning everywhere", strings.Join(alone, ", ")))
	}
	return out, notes, nil
}
