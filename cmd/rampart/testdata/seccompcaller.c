/* seccompcaller is the workload of the launcher's seccomp property test
 * (seccomp_property_test.go): run by `rampart run --seccomp PROFILE
 * --preserve-fds 1`, it issues a list of system calls under the profile
 * and records, for each, how the kernel decided it, in a file the test
 * passes as descriptor 3.
 *
 * No call of the list ever runs. Before issuing them, the thread that
 * issues them loads a second filter of its own, the safety net (the
 * test writes it into the file): SECCOMP_RET_TRACE for every call but
 * exit and exit_group on x86_64. The kernel runs every filter and keeps
 * the most restrictive action (kernel/seccomp.c, seccomp_run_filters:
 * KILL_PROCESS, KILL_THREAD, TRAP, ERRNO, USER_NOTIF, TRACE, LOG, ALLOW
 * in that order), and with no tracer attached TRACE makes the call fail
 * with ENOSYS without running (__seccomp_filter, SECCOMP_RET_TRACE). So a
 * call the profile allows or logs comes back ENOSYS and has done
 * nothing, and a call it refuses gets the profile's own answer: its
 * errno, SIGSYS for TRAP, or the kill. TestSeccompPropertyCalibration
 * checks each of these against the kernel.
 *
 * How each answer is seen:
 *   ERRNO(e), and ENOSYS for ALLOW/LOG: the return value;
 *   TRAP: a SIGSYS handler records si_errno, si_syscall and si_arch and
 *     carries on with the next call on a fresh stack (the signal frame
 *     is abandoned: SA_NODEFER leaves SIGSYS unblocked, and rt_sigreturn
 *     is never needed);
 *   KILL_THREAD: the calls are issued on a worker thread; its parent
 *     thread sees it gone (CLONE_CHILD_CLEARTID) before the last call,
 *     records the kill and starts a new worker at the next call;
 *   KILL_PROCESS: the worker runs in a child process (clone with
 *     SIGCHLD); its parent sees it killed by SIGSYS (wait4), records the
 *     kill and starts a new child at the next call.
 * The clone calls for the thread and the child are the profile's to
 * decide too: the test asks for them only where its referee says the
 * profile allows them, and records what happened. Without them, a kill
 * ends this process, and the test starts it again at the next call.
 *
 * Built static, without libc: its only system calls are the ones below
 * and the calls of the list. Everything shared sits in the file, mapped
 * at a fixed address, so the arguments of the clone calls are known to
 * the test in advance.
 */

typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;

#define BASE 0x200000000UL
#define SIZE 0x100000UL
#define MAGIC 0x3150525043434553UL /* "SECCPRP1" */

/* layout of the shared file (seccomp_property_test.go: propLayout) */
#define OFF_NET 0x200
#define OFF_CALLS 0x1000
#define MAX_CALLS 8192
#define OFF_RESULTS (OFF_CALLS + MAX_CALLS * 56)
#define OFF_STACK (OFF_RESULTS + MAX_CALLS * 24)
#define STACK_TOP SIZE

struct hdr {
	u64 magic;
	u64 ncalls;
	u64 start;      /* first call to issue */
	u64 mode;       /* MODE_* */
	u64 netlen;     /* instructions of the net */
	u64 stage;      /* how far the set-up got (STAGE_*) */
	i64 setup_ret;  /* the failed set-up call's return value */
	u64 cur;        /* the call in flight */
	u64 done;       /* 1 once the last call returned */
	u64 children;   /* worker processes started */
	u64 threads;    /* worker threads started */
	i64 fork_ret;   /* a failed clone for a child, 0 */
	i64 thread_ret; /* a failed clone for a thread, 0 */
	u64 ctid;       /* the worker thread's tid word, cleared at its exit */
	u64 fprog[2];   /* struct sock_fprog of the net */
	u64 wstart;     /* where the next worker starts */
};

struct call {
	u32 abi; /* ABI_* */
	i32 nr;  /* as the filter sees it: x32 numbers carry 0x40000000 */
	u64 args[6];
};

struct result {
	i64 ret;  /* the return value (HOW_RETURNED) */
	u32 how;  /* HOW_* */
	u32 pad;
	u64 info; /* HOW_TRAPPED: si_errno (16 bits) | si_syscall << 16 (32) | si_arch (low 16) << 48;
	           * HOW_PROCESS_KILLED, HOW_DIED: the wait status */
};

enum { ABI_SYSCALL = 0, ABI_INT80 = 2 };
enum { MODE_CHILD = 1, MODE_THREAD = 2 };
enum { HOW_UNSET, HOW_INFLIGHT, HOW_RETURNED, HOW_TRAPPED, HOW_THREAD_KILLED, HOW_PROCESS_KILLED, HOW_DIED };
enum { STAGE_MAPPED = 1, STAGE_HANDLER, STAGE_RUNNING, STAGE_FINISHED };
/* a failed set-up step: STAGE_FAILED + FAIL_* */
enum { STAGE_FAILED = 100 };
enum { FAIL_SIGACTION = 1, FAIL_NET, FAIL_WAIT, FAIL_TRAPPED };

