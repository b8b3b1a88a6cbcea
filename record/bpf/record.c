//go:build ignore

// The eBPF half of `rampart record`: raw tracepoints that count what a
// process tree asks of the kernel, in the kernel: a syscall of any other
// process costs a bitmap test, one of the tree a per-CPU increment, and
// only paths (variable data) go to user space, through a ring buffer,
// each (path, flags) once.
//
// Only raw tracepoints are used (BPF_PROG_TYPE_RAW_TRACEPOINT): they need
// no tracefs, and kernels that refuse fentry/fexit and BPF-LSM programs
// (lockdown, distribution policy) still load them.
//
// Rebuild with `go generate ./record/` (clang, libbpf-dev's headers, and
// linux-libc-dev-arm64-cross's for the arm64 object); the generated
// objects are committed so that builds need none of them.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

// bpf_probe_read_user_str and friends are offered only to GPL-compatible
// programs.
char LICENSE[] SEC("license") = "GPL";

// ABIs, as the Go side numbers them (record/syscalls.go: the order of
// the build platform's seccomp Arches). bpf2go's -target defines
// __TARGET_ARCH_*; one object is built per architecture.
#if defined(__TARGET_ARCH_arm64)
#define ABI_AARCH64 0
#define ABI_ARM 1   // AArch32: a 32-bit process under CONFIG_COMPAT
#define TIF_32BIT 22 // thread_info.flags: an AArch32 task (asm/thread_info.h)
#else
#define ABI_X86_64 0
#define ABI_X86 1
#define ABI_X32 2
#endif
#define NR_SLOTS 1024 // syscall numbers per ABI

#define TS_COMPAT 0x0002 // thread_info.status: in a 32-bit (i386) syscall
#define X32_BIT 0x40000000
#define AT_FDCWD -100
#define NOARG 0xff
#define PATH_LEN 512
#define NAME_CHUNK 256 // longest name component read (NAME_MAX + 1)
#define BASE_LEN (PATH_LEN + NAME_CHUNK)
#define MAX_DEPTH 48 // directory levels walked to find a cwd or dirfd
#define CAP_NET_ADMIN 12
#define CAP_SYS_ADMIN 21
#define NOISE_FRAMES 12

// Process states in procs.
#define ST_PENDING 1   // CMD's process, forked, has not exec'd CMD yet
#define ST_RECORDING 2 // CMD or a descendant
#define ST_SPAWNER 3   // rampart while it forks CMD: its child is pending

// Ring buffer records.
#define EV_FILE 1
#define EV_EXEC 2

// What a syscall's spec asks to read from user memory.
#define MEM_CLONE3 1   // clone_args.flags: the first u64 at arg 0
#define MEM_SOCKADDR 2 // sa_family: the first u16 at arg 1 (connect, bind)
#define MEM_OPENHOW 3  // open_how.flags: the first u64 at arg 2 (openat2)
#define MEM_SOCKET 4   // not memory: (family, type, protocol) in args 0-2

// Counters of what could not be recorded; user space reports each as a
// limit (record/ebpf.go).
enum {
	STAT_LOST,          // ring buffer full: a path event was dropped
	STAT_ARGS_FULL,     // argument value table full
	STAT_PROCS_FULL,    // process table full: a child was not followed
	STAT_SEEN_FULL,     // dedup table full (paths sent without dedup)
	STAT_BAD_NR,        // syscall number outside the table
	STAT_SOCKS_FULL,    // socket table full
	STAT_FORKS,         // processes followed (not a loss)
	STAT_NOISE_UNKNOWN, // SYS_ADMIN checks counted without telling noise apart
	STAT_MEM_FAULT,     // a value in user memory could not be read
	STAT_MAX,
};

// Hand-written CO-RE views of the kernel structures read here; libbpf
// relocates the offsets against the running kernel's BTF at load.
#if defined(__TARGET_ARCH_arm64)
struct thread_info {
	unsigned long flags;
} __attribute__((preserve_access_index));
#else
struct thread_info {
	__u32 status;
} __attribute__((preserve_access_index));
#endif

