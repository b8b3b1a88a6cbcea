package audit

import (
	"fmt"
	"strings"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
)

// The node's own decisions on a path, each placed where the kernel (or
// the attack's order of steps) makes it among the layers: decide asks
// beforeFilter, then the seccomp filter, then beforeCaps, then the
// capability check, then afterCaps, then the LSM.

// gate is a path the node closes by itself: by other, or by capabilities
// where the attack's first step is a capability check the path's calls
// do not show.
type gate struct{ layer, why string }

// beforeFilter is what the attack does before the calls a filter
// decides on.
func (a *Auditor) beforeFilter(p *attack.Path, s *subject, ctx attack.Context) *gate {
	switch p.ID {
	case "runtime-socket":
		// The attack looks for a socket before it makes one: where none
		// is reachable there is nothing to connect to, whatever the
		// filter says of socket and connect.
		r := a.reachSocket(s)
		if len(r.via) == 0 {
			return &gate{attack.ByOther, r.none}
		}
	case "signal-outside":
		// The node's processes are in sight only from the node's PID
		// namespace: kill finds no such pid (ESRCH) before any check.
		if !s.hostPID {
			return &gate{attack.ByOther, "the Pod's own PID namespace holds no process of the node's: none outside the Pod is in sight (hostPID is off)"}
		}
		// What lets the path in, whatever closes it later: hostPID
		// false closes it for any user and profile.
		s.fix[p.ID] = s.c.PodPos("hostPID")
	case "abstract-unix-connect":
		// Abstract names belong to a network namespace: a Pod's own
		// holds only what its containers bound.
		if s.c.Pod == nil || !s.c.Pod.HostNetwork {
			return &gate{attack.ByOther, "the Pod's own network namespace holds only the abstract sockets its containers bind: none of the node's is in reach (hostNetwork is off)"}
		}
		s.fix[p.ID] = s.c.PodPos("hostNetwork")
		if a.node.kernel(KernelNoAbstractUnix) {
			return &gate{attack.ByOther, "nothing binds an abstract UNIX socket in the node's network namespace (--node-kernel " + KernelNoAbstractUnix + ")"}
		}
	case "sysrq-trigger":
		// The probe looks for the file before it opens it.
		if a.node.kernel(KernelNoSysrq) {
			return &gate{attack.ByOther, "the node's kernel has no magic SysRq key (--node-kernel " + KernelNoSysrq + "): /proc/sysrq-trigger does not exist"}
		}
	case "setns-host":
		// Opening /proc/1/ns/net comes before setns: when pid 1 is
		// another process, ptrace read access to it is checked first.
		if !ctx.ForeignPID1 {
			break
		}
		if !s.effective.Has(caps.SYS_PTRACE) {
			s.fix[p.ID] = s.c.Pos("securityContext", "capabilities")
			return &gate{attack.ByCapabilities, "the effective set lacks " + strings.Join(attack.MissingCaps(p, s.effective, ctx).Names(caps.Cap.String), ", ") +
				": opening /proc/1/ns/net, before setns, needs ptrace read access to pid 1, which is not the container's own process"}
		}
		if s.hostPID && a.node.kernel(KernelPID1Protected) {
			s.fix[p.ID] = s.c.PodPos("hostPID")
			return &gate{attack.ByOther, "the node protects its pid 1 (--node-kernel " + KernelPID1Protected + "): opening /proc/1/ns/net is refused even with CAP_SYS_PTRACE, before setns"}
		}
	}
	return nil
}

// beforeCaps: a call the kernel was built without answers ENOSYS once
// the filter has let it through, before any check.
func (a *Auditor) beforeCaps(p *attack.Path) *gate {
	if p.ID == "kernel-module" && a.node.kernel(KernelNoModules) {
		return &gate{attack.ByOther, "the node's kernel has no loadable module support (--node-kernel " + KernelNoModules + "): init_module and finit_module do not exist (ENOSYS)"}
	}
	return nil
}

