/*
 * syscallcost: per-call cost of three tight loops under one seccomp filter.
 *
 *   syscallcost [-r REPS] [-s SCALE] FILTER|none
 *
 * FILTER is a raw struct sock_filter[] (host byte order), the form
 * `benchprep filter` writes and bwrap --seccomp reads. The helper sets
 * no_new_privs and loads it with seccomp(2) before any loop, so every loop
 * pays for the same program; "none" loads nothing. Every program is
 * loaded with SECCOMP_FILTER_FLAG_SPEC_ALLOW (when the kernel has it), so
 * that no filter turns on a speculation mitigation the others do not.
 *
 * The loops:
 *   getppid   getppid()
 *   socket    socket(AF_INET, SOCK_DGRAM, 0) + close()
 *   badfamily socket(0xffff, SOCK_DGRAM, 0): a call whose arguments the
 *             profile checks, refused at once, by the kernel (EAFNOSUPPORT)
 *             or by a filter that allows only known families (EPERM), so
 *             the filter is most of the work
 *   clone     clone(CLONE_VM|CLONE_VFORK|SIGCHLD) of a child that exits at
 *             once (exit(2) on its own stack) + wait4()
 *
 * Each loop runs a short warm-up and then REPS timed repetitions; every
 * repetition prints one line "OP NS_PER_OP" (one op is one iteration of the
 * loop: two syscalls for socket, three for clone counting the child's exit).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif

static void die(const char *what)
{
	fprintf(stderr, "syscallcost: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void load_filter(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		die(path);
	if (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		fprintf(stderr, "syscallcost: %s: not a seccomp program (%lld bytes)\n", path, (long long)st.st_size);
		exit(1);
	}
	struct sock_fprog prog = {
		.len = st.st_size / sizeof(struct sock_filter),
		.filter = malloc(st.st_size),
	};
	if (read(fd, prog.filter, st.st_size) != st.st_size)
		die(path);
	close(fd);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("no_new_privs");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog) < 0) {
		if (errno != EINVAL || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			die("seccomp");
	}
	free(prog.filter);
}

static void op_getppid(void)
{
	syscall(SYS_getppid); /* not glibc's wrapper: nothing cached */
}

static void op_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	close(fd);
}

static void op_badfamily(void)
{
	if (syscall(SYS_socket, 0xffff, SOCK_DGRAM, 0) >= 0 || (errno != EAFNOSUPPORT && errno != EPERM))
		die("socket(0xffff) was not refused");
}

static char child_stack[64 * 1024] __attribute__((aligned(16)));

static int child(void *arg)
{
	(void)arg;
	return 0; /* glibc's clone() calls exit(2) with this */
}

static void op_clone(void)
{
	pid_t pid = clone(child, child_stack + sizeof child_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	if (pid < 0)
		die("clone");
	int st;
	if (waitpid(pid, &st, 0) != pid)
		die("wait");
}

struct loop {
	const char *name;
	void (*op)(void);
	long iters; /* per repetition at scale 1 */
};

int main(int argc, char **argv)
{
	int reps = 5;
	double scale = 1;
	int c;
	while ((c = getopt(argc, argv, "r:s:")) != -1) {
		switch (c) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 's':
			scale = atof(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || reps < 1 || scale <= 0)
		goto usage;
	if (strcmp(argv[optind], "none") != 0)
		load_filter(argv[optind]);

	struct loop loops[] = {
		{"getppid", op_getppid, 1000000},
		{"socket", op_socket, 50000},
		{"badfamily", op_badfamily, 1000000},
		{"clone", op_clone, 5000},
	};
	for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
		long n = loops[i].iters * scale;
		if (n < 1)
			n = 1;
		for (long k = 0; k < n / 10; k++)
			loops[i].op();
		for (int r = 0; r < reps; r++) {
			double t0 = now_ns();
			for (long k = 0; k < n; k++)
				loops[i].op();
			printf("%s %.1f\n", loops[i].name, (now_ns() - t0) / n);
		}
	}
	return 0;
usage:
	fprintf(stderr, "usage: syscallcost [-r REPS] [-s SCALE] FILTER|none\n");
	return 2;
}