struct atomic_t_view {
	int counter;
};

struct signal_struct {
	struct atomic_t_view live;
} __attribute__((preserve_access_index));

struct qstr {
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
} __attribute__((preserve_access_index));

struct vfsmount {
	struct dentry *mnt_root;
} __attribute__((preserve_access_index));

// struct mount wraps the vfsmount a path points to (fs/mount.h).
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
} __attribute__((preserve_access_index));

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct file {
	struct path f_path;
} __attribute__((preserve_access_index));

struct fs_struct {
	struct path pwd;
} __attribute__((preserve_access_index));

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
} __attribute__((preserve_access_index));

struct files_struct {
	struct fdtable *fdt;
} __attribute__((preserve_access_index));

struct task_struct {
	struct thread_info thread_info;
	int pid;
	int tgid;
	struct signal_struct *signal;
	struct fs_struct *fs;
	struct files_struct *files;
} __attribute__((preserve_access_index));

struct linux_binprm {
	const char *filename;
	const char *interp;
} __attribute__((preserve_access_index));

#if defined(__TARGET_ARCH_arm64)
// The kernel's puts regs[] in an anonymous union with user_pt_regs;
// CO-RE finds the field through it. orig_x0 keeps argument 0 after x0
// took the return value; syscallno is the call's number (-1: none).
struct pt_regs {
	__u64 regs[31];
	__u64 orig_x0;
	__s32 syscallno;
} __attribute__((preserve_access_index));
#else
struct pt_regs {
	unsigned long bp, bx, r10, r9, r8, cx, dx, si, di, orig_ax;
} __attribute__((preserve_access_index));
#endif

// spec says what to record of one syscall beyond its count; user space
// fills it per ABI from libseccomp's tables.
struct spec {
	__u8 op;     // nonzero: a file operation (user space's code)
	__u8 path;   // arg index of the path
	__u8 dirfd;  // arg index of the path's directory fd; NOARG: AT_FDCWD
	__u8 path2;  // second path (rename), NOARG: none
	__u8 dirfd2; // its directory fd
	__u8 flags;  // arg index of open flags or mode; NOARG: none
	__u8 vals;   // bit i: count argument i's values
	__u8 mem;    // MEM_*
};

struct event {
	__u32 kind; // EV_*
	__u32 tgid;
	__u32 tid;
	__u16 abi;
	__u16 nr;
	__u32 op;
	__s32 dirfd;
	__s32 dirfd2;
	__u32 first; // EV_EXEC: CMD's own execve (the start of recording)
	__u64 flags;
	__s64 ret;
	__u64 hash; // dedup key's hash; 0 when not deduplicated
	__s32 len;  // bpf_probe_read_*_str results (with the NUL; <0 fault)
	__s32 len2;
	__s32 blen; // bytes of base; -1: not resolved here
	__u32 pad;
	char path[PATH_LEN];
	char path2[PATH_LEN];
	// base is the directory a relative path is relative to (the cwd or
	// the dirfd's), as its names from the leaf up, each ending in NUL.
	char base[BASE_LEN];
};

struct arg_key {
	__u16 abi;
	__u16 nr;
	__s32 arg; // -1: a value read from memory (MEM_CLONE3, MEM_SOCKADDR)
	__u64 value;
};

struct sock_key {
	__u16 abi;
	__u16 nr;
	__u32 family;
	__u32 type;
	__u32 protocol;
};

struct seen_key {
	__u64 hash;
	__u32 flags;
	__u32 op;
};

// procs: the recorded process tree, by tgid, with each process's state;
// forks, execs and exits consult it (the hot paths test tracked).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, __u32);
} procs SEC(".maps");

// counts: calls per (ABI, number); per-CPU so that counting takes no
// lock and no atomic.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3 * NR_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3 * NR_SLOTS);
	__type(key, __u32);
	__type(value, struct spec);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct arg_key);
	__type(value, __u64);
} args SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct sock_key);
	__type(value, __u64);
} socks SEC(".maps");

// caps: checks per capability, index cap*2 (granted) and cap*2+1 (denied).
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} caps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

