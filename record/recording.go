// Package record learns a workload's least privilege from a real run:
// what it asked of the kernel (system calls per ABI and the argument
// values profiles can condition on, capabilities checked, files opened,
// sockets, binaries executed), recorded from its execve on for it and
// every descendant, and the policy for all three layers that allows
// exactly that.
//
// A Recording is a pure value: the recorders fill it, Merge combines
// several, and the generators turn it into profiles. What a recorder
// could not see is a value too (Limits), never silently dropped.
package record

import "time"

// Schema names the JSON form of a Recording.
const Schema = "rampart.recording/v1"

// ABIs as recordings name them (seccomp.Arch names).
const (
	ABIx86_64 = "x86_64"
	ABIx86    = "x86" // i386: int 0x80 from any process, or a 32-bit binary
	ABIx32    = "x32"
	// An arm64 machine's: its own, and AArch32 (a 32-bit process).
	ABIAArch64 = "aarch64"
	ABIARM     = "arm"
)

// Recording is what one or more runs of a workload used.
type Recording struct {
	Schema string `json:"schema"`
	// RampartVersion is the version of the rampart that recorded or
	// merged this (absent in an older rampart's recording).
	RampartVersion string `json:"rampartVersion,omitempty"`
	// Command is the recorded command line (the first run's, merged).
	Command []string `json:"command"`
	// Name names the profiles generated from the recording (record
	// --name); empty: rampart-<command's base name>. Two workloads run
	// through one interpreter need names of their own, or their profiles
	// share a file on the node.
	Name string `json:"name,omitempty"`
	// User is the identity CMD ran as when rampart set one (record
	// --user); nil: rampart's own. The policy runs the workload as it.
	User *RunAs `json:"user,omitempty"`
	// Recorder is the mechanism that ran: "ebpf" or a fallback's name.
	Recorder string `json:"recorder"`
	Kernel   string `json:"kernel"`
	// Runs counts the recordings merged into this one (1 for a run).
	Runs     int           `json:"runs"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	// ExitCode is the command's exit status (of the last run merged).
	ExitCode int `json:"exitCode"`

	// Syscalls counts calls per ABI and name. Numbers without a name on
	// this machine are kept as "nr_N".
	Syscalls map[string]map[string]uint64 `json:"syscalls"`
	// RunsUsing counts, per ABI and name, the merged runs that made the
	// call at least once: the coverage a merged profile rests on.
	RunsUsing map[string]map[string]int `json:"runsUsing,omitempty"`
	// Args are the distinct argument values seen for the calls whose
	// arguments profiles condition on (socket family and type with its
	// flags, clone and clone3 flags, personality, ioctl requests, prctl
	// options, the address family connect and bind were given).
	Args []ArgValue `json:"args"`
	// Capabilities are the capability checks the kernel made.
	Capabilities []CapUse `json:"capabilities"`
	// Files are the paths opened, generalised (AppArmor globs), each with
	// the raw paths it stands for.
	Files []FileAccess `json:"files"`
	// Exec are the binaries executed, in order of first execution.
	Exec []string `json:"exec"`
	// Limits says what the recorder could not see: lost events, paths it
	// could not resolve, kernel features it lacked.
	Limits []string `json:"limits"`
	// Sockets are the sockets created (socket, socketpair): family and
	// type together, as AppArmor's network rules pair them, the type
	// with its flags as passed.
	Sockets []SocketUse `json:"sockets"`
}

// RunAs is a user and group by number.
type RunAs struct {
	UID int `json:"uid"`
	GID int `json:"gid"`
}

// ArgValue is one argument value of one call.
type ArgValue struct {
	ABI     string `json:"abi"`
	Syscall string `json:"syscall"`
	// Arg is the argument's index (0-based), or -1 for a value read from
	// memory (clone3's clone_args.flags; the sa_family of the address
	// connect and bind were given).
	Arg   int    `json:"arg"`
	Value uint64 `json:"value"`
	Count uint64 `json:"count"`
}

// CapUse is one capability as the kernel checked it.
type CapUse struct {
	Cap     string `json:"cap"` // NET_BIND_SERVICE
	Granted uint64 `json:"granted"`
	Denied  uint64 `json:"denied"`
}

// FileAccess is a generalised path and how it was opened.
type FileAccess struct {
	// Path is an AppArmor glob: /proc/<pid>/ becomes /proc/@{pid}/,
	// run-specific numbers and hashes become *.
	Path string `json:"path"`
	// Mode is what was asked, in AppArmor's letters: r, w, a (append),
	// c (create), x (execute), l (hard link: the new name), k (lock is
	// not recorded). w also stands for delete and attribute changes,
	// which AppArmor's w covers.
	Mode string `json:"mode"`
	// Raw are the paths as opened (up to a few; Count says how many).
	Raw   []string `json:"raw"`
	Count uint64   `json:"count"`
}

// SocketUse is one kind of socket a workload created.
type SocketUse struct {
	Syscall  string `json:"syscall"`  // socket, socketpair
	Family   string `json:"family"`   // AF_INET (AF_<n> when unnamed)
	Type     string `json:"type"`     // SOCK_STREAM|SOCK_NONBLOCK
	Protocol int    `json:"protocol"` // as passed; 0: the family's default
	Count    uint64 `json:"count"`
}
