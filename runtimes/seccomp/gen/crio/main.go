//go:build ignore

// Command crio prints CRI-O's RuntimeDefault seccomp profile in moby's
// format: containers/common's DefaultProfile (already conditional data),
// with the change CRI-O makes to it before use — unshare leaves the
// unconditional allow list and is allowed only with CAP_SYS_ADMIN.
// gen/main.go builds it against a containers/common release in a
// throwaway module; it is not part of rampart's build.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/containers/common/pkg/seccomp"
)

type filter struct {
	Caps   []string `json:"caps,omitempty"`
	Arches []string `json:"arches,omitempty"`
}

type syscall struct {
	Names    []string       `json:"names"`
	Action   string         `json:"action"`
	Args     []*seccomp.Arg `json:"args,omitempty"`
	ErrnoRet *uint          `json:"errnoRet,omitempty"`
	Includes *filter        `json:"includes,omitempty"`
	Excludes *filter        `json:"excludes,omitempty"`
}

type archEntry struct {
	Arch      string   `json:"architecture"`
	SubArches []string `json:"subArchitectures"`
}

type profile struct {
	DefaultAction   string      `json:"defaultAction"`
	DefaultErrnoRet *uint       `json:"defaultErrnoRet,omitempty"`
	ArchMap         []archEntry `json:"archMap"`
	Flags           []string    `json:"flags,omitempty"`
	Syscalls        []syscall   `json:"syscalls"`
}

func cond(f seccomp.Filter) *filter {
	if len(f.Caps) == 0 && len(f.Arches) == 0 {
		return nil
	}
	return &filter{Caps: f.Caps, Arches: f.Arches}
}

func main() {
	p := seccomp.DefaultProfile()
	// The errno names ("EPERM") are redundant with errnoRet, which moby's
	// format reads; a profile naming one without the number is not
	// expected here.
	if p.DefaultErrno != "" && p.DefaultErrnoRet == nil || len(p.Architectures) > 0 || p.ListenerPath != "" {
		fail("the profile uses fields this conversion does not carry")
	}
	out := profile{DefaultAction: string(p.DefaultAction), DefaultErrnoRet: p.DefaultErrnoRet}
	for _, f := range p.Flags {
		out.Flags = append(out.Flags, string(f))
	}
	for _, a := range p.ArchMap {
		e := archEntry{Arch: string(a.Arch), SubArches: []string{}}
		for _, s := range a.SubArches {
			e.SubArches = append(e.SubArches, string(s))
		}
		out.ArchMap = append(out.ArchMap, e)
	}
	unshare := 0
	for _, s := range p.Syscalls {
		if s.Name != "" || s.Errno != "" && s.ErrnoRet == nil {
			fail("a rule uses fields this conversion does not carry: %+v", s)
		}
		names := s.Names
		if s.Action == seccomp.ActAllow && len(s.Args) == 0 && cond(s.Includes) == nil && cond(s.Excludes) == nil {
			if i := slices.Index(names, "unshare"); i >= 0 {
				names = slices.Delete(slices.Clone(names), i, i+1)
				unshare++
			}
		}
		out.Syscalls = append(out.Syscalls, syscall{Names: names, Action: string(s.Action), Args: s.Args,
			ErrnoRet: s.ErrnoRet, Includes: cond(s.Includes), Excludes: cond(s.Excludes)})
	}
	if unshare != 1 {
		fail("unshare is in %d unconditional allow rules, want 1", unshare)
	}
	out.Syscalls = append(out.Syscalls, syscall{Names: []string{"unshare"}, Action: string(seccomp.ActAllow),
		Includes: &filter{Caps: []string{"CAP_SYS_ADMIN"}}})
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "\t")
	if err := enc.Encode(out); err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "crio dump: "+format+"\n", args...)
	os.Exit(1)
}