// tracked: a bitmap of the recording processes by tgid (bit tgid%64 of
// word tgid/64), sized from pid_max at load. Every syscall on the
// machine passes this test; an array word and a bit cost less than the
// hash lookup in procs, which stays the record of state.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); // set from pid_max by user space
	__type(key, __u32);
	__type(value, __u64);
} tracked SEC(".maps");

// busy: a bitmap by thread id of the threads inside a call with exit
// work (a path or a value in memory to read), same layout as tracked.
// The exit of every other call costs one word test.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); // set from pid_max by user space
	__type(key, __u32);
	__type(value, __u64);
} busy SEC(".maps");

// seen: absolute-path accesses already sent, with how often they
// recurred since; a loop that opens the same file costs no ring buffer
// traffic.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct seen_key);
	__type(value, __u64);
} seen SEC(".maps");

// noise: kernel text ranges (from /proc/kallsyms) of the memory
// accounting hook, security_vm_enough_memory_mm and its capability part
// cap_vm_enough_memory (often a tail call, so not on the stack). It asks
// for CAP_SYS_ADMIN on every private writable mapping, brk and fork,
// only to pick a reserve; counted, it would make every workload look
// like it needs SYS_ADMIN. The third range is net_ctl_permissions: every
// open and read of a /proc/sys/net file asks for CAP_NET_ADMIN only to
// give a network administrator the owner's mode bits; reading needs
// none; counted, it would add NET_ADMIN to the policy of every Go server
// (net.Listen reads somaxconn). Writing a net sysctl as non-root does
// need it; container runtimes mount /proc/sys read-only anyway.
struct range {
	__u64 start;
	__u64 end;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, struct range);
} noise SEC(".maps");

// scratch: an event is larger than the BPF stack.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

static __always_inline void stat(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &i);
	if (v)
		*v += 1;
}

