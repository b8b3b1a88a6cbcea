package attack

import (
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/linuxabi"
	"github.com/rampart-sec/rampart/policy"
)

// Paths out of the workload through IPC that no file or capability
// guards: signals to a process outside it, and abstract UNIX sockets,
// which have a name but no file. Landlock's scopes (ABI 6) close both
// for a domain, whatever the other layers allow.

// SignalTarget is the process signal-outside signals: kthreadd, pid 2 of
// the host's PID namespace, outside every workload and in sight only
// from the host's PID namespace. A kernel thread ignores every signal,
// so a real one can be sent: signal 0 would not measure AppArmor, whose
// abstractions/base allows signal 0 ("exists") to any peer.
const SignalTarget = 2

// SignalSent is the signal the probe sends (SIGURG, "urg" to AppArmor):
// ignored by default besides, should the target ever not be kthreadd.
const SignalSent = 23

var _ = declare(func() *Path {
	return &Path{
		ID:       "signal-outside",
		Title:    "signal a process outside the workload (the host's kthreadd)",
		Gain:     "stop or kill what the workload shares a PID namespace with: with hostPID, the node's init, the kubelet and the runtime's shims, whose death takes the node's other containers with them",
		Syscalls: []string{"kill", "tgkill", "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal"},
		Model: Model{
			UserNS:  UserNSInit,
			Caps:    caps.Of(caps.KILL),
			CapNote: "none when the sender's real or effective uid is the target's real or saved uid (the host's processes the attack wants are root's, as kthreadd is: root signals them without CAP_KILL); CAP_KILL over the target's user namespace otherwise. The target must be in sight first: a private PID namespace holds none of the node's processes (ESRCH)",
			Calls: []Call{
				{Name: "kill", Args: [6]uint64{SignalTarget, SignalSent}},
				{Name: "tgkill", Args: [6]uint64{SignalTarget, SignalTarget, SignalSent}},
				{Name: "tkill", Args: [6]uint64{SignalTarget, SignalSent}},
				{Name: "rt_sigqueueinfo", Args: [6]uint64{SignalTarget, SignalSent}},
				{Name: "rt_tgsigqueueinfo", Args: [6]uint64{SignalTarget, SignalTarget, SignalSent}},
				{Name: "pidfd_open", Args: [6]uint64{SignalTarget, 0}, Route: "pidfd_open+pidfd_send_signal"},
				{Name: "pidfd_send_signal", Args: [6]uint64{0, SignalSent}, Route: "pidfd_open+pidfd_send_signal"},
			},
			// AppArmor's signal rules, toward an unconfined peer.
			LSM:   []Access{{Kind: AccessSignal, Path: "/proc/2", Mode: "send", Type: "urg"}},
			Scope: policy.ScopeSignal,
		},
		Safety:      "sends SIGURG to kthreadd (pid 2, found by its name in /proc/2/comm), a kernel thread whose every signal handler is SIG_IGN: the kernel runs every permission check of the signal, then drops it unqueued. Only from the host's PID namespace; in a private one pid 2 is the workload's own and nothing is sent",
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "abstract-unix-connect",
		Title:    "connect to an abstract UNIX socket bound outside the workload",
		Gain:     "the services that listen on abstract names in a shared network namespace (hostNetwork): D-Bus, systemd's notify socket, an X server, a runtime shim's API (containerd before 1.4.3: host root, CVE-2020-15257). An abstract name has no file, so no file mode or filesystem rule guards it",
		Syscalls: []string{"socket", "connect", "sendto", "sendmsg"},
		Model: Model{
			CapNote: "none: an abstract socket has no file mode; what is in reach is the network namespace's (a Pod's own holds only its own sockets; hostNetwork shares the node's)",
			Calls: append(append(socketCalls(linuxabi.AF_UNIX, linuxabi.SOCK_STREAM, 0), socketCalls(linuxabi.AF_UNIX, linuxabi.SOCK_DGRAM, 0)...),
				Call{Name: "connect"}),
			LSM:   []Access{{Kind: AccessUnix, Path: "@", Mode: "connect"}},
			Scope: policy.ScopeAbstractUnix,
		},
		Safety:      "looks in /proc/net/unix for an abstract socket it did not bind, prefers a bound datagram socket (connecting one sends nothing and its owner sees nothing), else a listening stream socket, connects and closes at once without sending a byte: the owner sees a client come and go, no request",
		CanaryErrno: linuxabi.EINVAL,
	}
})
