package audit

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/rampart-sec/rampart/runtimes"
)

// What a command line gives the audit: the node's facts as flag values
// (each a pflag.Value), their checks, their help, and the gate that turns
// a report into an exit status.

// NodeError is a fact of the node the audit cannot take, by the flag
// that gave it.
type NodeError struct {
	Flag string
	Err  error
}

func (e *NodeError) Error() string { return e.Flag + ": " + e.Err.Error() }
func (e *NodeError) Unwrap() error { return e.Err }

// Check refuses a node the audit cannot model, before anything is read:
// an unknown runtime or release, a sysctl or kernel fact it does not
// know (a misspelt one would silently change nothing), a profiles
// directory that is not one.
func (n *Node) Check() error {
	if _, err := runtimes.Lookup(n.Runtime, n.RuntimeVersion); err != nil {
		var ue *runtimes.UnknownError
		if errors.As(err, &ue) {
			return &NodeError{"--runtime", err}
		}
		return &NodeError{"--runtime-version", err}
	}
	if err := CheckSysctls(n.Sysctls); err != nil {
		return &NodeError{"--sysctl", err}
	}
	if err := CheckKernelFacts(n.Kernel); err != nil {
		return &NodeError{"--node-kernel", err}
	}
	if n.ProfilesDir != "" {
		if st, err := os.Stat(n.ProfilesDir); err != nil || !st.IsDir() {
			return &NodeError{"--profiles", fmt.Errorf("%s: not a directory", n.ProfilesDir)}
		}
	}
	return nil
}

// CheckFailOn refuses a --fail-on condition the audit does not know.
func CheckFailOn(on string) error {
	switch on {
	case "", FailOpenPath, FailBaseline, FailRestricted:
		return nil
	}
	return fmt.Errorf("--fail-on %q: want open-path, baseline or restricted", on)
}

// GateError is a --fail-on condition met, or not ruled out.
type GateError struct{ msg string }

func (e *GateError) Error() string { return e.msg }

// Gate is what a finished audit of args decides: nil, a *GateError when
// failOn's condition is met or a document that may hold it could not be
// read, or an error when nothing was audited at all.
func (r *Report) Gate(args []string, failOn string) error {
	if r.Summary.Containers == 0 && r.Summary.Objects == 0 {
		return fmt.Errorf("audit: no workload found in %v", args)
	}
	if failOn != "" && r.Failed(failOn) {
		return &GateError{fmt.Sprintf("audit: --fail-on %s: condition met", failOn)}
	}
	// A gate passes only what it has read: a document it could not read
	// (missing, malformed, over --max-document-size) may hold what the
	// condition is about.
	if failOn != "" && len(r.Errors) > 0 {
		return &GateError{fmt.Sprintf("audit: --fail-on %s: %d document(s) could not be read, so the condition is not ruled out", failOn, len(r.Errors))}
	}
	return nil
}

// FileModeFlag is a MODE:OWNER:GROUP flag (ParseFileMode), nil until
// given.
type FileModeFlag struct{ M **FileMode }

func (f FileModeFlag) Type() string { return "MODE:OWNER:GROUP" }
func (f FileModeFlag) String() string {
	if *f.M == nil {
		return ""
	}
	return (*f.M).String()
}
func (f FileModeFlag) Set(s string) error {
	m, err := ParseFileMode(s)
	if err != nil {
		return err
	}
	*f.M = &m
	return nil
}

// DiskFlag is the node's disks' mode (Node.Disk), or refused
// (Node.DiskRefused).
type DiskFlag struct{ N *Node }

func (f DiskFlag) Type() string { return "MODE:OWNER:GROUP|refused" }
func (f DiskFlag) String() string {
	if f.N.DiskRefused {
		return "refused"
	}
	return FileModeFlag{&f.N.Disk}.String()
}
func (f DiskFlag) Set(s string) error {
	if s == "refused" {
		f.N.DiskRefused, f.N.Disk = true, nil
		return nil
	}
	f.N.DiskRefused = false
	return FileModeFlag{&f.N.Disk}.Set(s)
}

// SocketsFlag adds a runtime socket (ParseRuntimeSocket) each time it is
// given.
type SocketsFlag struct{ S *[]RuntimeSocket }

func (f SocketsFlag) Type() string { return "PATH[=MODE:OWNER:GROUP]" }
func (f SocketsFlag) String() string {
	var parts []string
	for _, s := range *f.S {
		parts = append(parts, s.String())
	}
	return strings.Join(parts, ", ")
}
func (f SocketsFlag) Set(s string) error {
	r, err := ParseRuntimeSocket(s)
	if err != nil {
		return err
	}
	*f.S = append(*f.S, r)
	return nil
}

// SysctlsHelp lists, for --help, the sysctls Node.Sysctls takes, each
// with what it decides, wrapped.
func SysctlsHelp() string {
	keys := make([]string, 0, len(Sysctls))
	for k := range Sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		lines = append(lines, "    "+k)
		line := "       "
		for _, w := range strings.Fields(Sysctls[k].Decides + " (assumed " + Sysctls[k].Assumed + ")") {
			if len(line)+1+len(w) > 76 {
				lines = append(lines, line)
				line = "       "
			}
			line += " " + w
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// KernelFactsHelp lists, for --help, the facts Node.Kernel takes.
func KernelFactsHelp() string {
	var parts []string
	for _, f := range []string{KernelNoModules, KernelNoIA32, KernelNoSysrq, KernelPID1Protected, KernelNoAbstractUnix} {
		parts = append(parts, f+": "+KernelFacts[f])
	}
	return strings.Join(parts, "; ")
}

// RuntimesHelp lists, for --help, the releases whose RuntimeDefault
// seccomp profiles rampart has, a runtime a paragraph.
func RuntimesHelp() string {
	var b strings.Builder
	for _, rt := range runtimes.All {
		list := runtimes.SeccompReleases(rt.Name)
		if len(list) == 0 {
			r, _ := runtimes.Lookup(rt.Name, "")
			list = []string{r.Seccomp.Release}
		}
		line := "  " + rt.Name
		for i, r := range list {
			w := " " + r
			if i < len(list)-1 {
				w += ","
			}
			if len(line)+len(w) > 76 {
				b.WriteString(line + "\n")
				line = "   "
			}
			line += w
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