// bump adds one to a hash map counter, creating it; a full map is
// counted in stats, never silent.
static __always_inline void bump(void *map, void *key, __u32 full)
{
	__u64 *v = bpf_map_lookup_elem(map, key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	__u64 one = 1;
	long err = bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
	if (err == -17) { // EEXIST: another CPU created it first
		v = bpf_map_lookup_elem(map, key);
		if (v)
			__sync_fetch_and_add(v, 1);
	} else if (err) {
		stat(full);
	}
}

static __always_inline int bit(void *map, __u32 id)
{
	__u32 w = id / 64;
	__u64 *word = bpf_map_lookup_elem(map, &w);
	return word ? (*word >> (id % 64)) & 1 : -1;
}

static __always_inline void set_bit(void *map, __u32 id, int on)
{
	__u32 w = id / 64;
	__u64 *word = bpf_map_lookup_elem(map, &w);
	if (!word)
		return;
	if (on)
		__sync_fetch_and_or(word, 1ULL << (id % 64));
	else
		__sync_fetch_and_and(word, ~(1ULL << (id % 64)));
}

static __always_inline int recording(__u32 tgid)
{
	int b = bit(&tracked, tgid);
	if (b >= 0)
		return b;
	// A pid beyond the bitmap (pid_max raised since): ask procs.
	__u32 *st = bpf_map_lookup_elem(&procs, &tgid);
	return st && *st == ST_RECORDING;
}

#if defined(__TARGET_ARCH_arm64)
// abi_of tells AArch64 from AArch32: a 32-bit task carries TIF_32BIT,
// which is what routes its calls to the compat table.
static __always_inline int abi_of(long nr)
{
	// A BTF task pointer reads thread_info with a plain load, not a
	// helper call: this runs on every call of the recorded tree.
	struct task_struct *t = bpf_get_current_task_btf();
	if (t->thread_info.flags & (1UL << TIF_32BIT))
		return ABI_ARM;
	return ABI_AARCH64;
}
#else
// abi_of tells the three x86 ABIs apart: an int 0x80 or 32-bit process's
// call runs with TS_COMPAT set; an x32 call's number carries X32_BIT.
static __always_inline int abi_of(long nr)
{
	// A BTF task pointer reads thread_info with a plain load, not a
	// helper call: this runs on every call of the recorded tree.
	struct task_struct *t = bpf_get_current_task_btf();
	if (t->thread_info.status & TS_COMPAT)
		return ABI_X86;
	if (nr & X32_BIT)
		return ABI_X32;
	return ABI_X86_64;
}
#endif

// regs is a copy of the call's saved registers, read with one helper
// call: reading each register on its own cost a helper call apiece, on
// every open of the recorded tree. The fields sit where the running
// kernel's struct pt_regs puts them (CO-RE offsets).
#if defined(__TARGET_ARCH_arm64)
#define REGS_LEN 288 // through syscallno
#else
#define REGS_LEN 168
#endif
struct regs {
	__u64 w[REGS_LEN / 8];
};

static __always_inline int read_regs(struct regs *r, void *pt)
{
	return bpf_probe_read_kernel(r, sizeof(*r), pt);
}

static __always_inline __u64 reg(struct regs *r, __u32 off)
{
	if (off > REGS_LEN - 8) // never, for the offsets below: the verifier sees constants
		return 0;
	return *(__u64 *)((char *)r->w + off);
}

#define REG(r, field) reg(r, bpf_core_field_offset(struct pt_regs, field))

#if defined(__TARGET_ARCH_arm64)
// arg reads argument i (0-5): x0-x5, with x0 as it was at entry; an
// AArch32 call's are r0-r5, 32 bits.
static __always_inline __u64 arg(struct regs *r, int abi, __u32 i)
{
	__u64 v;
	if (i == 0)
		v = REG(r, orig_x0);
	else if (i < 6)
		v = reg(r, bpf_core_field_offset(struct pt_regs, regs) + i * 8);
	else
		return 0;
	return abi == ABI_ARM ? (__u32)v : v;
}

// call_nr is the number of the call the registers were saved for.
#define CALL_NR(r) ((__s32)REG(r, syscallno))
#else
// arg reads argument i (0-5) of the call from its saved registers; an
// i386 call's are 32 bits.
static __always_inline __u64 arg(struct regs *r, int abi, __u32 i)
{
	if (abi == ABI_X86) {
		switch (i) {
		case 0: return (__u32)REG(r, bx);
		case 1: return (__u32)REG(r, cx);
		case 2: return (__u32)REG(r, dx);
		case 3: return (__u32)REG(r, si);
		case 4: return (__u32)REG(r, di);
		case 5: return (__u32)REG(r, bp);
		}
		return 0;
	}
	switch (i) {
	case 0: return REG(r, di);
	case 1: return REG(r, si);
	case 2: return REG(r, dx);
	case 3: return REG(r, r10);
	case 4: return REG(r, r8);
	case 5: return REG(r, r9);
	}
	return 0;
}

#define CALL_NR(r) REG(r, orig_ax)
#endif

// The two loops below are global functions: the verifier checks each
// once, on its own, instead of walking every iteration again at every
// call site and in every state of the caller, which made loading the
// programs cost tens of milliseconds of every recording. Their buffers
// are passed as fixed-size structs, the form global functions accept.
struct pathbuf {
	char b[PATH_LEN];
};

struct basebuf {
	char b[BASE_LEN];
};

// fnv hashes the string of len-1 bytes at s (len counts the NUL) eight
// bytes at a time: a loop of 64 steps, not 512, for the verifier to walk.
// Bytes past the string (the buffer is reused) are masked off.
__attribute__((noinline)) __u64 fnv(struct pathbuf *s, int len, __u64 h)
{
	if (!s)
		return h;
	const __u64 *w = (const __u64 *)s->b;
	for (int i = 0; i < PATH_LEN / 8; i++) {
		int rem = len - 1 - i * 8;
		if (rem <= 0)
			break;
		__u64 v = w[i];
		if (rem < 8)
			v &= (1ULL << (rem * 8)) - 1;
		h ^= v;
		h *= 1099511628211ULL;
	}
	return h;
}

// walk writes the names of path p's directories, from the leaf up to the
// root of the mount tree, into buf (each ending in NUL), as d_path does
// but within a BPF program's means; it returns the bytes written, or -1
// when the path is deeper or longer than the buffer (user space then
// asks /proc). Resolving here, in the call's own context, is what makes
// a relative path of a process that exits at once resolvable at all.
__attribute__((noinline)) int walk(__u64 ptr, struct basebuf *out)
{
	struct path *p = (struct path *)ptr;
	if (!p || !out)
		return -1;
	char *buf = out->b;
	struct dentry *d = BPF_CORE_READ(p, dentry);
	struct vfsmount *vm = BPF_CORE_READ(p, mnt);
	struct mount *m = (struct mount *)((char *)vm - bpf_core_field_offset(struct mount, mnt));
	struct dentry *root = BPF_CORE_READ(vm, mnt_root);
	__u32 off = 0;
	for (int i = 0; i < MAX_DEPTH; i++) {
		// At the root of a mount, step to where it is mounted; at the
		// root of the mount tree, done.
		if (d == root) {
			struct mount *up = BPF_CORE_READ(m, mnt_parent);
			if (up == m || !up)
				return off;
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = up;
			root = BPF_CORE_READ(m, mnt.mnt_root);
		}
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		if (parent == d)
			return off; // the root of a filesystem not mounted here
		long n = bpf_probe_read_kernel_str(buf + (off & (PATH_LEN - 1)), NAME_CHUNK, BPF_CORE_READ(d, d_name.name));
		off += n > 0 ? n : BASE_LEN; // a fault ends the walk below
		if (off >= PATH_LEN)
			return -1;
		d = parent;
	}
	return -1;
}

// dir_of finds the directory a relative path of the current task is
// resolved against: its cwd, or the file open on dirfd.
static __always_inline struct path *dir_of(int dirfd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	if (dirfd == AT_FDCWD) {
		struct fs_struct *fs = BPF_CORE_READ(t, fs);
		return fs ? __builtin_preserve_access_index(&fs->pwd) : 0;
	}
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	if (!fdt || dirfd < 0 || (unsigned int)dirfd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[dirfd]) || !f)
		return 0;
	return __builtin_preserve_access_index(&f->f_path);
}