// afterCaps are the file permission checks and the sysctls that the
// kernel applies after the capability checks and before the LSM's hooks
// (file_open, socket_connect).
func (a *Auditor) afterCaps(p *attack.Path, s *subject, privileged bool) *gate {
	switch p.ID {
	case "read-shadow":
		mode, assumed := a.shadowMode()
		if ok, why, pos := s.access(mode, mayRead); !ok {
			s.fix[p.ID] = pos
			return &gate{attack.ByOther, "file permissions: /etc/shadow is " + mode.String() + " (" + assumed + "); " + why}
		}
	case "core-pattern", "sysrq-trigger":
		// Past the runtime's read-only mount (decide's), the file's
		// own mode decides for a uid other than 0.
		mode := procFiles[p.ID]
		if ok, why, pos := s.access(mode, mayWrite); !ok {
			s.fix[p.ID] = pos
			return &gate{attack.ByOther, "file permissions: " + p.Model.LSM[0].Path + " is " + mode.String() + "; " + why}
		}
	case "read-shadow-blockdev":
		// Only a privileged container has the node's disks in its /dev
		// (decide closes the path for the others first).
		if !privileged {
			break
		}
		mode, assumed := a.diskMode()
		if ok, why, pos := s.access(mode, mayRead); !ok {
			s.fix[p.ID] = pos
			return &gate{attack.ByOther, "file permissions: the node's disk is " + mode.String() + " (" + assumed + "); " + why}
		}
		if a.node.DiskRefused {
			return &gate{attack.ByOther, "the node refuses to open its disks even to a privileged container's root (--node-disk refused)"}
		}
	case "runtime-socket":
		// connect needs write permission on the socket file.
		var first string
		for _, w := range a.reachSocket(s).via {
			ok, why, pos := s.access(w.sock.Mode, mayWrite)
			if ok {
				s.fix[p.ID] = w.pos
				return nil
			}
			if first == "" {
				first = fmt.Sprintf("file permissions: %s; the socket is %s; %s", w.how, w.sock.Mode, why)
				s.fix[p.ID] = pos
			}
		}
		if first != "" {
			return &gate{attack.ByOther, first}
		}
	case "kernel-module":
		if v, ok := a.node.sysctl("kernel.modules_disabled"); ok && v == 1 {
			return &gate{attack.ByOther, "kernel.modules_disabled=1: no module loads until the node reboots, CAP_SYS_MODULE or not"}
		}
	case "io-uring":
		switch v, _ := a.node.sysctl("kernel.io_uring_disabled"); v {
		case 2:
			return &gate{attack.ByOther, "kernel.io_uring_disabled=2: io_uring_setup is refused to every process"}
		case 1:
			if s.effective.Has(caps.SYS_ADMIN) {
				break
			}
			if g, ok := a.node.sysctl("kernel.io_uring_group"); ok && s.inGroup(int64(g)) != nil {
				break
			}
			return &gate{attack.ByOther, "kernel.io_uring_disabled=1: io_uring_setup is refused without CAP_SYS_ADMIN or the group kernel.io_uring_group"}
		}
	case "userns-netns":
		if v, ok := a.node.sysctl("user.max_user_namespaces"); ok && v == 0 {
			return &gate{attack.ByOther, "user.max_user_namespaces=0: no user namespace can be made (ENOSPC)"}
		}
		if v, ok := a.node.sysctl("kernel.unprivileged_userns_clone"); ok && v == 0 && !s.effective.Has(caps.SYS_ADMIN) {
			return &gate{attack.ByOther, "kernel.unprivileged_userns_clone=0: a user namespace needs CAP_SYS_ADMIN, which the effective set lacks"}
		}
	case "ptrace-child", "process-vm-readv":
		// Yama's hook, after the kernel's own ptrace checks.
		switch v, _ := a.node.sysctl("kernel.yama.ptrace_scope"); {
		case v >= 3:
			return &gate{attack.ByOther, fmt.Sprintf("kernel.yama.ptrace_scope=%d: no process may attach", v)}
		case v == 2 && !s.effective.Has(caps.SYS_PTRACE):
			return &gate{attack.ByOther, "kernel.yama.ptrace_scope=2: only CAP_SYS_PTRACE may attach, and the effective set lacks it"}
		}
	case "tiocsti":
		if v, ok := a.node.sysctl("dev.tty.legacy_tiocsti"); ok && v == 0 && !s.effective.Has(caps.SYS_ADMIN) {
			return &gate{attack.ByOther, "dev.tty.legacy_tiocsti=0: TIOCSTI needs CAP_SYS_ADMIN, which the effective set lacks (EIO)"}
		}
	}
	return nil
}

