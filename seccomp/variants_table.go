package seccomp

import (
	"sync"

	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// The kernel facts the variant analysis (variants.go) tries: for a call a
// rule refuses, the other requests that make the kernel do the same
// thing. Each table is data with the kernel fact behind it; the filter
// itself, run by the interpreter, decides whether a variant gets through.

// flagBit is a bit an attacker may add to a flags argument without
// changing what the call does for them: a rule comparing the argument
// with == no longer matches.
type flagBit struct {
	name string
	bit  uint64
	// clear are bits that must be unset in the argument for bit to be
	// harmless there (zero: none).
	clear uint64
}

var (
	sockFlags = []flagBit{{name: "SOCK_CLOEXEC", bit: linuxabi.SOCK_CLOEXEC}, {name: "SOCK_NONBLOCK", bit: linuxabi.SOCK_NONBLOCK}}
	// open(2) flags that change neither which file is opened nor how
	// (O_LARGEFILE is what x86_64 adds to every open anyway).
	openFlags = []flagBit{{name: "O_CLOEXEC", bit: linuxabi.O_CLOEXEC}, {name: "O_NONBLOCK", bit: linuxabi.O_NONBLOCK}, {name: "O_NOCTTY", bit: linuxabi.O_NOCTTY}, {name: "O_LARGEFILE", bit: 0x8000}}
	// clone(2): CLONE_DETACHED is ignored by clone (kernel/fork.c keeps
	// it for old callers); CLONE_UNTRACED only stops a tracer from
	// following the child.
	cloneFlags = []flagBit{{name: "CLONE_DETACHED", bit: 0x00400000}, {name: "CLONE_UNTRACED", bit: linuxabi.CLONE_UNTRACED}}
	// unshare(2) of the fd table, fs info or SysV undo list: harmless
	// companions of a namespace flag.
	unshareFlags = []flagBit{{name: "CLONE_FILES", bit: linuxabi.CLONE_FILES}, {name: "CLONE_FS", bit: linuxabi.CLONE_FS}, {name: "CLONE_SYSVSEM", bit: linuxabi.CLONE_SYSVSEM}}
	// mount(2): MS_SILENT only quiets the kernel log; MS_MGC_VAL is the
	// old magic number path_mount strips, but only when it is the whole
	// top half (flags & MS_MGC_MSK == MS_MGC_VAL): beside MS_SHARED or
	// another high flag it makes the call EINVAL, not the same call.
	mountFlags = []flagBit{{name: "MS_SILENT", bit: linuxabi.MS_SILENT}, {name: "MS_MGC_VAL", bit: linuxabi.MS_MGC_VAL, clear: 0xffff0000}}
	// PROT_READ: a writable or executable mapping may as well be readable.
	protFlags = []flagBit{{name: "PROT_READ", bit: linuxabi.PROT_READ}}
	// personality(2): UNAME26 only changes what uname reports.
	personaFlags = []flagBit{{name: "UNAME26", bit: 0x0020000}}
)

// flagArgs are, per syscall, the flags arguments and their harmless bits.
// The tables of this file are built on first use: a launch that loads a
// cached program never reads them, and builds no map at start.
var flagArgs = sync.OnceValue(func() map[string]map[int][]flagBit {
	return map[string]map[int][]flagBit{
		"socket":            {1: sockFlags},
		"socketpair":        {1: sockFlags},
		"accept4":           {3: sockFlags},
		"open":              {1: openFlags},
		"openat":            {2: openFlags},
		"open_by_handle_at": {2: openFlags},
		"clone":             {0: cloneFlags},
		"unshare":           {0: unshareFlags},
		"mount":             {3: mountFlags},
		"mmap":              {2: protFlags},
		"mprotect":          {2: protFlags},
		"pkey_mprotect":     {2: protFlags},
		"personality":       {0: personaFlags},
	}
})

// equivalentValue is another value of an argument that asks the kernel
// for the same thing, where the kernel reads the argument as "any".
type equivalentValue struct {
	value uint64
	why   string
}

var equivalents = sync.OnceValue(func() map[string]map[int]equivalentValue {
	return map[string]map[int]equivalentValue{
		// setns(fd, 0) joins whatever namespace fd refers to
		"setns": {1: {0, "nstype 0 accepts any namespace type"}},
	}
})

// narrowArgs are, per syscall, the arguments the kernel reads narrower
// than the filter's 64 bits on x86_64 and x32 (int, unsigned int, pid_t,
// uid_t, gid_t, clockid_t are 32-bit; umode_t is 16-bit; clone keeps
// lower_32_bits of its flags; ptrace looks its pid up as a pid_t): a rule
// comparing the whole 64 bits with == misses the same value with a high
// bit set, which the kernel drops (CVE-2019-10063 for ioctl). From the
// SYSCALL_DEFINE prototypes.
var narrowArgs = sync.OnceValue(func() map[string]map[int]uint {
	return map[string]map[int]uint{
		"socket":            {0: 32, 1: 32, 2: 32},
		"socketpair":        {0: 32, 1: 32, 2: 32},
		"setsockopt":        {0: 32, 1: 32, 2: 32, 4: 32},
		"getsockopt":        {0: 32, 1: 32, 2: 32},
		"accept4":           {0: 32, 3: 32},
		"ioctl":             {0: 32, 1: 32},
		"fcntl":             {0: 32, 1: 32},
		"personality":       {0: 32},
		"prctl":             {0: 32},
		"keyctl":            {0: 32},
		"bpf":               {0: 32, 2: 32},
		"seccomp":           {0: 32, 1: 32},
		"setns":             {0: 32, 1: 32},
		"clone":             {0: 32},
		"kill":              {0: 32, 1: 32},
		"tkill":             {0: 32, 1: 32},
		"tgkill":            {0: 32, 1: 32, 2: 32},
		"ptrace":            {1: 32},
		"process_vm_readv":  {0: 32},
		"process_vm_writev": {0: 32},
		"kcmp":              {0: 32, 1: 32, 2: 32},
		"pidfd_open":        {0: 32, 1: 32},
		"perf_event_open":   {1: 32, 2: 32, 3: 32},
		"reboot":            {0: 32, 1: 32, 2: 32},
		"syslog":            {0: 32, 2: 32},
		"quotactl":          {0: 32},
		"setuid":            {0: 32},
		"setgid":            {0: 32},
		"setreuid":          {0: 32, 1: 32},
		"setregid":          {0: 32, 1: 32},
		"setresuid":         {0: 32, 1: 32, 2: 32},
		"setresgid":         {0: 32, 1: 32, 2: 32},
		"setfsuid":          {0: 32},
		"setfsgid":          {0: 32},
		"chown":             {1: 32, 2: 32},
		"lchown":            {1: 32, 2: 32},
		"fchown":            {0: 32, 1: 32, 2: 32},
		"fchownat":          {0: 32, 2: 32, 3: 32, 4: 32},
		"chmod":             {1: 16},
		"fchmod":            {0: 32, 1: 16},
		"fchmodat":          {0: 32, 2: 16},
		"fchmodat2":         {0: 32, 2: 16, 3: 32},
		"mknod":             {1: 16, 2: 32},
		"mknodat":           {0: 32, 2: 16, 3: 32},
		"open":              {1: 32, 2: 16},
		"openat":            {0: 32, 2: 32, 3: 16},
		"creat":             {1: 16},
		"mkdir":             {1: 16},
		"mkdirat":           {0: 32, 2: 16},
		"clock_settime":     {0: 32},
		"clock_adjtime":     {0: 32},
		"memfd_create":      {1: 32},
		"userfaultfd":       {0: 32},
		"io_uring_setup":    {0: 32},
		"finit_module":      {0: 32, 2: 32},
		"delete_module":     {1: 32},
		"swapon":            {1: 32},
	}
})

// i386Hidden are i386 calls that take their arguments from memory, not
// registers: the filter sees only the pointer.
var i386Hidden = map[string]string{
	"mmap":   "i386 mmap (90) is old_mmap: its six arguments sit in a struct in memory",
	"select": "i386 select (82) is old_select: its five arguments sit in a struct in memory",
}

// argFrom says where a sibling call's argument comes from.
type argFrom struct {
	kind  argKind
	index int    // argWitness: the refused call's argument
	value uint64 // argValue: this value; argMasked: the mask
}

type argKind uint8

const (
	argZero    argKind = iota
	argWitness         // the refused call's argument index
	argValue           // a constant
	argMasked          // the refused call's argument index, & value
	argPointer         // a pointer to arguments the filter cannot read
)

func arg(i int) argFrom               { return argFrom{kind: argWitness, index: i} }
func val(x uint64) argFrom            { return argFrom{kind: argValue, value: x} }
func argMask(i int, m uint64) argFrom { return argFrom{kind: argMasked, index: i, value: m} }

var pointer = argFrom{kind: argPointer}

// step is one call of a route.
type step struct {
	name string
	args [6]argFrom
}

// route is another way to the same kernel operation: every step must get
// through the filter (a mount with the new API takes four calls).
type route struct {
	kind string // "sibling" or "io_uring"
	// op is an io_uring route's operation ("openat")
	op string
	// when are conditions on the refused call's arguments under which
	// the route does the same thing (all must hold).
	when  []cond
	steps []step
	// arches limits the route to these ABIs (nil: every ABI that has the
	// calls).
	arches []string
	why    string
}

// cond is a condition on one argument: arg & mask == value, or, with
// nonzero, arg & mask != 0.
type cond struct {
	index       int
	mask, value uint64
	nonzero     bool
}

func low32(i int, x uint64) cond      { return cond{index: i, mask: 0xffffffff, value: x} }
func hasBits(i int, bits uint64) cond { return cond{index: i, mask: bits, value: bits} }
func anyOf(i int, bits uint64) cond   { return cond{index: i, mask: bits, nonzero: true} }

func (c cond) holds(args [6]uint64) bool {
	if c.nonzero {
		return args[c.index]&c.mask != 0
	}
	return args[c.index]&c.mask == c.value
}

// apply changes args as little as needed for c to hold.
func (c cond) apply(args [6]uint64) [6]uint64 {
	if c.holds(args) {
		return args
	}
	if c.nonzero {
		args[c.index] |= c.mask & -c.mask // the lowest bit of the mask
	} else {
		args[c.index] = args[c.index]&^c.mask | c.value
	}
	return args
}

const (
	atFDCWD = 0xffffff9c // -100 as an int
	sigchld = uint64(linuxabi.SIGCHLD)
	// nsFlags are the namespaces clone(2) and unshare(2) both create
	// (CLONE_NEWTIME is 0x80, which clone reads as the exit signal).
	nsFlags    = linuxabi.CLONE_NEWNS | linuxabi.CLONE_NEWCGROUP | linuxabi.CLONE_NEWUTS | linuxabi.CLONE_NEWIPC | linuxabi.CLONE_NEWUSER | linuxabi.CLONE_NEWPID | linuxabi.CLONE_NEWNET
	creatFlags = linuxabi.O_CREAT | linuxabi.O_WRONLY | linuxabi.O_TRUNC
)

// uring is an io_uring route: the operation goes into a submission
// queue entry the filter never sees, and io_uring_enter runs it. since
// is the kernel that added the operation.
func uring(op, since string) route {
	return route{kind: "io_uring", op: op, steps: []step{
		{"io_uring_setup", [6]argFrom{val(8), pointer}},
		{"io_uring_enter", [6]argFrom{val(3), val(1), val(1), val(1)}},
	}, why: "io_uring runs " + op + " from a queue entry the filter never sees (Linux " + since + ")"}
}

// newMount is the new mount API's way to mount a filesystem: fsopen,
// fsconfig(FSCONFIG_CMD_CREATE), fsmount. fsmount's fd is a detached
// mount that openat, mkdirat and the rest use as they would its mount
// point (a cgroup v1 release_agent is written through it), so move_mount,
// which only attaches it to the tree, is no step an attacker needs.
var newMount = route{kind: "sibling", steps: []step{
	{"fsopen", [6]argFrom{arg(2)}},
	{"fsconfig", [6]argFrom{val(3), val(6)}},
	{"fsmount", [6]argFrom{val(3)}},
}, why: "the new mount API mounts the same filesystem (fsopen, fsconfig, fsmount), usable through fsmount's fd without move_mount"}

// bindMount is the new mount API's bind mount: open_tree(OPEN_TREE_CLONE)
// then move_mount.
var bindMount = route{kind: "sibling", when: []cond{hasBits(3, linuxabi.MS_BIND)}, steps: []step{
	{"open_tree", [6]argFrom{val(atFDCWD), arg(0), val(1)}},
	{"move_mount", [6]argFrom{val(4), pointer, val(atFDCWD), arg(1), val(4)}},
}, why: "open_tree and move_mount make the same bind mount"}

// siblings are, per refused syscall, the other calls that reach the same
// kernel operation. Routes from a call whose arguments the filter cannot
// read (clone3, openat2) are not listed: refusing those is how a profile
// sends callers to a sibling it can filter.
var siblings = sync.OnceValue(func() map[string][]route {
	return map[string][]route{
		// Opening a file by path: open, openat, openat2, creat, io_uring.
		"open": {
			{kind: "sibling", steps: []step{{"openat", [6]argFrom{val(atFDCWD), arg(0), arg(1), arg(2)}}}, why: "openat(AT_FDCWD, ...) is open"},
			{kind: "sibling", steps: []step{{"openat2", [6]argFrom{val(atFDCWD), arg(0), pointer, val(24)}}}, why: "openat2 carries the flags in a struct the filter cannot read"},
			{kind: "sibling", when: []cond{low32(1, creatFlags)}, steps: []step{{"creat", [6]argFrom{arg(0), arg(2)}}}, why: "creat is open(O_CREAT|O_WRONLY|O_TRUNC)"},
			uring("openat", "5.6"),
		},
		"openat": {
			{kind: "sibling", when: []cond{low32(0, atFDCWD)}, steps: []step{{"open", [6]argFrom{arg(1), arg(2), arg(3)}}}, why: "open is openat(AT_FDCWD, ...)"},
			{kind: "sibling", steps: []step{{"openat2", [6]argFrom{arg(0), arg(1), pointer, val(24)}}}, why: "openat2 carries the flags in a struct the filter cannot read"},
			{kind: "sibling", when: []cond{low32(0, atFDCWD), low32(2, creatFlags)}, steps: []step{{"creat", [6]argFrom{arg(1), arg(3)}}}, why: "creat is open(O_CREAT|O_WRONLY|O_TRUNC)"},
			uring("openat", "5.6"),
		},
		"creat": {
			{kind: "sibling", steps: []step{{"open", [6]argFrom{arg(0), val(creatFlags), arg(1)}}}, why: "creat is open(O_CREAT|O_WRONLY|O_TRUNC)"},
			{kind: "sibling", steps: []step{{"openat", [6]argFrom{val(atFDCWD), arg(0), val(creatFlags), arg(1)}}}, why: "creat is openat(AT_FDCWD, O_CREAT|O_WRONLY|O_TRUNC)"},
			uring("openat", "5.6"),
		},
		// Sockets: socketpair makes AF_UNIX sockets; (AF_INET, SOCK_PACKET)
		// is turned into a packet socket by __sock_create; io_uring makes
		// sockets since 5.19.
		"socket": {
			{kind: "sibling", when: []cond{low32(0, linuxabi.AF_UNIX)}, steps: []step{{"socketpair", [6]argFrom{arg(0), arg(1), arg(2), pointer}}}, why: "socketpair makes AF_UNIX sockets too"},
			{kind: "sibling", when: []cond{low32(0, linuxabi.AF_PACKET)}, steps: []step{{"socket", [6]argFrom{val(linuxabi.AF_INET), val(linuxabi.SOCK_PACKET), arg(2)}}}, why: "the kernel turns (AF_INET, SOCK_PACKET) into an AF_PACKET socket"},
			uring("socket", "5.19"),
		},
		"connect":  {uring("connect", "5.5")},
		"bind":     {uring("bind", "6.11")},
		"listen":   {uring("listen", "6.11")},
		"accept":   {{kind: "sibling", steps: []step{{"accept4", [6]argFrom{arg(0), arg(1), arg(2)}}}, why: "accept4(..., 0) is accept"}, uring("accept", "5.5")},
		"accept4":  {{kind: "sibling", when: []cond{low32(3, 0)}, steps: []step{{"accept", [6]argFrom{arg(0), arg(1), arg(2)}}}, why: "accept is accept4(..., 0)"}, uring("accept", "5.5")},
		"sendto":   {{kind: "sibling", steps: []step{{"sendmsg", [6]argFrom{arg(0), pointer, arg(3)}}}, why: "sendmsg sends the same data, described in memory"}, {kind: "sibling", steps: []step{{"sendmmsg", [6]argFrom{arg(0), pointer, val(1), arg(3)}}}, why: "sendmmsg sends the same data, described in memory"}, uring("send", "5.6")},
		"sendmsg":  {{kind: "sibling", steps: []step{{"sendmmsg", [6]argFrom{arg(0), pointer, val(1), arg(2)}}}, why: "sendmmsg of one message is sendmsg"}, uring("sendmsg", "5.3")},
		"recvfrom": {{kind: "sibling", steps: []step{{"recvmsg", [6]argFrom{arg(0), pointer, arg(3)}}}, why: "recvmsg receives the same data"}, {kind: "sibling", steps: []step{{"recvmmsg", [6]argFrom{arg(0), pointer, val(1), arg(3)}}}, why: "recvmmsg receives the same data"}, uring("recv", "5.6")},
		"recvmsg":  {{kind: "sibling", steps: []step{{"recvmmsg", [6]argFrom{arg(0), pointer, val(1), arg(2)}}}, why: "recvmmsg of one message is recvmsg"}, uring("recvmsg", "5.3")},
		"shutdown": {uring("shutdown", "5.11")},
		// New tasks and namespaces: clone, unshare, fork, vfork, clone3.
		"clone": {
			{kind: "sibling", steps: []step{{"clone3", [6]argFrom{pointer, val(88)}}}, why: "clone3 takes its flags from a struct the filter cannot read"},
			{kind: "sibling", when: []cond{anyOf(0, nsFlags)}, steps: []step{{"unshare", [6]argFrom{argMask(0, nsFlags)}}}, why: "unshare creates the same namespaces for the caller"},
			{kind: "sibling", when: []cond{low32(0, sigchld)}, steps: []step{{"fork", [6]argFrom{}}}, why: "fork is clone(SIGCHLD)"},
			{kind: "sibling", when: []cond{low32(0, linuxabi.CLONE_VM|linuxabi.CLONE_VFORK|sigchld)}, steps: []step{{"vfork", [6]argFrom{}}}, why: "vfork is clone(CLONE_VM|CLONE_VFORK|SIGCHLD)"},
		},
		"unshare": {
			{kind: "sibling", when: []cond{anyOf(0, nsFlags)}, steps: []step{{"clone", [6]argFrom{argMask(0, nsFlags)}}}, why: "clone creates the same namespaces for a child"},
			{kind: "sibling", when: []cond{anyOf(0, nsFlags)}, steps: []step{{"clone3", [6]argFrom{pointer, val(88)}}}, why: "clone3 takes its flags from a struct the filter cannot read"},
		},
		"fork": {
			{kind: "sibling", steps: []step{{"clone", [6]argFrom{val(sigchld)}}}, why: "clone(SIGCHLD) is fork"},
			{kind: "sibling", steps: []step{{"vfork", [6]argFrom{}}}, why: "vfork also starts a process"},
			{kind: "sibling", steps: []step{{"clone3", [6]argFrom{pointer, val(88)}}}, why: "clone3 starts a process from a struct the filter cannot read"},
		},
		"vfork": {
			{kind: "sibling", steps: []step{{"clone", [6]argFrom{val(linuxabi.CLONE_VM | linuxabi.CLONE_VFORK | sigchld)}}}, why: "clone(CLONE_VM|CLONE_VFORK|SIGCHLD) is vfork"},
			{kind: "sibling", steps: []step{{"fork", [6]argFrom{}}}, why: "fork also starts a process"},
		},
		// Mounting: mount, and the new mount API (5.2).
		"mount":      {newMount, bindMount},
		"fsopen":     {{kind: "sibling", steps: []step{{"mount", [6]argFrom{pointer, pointer, arg(0)}}}, why: "mount(2) mounts the same filesystem"}},
		"fsmount":    {{kind: "sibling", steps: []step{{"mount", [6]argFrom{pointer, pointer, pointer}}}, why: "mount(2) mounts the same filesystem"}},
		"move_mount": {{kind: "sibling", steps: []step{{"mount", [6]argFrom{pointer, pointer, pointer, val(linuxabi.MS_MOVE)}}}, why: "mount(MS_MOVE) moves a mount"}},
		"open_tree":  {{kind: "sibling", steps: []step{{"mount", [6]argFrom{pointer, pointer, val(0), val(linuxabi.MS_BIND)}}}, why: "mount(MS_BIND) makes the same bind mount"}},
		"umount2":    {{kind: "sibling", when: []cond{low32(1, 0)}, steps: []step{{"umount", [6]argFrom{arg(0)}}}, arches: []string{"x86"}, why: "i386 umount (22) is umount2(target, 0)"}},
		// Another process's memory: attached with ptrace, or read and written
		// with process_vm_readv and process_vm_writev, which the kernel lets
		// through on the same access check (PTRACE_MODE_ATTACH_REALCREDS)
		// without tracing.
		"ptrace": {
			{kind: "sibling", when: []cond{low32(0, linuxabi.PTRACE_ATTACH)}, steps: []step{{"process_vm_readv", [6]argFrom{arg(1), pointer, val(1), pointer, val(1)}}}, why: "process_vm_readv reads the memory of the process ptrace would attach to, on the same access check"},
			{kind: "sibling", when: []cond{low32(0, linuxabi.PTRACE_PEEKDATA)}, steps: []step{{"process_vm_readv", [6]argFrom{arg(1), pointer, val(1), pointer, val(1)}}}, why: "process_vm_readv reads what PTRACE_PEEKDATA reads, on the same access check"},
			{kind: "sibling", when: []cond{low32(0, linuxabi.PTRACE_ATTACH)}, steps: []step{{"process_vm_writev", [6]argFrom{arg(1), pointer, val(1), pointer, val(1)}}}, why: "process_vm_writev writes the memory of the process ptrace would attach to, on the same access check"},
			{kind: "sibling", when: []cond{low32(0, linuxabi.PTRACE_POKEDATA)}, steps: []step{{"process_vm_writev", [6]argFrom{arg(1), pointer, val(1), pointer, val(1)}}}, why: "process_vm_writev writes what PTRACE_POKEDATA writes, on the same access check"},
		},
		"process_vm_readv":  {{kind: "sibling", steps: []step{{"ptrace", [6]argFrom{val(linuxabi.PTRACE_PEEKDATA), arg(0), pointer}}}, why: "ptrace(PTRACE_PEEKDATA) reads the same memory"}},
		"process_vm_writev": {{kind: "sibling", steps: []step{{"ptrace", [6]argFrom{val(linuxabi.PTRACE_POKEDATA), arg(0), pointer, pointer}}}, why: "ptrace(PTRACE_POKEDATA) writes the same memory"}},
		// Loading a kernel module: from memory, or from a file descriptor.
		"init_module":  {{kind: "sibling", steps: []step{{"finit_module", [6]argFrom{val(3), pointer, val(0)}}}, why: "finit_module loads a module from a file descriptor"}},
		"finit_module": {{kind: "sibling", steps: []step{{"init_module", [6]argFrom{pointer, val(4096), pointer}}}, why: "init_module loads the same module from memory"}},
		// Running a program: execve, execveat.
		"execve":   {{kind: "sibling", steps: []step{{"execveat", [6]argFrom{val(atFDCWD), arg(0), arg(1), arg(2), val(0)}}}, why: "execveat(AT_FDCWD, path, ..., 0) is execve"}},
		"execveat": {{kind: "sibling", when: []cond{low32(0, atFDCWD), low32(4, 0)}, steps: []step{{"execve", [6]argFrom{arg(1), arg(2), arg(3)}}}, why: "execve is execveat(AT_FDCWD, path, ..., 0)"}},
		// Changing ids: setresuid sets what setuid and setreuid set; i386
		// has 16-bit and 32-bit versions under different names.
		"setuid":    {{kind: "sibling", steps: []step{{"setresuid", [6]argFrom{arg(0), arg(0), arg(0)}}}, why: "setresuid(uid, uid, uid) is setuid(uid) for root"}, {kind: "sibling", steps: []step{{"setreuid", [6]argFrom{arg(0), arg(0)}}}, why: "setreuid(uid, uid) sets the same ids"}, i386Twin("setuid32")},
		"setgid":    {{kind: "sibling", steps: []step{{"setresgid", [6]argFrom{arg(0), arg(0), arg(0)}}}, why: "setresgid(gid, gid, gid) is setgid(gid) for root"}, {kind: "sibling", steps: []step{{"setregid", [6]argFrom{arg(0), arg(0)}}}, why: "setregid(gid, gid) sets the same ids"}, i386Twin("setgid32")},
		"setreuid":  {{kind: "sibling", steps: []step{{"setresuid", [6]argFrom{arg(0), arg(1), val(0xffffffff)}}}, why: "setresuid(ruid, euid, -1) sets the same ids"}, i386Twin("setreuid32")},
		"setregid":  {{kind: "sibling", steps: []step{{"setresgid", [6]argFrom{arg(0), arg(1), val(0xffffffff)}}}, why: "setresgid(rgid, egid, -1) sets the same ids"}, i386Twin("setregid32")},
		"setresuid": {i386Twin("setresuid32")},
		"setresgid": {i386Twin("setresgid32")},
		"setfsuid":  {i386Twin("setfsuid32")},
		"setfsgid":  {i386Twin("setfsgid32")},
		"setgroups": {i386Twin("setgroups32")},
		"chown":     {{kind: "sibling", steps: []step{{"fchownat", [6]argFrom{val(atFDCWD), arg(0), arg(1), arg(2), val(0)}}}, why: "fchownat(AT_FDCWD, path, ...) is chown"}, i386Twin("chown32")},
		"lchown":    {{kind: "sibling", steps: []step{{"fchownat", [6]argFrom{val(atFDCWD), arg(0), arg(1), arg(2), val(linuxabi.AT_SYMLINK_NOFOLLOW)}}}, why: "fchownat(..., AT_SYMLINK_NOFOLLOW) is lchown"}, i386Twin("lchown32")},
		"fchown":    {{kind: "sibling", steps: []step{{"fchownat", [6]argFrom{arg(0), pointer, arg(1), arg(2), val(linuxabi.AT_EMPTY_PATH)}}}, why: "fchownat(fd, \"\", ..., AT_EMPTY_PATH) is fchown"}, i386Twin("fchown32")},
		// Modes, links and device nodes by path: the *at forms.
		"chmod":    {{kind: "sibling", steps: []step{{"fchmodat", [6]argFrom{val(atFDCWD), arg(0), arg(1)}}}, why: "fchmodat(AT_FDCWD, path, mode) is chmod"}, {kind: "sibling", steps: []step{{"fchmodat2", [6]argFrom{val(atFDCWD), arg(0), arg(1), val(0)}}}, why: "fchmodat2(AT_FDCWD, path, mode, 0) is chmod"}},
		"fchmodat": {{kind: "sibling", steps: []step{{"fchmodat2", [6]argFrom{arg(0), arg(1), arg(2), val(0)}}}, why: "fchmodat2(..., 0) is fchmodat"}, {kind: "sibling", when: []cond{low32(0, atFDCWD)}, steps: []step{{"chmod", [6]argFrom{arg(1), arg(2)}}}, why: "chmod is fchmodat(AT_FDCWD, ...)"}},
		"mknod":    {{kind: "sibling", steps: []step{{"mknodat", [6]argFrom{val(atFDCWD), arg(0), arg(1), arg(2)}}}, why: "mknodat(AT_FDCWD, ...) is mknod"}},
		"mknodat":  {{kind: "sibling", when: []cond{low32(0, atFDCWD)}, steps: []step{{"mknod", [6]argFrom{arg(1), arg(2), arg(3)}}}, why: "mknod is mknodat(AT_FDCWD, ...)"}},
		"link":     {{kind: "sibling", steps: []step{{"linkat", [6]argFrom{val(atFDCWD), arg(0), val(atFDCWD), arg(1), val(0)}}}, why: "linkat(AT_FDCWD, ..., 0) is link"}, uring("linkat", "5.15")},
		"symlink":  {{kind: "sibling", steps: []step{{"symlinkat", [6]argFrom{arg(0), val(atFDCWD), arg(1)}}}, why: "symlinkat(..., AT_FDCWD, ...) is symlink"}, uring("symlinkat", "5.15")},
		"unlink":   {{kind: "sibling", steps: []step{{"unlinkat", [6]argFrom{val(atFDCWD), arg(0), val(0)}}}, why: "unlinkat(AT_FDCWD, path, 0) is unlink"}, uring("unlinkat", "5.11")},
		"rmdir":    {{kind: "sibling", steps: []step{{"unlinkat", [6]argFrom{val(atFDCWD), arg(0), val(linuxabi.AT_REMOVEDIR)}}}, why: "unlinkat(AT_FDCWD, path, AT_REMOVEDIR) is rmdir"}, uring("unlinkat", "5.11")},
		"rename":   {{kind: "sibling", steps: []step{{"renameat", [6]argFrom{val(atFDCWD), arg(0), val(atFDCWD), arg(1)}}}, why: "renameat(AT_FDCWD, ...) is rename"}, {kind: "sibling", steps: []step{{"renameat2", [6]argFrom{val(atFDCWD), arg(0), val(atFDCWD), arg(1), val(0)}}}, why: "renameat2(..., 0) is rename"}, uring("renameat", "5.11")},
		"renameat": {{kind: "sibling", steps: []step{{"renameat2", [6]argFrom{arg(0), arg(1), arg(2), arg(3), val(0)}}}, why: "renameat2(..., 0) is renameat"}, uring("renameat", "5.11")},
		"mkdir":    {{kind: "sibling", steps: []step{{"mkdirat", [6]argFrom{val(atFDCWD), arg(0), arg(1)}}}, why: "mkdirat(AT_FDCWD, ...) is mkdir"}, uring("mkdirat", "5.15")},
		// Setting the clock: settimeofday, clock_settime(CLOCK_REALTIME),
		// i386 stime and clock_settime64; adjtimex and clock_adjtime.
		"settimeofday":  {{kind: "sibling", steps: []step{{"clock_settime", [6]argFrom{val(linuxabi.CLOCK_REALTIME), pointer}}}, why: "clock_settime(CLOCK_REALTIME) sets the same clock"}, {kind: "sibling", steps: []step{{"stime", [6]argFrom{pointer}}}, arches: []string{"x86"}, why: "i386 stime sets the same clock"}},
		"clock_settime": {{kind: "sibling", when: []cond{low32(0, linuxabi.CLOCK_REALTIME)}, steps: []step{{"settimeofday", [6]argFrom{pointer, val(0)}}}, why: "settimeofday sets CLOCK_REALTIME"}, {kind: "sibling", steps: []step{{"clock_settime64", [6]argFrom{arg(0), pointer}}}, arches: []string{"x86"}, why: "i386 clock_settime64 is clock_settime with a 64-bit time"}},
		"adjtimex":      {{kind: "sibling", steps: []step{{"clock_adjtime", [6]argFrom{val(linuxabi.CLOCK_REALTIME), arg(0)}}}, why: "clock_adjtime(CLOCK_REALTIME) is adjtimex"}},
		"clock_adjtime": {{kind: "sibling", when: []cond{low32(0, linuxabi.CLOCK_REALTIME)}, steps: []step{{"adjtimex", [6]argFrom{arg(1)}}}, why: "adjtimex is clock_adjtime(CLOCK_REALTIME)"}, {kind: "sibling", steps: []step{{"clock_adjtime64", [6]argFrom{arg(0), arg(1)}}}, arches: []string{"x86"}, why: "i386 clock_adjtime64 is clock_adjtime with a 64-bit time"}},
		// Signals: a single-threaded process's pid is its tid.
		"kill": {{kind: "sibling", steps: []step{{"tgkill", [6]argFrom{arg(0), arg(0), arg(1)}}}, why: "tgkill(pid, pid, sig) signals the same process"}, {kind: "sibling", steps: []step{{"tkill", [6]argFrom{arg(0), arg(1)}}}, why: "tkill(pid, sig) signals the same process"}, {kind: "sibling", steps: []step{{"rt_sigqueueinfo", [6]argFrom{arg(0), arg(1), pointer}}}, why: "rt_sigqueueinfo sends the same signal"}},
		// Memory protection: pkey_mprotect(..., -1) is mprotect; i386 mmap2
		// is mmap with the offset in pages.
		"mprotect":      {{kind: "sibling", steps: []step{{"pkey_mprotect", [6]argFrom{arg(0), arg(1), arg(2), val(0xffffffff)}}}, why: "pkey_mprotect(..., -1) is mprotect"}},
		"pkey_mprotect": {{kind: "sibling", when: []cond{low32(3, 0xffffffff)}, steps: []step{{"mprotect", [6]argFrom{arg(0), arg(1), arg(2)}}}, why: "mprotect is pkey_mprotect(..., -1)"}},
		"mmap":          {{kind: "sibling", steps: []step{{"mmap2", [6]argFrom{arg(0), arg(1), arg(2), arg(3), arg(4), val(0)}}}, arches: []string{"x86"}, why: "i386 mmap2 is mmap with the offset in pages"}},
		// Reading and writing a descriptor: the vector and positional forms
		// (offset -1: the file position, as read and write use).
		"write": {{kind: "sibling", steps: []step{{"writev", [6]argFrom{arg(0), pointer, val(1)}}}, why: "writev writes the same data to the same descriptor"}, {kind: "sibling", steps: []step{{"pwritev2", [6]argFrom{arg(0), pointer, val(1), val(^uint64(0)), val(^uint64(0)), val(0)}}}, why: "pwritev2 at offset -1 is writev"}, uring("write", "5.6")},
		"read":  {{kind: "sibling", steps: []step{{"readv", [6]argFrom{arg(0), pointer, val(1)}}}, why: "readv reads from the same descriptor"}, {kind: "sibling", steps: []step{{"preadv2", [6]argFrom{arg(0), pointer, val(1), val(^uint64(0)), val(^uint64(0)), val(0)}}}, why: "preadv2 at offset -1 is readv"}, uring("read", "5.6")},
	}
})

// i386Twin is i386's other name for a call: the 32-bit-id version of a
// call whose plain name takes 16-bit ids there.
func i386Twin(name string) route {
	return route{kind: "sibling", steps: []step{{name, [6]argFrom{arg(0), arg(1), arg(2), arg(3), arg(4), arg(5)}}}, arches: []string{"x86"},
		why: "i386 " + name + " is the same call with 32-bit ids, a name of its own that a rule on the 16-bit one does not cover"}
}