static __always_inline void resolve_base(struct event *e, int dirfd)
{
	struct path *p = dir_of(dirfd);
	e->blen = p ? walk((__u64)p, (struct basebuf *)e->base) : -1;
}

// file_exit sends a successful file call's path(s). It runs at syscall
// exit, after the kernel copied the path in: at entry the string's page
// may not be mapped yet (a literal in untouched .rodata), and a BPF
// program cannot fault it in.
static __always_inline void file_exit(struct spec *sp, struct regs *r, int abi, long nr, __u64 id, long ret)
{
	__u32 zero = 0;
	struct event *e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return;
	e->kind = EV_FILE;
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->abi = abi;
	e->nr = nr;
	e->op = sp->op;
	e->first = 0;
	e->ret = ret;
	e->hash = 0;
	e->dirfd = sp->dirfd < 6 ? (__s32)arg(r, abi, sp->dirfd) : AT_FDCWD;
	e->dirfd2 = sp->dirfd2 < 6 ? (__s32)arg(r, abi, sp->dirfd2) : AT_FDCWD;
	e->flags = sp->flags < 6 ? arg(r, abi, sp->flags) : 0;
	if (sp->mem == MEM_OPENHOW && bpf_probe_read_user(&e->flags, sizeof(e->flags), (void *)arg(r, abi, 2)))
		stat(STAT_MEM_FAULT);
	e->len = -1;
	if (sp->path < 6)
		e->len = bpf_probe_read_user_str(e->path, PATH_LEN, (void *)arg(r, abi, sp->path));
	e->len2 = 0;
	if (sp->path2 < 6)
		e->len2 = bpf_probe_read_user_str(e->path2, PATH_LEN, (void *)arg(r, abi, sp->path2));
	e->blen = -1;

	// Absolute paths name the same file whoever opens them: send each
	// (path, flags, op) once and count the repeats here. Relative ones
	// depend on the caller's cwd or dirfd and are sent every time, to be
	// resolved in user space.
	struct seen_key k = {};
	int fresh = 0;
	int absolute = e->len > 1 && e->path[0] == '/' && (e->len2 == 0 || (e->len2 > 1 && e->path2[0] == '/'));
	if (absolute) {
		__u64 h = fnv((struct pathbuf *)e->path, e->len, 14695981039346656037ULL);
		if (e->len2 > 0)
			h = fnv((struct pathbuf *)e->path2, e->len2, h ^ 0xff);
		k.hash = h | 1; // never 0, which means "not deduplicated"
		k.flags = e->flags;
		k.op = e->op;
		__u64 *n = bpf_map_lookup_elem(&seen, &k);
		if (n) {
			__sync_fetch_and_add(n, 1);
			return;
		}
		__u64 one = 1;
		if (bpf_map_update_elem(&seen, &k, &one, BPF_NOEXIST) == 0) {
			e->hash = k.hash;
			fresh = 1;
		} else {
			stat(STAT_SEEN_FULL); // sent on its own, counted once
		}
	}
	// A relative path (or an empty one, naming dirfd itself) is anchored
	// here. Its base is resolved once, for the first path; a second
	// relative one on the same dirfd (mv a b) shares it.
	if (!absolute && e->len > 0 && e->path[0] != '/')
		resolve_base(e, e->dirfd);
	// User space drains the ring every few milliseconds on its own; only
	// a relative path that could not be anchored here, which it must
	// resolve in /proc while the process is still there, is worth waking
	// it for. A wake-up per event would cost the workload a context
	// switch per file.
	__u64 wake = absolute || e->blen >= 0 ? BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP;
	long err;
	if (e->blen >= 0)
		err = bpf_ringbuf_output(&events, e, sizeof(*e), wake);
	else if (e->len2 > 0)
		err = bpf_ringbuf_output(&events, e, __builtin_offsetof(struct event, base), wake);
	else
		err = bpf_ringbuf_output(&events, e, __builtin_offsetof(struct event, path2), wake);
	if (err) {
		stat(STAT_LOST);
		// Forget it, so that its next occurrence is sent again rather
		// than counted against an event user space never saw.
		if (fresh)
			bpf_map_delete_elem(&seen, &k);
	}
}