// assumed is what the node let through for a path left open, and what
// of that was assumed rather than given: for the path's why.
func (a *Auditor) assumed(p *attack.Path, s *subject, privileged bool) string {
	given := func(key string) string {
		if v, ok := a.node.Sysctls[key]; ok {
			return key + "=" + v
		}
		return assumedSysctl(key)
	}
	switch p.ID {
	case "read-shadow":
		mode, assumed := a.shadowMode()
		_, why, _ := s.access(mode, mayRead)
		return "/etc/shadow is " + mode.String() + " (" + assumed + "): " + why
	case "read-shadow-blockdev":
		if privileged {
			mode, assumed := a.diskMode()
			_, why, _ := s.access(mode, mayRead)
			return "the node's disk is " + mode.String() + " (" + assumed + "): " + why + "; assumed the node lets a privileged container open it (--node-disk refused says it does not)"
		}
	case "runtime-socket":
		for _, w := range a.reachSocket(s).via {
			if ok, why, _ := s.access(w.sock.Mode, mayWrite); ok {
				if s.userns && w.src != "" {
					why += " (hostUsers: false makes the volume an idmapped mount: the node's uid 0 is the Pod's uid 0 there)"
				}
				return fmt.Sprintf("%s, reached at %s; the socket is %s: %s", w.how, w.at, w.sock.Mode, why)
			}
		}
	case "kernel-module":
		if _, ok := a.node.Sysctls["kernel.modules_disabled"]; !ok {
			return "assumed the node's kernel loads modules (--node-kernel " + KernelNoModules + " says it does not); " + assumedSysctl("kernel.modules_disabled")
		}
		return "assumed the node's kernel loads modules (--node-kernel " + KernelNoModules + " says it does not)"
	case "sysrq-trigger", "core-pattern":
		var parts []string
		if f := readOnlyWrite(p, a.rt.ReadOnlyPaths); f != "" && !privileged {
			parts = append(parts, s.procWritable(f))
		}
		if p.ID == "sysrq-trigger" {
			parts = append(parts, "assumed the node's kernel has the magic SysRq key (--node-kernel "+KernelNoSysrq+" says it has not)")
		}
		return strings.Join(parts, "; ")
	case "setns-host":
		if s.hostPID {
			return "assumed the node's pid 1 is open to CAP_SYS_PTRACE (--node-kernel " + KernelPID1Protected + " says it is not)"
		}
	case "perf-event-open", "bpf-load":
		// Open without the capability: the sysctl did not turn its
		// check on.
		if p.Model.Caps.Minus(s.effective) != 0 && !s.effective.Has(caps.SYS_ADMIN) {
			return a.capsCondition(p)
		}
	case "io-uring":
		return given("kernel.io_uring_disabled")
	case "userns-netns":
		return given("user.max_user_namespaces") + "; " + given("kernel.unprivileged_userns_clone")
	case "ptrace-child", "process-vm-readv":
		return given("kernel.yama.ptrace_scope")
	case "tiocsti":
		if !s.effective.Has(caps.SYS_ADMIN) {
			return given("dev.tty.legacy_tiocsti")
		}
	}
	return ""
}

// capsCondition says, for a path whose capability check a sysctl turns
// on, what turned it on.
func (a *Auditor) capsCondition(p *attack.Path) string {
	for id, key := range map[string]string{"perf-event-open": "kernel.perf_event_paranoid", "bpf-load": "kernel.unprivileged_bpf_disabled"} {
		if p.ID != id {
			continue
		}
		if v, ok := a.node.Sysctls[key]; ok {
			return key + "=" + v
		}
		return assumedSysctl(key)
	}
	return ""
}

// procFiles are the modes of the /proc files paths open for writing:
// the same on every kernel. proc_sys_permission compares core_pattern's
// mode with the euid and egid alone: no capability overrides it.
var procFiles = map[string]FileMode{
	"core-pattern":  {Perm: 0o644, UID: 0, GID: 0, Owner: "root", Group: "root", NoOverride: "proc_sys_permission compares the mode alone"},
	"sysrq-trigger": {Perm: 0o200, UID: 0, GID: 0, Owner: "root", Group: "root"},
}

// shadowMode is /etc/shadow's mode in the images, and whence it comes.
func (a *Auditor) shadowMode() (FileMode, string) {
	if a.node.ImageShadow != nil {
		return *a.node.ImageShadow, "--image-shadow"
	}
	return DebianShadow, "assumed Debian's and Ubuntu's; --image-shadow gives the image's"
}

// diskMode is the node's disk nodes' mode, and whence it comes.
func (a *Auditor) diskMode() (FileMode, string) {
	if a.node.Disk != nil {
		return *a.node.Disk, "--node-disk"
	}
	return UdevDisk, "assumed udev's; --node-disk gives the node's"
}
