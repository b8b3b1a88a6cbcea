//go:build linux && cgo && seccomp

package seccomp

import (
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// A launch that cannot read a filter back from the kernel (a user
// without CAP_SYS_ADMIN, an unusable cache) lets runc's engine compile
// and load the profile at exec time: the program is never seen. But
// libseccomp 2.5.4 builds programs that do not do what the rules say
// (see spotCheck), and such a launch would load one unchecked: a deny
// that does not hold. So before it, EngineProgram builds the filter with
// libseccomp the way runc's engine does and exports the program
// libseccomp generates, without loading it, for the spot check; runc's
// engine then builds the same filter from the same calls and loads it.
// Only runc's ENOSYS stub, which runc adds in front at load time, is
// missing from the export.

// EngineProgram is libseccomp's program for p, built with the calls runc
// makes (libcontainer/seccomp InitSeccomp and matchCall): the default
// action, the architectures, the flags, with optimize binary-tree
// optimization past 32 syscalls as runc asks for it (without, the
// program is libseccomp's linear form), then one rule per syscall name,
// skipped where its action is the default's or libseccomp does not know
// the name, with one rule per condition where conditions share an
// argument. Nothing is loaded, and runc's ENOSYS stub is not in it.
func EngineProgram(p *Profile, optimize bool) ([]unix.SockFilter, error) {
	cfg, err := specconv.SetupSeccomp(p.Spec)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, errors.New("the profile resolves to no filter")
	}
	def, err := engineAction(cfg.DefaultAction, cfg.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	filter, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, err
	}
	defer filter.Release()
	if err := targetArch(filter, p, cfg.Architectures); err != nil {
		return nil, err
	}
	for _, a := range cfg.Architectures {
		arch, err := libseccomp.GetArchFromString(a)
		if err != nil {
			return nil, err
		}
		if err := filter.AddArch(arch); err != nil {
			return nil, err
		}
	}
	for _, fl := range cfg.Flags {
		switch fl {
		case "SECCOMP_FILTER_FLAG_LOG":
			err = filter.SetLogBit(true)
		case "SECCOMP_FILTER_FLAG_SPEC_ALLOW":
			err = filter.SetSSB(true)
		case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV":
			err = filter.SetWaitKill(true)
		}
		if err != nil {
			return nil, err
		}
	}
	if optimize && len(cfg.Syscalls) > 32 {
		filter.SetOptimize(2) // an older libseccomp has none: runc goes on too
	}
	if err := filter.SetNoNewPrivsBit(false); err != nil {
		return nil, err
	}
	for _, call := range cfg.Syscalls {
		act, err := engineAction(call.Action, call.ErrnoRet)
		if err != nil {
			return nil, err
		}
		if act == def {
			continue
		}
		nr, err := libseccomp.GetSyscallFromName(call.Name)
		if err != nil {
			continue
		}
		if len(call.Args) == 0 {
			if err := filter.AddRule(nr, act); err != nil {
				return nil, fmt.Errorf("%s: %w", call.Name, err)
			}
			continue
		}
		var conds []libseccomp.ScmpCondition
		shared := false
		seen := map[uint]bool{}
		for _, a := range call.Args {
			op, ok := engineOps[a.Op]
			if !ok {
				return nil, fmt.Errorf("%s: operator %v", call.Name, a.Op)
			}
			c, err := libseccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", call.Name, err)
			}
			conds = append(conds, c)
			shared = shared || seen[a.Index]
			seen[a.Index] = true
		}
		sets := [][]libseccomp.ScmpCondition{conds}
		if shared {
			sets = nil
			for _, c := range conds {
				sets = append(sets, []libseccomp.ScmpCondition{c})
			}
		}
		for _, set := range sets {
			if err := filter.AddRuleConditional(nr, act, set); err != nil {
				return nil, fmt.Errorf("%s: %w", call.Name, err)
			}
		}
	}
	return exportProgram(filter)
}

// targetArch makes the filter's own architecture the one of p's
// platform when that is not this machine's: runc on an arm64 node starts
// its filter with AArch64, where libseccomp here starts with x86_64. The
// rules need nothing else: libseccomp names a syscall the same on every
// architecture (a name another ABI lacks gets the same pseudo-number),
// so the engine's rules land on the target's numbers as they do there.
func targetArch(filter *libseccomp.ScmpFilter, p *Profile, listed []string) error {
	target := p.Platform().Native()
	host, err := libseccomp.GetNativeArch()
	if err != nil {
		return err
	}
	want, err := libseccomp.GetArchFromString(target.scmp)
	if err != nil {
		return err
	}
	if want == host {
		return nil
	}
	if err := filter.AddArch(want); err != nil {
		return err
	}
	for _, a := range listed {
		if b, err := libseccomp.GetArchFromString(a); err == nil && b == host {
			return nil // the profile lists this machine's ABI: it stays
		}
	}
	return filter.RemoveArch(host)
}

var engineOps = map[configs.Operator]libseccomp.ScmpCompareOp{
	configs.EqualTo: libseccomp.CompareEqual, configs.NotEqualTo: libseccomp.CompareNotEqual,
	configs.GreaterThan: libseccomp.CompareGreater, configs.GreaterThanOrEqualTo: libseccomp.CompareGreaterEqual,
	configs.LessThan: libseccomp.CompareLess, configs.LessThanOrEqualTo: libseccomp.CompareLessOrEqual,
	configs.MaskEqualTo: libseccomp.CompareMaskedEqual,
}

// engineAction is runc's action for a rule: KILL is KILL_THREAD, ERRNO
// and TRACE carry the rule's errno or EPERM.
func engineAction(act configs.Action, errno *uint) (libseccomp.ScmpAction, error) {
	code := int16(unix.EPERM)
	if errno != nil {
		code = int16(*errno)
	}
	switch act {
	case configs.Kill, configs.KillThread:
		return libseccomp.ActKillThread, nil
	case configs.KillProcess:
		return libseccomp.ActKillProcess, nil
	case configs.Errno:
		return libseccomp.ActErrno.SetReturnCode(code), nil
	case configs.Trace:
		return libseccomp.ActTrace.SetReturnCode(code), nil
	case configs.Trap:
		return libseccomp.ActTrap, nil
	case configs.Allow:
		return libseccomp.ActAllow, nil
	case configs.Log:
		return libseccomp.ActLog, nil
	case configs.Notify:
		return libseccomp.ActNotify, nil
	}
	return libseccomp.ActInvalid, fmt.Errorf("action %v", act)
}

// exportProgram writes the filter's program to a memory file and reads
// it back: libseccomp exports without loading anything.
func exportProgram(filter *libseccomp.ScmpFilter) ([]unix.SockFilter, error) {
	fd, err := unix.MemfdCreate("rampart-seccomp-export", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "rampart-seccomp-export")
	defer f.Close()
	if err := filter.ExportBPF(f); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, 8*(unix.BPF_MAXINSNS+1)))
	if err != nil {
		return nil, err
	}
	size := int(unsafe.Sizeof(unix.SockFilter{}))
	if len(b) == 0 || len(b)%size != 0 || len(b)/size > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("libseccomp exported %d bytes, not a program", len(b))
	}
	prog := make([]unix.SockFilter, len(b)/size)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&prog[0])), len(b)), b)
	return prog, nil
}