// mem_values counts the argument values that live in user memory; like
// paths, they are read at exit, when the kernel has touched them.
static __always_inline void mem_values(struct spec *sp, struct regs *r, int abi, long nr)
{
	if (sp->mem == MEM_SOCKET) {
		struct sock_key k = {.abi = abi, .nr = nr, .family = arg(r, abi, 0), .type = arg(r, abi, 1), .protocol = arg(r, abi, 2)};
		bump(&socks, &k, STAT_SOCKS_FULL);
		return;
	}
	struct arg_key k = {.abi = abi, .nr = nr, .arg = -1};
	if (sp->mem == MEM_CLONE3) {
		if (bpf_probe_read_user(&k.value, sizeof(__u64), (void *)arg(r, abi, 0))) {
			stat(STAT_MEM_FAULT);
			return;
		}
	} else if (sp->mem == MEM_SOCKADDR) {
		__u16 fam = 0;
		if (bpf_probe_read_user(&fam, sizeof(fam), (void *)arg(r, abi, 1))) {
			stat(STAT_MEM_FAULT);
			return;
		}
		k.value = fam;
	} else {
		return;
	}
	bump(&args, &k, STAT_ARGS_FULL);
}

// call_slot finds the (ABI, number) slot of the current call, or -1.
static __always_inline long call_slot(long nr, int *abi, long *pnr)
{
	*abi = abi_of(nr);
#if !defined(__TARGET_ARCH_arm64)
	if (*abi == ABI_X32)
		nr &= ~X32_BIT;
#endif
	*pnr = nr;
	if (nr < 0 || nr >= NR_SLOTS) {
		return -1;
	}
	return *abi * NR_SLOTS + nr;
}