#define H ((volatile struct hdr *)BASE)
#define CALLS ((volatile struct call *)(BASE + OFF_CALLS))
#define RESULTS ((volatile struct result *)(BASE + OFF_RESULTS))

/* x86_64 numbers */
#define SYS_mmap 9
#define SYS_rt_sigaction 13
#define SYS_clone 56
#define SYS_exit 60
#define SYS_wait4 61
#define SYS_exit_group 231
#define SYS_seccomp 317

#define SIGSYS 31
#define SIGCHLD 17
#define SA_SIGINFO 4
#define SA_RESTORER 0x04000000
#define SA_NODEFER 0x40000000
#define PROT_RW 3
#define MAP_SHARED_FIXED 0x11
/* CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|CHILD_CLEARTID */
#define THREAD_FLAGS 0x250f00

i64 sys6(i64 nr, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6);
i64 int80(u64 nr, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6);
i64 clone_thread(u64 flags, u64 stack_top, u64 ctid, void (*fn)(void));
void resume(u64 next, u64 stack_top) __attribute__((noreturn));
void start_worker(u64 stack_top) __attribute__((noreturn));
void restorer(void);

__asm__(
	".text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call cmain\n"
	"	hlt\n"

	/* i64 sys6(nr, a1..a6): SYSCALL, x86_64 and x32 */
	".globl sys6\n"
	"sys6:\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	mov %rdx, %rsi\n"
	"	mov %rcx, %rdx\n"
	"	mov %r8, %r10\n"
	"	mov %r9, %r8\n"
	"	mov 8(%rsp), %r9\n"
	"	syscall\n"
	"	ret\n"

	/* i64 int80(nr, a1..a6): INT $0x80, i386; the registers are loaded
	 * whole, as a 64-bit program switching ABI loads them */
	".globl int80\n"
	"int80:\n"
	"	push %rbp\n"
	"	push %rbx\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rbx\n"
	"	mov %rcx, %r10\n"
	"	mov %rdx, %rcx\n"
	"	mov %r10, %rdx\n"
	"	mov %r8, %rsi\n"
	"	mov %r9, %rdi\n"
	"	mov 24(%rsp), %rbp\n"
	"	int $0x80\n"
	"	pop %rbx\n"
	"	pop %rbp\n"
	"	cltq\n" /* the i386 result is 32-bit */
	"	ret\n"

	/* i64 clone_thread(flags, stack_top, ctid, fn): the new thread starts
	 * fn on stack_top; clone(flags, newsp, ptid = 0, ctid, tls = 0) */
	".globl clone_thread\n"
	"clone_thread:\n"
	"	mov %rcx, %r9\n"
	"	mov %rdx, %r10\n"
	"	xor %edx, %edx\n"
	"	xor %r8d, %r8d\n"
	"	mov $56, %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	call *%r9\n"
	"	hlt\n"
	"1:	ret\n"

	/* void resume(next, stack_top): run_calls(next) on a fresh stack */
	".globl resume\n"
	"resume:\n"
	"	mov %rsi, %rsp\n"
	"	xor %ebp, %ebp\n"
	"	call run_calls\n"
	"	hlt\n"

	/* void start_worker(stack_top): worker() on a fresh stack */
	".globl start_worker\n"
	"start_worker:\n"
	"	mov %rdi, %rsp\n"
	"	xor %ebp, %ebp\n"
	"	call worker\n"
	"	hlt\n"

	/* never used: the handler does not return */
	".globl restorer\n"
	"restorer:\n"
	"	hlt\n");

static void __attribute__((noreturn)) die(int code) {
	sys6(SYS_exit_group, code, 0, 0, 0, 0, 0);
	/* a profile may refuse exit_group with an errno; rampart then
	 * checked that it allows exit */
	for (;;)
		sys6(SYS_exit, code, 0, 0, 0, 0, 0);
}

static void __attribute__((noreturn)) fail(u64 step, i64 ret) {
	H->setup_ret = ret;
	H->stage = STAGE_FAILED + step;
	die(3);
}

/* running is set in the thread or process that issues the calls: a
 * SIGSYS anywhere else is a set-up call the profile trapped. */
static volatile int running;
static volatile int in_thread;

