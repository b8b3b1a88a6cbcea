//go:build linux && cgo && seccomp

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/seccomp"
)

// linearFilter builds the profile with libseccomp as runc does (same
// default action, architectures and rules, conditions on one argument
// split into separate rules), but without the binary-tree optimization and
// without runc's ENOSYS stub: libseccomp's linear form, exported as BPF.
func linearFilter(p *seccomp.Profile) ([]unix.SockFilter, error) {
	cfg, err := specconv.SetupSeccomp(p.Spec)
	if err != nil {
		return nil, err
	}
	def, err := action(cfg.DefaultAction, cfg.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	f, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, err
	}
	defer f.Release()
	for _, a := range cfg.Architectures {
		arch, err := libseccomp.GetArchFromString(a)
		if err != nil {
			return nil, err
		}
		if err := f.AddArch(arch); err != nil {
			return nil, err
		}
	}
	for _, call := range cfg.Syscalls {
		if err := addRule(f, call, def); err != nil {
			return nil, err
		}
	}
	mem, err := unix.MemfdCreate("linear.bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	file := os.NewFile(uintptr(mem), "linear.bpf")
	defer file.Close()
	if err := f.ExportBPF(file); err != nil {
		return nil, err
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(file)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || len(b)%8 != 0 {
		return nil, fmt.Errorf("libseccomp exported %d bytes", len(b))
	}
	prog := make([]unix.SockFilter, len(b)/8)
	for i := range prog {
		x := b[8*i:]
		prog[i] = unix.SockFilter{Code: binary.NativeEndian.Uint16(x), Jt: x[2], Jf: x[3], K: binary.NativeEndian.Uint32(x[4:])}
	}
	return prog, nil
}

// addRule is runc's matchCall (libcontainer/seccomp).
func addRule(f *libseccomp.ScmpFilter, call *configs.Syscall, def libseccomp.ScmpAction) error {
	act, err := action(call.Action, call.ErrnoRet)
	if err != nil {
		return err
	}
	if act == def {
		return nil
	}
	nr, err := libseccomp.GetSyscallFromName(call.Name)
	if err != nil {
		return nil // runc skips names libseccomp does not know
	}
	if len(call.Args) == 0 {
		return f.AddRule(nr, act)
	}
	var conds []libseccomp.ScmpCondition
	perArg := map[uint]int{}
	for _, a := range call.Args {
		op, ok := operators[a.Op]
		if !ok {
			return fmt.Errorf("%s: operator %v", call.Name, a.Op)
		}
		c, err := libseccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
		if err != nil {
			return err
		}
		perArg[a.Index]++
		conds = append(conds, c)
	}
	for _, n := range perArg {
		if n > 1 { // several conditions on one argument: one rule each
			for _, c := range conds {
				if err := f.AddRuleConditional(nr, act, []libseccomp.ScmpCondition{c}); err != nil {
					return fmt.Errorf("%s: %w", call.Name, err)
				}
			}
			return nil
		}
	}
	if err := f.AddRuleConditional(nr, act, conds); err != nil {
		return fmt.Errorf("%s: %w", call.Name, err)
	}
	return nil
}

var operators = map[configs.Operator]libseccomp.ScmpCompareOp{
	configs.EqualTo: libseccomp.CompareEqual, configs.NotEqualTo: libseccomp.CompareNotEqual,
	configs.GreaterThan: libseccomp.CompareGreater, configs.GreaterThanOrEqualTo: libseccomp.CompareGreaterEqual,
	configs.LessThan: libseccomp.CompareLess, configs.LessThanOrEqualTo: libseccomp.CompareLessOrEqual,
	configs.MaskEqualTo: libseccomp.CompareMaskedEqual,
}

// action is runc's getAction.
func action(a configs.Action, errnoRet *uint) (libseccomp.ScmpAction, error) {
	code := int16(unix.EPERM)
	if errnoRet != nil {
		code = int16(*errnoRet)
	}
	switch a {
	case configs.Kill, configs.KillThread:
		return libseccomp.ActKillThread, nil
	case configs.KillProcess:
		return libseccomp.ActKillProcess, nil
	case configs.Errno:
		return libseccomp.ActErrno.SetReturnCode(code), nil
	case configs.Trap:
		return libseccomp.ActTrap, nil
	case configs.Allow:
		return libseccomp.ActAllow, nil
	case configs.Trace:
		return libseccomp.ActTrace.SetReturnCode(code), nil
	case configs.Log:
		return libseccomp.ActLog, nil
	}
	return libseccomp.ActInvalid, errors.New("action not supported here")
}

func libseccompVersion() string {
	a, b, c := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", a, b, c)
}