// sys_enter counts every call of the recorded tree and the register
// argument values profiles condition on.
SEC("raw_tracepoint/sys_enter")
int sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!recording(id >> 32))
		return 0;

	int abi;
	long nr;
	long s = call_slot(ctx->args[1], &abi, &nr);
	if (s < 0) {
		stat(STAT_BAD_NR);
		return 0;
	}
	__u32 slot = s;
	__u64 *c = bpf_map_lookup_elem(&counts, &slot);
	if (c)
		*c += 1;

	struct spec *sp = bpf_map_lookup_elem(&calls, &slot);
	if (!sp)
		return 0;
	if (sp->op | sp->mem)
		set_bit(&busy, (__u32)id, 1);
	if (!sp->vals)
		return 0;
	struct regs regs;
	if (read_regs(&regs, (void *)ctx->args[0]))
		return 0;
	for (int i = 0; i < 6; i++) {
		if (!(sp->vals & (1 << i)))
			continue;
		struct arg_key k = {.abi = abi, .nr = nr, .arg = i, .value = arg(&regs, abi, i)};
		bump(&args, &k, STAT_ARGS_FULL);
	}
	return 0;
}

// sys_exit records what needs the call done: paths of successful file
// calls, and values in user memory. The argument registers in pt_regs
// are as they were at entry. sys_enter marks the calls with such work in
// busy; a stale mark (a thread that died inside the call) costs one
// look at a call that has none.
SEC("raw_tracepoint/sys_exit")
int sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	int b = bit(&busy, tid);
	if (b == 0 || (b < 0 && !recording(id >> 32)))
		return 0;
	if (b > 0)
		set_bit(&busy, tid, 0);
	struct regs regs;
	if (read_regs(&regs, (void *)ctx->args[0]))
		return 0;
	long ret = ctx->args[1];
	int abi;
	long nr;
	long s = call_slot(CALL_NR(&regs), &abi, &nr);
	if (s < 0)
		return 0;
	__u32 slot = s;
	struct spec *sp = bpf_map_lookup_elem(&calls, &slot);
	if (!sp || !(sp->op | sp->mem))
		return 0;
	// A new clone3 child returns 0 from the same call: count it once,
	// in the parent.
	if (sp->mem && !(sp->mem == MEM_CLONE3 && ret == 0))
		mem_values(sp, &regs, abi, nr);
	if (sp->op && ret >= 0)
		file_exit(sp, &regs, abi, nr, id, ret);
	return 0;
}

// sched_process_fork(struct task_struct *parent, struct task_struct *child):
// a child process inherits its parent's state; threads share the tgid.
SEC("raw_tracepoint/sched_process_fork")
int sched_process_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 *st = bpf_map_lookup_elem(&procs, &ptgid);
	if (!st)
		return 0;
	__u32 pid = BPF_CORE_READ(child, pid);
	__u32 tgid = BPF_CORE_READ(child, tgid);
	if (pid != tgid)
		return 0;
	__u32 v = *st;
	// rampart's fork of CMD: registered here, before the child first
	// runs (the tracepoint fires ahead of its wake-up), so no call of
	// CMD's can slip past; its setup until execve is still rampart's.
	if (v == ST_SPAWNER)
		v = ST_PENDING;
	if (bpf_map_update_elem(&procs, &tgid, &v, BPF_ANY)) {
		stat(STAT_PROCS_FULL);
	} else if (v == ST_RECORDING) {
		set_bit(&tracked, tgid, 1);
		stat(STAT_FORKS);
	}
	return 0;
}

