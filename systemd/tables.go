package systemd

// seccompKeys are the [Service] keys whose filters the seccomp package
// reads from the unit (seccomp/systemd.go), with whether a value turns
// one on: a boolean's true, or any other non-empty value.
var seccompKeys = map[string]bool{
	"SystemCallFilter": false, "SystemCallArchitectures": false, "RestrictAddressFamilies": false,
	// logs the calls it names and refuses none, but is a filter: it
	// implies no_new_privs for a non-root user
	"SystemCallLog":      false,
	"RestrictNamespaces": true, "LockPersonality": true, "MemoryDenyWriteExecute": true,
	"RestrictRealtime": true, "RestrictSUIDSGID": true, "ProtectClock": true,
	"ProtectKernelModules": true, "ProtectKernelLogs": true, "ProtectKernelTunables": true,
	"ProtectHostname": true, "PrivateDevices": true,
}

// readKeys are the keys whose values rampart reads besides seccompKeys:
// a specifier (%i, %h…) in one is refused, since only systemd on its
// host knows what it stands for.
var readKeys = map[string]bool{
	"CapabilityBoundingSet": true, "AmbientCapabilities": true, "User": true, "Group": true,
	"SupplementaryGroups": true, "DynamicUser": true, "NoNewPrivileges": true, "AppArmorProfile": true,
	"SystemCallErrorNumber": true, "Personality": true,
}

// reads says whether rampart reads key's value.
func reads(key string) bool {
	_, filter := seccompKeys[key]
	return filter || readKeys[key]
}

// noteDefaults are the values of noteKeys that are their defaults and
// build nothing.
var noteDefaults = map[string]string{"DevicePolicy": "auto", "ProtectProc": "default", "ProcSubset": "all", "KeyringMode": "private"}

// noteKeys are keys that confine the process with something rampart run
// does not build (mounts, namespaces, cgroup and BPF programs, another
// LSM) and the audit does not model: a unit that sets one is told so.
// The part of a directive that is a capability drop or a filter (of
// PrivateDevices=, ProtectKernelModules=…) is applied and predicted; the
// note is for the rest of it.
var noteKeys = map[string]string{
	"ProtectSystem":             "makes /usr and /boot (full: also /etc; strict: all but /dev, /proc and /sys) read-only with mounts",
	"ProtectHome":               "hides /home, /root and /run/user (or makes them read-only) with mounts",
	"ReadOnlyPaths":             "makes paths read-only with mounts",
	"ReadWritePaths":            "keeps paths writable beneath a read-only mount",
	"InaccessiblePaths":         "hides paths with mounts",
	"ExecPaths":                 "allows execution beneath paths only (noexec mounts elsewhere)",
	"NoExecPaths":               "forbids execution beneath paths with noexec mounts",
	"TemporaryFileSystem":       "mounts a tmpfs over paths",
	"BindPaths":                 "bind-mounts paths",
	"BindReadOnlyPaths":         "bind-mounts paths read-only",
	"PrivateTmp":                "gives the service its own /tmp and /var/tmp",
	"PrivateMounts":             "gives the service a mount namespace of its own",
	"RootDirectory":             "changes the service's root directory",
	"RootImage":                 "runs the service in a disk image",
	"ProtectProc":               "hides other users' processes in /proc",
	"ProcSubset":                "hides /proc's kernel files",
	"ProtectKernelTunables":     "also makes /proc/sys, /sys and other tunables read-only with mounts (its filter on _sysctl is applied)",
	"ProtectKernelModules":      "also hides /usr/lib/modules (its capability drop and filter are applied)",
	"ProtectKernelLogs":         "also hides /proc/kmsg and /dev/kmsg (its capability drop and filter are applied)",
	"ProtectControlGroups":      "makes /sys/fs/cgroup read-only with a mount",
	"ProtectHostname":           "also gives the service a UTS namespace of its own (its filter is applied)",
	"PrivateDevices":            "also gives the service a /dev of its own, without physical devices (its capability drops and filter are applied)",
	"PrivateNetwork":            "gives the service a network namespace with only a loopback device",
	"PrivateIPC":                "gives the service an IPC namespace of its own",
	"PrivateUsers":              "runs the service in a user namespace, where its capabilities do not reach the host",
	"NetworkNamespacePath":      "runs the service in another network namespace",
	"IPCNamespacePath":          "runs the service in another IPC namespace",
	"IPAddressDeny":             "filters the service's IP traffic with a cgroup BPF program",
	"IPAddressAllow":            "filters the service's IP traffic with a cgroup BPF program",
	"SocketBindAllow":           "limits the ports the service binds with a cgroup BPF program",
	"SocketBindDeny":            "limits the ports the service binds with a cgroup BPF program",
	"RestrictNetworkInterfaces": "limits the network interfaces with a cgroup BPF program",
	"RestrictFileSystems":       "limits the file system types the service opens with a BPF LSM program",
	"DeviceAllow":               "limits device access with the cgroup device controller",
	"DevicePolicy":              "limits device access with the cgroup device controller",
	"SELinuxContext":            "runs the service in an SELinux context",
	"SmackProcessLabel":         "runs the service under a Smack label",
	"SecureBits":                "sets securebits, which change how capabilities pass across exec",
	"PAMName":                   "opens a PAM session, whose modules may change limits, groups or confinement",
}