static i64 issue(volatile struct call *c) {
	volatile u64 *a = c->args;
	if (c->abi == ABI_INT80)
		return int80((u64)(u32)c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	return sys6((i64)c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

void __attribute__((noreturn)) run_calls(u64 i) {
	u64 n = H->ncalls;
	running = 1;
	H->stage = STAGE_RUNNING;
	for (; i < n; i++) {
		H->cur = i;
		RESULTS[i].how = HOW_INFLIGHT;
		i64 r = issue(&CALLS[i]);
		RESULTS[i].ret = r;
		RESULTS[i].how = HOW_RETURNED;
	}
	H->done = 1;
	running = 0;
	if (in_thread) {
		/* the worker thread ends alone; its parent sees ctid cleared */
		for (;;)
			sys6(SYS_exit, 0, 0, 0, 0, 0, 0);
	}
	H->stage = STAGE_FINISHED;
	die(0);
}

/* struct siginfo for SIGSYS (x86_64): si_errno at 4, si_syscall at 24,
 * si_arch at 28 */
static void handler(int sig, void *si, void *uc) {
	(void)sig;
	(void)uc;
	if (!running)
		fail(FAIL_TRAPPED, *(u32 *)((unsigned char *)si + 24)); /* a set-up call was trapped: its number */
	u64 i = H->cur;
	unsigned char *p = si;
	u64 err = *(u32 *)(p + 4), nr = *(u32 *)(p + 24), arch = *(u32 *)(p + 28);
	RESULTS[i].info = (err & 0xffff) | (nr & 0xffffffff) << 16 | (arch & 0xffff) << 48;
	RESULTS[i].how = HOW_TRAPPED;
	resume(i + 1, BASE + STACK_TOP);
}

#define FPROG ((u64) & ((struct hdr *)BASE)->fprog)
#define CTID ((u64) & ((struct hdr *)BASE)->ctid)

/* the worker: load the net on this thread, then issue the calls */
void __attribute__((noreturn)) worker(void) {
	i64 r = sys6(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, FPROG, 0, 0, 0);
	if (r != 0)
		fail(FAIL_NET, r);
	run_calls(H->wstart);
}

static void thread_main(void) {
	in_thread = 1;
	worker();
}

/* segment issues the calls from i in this process, on worker threads
 * where it may; it ends the process. */
static void __attribute__((noreturn)) segment(u64 i) {
	u64 n = H->ncalls;
	if (H->mode & MODE_THREAD) {
		while (i < n) {
			H->ctid = 1;
			H->wstart = i;
			i64 r = clone_thread(THREAD_FLAGS, BASE + STACK_TOP, CTID, thread_main);
			if (r < 0) {
				H->thread_ret = r;
				break;
			}
			H->threads++;
			while (H->ctid)
				__asm__ volatile("pause");
			running = 0;
			in_thread = 0;
			if (H->done) {
				H->stage = STAGE_FINISHED;
				die(0);
			}
			/* the worker is gone before the last call: the call in
			 * flight killed the thread */
			u64 c = H->cur;
			RESULTS[c].how = HOW_THREAD_KILLED;
			i = c + 1;
		}
		if (i >= n) {
			H->done = 1;
			H->stage = STAGE_FINISHED;
			die(0);
		}
	}
	H->wstart = i;
	start_worker(BASE + STACK_TOP);
}

struct ksigaction {
	void (*handler)(int, void *, void *);
	u64 flags;
	void (*restorer)(void);
	u64 mask;
};

void cmain(void) {
	i64 r = sys6(SYS_mmap, BASE, SIZE, PROT_RW, MAP_SHARED_FIXED, 3, 0);
	if (r != (i64)BASE)
		die(2); /* nothing to report into */
	if (H->magic != MAGIC)
		die(2);
	H->stage = STAGE_MAPPED;
	struct ksigaction sa;
	sa.handler = handler;
	sa.flags = SA_SIGINFO | SA_RESTORER | SA_NODEFER;
	sa.restorer = restorer;
	sa.mask = 0;
	r = sys6(SYS_rt_sigaction, SIGSYS, (u64)&sa, 0, 8, 0, 0);
	if (r != 0)
		fail(FAIL_SIGACTION, r);
	H->stage = STAGE_HANDLER;
	u64 i = H->start, n = H->ncalls;
	if (H->mode & MODE_CHILD) {
		while (i < n) {
			r = sys6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
			if (r < 0) {
				H->fork_ret = r;
				break;
			}
			if (r == 0)
				segment(i);
			H->children++;
			int status = 0;
			i64 w = sys6(SYS_wait4, r, (u64)&status, 0x40000000 /* __WALL */, 0, 0, 0);
			if (w != r)
				fail(FAIL_WAIT, w);
			if (H->done) {
				H->stage = STAGE_FINISHED;
				die(0);
			}
			u64 c = H->cur;
			if ((status & 0x7f) == SIGSYS) {
				RESULTS[c].how = HOW_PROCESS_KILLED;
			} else {
				RESULTS[c].how = HOW_DIED;
			}
			RESULTS[c].info = (u64)(u32)status;
			i = c + 1;
		}
		if (i >= n) {
			H->done = 1;
			H->stage = STAGE_FINISHED;
			die(0);
		}
	}
	segment(i);
}
