//go:build linux

// Command floor is the least a Go launcher does to apply the layers
// bench/launch.sh gives rampart: it drops the same capabilities, loads a
// seccomp program already compiled (the file bwrap is given), and denies
// reading a path with rampart's own Landlock complement (lsm/landlock),
// then execs. No flags beyond these, no policy, no checks, no
// verification: it measures what the Go runtime and the kernel calls
// cost on this machine, so the benchmark can say how much of a launch is
// rampart's and how much any Go launcher pays. It is not a sandbox to use.
//
//	floor [-caps] [-seccomp FILE] [-deny-read PATH] CMD [ARG...]
package main

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/lsm/landlock"
	"github.com/rampart-sec/rampart/policy"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(125)
	}
}

func run(args []string) error {
	var dropCaps bool
	var filter, denyRead string
	for len(args) > 0 {
		switch args[0] {
		case "-caps":
			dropCaps, args = true, args[1:]
			continue
		case "-seccomp", "-deny-read":
			if len(args) < 2 {
				return fmt.Errorf("%s needs a value", args[0])
			}
			if args[0] == "-seccomp" {
				filter = args[1]
			} else {
				denyRead = args[1]
			}
			args = args[2:]
			continue
		}
		break
	}
	if len(args) == 0 {
		return fmt.Errorf("no command")
	}
	if dropCaps {
		if err := drop(unix.CAP_NET_RAW, unix.CAP_SYS_ADMIN); err != nil {
			return err
		}
	}
	if filter != "" || denyRead != "" {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return err
		}
	}
	if denyRead != "" {
		rules := []policy.FSRule{{Mode: policy.DenyRead, Path: denyRead}}
		rules, _, err := landlock.WithRoutes(rules, nil, landlock.OSFS{})
		if err != nil {
			return err
		}
		plan, err := landlock.Compile(rules, landlock.OSFS{})
		if err != nil {
			return err
		}
		rs, err := landlock.Prepare(plan)
		if err != nil {
			return err
		}
		if err := rs.Restrict(); err != nil {
			return err
		}
	}
	if filter != "" {
		if err := loadFilter(filter); err != nil {
			return err
		}
	}
	return unix.Exec(args[0], args, os.Environ())
}

// drop removes the capabilities from the bounding set and from the
// effective, permitted and inheritable sets, and clears the ambient set.
func drop(cs ...uintptr) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	for _, c := range cs {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil {
			return err
		}
		d := &data[c/32]
		bit := uint32(1) << (c % 32)
		d.Effective &^= bit
		d.Permitted &^= bit
		d.Inheritable &^= bit
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return err
	}
	return unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
}

// loadFilter loads the raw program in file (struct sock_filter entries).
func loadFilter(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if len(b) == 0 || len(b)%8 != 0 {
		return fmt.Errorf("%s: not a seccomp program", file)
	}
	insns := unsafe.Slice((*unix.SockFilter)(unsafe.Pointer(&b[0])), len(b)/8)
	prog := unix.SockFprog{Len: uint16(len(insns)), Filter: &insns[0]}
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog))); e != 0 {
		return fmt.Errorf("seccomp: %w", e)
	}
	return nil
}