// sched_process_exec(struct task_struct *p, pid_t old_pid, struct
// linux_binprm *bprm): runs after the new image replaced the old one (all
// other threads are gone). A pending process becomes CMD here: nothing
// before this point, rampart's own setup, is ever counted.
SEC("raw_tracepoint/sched_process_exec")
int sched_process_exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u32 *st = bpf_map_lookup_elem(&procs, &tgid);
	if (!st || *st == ST_SPAWNER)
		return 0;
	// An exec from another thread than the leader changed this thread's
	// id: clear the mark its execve left under the old one.
	set_bit(&busy, (__u32)ctx->args[1], 0);
	__u32 first = *st == ST_PENDING;
	*st = ST_RECORDING;
	if (first)
		set_bit(&tracked, tgid, 1);

	struct linux_binprm *b = (struct linux_binprm *)ctx->args[2];
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(struct event), 0);
	if (!e) {
		stat(STAT_LOST);
		return 0;
	}
	e->kind = EV_EXEC;
	e->tgid = tgid;
	e->tid = (__u32)id;
	e->first = first;
	e->abi = 0;
	e->nr = 0;
	e->op = 0;
	e->dirfd = AT_FDCWD;
	e->dirfd2 = AT_FDCWD;
	e->flags = 0;
	e->ret = 0;
	e->hash = 0;
	e->len = bpf_probe_read_kernel_str(e->path, PATH_LEN, BPF_CORE_READ(b, filename));
	e->len2 = bpf_probe_read_kernel_str(e->path2, PATH_LEN, BPF_CORE_READ(b, interp));
	e->blen = -1;
	if (e->len > 0 && e->path[0] != '/')
		resolve_base(e, AT_FDCWD); // ./configure
	bpf_ringbuf_submit(e, (e->len > 0 && e->path[0] == '/') || e->blen >= 0 ? BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP);
	return 0;
}

// sched_process_exit(struct task_struct *p, ...): per thread; the
// process leaves the table when its last thread exits (signal->live has
// dropped to 0 before the tracepoint on every kernel that has it).
SEC("raw_tracepoint/sched_process_exit")
int sched_process_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (!bpf_map_lookup_elem(&procs, &tgid))
		return 0;
	set_bit(&busy, (__u32)id, 0);
	struct task_struct *p = (struct task_struct *)ctx->args[0];
	if (BPF_CORE_READ(p, signal, live.counter) == 0) {
		set_bit(&tracked, tgid, 0);
		bpf_map_delete_elem(&procs, &tgid);
	}
	return 0;
}

// in_noise says whether one of the stack's first frames lies in noise
// range k; *known is set when that range was filled in.
static __always_inline int in_noise(__u64 *ips, long n, __u32 k, int *known)
{
	struct range *r = bpf_map_lookup_elem(&noise, &k);
	if (!r || !r->start)
		return 0;
	*known = 1;
	for (int i = 0; i < NOISE_FRAMES; i++) {
		if (i * 8 >= n)
			break;
		if (ips[i] >= r->start && ips[i] < r->end)
			return 1;
	}
	return 0;
}

// noise_check says whether the memory-accounting hook (SYS_ADMIN) or
// the net sysctl mode check (NET_ADMIN) made this check.
static __always_inline int noise_check(struct bpf_raw_tracepoint_args *ctx, int cap)
{
	__u64 ips[NOISE_FRAMES] = {};
	long n = bpf_get_stack(ctx, ips, sizeof(ips), 0);
	int known = 0;
	if (cap == CAP_NET_ADMIN)
		return in_noise(ips, n, 2, &known);
	if (in_noise(ips, n, 0, &known) || in_noise(ips, n, 1, &known))
		return 1;
	if (!known)
		stat(STAT_NOISE_UNKNOWN);
	return 0;
}

// cap_capable(const struct cred *, struct user_namespace *target_ns, const
// struct user_namespace *capable_ns, int cap, int ret): every capability
// check, with its verdict (0 granted, -EPERM denied).
SEC("raw_tracepoint/cap_capable")
int cap_capable(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!recording(id >> 32))
		return 0;
	int cap = ctx->args[3];
	int ret = ctx->args[4];
	if (cap < 0 || cap >= 64)
		return 0;
	if ((cap == CAP_SYS_ADMIN || cap == CAP_NET_ADMIN) && noise_check(ctx, cap))
		return 0;
	__u32 slot = cap * 2 + (ret != 0);
	__u64 *v = bpf_map_lookup_elem(&caps, &slot);
	if (v)
		*v += 1;
	return 0;
}
